"""Principal components of a (T x N) return panel: latent factor returns, loadings, eigenvalues.

Preparation (``prepare``): each asset's mean is subtracted (``demean``, default) and, with ``standardize``, its
returns are divided by their standard deviation (ddof 0, as statsmodels). On the prepared panel ``Z = U S V'``:

- loadings ``V[:, :k]`` (N x k), orthonormal columns;
- factor returns ``Z V[:, :k] = U S`` (T x k), scikit-learn's ``PCA.transform``, so that ``Z ~ F V'``;
- eigenvalues ``s^2 / (T - 1)`` (``s^2 / T`` without demeaning): the factor returns' variances, scikit-learn's
  ``explained_variance_``; explained shares ``s^2 / ||Z||^2``;
- each asset's R2 ``1 - ||Z_j - F V_j'||^2 / ||Z_j||^2``, on its observed rows.

Sign: each factor's loadings sum to a positive number (a "market-like" first factor has positive returns when
the assets rise); a factor whose loadings sum to zero has its largest loading positive.

statsmodels' ``PCA(normalize=True)`` reports the same decomposition scaled otherwise: its ``factors`` are
``U`` (unit length) and its ``coeff`` is ``S V'``; its ``eigenvals`` are ``s^2``.

The decomposition is the eigendecomposition of the smaller Gram matrix (``Z'Z`` or ``ZZ'``), all eigenvalues;
when the panel is large (smaller side over ``EXACT_MAX``) and few components are wanted, block subspace iteration
with Rayleigh-Ritz to a residual of ``1e-12`` of the largest eigenvalue (exact to rounding for the leading
components; the exact path if it does not converge).

Missing cells: the EM estimate of Stock and Watson (2002) as statsmodels ``PCA(missing="fill-em")`` implements it:
prepare with the observed rows' means (and deviations), fill the gaps with the column means, then repeat
(k-component PCA, gaps := its fit) until the gaps change by less than ``tol`` relative; finally the filled panel
is prepared again and decomposed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.linalg import solve_triangular

from ...errors import ConvergenceError, InputValueError, InsufficientDataError
from .. import _validation as v
from .._threads import single_threaded

EXACT_MAX = 600  # smaller side up to which the Gram matrix is decomposed whole (eigh of 600 x 600: ~50 ms)
RANDOMIZED_SHARE = 0.1  # above EXACT_MAX, subspace iteration when the components wanted are at most this share
EM_TOL, EM_MAX_ITER = 5e-8, 1000  # statsmodels' tol_em; its max_em_iter is 100 and it stops there silently


@dataclass(frozen=True, eq=False)
class PCAResult:
    """Principal components of a return panel (see the module docstring for the conventions).

    Attributes
    ----------
    factors : ndarray, shape (T, k)
        Latent factor returns ``Z V_k`` (scikit-learn's ``transform``).
    loadings : ndarray, shape (N, k)
        Orthonormal columns, each summing positive.
    eigenvalues : ndarray, shape (q,)
        Variances of the components, q >= k (all of them on the exact path).
    explained : ndarray, shape (q,)
        Share of the panel's total variance of each component.
    r2 : ndarray, shape (N,)
        Share of each asset's (prepared) variance the k factors explain, on its observed rows.
    mean, scale : ndarray, shape (N,)
        Subtracted from and divided into each asset (zeros, ones when not demeaned, standardised).
    total_variance : float
        Sum of all the components' variances.
    n_iter, n_missing : int
        EM iterations and cells it filled (0 for a complete panel).
    em_converged : bool
        False when ``strict=False`` kept an EM fill that did not converge in ``max_iter`` iterations.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.random.default_rng(0).normal(size=(50, 4))
    >>> res = pca(y, 2)
    >>> res.k, res.factors.shape, bool(np.isclose(res.explained.sum(), 1.0))
    (2, (50, 2), True)
    """

    factors: np.ndarray  # (T, k) latent factor returns
    loadings: np.ndarray  # (N, k) orthonormal columns, each summing positive
    eigenvalues: np.ndarray  # (q,) variances of the components, q >= k (all of them on the exact path)
    explained: np.ndarray  # (q,) share of the panel's total variance of each component
    r2: np.ndarray  # (N,) share of each asset's (prepared) variance the k factors explain, on its observed rows
    mean: np.ndarray  # (N,) subtracted from each asset (zeros without demeaning)
    scale: np.ndarray  # (N,) divided into each asset (ones without standardising)
    total_variance: float  # sum of all the components' variances
    n_iter: int = 0  # EM iterations (0 for a complete panel)
    n_missing: int = 0  # cells filled by the EM estimate
    em_converged: bool = True  # False: strict=False kept an EM fill that did not converge in max_iter

    @property
    def k(self) -> int:
        return self.factors.shape[1]

    def fitted(self) -> np.ndarray:
        """The returns the k factors reproduce, in the returns' units (T x N)."""
        return (self.factors @ self.loadings.T) * self.scale + self.mean


def prepare(x: np.ndarray, demean: bool, standardize: bool, names: v.Names = None):
    """(Z, mean, scale): the panel centred and scaled on its observed cells; NaN stay NaN."""
    observed = np.isfinite(x)
    count = observed.sum(axis=0)
    full = bool(observed.all())
    mean_of = np.mean if full else np.nanmean  # nanmean copies the panel: 1 s for 5040 x 3000 under load
    mean = mean_of(x, axis=0) if (demean or standardize) else np.zeros(x.shape[1])
    scale = np.ones(x.shape[1])
    if standardize:
        scale = np.sqrt(mean_of((x - mean) ** 2, axis=0))
        flat = np.flatnonzero(~(scale > 1e-14 * np.maximum(np.nanmax(np.abs(x), axis=0), 1e-300)))
        if flat.size:
            raise InputValueError(
                f"returns {v.label('column', int(flat[0]), names)} is constant over its "
                f"{count[flat[0]]} rows; it cannot be standardised: remove it or set standardize "
                "to FALSE."
            )
    return ((x - mean) / scale if standardize else x - mean), mean, scale


def signs(loadings: np.ndarray) -> np.ndarray:
    """+1 or -1 per column so that its sum is positive (or, if it sums to zero, its largest entry): (..., 1, k)."""
    total = loadings.sum(axis=-2)
    big = np.take_along_axis(loadings, np.abs(loadings).argmax(axis=-2)[..., None, :], axis=-2)[..., 0, :]
    tiny = np.abs(total) <= 1e-12 * np.abs(loadings).sum(axis=-2)
    return np.where(np.where(tiny, big, total) < 0, -1.0, 1.0)[..., None, :]


def top_components(z: np.ndarray, q: int, exact: bool | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(s^2 descending, V): the q leading right singular pairs of a complete panel (all pairs when exact)."""
    t, n = z.shape
    m = min(t, n)
    if exact is None:
        exact = m <= EXACT_MAX or q > RANDOMIZED_SHARE * m
    if not exact:
        found = _subspace(z, q)
        if found is not None:
            return found
    if n <= t:
        lam, vec = np.linalg.eigh(z.T @ z)
        lam, vec = lam[::-1], vec[:, ::-1]
    else:
        lam, u = np.linalg.eigh(z @ z.T)  # T < N: T pairs
        lam, u = lam[::-1], u[:, ::-1]
        pos = lam > lam[0] * 1e-13 if lam[0] > 0 else np.zeros(t, bool)
        vec = np.zeros((n, t))
        vec[:, pos] = (z.T @ u[:, pos]) / np.sqrt(lam[pos])
    return np.clip(lam, 0.0, None), vec


def _subspace(z: np.ndarray, q: int, tol: float = 1e-12, max_iter: int = 200):
    """Block subspace iteration on ``Z'Z`` with Rayleigh-Ritz; None if the q leading pairs do not converge."""
    b = min(q + max(10, q // 2), *z.shape)
    rng = np.random.default_rng(0)
    start = z.T @ (z @ rng.standard_normal((z.shape[1], b)))
    with single_threaded():
        basis = _orthonormal(start)
    for _ in range(max_iter):
        # the large products on every BLAS thread, the thin steps on one (``_threads``; on a loaded 2-core
        # machine the Cholesky QR of 3000 x 20 took 0.5-1.1 s on two threads, 2 ms on one)
        y = z @ basis
        w = z.T @ y  # Z'Z basis
        with single_threaded():
            theta, rot = np.linalg.eigh(y.T @ y)
            theta, rot = theta[::-1], rot[:, ::-1]
            vec, cv = basis @ rot, w @ rot
            resid = np.linalg.norm(cv[:, :q] - vec[:, :q] * theta[:q], axis=0)
            if theta[0] <= 0 or resid.max() <= tol * theta[0]:
                return np.clip(theta, 0.0, None), vec
            basis = _orthonormal(cv)
    return None


def _orthonormal(a: np.ndarray) -> np.ndarray:
    """An orthonormal basis of a's columns: Cholesky QR twice on unit columns (a matrix product and two small
    triangular solves; LAPACK's Householder QR of a tall, thin matrix took 0.2-0.7 s under load for 3000 x 20)."""
    a = a / np.maximum(np.linalg.norm(a, axis=0), 1e-300)
    try:
        for _ in range(2):
            r = np.linalg.cholesky(a.T @ a)
            a = solve_triangular(r, a.T, lower=True).T
        return a
    except np.linalg.LinAlgError:
        return np.linalg.qr(a)[0]


def decompose(
    z: np.ndarray,
    k: int,
    mean,
    scale,
    ddof: int,
    observed=None,
    exact=None,
    n_iter=0,
    n_missing=0,
    names: v.Names = None,
) -> PCAResult:
    """The k-component result on a complete prepared panel (R2 on the ``observed`` cells only)."""
    t = z.shape[0]
    lam, vec = top_components(z, k, exact)
    rank = int((lam > lam[0] * 1e-13).sum()) if lam.size and lam[0] > 0 else 0
    if k > rank:
        raise InputValueError(
            f"k is {k} but the returns have rank {rank} (after removing the means); ask for at most {rank} factor(s)."
        )
    load = vec[:, :k] * signs(vec[:, :k])
    f = z @ load
    if observed is None:  # residual sum of squares of asset j: ||z_j||^2 - sum_k V_jk^2 s_k^2 (F's columns orthogonal)
        tss = np.einsum("ij,ij->j", z, z)
        rss = np.maximum(tss - (load**2) @ lam[:k], 0.0)
    else:  # on the observed cells only
        resid = np.where(observed, z - f @ load.T, 0.0)
        tss, rss = (np.where(observed, z, 0.0) ** 2).sum(axis=0), (resid**2).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        r2 = 1.0 - rss / tss
    total = float(np.einsum("ij,ij->", z, z))
    denom = t - ddof
    return PCAResult(
        factors=f,
        loadings=load,
        eigenvalues=lam / denom,
        explained=lam / total if total else lam * 0,
        r2=r2,
        mean=mean,
        scale=scale,
        total_variance=total / denom,
        n_iter=n_iter,
        n_missing=n_missing,
    )


def check_k(k, m: int, name: str = "k") -> int:
    return v.check_nonneg_int(k, name, minimum=1, maximum=max(m, 1))


def check_coverage(x: np.ndarray, k: int, names: v.Names = None) -> np.ndarray:
    """The observed mask; every asset needs k + 2 observed rows and every period k observed assets."""
    observed = np.isfinite(x)
    need = k + 2
    per_asset = observed.sum(axis=0)
    short = np.flatnonzero(per_asset < need)
    if short.size:
        j = int(short[0])
        raise InsufficientDataError(
            f"returns {v.label('column', j, names)} has {per_asset[j]} row(s) with a number; "
            f"{k} latent factor(s) need at least {need} per asset: remove the asset or "
            "extend its history."
        )
    per_row = observed.sum(axis=1)
    thin = np.flatnonzero(per_row < k)
    if thin.size:
        i = int(thin[0])
        raise InsufficientDataError(
            f"returns row {i + 1} has {per_row[i]} number(s); {k} latent factor(s) need at "
            f"least {k} assets in every period: remove the row or fill it."
        )
    return observed


def em_fill(
    x: np.ndarray,
    k: int,
    demean: bool,
    standardize: bool,
    observed: np.ndarray,
    tol: float = EM_TOL,
    max_iter: int = EM_MAX_ITER,
    names: v.Names = None,
    strict: bool = True,
) -> tuple[np.ndarray, int, float]:
    """(x with its gaps filled by the k-factor EM estimate, iterations, last relative change); statsmodels' fill-em
    (module docstring). Not converged in ``max_iter``: ConvergenceError, or with ``strict=False`` the last fill (its
    change above ``tol`` says so; statsmodels returns it without a word)."""
    z, mean, scale = prepare(x, demean, standardize, names)
    mask = ~observed
    z[mask] = np.broadcast_to(np.nanmean(z, axis=0), z.shape)[mask]
    last = z[mask]
    for it in range(1, max_iter + 1):
        _, vec = top_components(z, k)
        load = vec[:, :k]
        fit = (z @ load) @ load.T
        now = fit[mask]
        z[mask] = now
        change = float(np.linalg.norm(last - now) / np.maximum(np.linalg.norm(now), 1e-300))
        if change < tol or (it == max_iter and not strict):
            out = x.copy()
            out[mask] = (fit * scale + mean)[mask]
            return out, it, change
        last = now
    raise ConvergenceError(
        f"the EM estimate of the {int(mask.sum())} missing cells did not converge in {max_iter} "
        f"iterations (last relative change {change:.2g}); use fewer factors or fill the gaps."
    )


def pca(
    returns: ArrayLike,
    k: int = 1,
    *,
    demean: bool = True,
    standardize: bool = False,
    tol: float = EM_TOL,
    max_iter: int = EM_MAX_ITER,
    exact: bool | None = None,
    asset_names: v.Names = None,
    strict: bool = True,
) -> PCAResult:
    """Principal components of a return panel (T periods x N assets), blanks estimated by EM.

    Parameters
    ----------
    returns : array_like
        (T, N) returns, periods down the rows; NaN marks a missing value.
    k : int
        Number of latent factors, 1 to the panel's rank.
    demean : bool
        Subtract each asset's mean first (default True).
    standardize : bool
        Divide each asset by its standard deviation (ddof 0) too (default False: the components of the covariance).
    tol, max_iter : float, int
        EM stopping rule for a panel with gaps: relative change of the filled cells below ``tol``.
    exact : bool or None
        Decompose the whole Gram matrix (True), iterate on a subspace (False), or choose by size (None).
    asset_names : sequence of str, optional
        Names used in error messages.
    strict : bool
        True (default): an EM fill not converged in ``max_iter`` iterations is an error; False: its last fill is
        used and ``em_converged`` is False (FACTOR_COUNT's scree: the same fill as ``factor_count``).

    Returns
    -------
    PCAResult
        Factor returns, loadings, eigenvalues, explained shares and each asset's R2.

    Raises
    ------
    InputValueError
        Text, infinities, a constant asset with ``standardize``, or k above the panel's rank.
    InsufficientDataError
        An asset with fewer than k + 2 numbers, or a period with fewer than k.
    ConvergenceError
        The EM estimate of the gaps did not converge in ``max_iter`` iterations.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> market = rng.normal(0.01, 0.05, size=(120, 1))
    >>> returns = market @ np.full((1, 6), 1.0) + rng.normal(0, 0.01, size=(120, 6))
    >>> res = pca(returns, k=1)
    >>> res.factors.shape, res.loadings.shape
    ((120, 1), (6, 1))
    >>> bool(res.explained[0] > 0.9), bool((res.loadings > 0).all())
    (True, True)
    """
    x = v.as_float_2d(returns, "returns")
    t, n = x.shape
    k = check_k(k, min(t, n))
    observed = np.isfinite(x)
    n_iter, n_missing, change = 0, int((~observed).sum()), 0.0
    if n_missing:
        tol = v.check_number(tol, "tol", low=0.0, low_open=True)
        max_iter = v.check_nonneg_int(max_iter, "max_iter", minimum=1)
        check_coverage(x, k, asset_names)
        x, n_iter, change = em_fill(x, k, demean, standardize, observed, tol, max_iter, asset_names, strict)
    if t < 2 and demean:
        raise InsufficientDataError(f"returns has {t} row; principal components need at least 2 periods.")
    z, mean, scale = prepare(x, demean, standardize, asset_names)
    res = decompose(
        z,
        k,
        mean,
        scale,
        1 if (demean or standardize) else 0,
        observed if n_missing else None,
        exact,
        n_iter,
        n_missing,
        asset_names,
    )
    return res if not n_missing or change < tol else dataclasses.replace(res, em_converged=False)


__all__ = ["PCAResult", "check_coverage", "decompose", "em_fill", "pca", "prepare", "signs", "top_components"]
