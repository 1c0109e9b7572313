"""Time-series factor regressions for all assets at once, and the tests built on them.

Every asset uses the rows where it and every factor are present (listwise per asset).
Assets that share the same usable rows are solved together: one QR of the design matrix
``[1, X]`` and one matrix product serve all of them, so there is no loop over assets.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from scipy import stats

from ..errors import CollinearityError, InputShapeError, InputValueError, InsufficientDataError
from . import _validation as v
from .results import CapmResult, Collinearity, FamaMacBethResult, GRSResult, RegressionResult
from .shanken import correct_fama_macbeth, require_traded


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


def ols(
    returns,
    factors,
    *,
    lags: int | None = None,
    asset_names: v.Names = None,
    factor_names: v.Names = None,
    factors_arg: str = "factors",
) -> RegressionResult:
    """Regress every column of ``returns`` (T x N) on ``factors`` (T x K) with an intercept.

    ``lags`` switches the standard errors to Newey-West with a Bartlett kernel of that many
    lags (statsmodels ``cov_type="HAC", cov_kwds={"maxlags": lags}``).
    """
    y = v.as_float_2d(returns, "returns")
    x = v.as_float_2d(factors, factors_arg)
    v.check_same_rows(y, x, "returns", factors_arg)
    v.check_factor_columns(x, 0, factors_arg, factor_names)
    if lags is not None:
        lags = v.check_nonneg_int(lags, "lags")
    n_assets, k = y.shape[1], x.shape[1]
    coef = np.empty((n_assets, k + 1))
    stderr = np.empty((n_assets, k + 1))
    resid_ss, total_ss, nobs = np.empty(n_assets), np.empty(n_assets), np.empty(n_assets, int)
    factor_ss = np.empty((n_assets, k))

    ok = np.isfinite(y) & np.isfinite(x).all(axis=1)[:, None]
    for rows, cols in usable_groups(ok):
        n = rows.size
        who = f"returns {v.label('column', cols[0], asset_names)}"
        if n < k + 2:
            raise InsufficientDataError(
                f"{who} has {n} usable rows (it and {'the market' if factors_arg == 'market' else 'every factor'} present); "
                f"a regression on {k} factor(s) needs at least {k + 2}."
            )
        if lags is not None and lags >= n:
            raise InsufficientDataError(f"lags is {lags} but {who} has only {n} usable rows; use fewer lags.")
        whole = n == y.shape[0] and cols.size == n_assets
        yg = y if whole else y[np.ix_(rows, cols)]
        xg = x if n == x.shape[0] else x[rows]
        g = centred_gram(xg, f"the {n} rows used for {who}", factor_names, factors_arg)
        block = _fit_block(g, yg)
        coef[cols], resid_ss[cols], total_ss[cols], factor_ss[cols] = block[:4]
        nobs[cols] = n
        a = g.inv_design_gram()
        if lags is None:
            var = np.outer(np.diag(a), resid_ss[cols] / (n - k - 1))
        else:
            z = np.column_stack([np.ones(n), xg])
            e = yg - block[4][0] - g.xc @ block[4][1:]
            var = _hac_var(z, a, e, lags)
        stderr[cols] = np.sqrt(var).T

    return RegressionResult(
        coef=coef,
        stderr=stderr,
        resid_ss=resid_ss,
        total_ss=total_ss,
        factor_ss=factor_ss,
        nobs=nobs,
        cov_type="classic" if lags is None else "hac",
        lags=lags,
    )


@dataclass(frozen=True, eq=False)
class CentredGram:
    """The factor side of a regression on n complete rows, computed once and shared by all assets.

    ``xc`` are the centred factors, ``gram_inv`` is ``(Xc'Xc)^-1`` obtained from the QR factor of
    the standardised factors (so the rank check and the inverse come from one factorisation).
    """

    mean: np.ndarray  # (K,)
    xc: np.ndarray  # (n, K)
    gram: np.ndarray  # (K, K) = Xc'Xc
    gram_inv: np.ndarray  # (K, K)

    @property
    def n(self) -> int:
        return self.xc.shape[0]

    def inv_design_gram(self) -> np.ndarray:
        """``(Z'Z)^-1`` for the uncentred design ``Z = [1, X]`` (intercept first)."""
        k = self.mean.size
        gm = self.gram_inv @ self.mean
        out = np.empty((k + 1, k + 1))
        out[0, 0] = 1.0 / self.n + self.mean @ gm
        out[0, 1:] = out[1:, 0] = -gm
        out[1:, 1:] = self.gram_inv
        return out


def centred_gram(x: np.ndarray, where: str, factor_names: v.Names = None, arg: str = "factors") -> CentredGram:
    """Centre the factors, check they are non-constant and not collinear, and invert their Gram matrix."""
    mean = x.mean(axis=0)
    xc = x - mean
    v.check_not_constant(x, where, factor_names, arg)
    scale = np.linalg.norm(xc, axis=0)
    r = np.linalg.qr(xc / scale, mode="r")
    v.check_full_rank(np.diag(r), where, factor_names, arg)
    r_inv = np.linalg.inv(r)
    gram_inv = (r_inv @ r_inv.T) / np.outer(scale, scale)
    return CentredGram(mean=mean, xc=xc, gram=xc.T @ xc, gram_inv=gram_inv)


def _fit_block(g: CentredGram, y: np.ndarray):
    """OLS of complete columns ``y`` (n, m) on the factors of ``g``, without forming residuals.

    Returns (coef (m, K+1), rss, tss, factor_ss (m, K), centred coefficients (K+1, m) whose
    row 0 is the mean of y): one matrix product ``[1, Xc]' y`` and one sum of squares touch y.
    """
    n = g.n
    zy = (y.T @ np.column_stack([np.ones(n), g.xc])).T  # y.T @ z runs faster than z.T @ y here
    ym = zy[0] / n
    b = g.gram_inv @ zy[1:]  # (K, m)
    yy = np.einsum("ij,ij->j", y, y)
    tss = yy - n * ym**2
    cancel = n * ym**2 > 0.5 * yy  # the mean dominates: recompute the centred sum exactly
    if cancel.any():
        yc = y[:, cancel] - ym[cancel]
        tss[cancel] = np.einsum("ij,ij->j", yc, yc)
    gb = g.gram @ b
    factor_ss = (b * gb).T
    rss = np.maximum(tss - factor_ss.sum(axis=1), 0.0)
    alpha = ym - g.mean @ b
    coef = np.column_stack([alpha, b.T])
    return coef, rss, tss, factor_ss, np.vstack([ym, b])


def bartlett_weights(lags: int) -> np.ndarray:
    """Newey-West weights 1 - l / (lags + 1) for l = 0..lags."""
    return 1.0 - np.arange(lags + 1) / (lags + 1)


def _hac_var(z: np.ndarray, a: np.ndarray, e: np.ndarray, lags: int) -> np.ndarray:
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


def capm(
    returns,
    market,
    *,
    rf=None,
    lags: int | None = None,
    asset_names: v.Names = None,
) -> CapmResult:
    """Market model ``R_i - rf = alpha + beta (R_m - rf) + e`` for every asset.

    ``market`` is the market's total return; ``rf`` (scalar or per-period series, default 0)
    is subtracted from both sides. For a market series that is already an excess return,
    leave ``rf`` out and pass excess asset returns.
    """
    y = v.as_float_2d(returns, "returns")
    m = v.as_float_1d(market, "market")
    if m.size != y.shape[0]:
        raise InputShapeError(
            f"returns has {y.shape[0]} rows but market has {m.size}; both must cover the same periods."
        )
    r = v.rate(rf, y.shape[0], "rf")
    premium = m - r
    fit = ols(y - r[:, None], premium, lags=lags, asset_names=asset_names, factors_arg="market")
    ok = np.isfinite(y) & np.isfinite(premium)[:, None]

    def mean_over_used(a: np.ndarray) -> np.ndarray:
        a = np.broadcast_to(a.reshape(a.shape[0], -1), ok.shape)
        return np.where(ok, a, 0.0).sum(axis=0) / fit.nobs

    return CapmResult(
        fit=fit,
        mean_return=mean_over_used(y),
        mean_rf=mean_over_used(r),
        mean_premium=mean_over_used(premium),
    )


def collinearity(factors, *, factor_names: v.Names = None) -> Collinearity:
    """Correlation matrix, variance inflation factors and condition number of the factors.

    Uses the rows where every factor is present. With exactly collinear factors the VIFs are
    infinite and the condition number is infinite: a diagnosis, not an error.
    """
    x = v.as_float_2d(factors, "factors")
    x = x[np.isfinite(x).all(axis=1)]
    k = x.shape[1]
    if x.shape[0] < k + 2:
        raise InsufficientDataError(
            f"factors has {x.shape[0]} rows with every factor present; {k} factor(s) need at least {k + 2}."
        )
    v.check_not_constant(x, f"the {x.shape[0]} complete rows; its correlations are undefined", factor_names)
    corr = np.corrcoef(x, rowvar=False).reshape(k, k)
    eig = np.linalg.eigvalsh(corr)
    if eig[0] <= 1e-12 * eig[-1]:
        return Collinearity(corr=corr, vif=np.full(k, np.inf), condition_number=np.inf, nobs=x.shape[0])
    vif = np.diag(np.linalg.inv(corr)).copy()
    return Collinearity(corr=corr, vif=vif, condition_number=float(np.sqrt(eig[-1] / eig[0])), nobs=x.shape[0])


def grs(excess_returns, factors, *, asset_names: v.Names = None, traded=None) -> GRSResult:
    """Gibbons-Ross-Shanken F-test of ``alpha = 0`` for all assets jointly.

    Only for traded factors (``traded``: one flag per factor, default all; see ``shanken.traded_flags``).

    Needs a balanced panel: rows where any asset or factor is missing are dropped for all.
    ``W = (T - N - K) / N * a' S^-1 a / (1 + m' O^-1 m)`` with ``S`` the residual and ``O`` the
    factor covariance (both divided by T), distributed F(N, T - N - K) under normal errors.
    """
    y = v.as_float_2d(excess_returns, "returns")
    x = v.as_float_2d(factors, "factors")
    v.check_same_rows(y, x, "returns", "factors")
    require_traded(traded, x.shape[1], "the GRS test")
    keep = np.isfinite(y).all(axis=1) & np.isfinite(x).all(axis=1)
    y, x = y[keep], x[keep]
    t, n = y.shape
    k = x.shape[1]
    if t <= n + k:
        raise InsufficientDataError(
            f"the GRS test needs more complete rows than assets plus factors ({n} + {k}); "
            f"returns and factors share {t} complete rows. Use fewer assets or a longer window."
        )
    fit = ols(y, x, asset_names=asset_names)
    z = np.column_stack([np.ones(t), x])
    resid = y - z @ fit.coef.T
    sigma = resid.T @ resid / t
    mu = x.mean(axis=0)
    xc = x - mu
    omega = xc.T @ xc / t
    alpha = fit.intercept
    eig = np.linalg.eigvalsh(sigma)
    if eig[0] <= 1e-12 * max(eig[-1], np.finfo(float).tiny):
        flat = np.flatnonzero(np.diag(sigma) <= 1e-12 * max(np.diag(sigma).max(), np.finfo(float).tiny))
        which = (f"returns {v.label('column', int(flat[0]), asset_names)} is fitted exactly (zero residual variance)"
                 if flat.size else "the assets' residuals are linearly dependent (e.g. an asset duplicated)")
        raise CollinearityError(f"the GRS test needs a non-singular residual covariance, but {which}; remove that asset.")
    quad = alpha @ np.linalg.solve(sigma, alpha)
    sharpe2 = mu @ np.linalg.solve(omega, mu)
    stat = (t - n - k) / n * quad / (1.0 + sharpe2)
    return GRSResult(
        statistic=float(stat),
        pvalue=float(stats.f.sf(stat, n, t - n - k)),
        df_num=n,
        df_den=t - n - k,
        alpha=alpha,
        nobs=t,
    )


def fama_macbeth(returns, exposures, *, lags: int | None = None, shanken_factors=None) -> FamaMacBethResult:
    """Fama-MacBeth risk premia of given exposures.

    ``returns`` is T x N. ``exposures`` is N x K (the same for every period, e.g. full-sample
    betas) or T x N x K (time-varying, e.g. characteristics known at the start of each period).
    Each period regresses the cross-section of returns on [1, exposures] using the assets
    present; periods with fewer than K + 2 such assets are skipped. ``lags`` gives Newey-West
    standard errors on the period estimates. ``shanken_factors`` (T x K, the factors whose betas are the
    exposures) applies Shanken's correction for estimated betas (``shanken.correct_fama_macbeth``).
    """
    y = v.as_float_2d(returns, "returns")
    t, n = y.shape
    ex = np.asarray(exposures)
    if ex.ndim <= 2:
        ex = v.as_float_2d(ex, "exposures")
    elif ex.dtype.kind not in "iuf":
        raise InputValueError("exposures (periods x assets x K) must be numbers; NaN marks a missing value.")
    ex = ex.astype(float)
    if ex.ndim == 2:
        if ex.shape[0] != n:
            raise InputShapeError(
                f"exposures has {ex.shape[0]} rows but returns has {n} assets (columns); "
                "pass one row of exposures per asset."
            )
        ex = np.broadcast_to(ex, (t, *ex.shape))
    elif ex.ndim != 3 or ex.shape[:2] != (t, n):
        raise InputShapeError(
            f"exposures has shape {ex.shape}; pass (assets x K) or (periods x assets x K) "
            f"matching returns ({t} x {n})."
        )
    if np.isinf(ex).any():
        raise InputValueError("exposures contains an infinite value; pass finite numbers.")
    k = ex.shape[2]
    if lags is not None:
        lags = v.check_nonneg_int(lags, "lags")

    period = np.full((t, k + 1), np.nan)
    for s in range(t):
        ok = np.isfinite(y[s]) & np.isfinite(ex[s]).all(axis=1)
        if ok.sum() < k + 2:
            continue
        z = np.column_stack([np.ones(ok.sum()), ex[s][ok]])
        sol, _, rank, _ = np.linalg.lstsq(z, y[s][ok], rcond=None)
        if rank == k + 1:
            period[s] = sol
    used = period[np.isfinite(period).all(axis=1)]
    m = used.shape[0]
    if m < 2:
        raise InsufficientDataError(
            f"only {m} period(s) have at least {k + 2} assets with returns and full-rank exposures; "
            "Fama-MacBeth needs at least 2."
        )
    if lags is not None and lags >= m:
        raise InsufficientDataError(f"lags is {lags} but only {m} periods are usable; use fewer lags.")
    dev = used - used.mean(axis=0)
    cov = dev.T @ dev / m
    if lags:
        for lag, w in enumerate(bartlett_weights(lags)[1:], start=1):
            g = dev[lag:].T @ dev[:-lag] / m
            cov += w * (g + g.T)
    cov, factor = cov / (m - 1), None
    if shanken_factors is not None:
        cov, factor = correct_fama_macbeth(cov, used.mean(axis=0), shanken_factors, np.isfinite(period).all(axis=1))
    return FamaMacBethResult(
        premia=used.mean(axis=0),
        stderr=np.sqrt(np.diag(cov)),
        period_premia=period,
        nperiods=m,
        lags=lags,
        shanken_factor=factor,
    )
