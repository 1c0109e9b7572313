"""The least-squares kernel of the regressions: the centred, unit-length factors' QR shared by every asset with
the same usable rows, the fit of a block of assets from it, and Newey-West variances.

``regression`` builds OLS, CAPM, GRS and Fama-MacBeth on these; ``premia`` and the penalised solvers use
``usable_groups`` and ``bartlett_weights``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from scipy.linalg import solve_triangular

from . import _validation as v


def usable_groups(ok: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Group the columns of a (rows, columns) mask of usable cells by identical pattern.

    Yields ``(rows, cols)``: the usable rows shared by the columns ``cols``.
    """
    if ok.all():
        yield np.arange(ok.shape[0]), np.arange(ok.shape[1])
        return
    packed = np.packbits(ok, axis=0).T
    _, first, inverse = np.unique(packed, axis=0, return_index=True, return_inverse=True)
    for g in np.argsort(first):  # groups in the order their first column appears
        cols = np.flatnonzero(inverse.ravel() == g)
        yield np.flatnonzero(ok[:, cols[0]]), cols


@dataclass(frozen=True, eq=False)
class CentredGram:
    """The factor side of a regression on n complete rows, computed once and shared by all assets.

    One QR of the centred, unit-length factors ``Xc / scale = Q R`` serves everything: the coefficients are
    ``R^-1 Q'y / scale`` (the condition number of the factors, not its square as in the normal equations), the
    explained sum of squares is ``|Q'y|^2``, and ``gram_inv = (Xc'Xc)^-1 = (R'R)^-1 / scale scale'`` gives
    the standard errors.
    """

    mean: np.ndarray  # (K,)
    xc: np.ndarray  # (n, K) centred factors
    q: np.ndarray  # (n, K) orthonormal basis of the centred factors
    r: np.ndarray  # (K, K) upper triangular: xc / scale = q r
    scale: np.ndarray  # (K,) Euclidean norm of each centred factor
    gram_inv: np.ndarray  # (K, K)
    cond: float  # condition number of xc / scale

    @property
    def n(self) -> int:
        return self.xc.shape[0]

    def inv_design_gram(self) -> np.ndarray:
        """``(Z'Z)^-1`` for the uncentred design ``Z = [1, X]`` (intercept first)."""
        k = self.mean.size
        z = solve_triangular(self.r, self.mean / self.scale, trans="T")  # R^-T (mean / scale)
        gm = solve_triangular(self.r, z) / self.scale  # (Xc'Xc)^-1 mean, by two triangular solves
        out = np.empty((k + 1, k + 1))
        out[0, 0] = 1.0 / self.n + z @ z  # mean' (Xc'Xc)^-1 mean as a sum of squares: no cancellation
        out[0, 1:] = out[1:, 0] = -gm
        out[1:, 1:] = self.gram_inv
        return out

    def solve(self, qy: np.ndarray) -> np.ndarray:
        """Loadings (K, m) from ``Q'y`` (K, m)."""
        return solve_triangular(self.r, qy) / self.scale[:, None]

    def quad_inv(self, a: np.ndarray) -> float:
        """``a' (Xc'Xc)^-1 a`` without forming the inverse: ``|R^-T (a / scale)|^2`` (a sum of squares)."""
        z = solve_triangular(self.r, a / self.scale, trans="T")
        return float(z @ z)


def centred_gram(x: np.ndarray, where: str, factor_names: v.Names = None, arg: str = "factors") -> CentredGram:
    """Centre the factors, check they vary and are not (nearly) collinear (``v.COND_LIMIT_QR``), and factor them."""
    mean = x.mean(axis=0)
    xc = x - mean
    v.check_not_constant(x, where, factor_names, arg)
    scale = np.linalg.norm(xc, axis=0)
    q, r = np.linalg.qr(xc / scale)
    cond = v.check_conditioning(r, where, v.COND_LIMIT_QR, factor_names, arg)
    r_inv = solve_triangular(r, np.eye(r.shape[0]))
    gram_inv = (r_inv @ r_inv.T) / np.outer(scale, scale)
    return CentredGram(mean=mean, xc=xc, q=q, r=r, scale=scale, gram_inv=gram_inv, cond=cond)


RSS_EXACT = 4 * np.finfo(float).eps  # per row: a residual sum of squares below RSS_EXACT n tss is rounding


def fit_block(g: CentredGram, y: np.ndarray):
    """OLS of complete columns ``y`` (n, m) on the factors of ``g``, without forming residuals.

    Returns (coef (m, K+1), rss, tss, factor_ss (m, K), centred coefficients (K+1, m) whose
    row 0 is the mean of y): one matrix product ``[1, Q]' y`` and one sum of squares touch y.
    The explained sum of squares is ``|Q'y|^2`` (Q orthonormal: no cancellation), so that
    0 <= rss <= tss and R2 lies in [0, 1].
    """
    n = g.n
    zy = (y.T @ np.column_stack([np.ones(n), g.q])).T  # y.T @ z runs faster than z.T @ y here
    ym = zy[0] / n
    qy = zy[1:]  # Q'y = Q'(y - ym): the columns of Q are centred
    b = g.solve(qy)  # (K, m)
    yy = np.einsum("ij,ij->j", y, y)
    tss = yy - n * ym**2
    cancel = n * ym**2 > 0.5 * yy  # the mean dominates: recompute the centred sum exactly
    if cancel.any():
        yc = y[:, cancel] - ym[cancel]
        tss[cancel] = np.einsum("ij,ij->j", yc, yc)
    tss = np.maximum(tss, 0.0)
    ess = np.einsum("ij,ij->j", qy, qy)
    gb = (g.r.T @ qy) * g.scale[:, None]  # Xc'Xc b = scale R'Q'y
    factor_ss = (b * gb).T
    rss = np.maximum(tss - ess, 0.0)
    # a difference of two sums carries rounding of about n eps tss: below that the fit is exact (zero residual
    # variance, infinite t-statistics), not a residual of rounding noise with t-statistics of 1e8
    rss[rss <= RSS_EXACT * n * tss] = 0.0
    alpha = ym - g.mean @ b
    coef = np.column_stack([alpha, b.T])
    return coef, rss, tss, factor_ss, np.vstack([ym, b])


def bartlett_weights(lags: int) -> np.ndarray:
    """Newey-West weights 1 - l / (lags + 1) for l = 0..lags."""
    return 1.0 - np.arange(lags + 1) / (lags + 1)


def hac_var(z: np.ndarray, a: np.ndarray, e: np.ndarray, lags: int) -> np.ndarray:
    """Newey-West variances of every coefficient for every column of residuals ``e``: (p, n_cols).

    The variance of coefficient k is the Bartlett long-run variance of its score ``h_k e`` with
    ``h = Z (Z'Z)^-1``, i.e. the diagonal of ``A S A`` without forming ``S``: one (p x T) by
    (T x n_cols) product per lag.
    """
    h = z @ a
    w = bartlett_weights(lags)
    var = (h * h).T @ (e * e)
    for lag in range(1, lags + 1):
        var += 2.0 * w[lag] * ((h[lag:] * h[:-lag]).T @ (e[lag:] * e[:-lag]))
    return var
