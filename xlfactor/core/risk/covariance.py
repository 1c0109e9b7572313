"""Covariance estimates of factor returns and specific variances for risk forecasts."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ...errors import InputShapeError, InputValueError, InsufficientDataError
from .. import _validation as v
from ..options import COV_METHODS, COV_OPTION_USERS, DEFAULTS, ignored

# --- covariance ------------------------------------------------------------------------------------------------


def factor_covariance(
    factors: ArrayLike,
    method: str = DEFAULTS["cov_method"],
    halflife: float | None = None,
    *,
    corr_halflife: float | None = DEFAULTS["corr_halflife"],
    nw_lags: int = DEFAULTS["nw_lags"],
    regime_halflife: float | None = DEFAULTS["regime_halflife"],
) -> np.ndarray:
    """Covariance of factor returns (rows with any factor missing are dropped), one degree of freedom lost to
    the mean wherever a mean is estimated.

    Parameters
    ----------
    factors : array_like, (T, K)
        Factor returns, periods down rows.
    method : {"sample", "ewma", "ledoitwolf", "barra"}
        - ``sample``: ddof = 1; with ``nw_lags`` > 0 the Newey-West (Bartlett) covariance
          ``G_0 + sum_l (1 - l / (L + 1)) (G_l + G_l')``, ``G_l`` the lag-l autocovariances of the demeaned
          returns over T, times ``T / (T - 1)`` (statsmodels ``S_hac_simple`` on the demeaned returns over T - 1).
        - ``ewma``: exponentially weighted with ``halflife`` periods (weight ``0.5 ** (age / halflife)``, the
          newest row has age 0), around the weighted mean, debiased by ``1 / (1 - sum v^2)`` with ``v`` the
          normalised weights: pandas ``ewm(halflife=h).cov()`` on the last row.
        - ``ledoitwolf``: Ledoit-Wolf (2004) shrinkage with the optimal intensity (scikit-learn ``LedoitWolf``),
          times ``T / (T - 1)`` so that it is on the ddof-1 scale of ``sample`` and ``ewma``.
        - ``barra``: USE4-style: returns taken as centred (no mean estimated, so no ddof), volatilities
          exponentially weighted with ``halflife`` and correlations with ``corr_halflife``; each period's cross
          product carries ``nw_lags`` Newey-West lags; with ``regime_halflife`` the whole matrix is scaled by the
          volatility regime adjustment ``lambda^2``, the exponentially weighted mean of the factors' cross-sectional
          bias ``(1/K) sum_k f_kt^2 / sigma_k,t-1^2`` (one step ahead). Equal to skfolio's
          ``RegimeAdjustedEWCovariance(half_life, corr_half_life, hac_lags, regime_half_life,
          regime_target=DIAGONAL, regime_method=RMS, regime_multiplier_clip=None)``.
    halflife : float, optional
        Periods over which weights halve: ``ewma`` and ``barra`` only (required there).
    corr_halflife, nw_lags, regime_halflife
        ``barra`` options (``nw_lags`` also for ``sample``); None / 0 switch them off. An option given to a method
        that does not read it (``options.COV_OPTION_USERS``) is refused, never dropped.

    Returns
    -------
    numpy.ndarray, (K, K)

    Raises
    ------
    InsufficientDataError
        Fewer than 2 complete rows (``barra``: fewer than ``halflife`` rows).
    InputValueError
        An unknown method, a missing or non-positive half-life, or an option the method does not take.

    Examples
    --------
    >>> x = np.random.default_rng(0).normal(size=(60, 2))
    >>> bool(np.allclose(factor_covariance(x), np.cov(x, rowvar=False)))
    True
    >>> factor_covariance(x, "barra", 12, corr_halflife=24, nw_lags=1, regime_halflife=6).shape
    (2, 2)
    """
    x = v.as_float_2d(factors, "factors")
    x = x[np.isfinite(x).all(axis=1)]
    method = v.choose(method, COV_METHODS, "method", "sample")
    n = x.shape[0]
    if n < 2:
        raise InsufficientDataError(f"factors has {n} complete rows; a covariance needs at least 2.")
    lags = v.check_nonneg_int(nw_lags, "nw_lags", maximum=max(n - 1, 0))
    check_cov_used(
        method, halflife=halflife, corr_halflife=corr_halflife, nw_lags=lags, regime_halflife=regime_halflife
    )
    if method == "sample":
        return newey_west(x - x.mean(axis=0), lags) * n / (n - 1)
    if method == "ledoitwolf":
        return _ledoit_wolf(x) * n / (n - 1)
    h = _halflife(halflife, "halflife", method)
    if method == "ewma":
        w = 0.5 ** (np.arange(n)[::-1] / h)
        w /= w.sum()
        xc = x - w @ x
        return (xc * w[:, None]).T @ xc / (1.0 - w @ w)
    hc = h if corr_halflife is None else _halflife(corr_halflife, "corr_halflife", method)
    hr = None if regime_halflife is None else _halflife(regime_halflife, "regime_halflife", method)
    return barra_covariance(x, h, hc, lags, hr)


def check_cov_used(
    method: str,
    selector: str = "method",
    *,
    halflife=None,
    corr_halflife=None,
    nw_lags=0,
    regime_halflife=None,
) -> None:
    """Refuse a covariance option that ``method`` (an entry of ``COV_METHODS``, the argument ``selector``) does not
    read: ``options.COV_OPTION_USERS`` says which methods read which option; None, blank text and 0 lags are "not
    given". A dropped half-life would look like the answer to what the user asked. The message is
    ``options.ignored``'s, as in Excel and the CLI.

    Examples
    --------
    >>> check_cov_used("ewma", halflife=12)
    >>> check_cov_used("sample", "cov_method", halflife=12)
    Traceback (most recent call last):
    ...
    xlfactor.errors.InputValueError: cov_method sample (the default) does not use halflife; leave it empty or choose cov_method ewma or barra.
    """
    given = {
        "halflife": halflife,
        "corr_halflife": corr_halflife,
        "nw_lags": nw_lags,
        "regime_halflife": regime_halflife,
    }
    for name, value in given.items():
        users = COV_OPTION_USERS[name]
        blank = value is None or (isinstance(value, str) and not value.strip()) or (name == "nw_lags" and value == 0)
        if not blank and method not in users:
            raise InputValueError(ignored(name, method, users, selector, DEFAULTS["cov_method"]))


def _halflife(value, name: str, method: str) -> float:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InputValueError(
            f"{name} is required for method '{method}': the number of periods over which weights halve."
        )
    return v.check_number(value, name, low=0.0, low_open=True)


def _ledoit_wolf(x: np.ndarray) -> np.ndarray:
    n, k = x.shape
    xc = x - x.mean(axis=0)
    s = xc.T @ xc / n
    mu = np.trace(s) / k
    x2 = xc * xc
    beta_ = (x2.T @ x2).sum() / n - (s * s).sum()
    delta = ((s - mu * np.eye(k)) ** 2).sum() / k
    beta = min(beta_ / (k * n), delta)
    shrink = 0.0 if beta == 0 else beta / delta
    return (1.0 - shrink) * s + shrink * mu * np.eye(k)


def newey_west(xc: np.ndarray, lags: int) -> np.ndarray:
    """``G_0 + sum_{l=1..L} (1 - l/(L+1)) (G_l + G_l')`` with ``G_l = sum_t x_t x_{t-l}' / T`` (no demeaning)."""
    n = xc.shape[0]
    out = xc.T @ xc / n
    for lag in range(1, lags + 1):
        g = xc[lag:].T @ xc[:-lag] / n
        out += (1.0 - lag / (lags + 1)) * (g + g.T)
    return np.atleast_2d(out)


def _hac_outer(x: np.ndarray, lags: int) -> np.ndarray:
    """Each period's cross product with Newey-West lags inside the sample, (T, K, K)."""
    out = x[:, :, None] * x[:, None, :]
    for lag in range(1, lags + 1):
        cross = x[lag:, :, None] * x[:-lag, None, :]
        out[lag:] += (1.0 - lag / (lags + 1)) * (cross + cross.transpose(0, 2, 1))
    return out


def barra_covariance(
    x: np.ndarray, halflife: float, corr_halflife: float, lags: int = 0, regime_halflife: float | None = None
) -> np.ndarray:
    """The ``barra`` method of ``factor_covariance`` on complete rows ``x`` (T, K); see there."""
    n, k = x.shape
    if n < int(max(halflife, corr_halflife)):
        raise InsufficientDataError(
            f"factors has {n} complete rows; method 'barra' needs at least the half-lives "
            f"({int(max(halflife, corr_halflife))}) to warm up."
        )
    lam, lam_c = 0.5 ** (1 / halflife), 0.5 ** (1 / corr_halflife)
    outer = _hac_outer(x, lags)
    diag = np.maximum(np.einsum("tkk->tk", outer), 0.0)
    var = np.zeros((n + 1, k))  # var[t]: the raw variance state after t rows (zero-seeded, as skfolio)
    for t in range(n):
        var[t + 1] = lam * var[t] + (1 - lam) * diag[t]
    age = np.arange(n)[::-1]
    if corr_halflife == halflife:
        cov = np.tensordot(lam**age * (1 - lam), outer, axes=1)
    else:
        inv = np.where(var[1:] > 1e-12, 1.0 / np.sqrt(np.where(var[1:] > 1e-12, var[1:], 1.0)), 0.0)
        corr = np.tensordot(lam_c**age * (1 - lam_c), outer * inv[:, :, None] * inv[:, None, :], axes=1)
        d = 1.0 / np.sqrt(np.clip(np.diag(corr), 1e-12, None))
        corr = np.clip(corr * np.outer(d, d), -1.0, 1.0)
        corr = 0.5 * (corr + corr.T)
        np.fill_diagonal(corr, 1.0)
        std = np.sqrt(np.maximum(var[n], 1e-12))
        cov = corr * np.outer(std, std)
    cov = cov / (1 - lam**n)  # the zero seed's bias (skfolio's congruence transform with equal counts)
    cov = 0.5 * (cov + cov.T)
    return (
        cov
        if regime_halflife is None
        else regime_multiplier(x, var, lam, int(max(halflife, corr_halflife)), regime_halflife) ** 2 * cov
    )


def regime_multiplier(x: np.ndarray, var: np.ndarray, lam: float, ready: int, regime_halflife: float) -> float:
    """USE4's volatility regime adjustment ``lambda``: the root of the exponentially weighted mean of the
    cross-sectional bias ``B_t^2 = (1/K) sum_k x_tk^2 / sigma_tk^2``, each ``sigma_t`` the bias-corrected variance
    forecast made before row t; only rows after ``ready`` rows of warm-up count; 1 before
    ``int(regime_halflife)`` of them."""
    n = x.shape[0]
    rows = np.arange(ready, n)
    if rows.size < max(1, int(regime_halflife)):
        return 1.0
    sig = var[rows] / (1 - lam ** rows[:, None])
    b2 = (x[rows] ** 2 / np.maximum(sig, 1e-12)).mean(axis=1)
    lr = 0.5 ** (1 / regime_halflife)
    state = b2[0]
    for b in b2[1:]:
        state = lr * state + (1 - lr) * b
    return float(np.sqrt(max(state, 0.0)))


def shrink_specific(
    specific_var: ArrayLike,
    q: float = DEFAULTS["specific_shrink"],
    weights: ArrayLike | None = None,
) -> np.ndarray:
    """Bayesian shrinkage of specific volatilities towards their cross-sectional mean (Barra USE4).

    ``sigma_SH = v sigma_bar + (1 - v) sigma``, ``v = q |sigma - sigma_bar| / (Delta + q |sigma - sigma_bar|)``
    with ``sigma_bar = sum w sigma`` (``weights``, e.g. capitalisations; default equal), and
    ``Delta = sqrt(mean((sigma - sigma_bar)^2))``. USE4 applies it within size deciles with q = 0.1; here one
    group. Variances in, variances out; ``q = 0`` returns them unchanged.

    Examples
    --------
    >>> shrink_specific([1.0, 4.0], q=0.0).tolist()
    [1.0, 4.0]
    >>> [round(s, 6) for s in shrink_specific([1.0, 4.0], q=1.0).tolist()]
    [1.5625, 3.0625]
    """
    d = v.as_float_1d(specific_var, "specific_var", allow_missing=False)
    q = v.check_number(q, "q", low=0.0)
    if q == 0 or d.size < 2:
        return d.copy()
    w = np.full(d.size, 1.0 / d.size) if weights is None else v.as_float_1d(weights, "weights", allow_missing=False)
    if w.size != d.size or (w < 0).any() or w.sum() <= 0:
        raise InputValueError("weights must be one non-negative number per asset, not all 0.")
    sig = np.sqrt(d)
    bar = (w / w.sum()) @ sig
    gap = np.abs(sig - bar)
    spread = np.sqrt(np.mean((sig - bar) ** 2))
    if spread == 0:
        return d.copy()
    shr = q * gap / (spread + q * gap)
    return (shr * bar + (1 - shr) * sig) ** 2


def specific_variance(returns: ArrayLike, factors: ArrayLike, loadings: ArrayLike) -> np.ndarray:
    """Forecast specific variance: ``RSS / (n - K - 1)`` of each asset's residual ``y - X b`` under given
    loadings (N x K), around its mean.

    One convention for every forecast: the degrees of freedom of an OLS fit with intercept (the square of
    ``RegressionResult.resid_vol``). For penalised loadings it is conservative (their effective degrees of
    freedom are fewer than K). The descriptive split ``RegressionResult.risk`` keeps ``n - 1`` so that its parts
    add up. Each asset uses the rows where it and every factor are present.

    Parameters
    ----------
    returns : array_like, shape (T, N)
        Asset returns; NaN marks a missing value.
    factors : array_like, shape (T, K)
        Factor returns over the same periods.
    loadings : array_like, shape (N, K)
        Each asset's loadings (from any estimator).

    Returns
    -------
    numpy.ndarray, shape (N,)
        Each asset's specific variance, per period.

    Raises
    ------
    InputShapeError
        When the rows of ``returns`` and ``factors``, or the shape of ``loadings``, do not match.
    InputValueError
        For text, logical values or infinities in the data.
    InsufficientDataError
        When an asset has no more usable rows than K + 1.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(50, 2)); y = x @ [[1.0], [0.5]] + rng.normal(size=(50, 1))
    >>> b = np.linalg.lstsq(np.column_stack([np.ones(50), x]), y, rcond=None)[0][1:].T
    >>> e = y[:, 0] - x @ b[0]
    >>> bool(np.isclose(specific_variance(y, x, b)[0], ((e - e.mean()) ** 2).sum() / 47))
    True
    """
    y = v.as_float_2d(returns, "returns")
    x = v.as_float_2d(factors, "factors")
    v.check_same_rows(y, x, "returns", "factors")
    b = v.as_float_2d(loadings, "loadings", allow_missing=False)
    if b.shape != (y.shape[1], x.shape[1]):
        raise InputShapeError(
            f"loadings is {b.shape[0]} x {b.shape[1]} but returns has {y.shape[1]} assets and factors has "
            f"{x.shape[1]} columns; pass one row per asset and one column per factor."
        )
    e = y - np.where(np.isfinite(x), x, 0.0) @ b.T
    e[~(np.isfinite(y) & np.isfinite(x).all(axis=1)[:, None])] = np.nan
    n = np.isfinite(e).sum(axis=0)
    k = x.shape[1]
    if (n < k + 2).any():
        j = int(np.flatnonzero(n < k + 2)[0])
        raise InsufficientDataError(
            f"returns column {j + 1} has {n[j]} usable rows; a specific variance on {k} "
            f"factor(s) needs at least {k + 2}."
        )
    return np.nanvar(e, axis=0, ddof=k + 1)
