"""Time-series factor regressions for all assets at once, and the tests built on them.

Every asset uses the rows where it and every factor are present (listwise per asset).
Assets that share the same usable rows are solved together: one QR of the design matrix
``[1, X]`` and one matrix product serve all of them, so there is no loop over assets.
"""

from __future__ import annotations

from typing import cast

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats
from scipy.linalg import solve_triangular

from ..errors import CollinearityError, InputShapeError, InputValueError, InsufficientDataError
from . import _validation as v
from .least_squares import bartlett_weights, centred_gram, fit_block, hac_var, usable_groups
from .options import DEFAULTS, MARKET_KINDS
from .results import CapmResult, Collinearity, FamaMacBethResult, GRSResult, RegressionResult
from .shanken import correct_fama_macbeth, require_traded


def ols(
    returns: ArrayLike,
    factors: ArrayLike,
    *,
    lags: int | None = None,
    asset_names: v.Names = None,
    factor_names: v.Names = None,
    factors_arg: str = "factors",
) -> RegressionResult:
    """Regress every column of ``returns`` (T x N) on ``factors`` (T x K) with an intercept.

    All assets at once: assets with the same usable rows share one factorisation of the factors.
    The estimates equal statsmodels ``OLS(y, add_constant(X)).fit()`` asset by asset.

    Parameters
    ----------
    returns : array_like, shape (T, N)
        Asset returns, periods down rows; a vector is one asset. NaN is a missing value: each
        asset uses the rows where it and every factor are present.
    factors : array_like, shape (T, K)
        Factor returns over the same periods; a vector is one factor.
    lags : int, optional
        Newey-West standard errors with a Bartlett kernel of that many lags, as statsmodels
        ``cov_type="HAC", cov_kwds={"maxlags": lags}`` (no small-sample correction). Default:
        classic OLS standard errors.
    asset_names, factor_names : sequence of str, optional
        Names used in error messages ("returns column 3 ('Enrgy')").
    factors_arg : str, default "factors"
        The argument name error messages give the factors (``capm`` passes "market").

    Returns
    -------
    RegressionResult
        Per asset: alpha and loadings (``coef``), standard errors, t-statistics, R², residual
        volatility, rows used and the risk split (``.risk``).

    Raises
    ------
    InputShapeError
        When ``returns`` and ``factors`` have different numbers of rows.
    InputValueError
        For text, logical values or infinities in the data, or a negative ``lags``.
    InsufficientDataError
        When an asset has fewer than K + 2 usable rows, or ``lags`` is not below them.
    CollinearityError
        When a factor is constant or a linear combination of the others on an asset's rows.

    See Also
    --------
    capm : the one-factor market model on excess returns.
    xlfactor.frames.ols : the same with labelled pandas input and output.

    Examples
    --------
    >>> import numpy as np
    >>> from xlfactor import ols
    >>> x = np.array([0.01, -0.02, 0.03, 0.00, -0.01, 0.02])
    >>> e = np.array([0.001, -0.002, 0.0, 0.002, -0.001, 0.0])
    >>> fit = ols(np.column_stack([0.002 + 1.5 * x + e, -0.001 + 0.5 * x - e]), x)
    >>> fit.coef.round(4).tolist()  # alpha, beta per asset
    [[0.0018, 1.5343], [-0.0008, 0.4657]]
    >>> print(np.round(fit.r2, 4), fit.nobs)
    [0.9981 0.9795] [6 6]
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
        _check_returns_vary(yg, cols, f"the {n} rows used", asset_names)
        xg = x if n == x.shape[0] else x[rows]
        g = centred_gram(xg, f"the {n} rows used for {who}", factor_names, factors_arg)
        block = fit_block(g, yg)
        coef[cols], resid_ss[cols], total_ss[cols], factor_ss[cols] = block[:4]
        nobs[cols] = n
        a = g.inv_design_gram()
        if lags is None:
            var = np.outer(np.diag(a), resid_ss[cols] / (n - k - 1))
        else:
            z = np.column_stack([np.ones(n), xg])
            e = yg - block[4][0] - g.xc @ block[4][1:]
            var = hac_var(z, a, e, lags)
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


def _check_returns_vary(y: np.ndarray, cols: np.ndarray, where: str, asset_names: v.Names) -> None:
    """A returns column that is constant over its rows has no variance to explain: its R2 is undefined (0 / 0).

    Every regression-based function refuses it with this one message rather than show an arbitrary R2.
    """
    flat = np.flatnonzero(np.ptp(y, axis=0) == 0)
    if flat.size:
        j = int(flat[0])
        raise InputValueError(
            f"returns {v.label('column', int(cols[j]), asset_names)} is constant ({y[0, j]:.6g}) over {where}: "
            "there is no variance for the factors to explain (R2 undefined); remove that asset."
        )


def capm(
    returns: ArrayLike,
    market: ArrayLike,
    *,
    rf: ArrayLike | None = None,
    market_is: str | None = DEFAULTS["market_is"],
    lags: int | None = None,
    asset_names: v.Names = None,
    traded: bool = True,
) -> CapmResult:
    """Market model ``R_i - rf = alpha + beta (R_m - rf) + e`` for every asset.

    ``rf`` (scalar or per-period series, default 0) is subtracted from the returns, and from ``market`` when
    ``market_is`` is ``"total"`` (the default: ``market`` is the market's total return). With
    ``market_is="excess"`` the market is already net of rf (e.g. Ken French's Mkt-RF) and rf is subtracted from
    the returns only, as in the factor functions. Both spellings of the same data give the same fit.

    Parameters
    ----------
    returns : array_like, shape (T, N)
        Asset total returns, periods down rows; NaN is a missing value.
    market : array_like, shape (T,)
        The market's total return over the same periods.
    rf : float or array_like of shape (T,), optional
        Risk-free rate per period, subtracted from the assets, and from the market unless
        ``market_is="excess"``. Default 0.
    market_is : {"total", "excess"}
        Whether ``market`` is the market's total return (default) or already net of rf.
    lags : int, optional
        Newey-West lags for the standard errors (see ``ols``). Default: classic.
    asset_names : sequence of str, optional
        Names used in error messages.
    traded : bool
        Whether ``market`` is a return (default). A series that is not (e.g. GDP growth) still gets betas, but
        its mean is no premium: ``expected_return`` raises and ``alpha`` is an intercept, not a pricing error
        (price it with ``premia``).

    Returns
    -------
    CapmResult
        Alpha, beta, their t-statistics, R², Blume's beta, and the CAPM expected return
        ``rf + beta (E[R_m] - rf)`` next to the historical mean, per asset.

    Raises
    ------
    InputShapeError
        When ``market`` or ``rf`` does not cover the rows of ``returns``.
    InputValueError
        For text, logical values or infinities in the data.
    InsufficientDataError
        When an asset has fewer than 3 usable rows.
    CollinearityError
        When the market's excess return is constant on an asset's rows.

    Examples
    --------
    >>> import numpy as np
    >>> import xlfactor as xf
    >>> data = xf.load_french()
    >>> r, m, rf = (s.loc["1963-07":].to_numpy() for s in (data.industries, data.market, data.rf))
    >>> fit = xf.capm(r[:, :3], m, rf=rf, lags=6)
    >>> print(np.round(fit.beta, 3), np.round(fit.tstat_beta, 1))
    [0.795 1.147 1.107] [19.1 20.  42. ]
    >>> print(np.round(12 * fit.expected_return, 4))  # a year
    [0.0962 0.118  0.1156]
    """
    y = v.as_float_2d(returns, "returns")
    m = v.as_float_1d(market, "market")
    if m.size != y.shape[0]:
        raise InputShapeError(
            f"returns has {y.shape[0]} rows but market has {m.size}; both must cover the same periods."
        )
    kind = v.choose(market_is, MARKET_KINDS, "market_is", DEFAULTS["market_is"])
    r = v.rate(rf, y.shape[0], "rf")
    premium = m - r if kind == "total" else m
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
        traded=bool(traded),
    )


def collinearity(factors: ArrayLike, *, factor_names: v.Names = None) -> Collinearity:
    """Correlation matrix, variance inflation factors and condition number of the factors.

    Uses the rows where every factor is present. VIFs and the condition number come from one QR of the
    centred, unit-length factors (``corr = R'R``, ``VIF_k = |row k of R^-1|^2``), not from inverting the
    correlation matrix, so they stay accurate up to a condition number of ``v.COND_LIMIT_DIAGNOSTIC``
    (1e12); beyond it (or for exactly collinear factors) a ``CollinearityError`` names the factors.

    Parameters
    ----------
    factors : array_like, shape (T, K)
        Factor returns, periods down rows; NaN is a missing value.
    factor_names : sequence of str, optional
        Names used in error messages.

    Returns
    -------
    Collinearity
        ``corr`` (K x K), ``vif`` (K,), ``condition_number`` and the rows used.

    Raises
    ------
    InputValueError
        For text, logical values or infinities in the data.
    InsufficientDataError
        When fewer than K + 2 rows have every factor present.
    CollinearityError
        When a factor is constant (its correlations are undefined), or the factors are collinear
        beyond a condition number of 1e12 (the message names them).

    Examples
    --------
    >>> import numpy as np
    >>> import xlfactor as xf
    >>> five = xf.load_french().factor_table().loc["1963-07":]
    >>> diag = xf.collinearity(five.to_numpy())
    >>> print(np.round(diag.vif, 2), round(diag.condition_number, 2), diag.nobs)
    [1.27 3.03 1.38 1.1  3.79] 3.81 645
    """
    x = v.as_float_2d(factors, "factors")
    x = x[np.isfinite(x).all(axis=1)]
    k = x.shape[1]
    if x.shape[0] < k + 2:
        raise InsufficientDataError(
            f"factors has {x.shape[0]} rows with every factor present; {k} factor(s) need at least {k + 2}."
        )
    where = f"the {x.shape[0]} complete rows"
    v.check_not_constant(x, f"{where}; its correlations are undefined", factor_names)
    xc = x - x.mean(axis=0)
    r = cast(np.ndarray, np.linalg.qr(xc / np.linalg.norm(xc, axis=0), mode="r"))  # mode "r": the R factor alone
    cond = v.check_conditioning(r, where, v.COND_LIMIT_DIAGNOSTIC, factor_names)
    corr = np.clip(r.T @ r, -1.0, 1.0)
    np.fill_diagonal(corr, 1.0)
    r_inv = solve_triangular(r, np.eye(k))
    vif = np.einsum("ij,ij->i", r_inv, r_inv)
    return Collinearity(corr=corr, vif=vif, condition_number=cond, nobs=x.shape[0])


def grs(
    excess_returns: ArrayLike, factors: ArrayLike, *, asset_names: v.Names = None, traded: ArrayLike | None = None
) -> GRSResult:
    """Gibbons-Ross-Shanken F-test of ``alpha = 0`` for all assets jointly.

    Only for traded factors (``traded``: one flag per factor, default all; see ``shanken.traded_flags``).

    Needs a balanced panel: rows where any asset or factor is missing are dropped for all.
    ``W = (T - N - K) / N * a' S^-1 a / (1 + m' O^-1 m)`` with ``S`` the residual and ``O`` the
    factor covariance (both divided by T), distributed F(N, T - N - K) under normal errors.

    Parameters
    ----------
    excess_returns : array_like, shape (T, N)
        Asset returns in excess of the risk-free rate.
    factors : array_like, shape (T, K)
        Traded factors' excess returns over the same periods.
    asset_names : sequence of str, optional
        Names used in error messages.
    traded : array_like of bool, shape (K,), optional
        One flag per factor: True for a traded factor (an excess return). Default: all traded. The test is
        defined for traded factors only; a non-traded one raises.

    Returns
    -------
    GRSResult
        The F statistic, its p-value, degrees of freedom (N, T - N - K), the alphas and T.

    Raises
    ------
    InputShapeError
        When the two arguments have different numbers of rows.
    InputValueError
        For text, logical values or infinities in the data, or a factor flagged as not traded.
    InsufficientDataError
        When the complete rows do not exceed N + K.
    CollinearityError
        When the residual covariance is singular (an asset fitted exactly, or duplicated), or a
        factor is constant or collinear.

    Examples
    --------
    >>> import xlfactor as xf
    >>> data = xf.load_french()
    >>> excess = data.industries.sub(data.rf, axis=0).loc["1963-07":]
    >>> test = xf.grs(excess.to_numpy(), data.factors.loc["1963-07":].to_numpy())
    >>> print(round(test.statistic, 3), test.df_num, test.df_den, test.pvalue < 0.01)
    4.1 12 629 True
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
    g = centred_gram(x, f"the {t} complete rows", None)
    yc = y - y.mean(axis=0)
    resid = yc - g.q @ (g.q.T @ yc)  # by the orthonormal basis: no cancellation of large opposite loadings
    sigma = resid.T @ resid / t
    mu = g.mean
    alpha = fit.intercept
    eig = np.linalg.eigvalsh(sigma)
    if eig[0] <= 1e-12 * max(eig[-1], np.finfo(float).tiny):
        flat = np.flatnonzero(np.diag(sigma) <= 1e-12 * max(np.diag(sigma).max(), np.finfo(float).tiny))
        which = (
            f"returns {v.label('column', int(flat[0]), asset_names)} is fitted exactly (zero residual variance)"
            if flat.size
            else "the assets' residuals are linearly dependent (e.g. an asset duplicated)"
        )
        raise CollinearityError(
            f"the GRS test needs a non-singular residual covariance, but {which}; remove that asset."
        )
    quad = alpha @ np.linalg.solve(sigma, alpha)
    sharpe2 = t * g.quad_inv(mu)  # mu' Omega^-1 mu with Omega = Xc'Xc / t
    stat = (t - n - k) / n * quad / (1.0 + sharpe2)
    return GRSResult(
        statistic=float(stat),
        pvalue=float(stats.f.sf(stat, n, t - n - k)),
        df_num=n,
        df_den=t - n - k,
        alpha=alpha,
        nobs=t,
    )


def _cross_section(y: np.ndarray, ex: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
    """([intercept, premia] of one period by QR of the centred, unit-length exposures, or None when they are
    constant or (nearly) collinear: condition number above ``v.COND_LIMIT_QR``), R."""
    mean = ex.mean(axis=0)
    ec = ex - mean
    scale = np.linalg.norm(ec, axis=0)
    if not (scale > 0).all():
        return None, np.zeros((ex.shape[1], ex.shape[1]))
    q, r = np.linalg.qr(ec / scale)
    if v.condition_number(r) > v.COND_LIMIT_QR:
        return None, r
    b = solve_triangular(r, q.T @ (y - y.mean())) / scale
    return np.concatenate([[y.mean() - mean @ b], b]), r


def fama_macbeth(
    returns: ArrayLike, exposures: ArrayLike, *, lags: int | None = None, shanken_factors: ArrayLike | None = None
) -> FamaMacBethResult:
    """Fama-MacBeth risk premia of given exposures.

    ``returns`` is T x N. ``exposures`` is N x K (the same for every period, e.g. full-sample
    betas) or T x N x K (time-varying, e.g. characteristics known at the start of each period).
    Each period regresses the cross-section of returns on [1, exposures] using the assets
    present; periods with fewer than K + 2 such assets are skipped. ``lags`` gives Newey-West
    standard errors on the period estimates. ``shanken_factors`` (T x K, the factors whose betas are the
    exposures) applies Shanken's correction for estimated betas (``shanken.correct_fama_macbeth``).

    Parameters
    ----------
    returns : array_like, shape (T, N)
        Asset (excess) returns, periods down rows; NaN is a missing value.
    exposures : array_like, shape (N, K) or (T, N, K)
        Each asset's exposures: static, or per period.
    lags : int, optional
        Newey-West lags on the period estimates. Default: the plain standard deviation.
    shanken_factors : array_like, shape (T, K), optional
        The factors whose betas are the exposures: applies Shanken's errors-in-variables correction.

    Returns
    -------
    FamaMacBethResult
        Premia (intercept first), standard errors, t-statistics, p-values and the period estimates.

    Raises
    ------
    InputShapeError
        When ``exposures`` does not have one row per asset (and one slice per period).
    InputValueError
        For text, logical values or infinities.
    InsufficientDataError
        When fewer than 2 periods can be estimated, or ``lags`` is not below them.

    Examples
    --------
    >>> import numpy as np
    >>> import xlfactor as xf
    >>> data = xf.load_french()
    >>> excess = data.industries.sub(data.rf, axis=0).loc["1963-07":].to_numpy()
    >>> beta = xf.ols(excess, data.factors.loc["1963-07":, "Mkt-RF"].to_numpy()).loadings
    >>> fm = xf.fama_macbeth(excess, beta)
    >>> print(np.round(fm.premia, 4), np.round(fm.tstat, 2), fm.nperiods)
    [0.0055 0.0002] [2.33 0.08] 645
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
            f"exposures has shape {ex.shape}; pass (assets x K) or (periods x assets x K) matching returns ({t} x {n})."
        )
    if np.isinf(ex).any():
        raise InputValueError("exposures contains an infinite value; pass finite numbers.")
    k = ex.shape[2]
    if lags is not None:
        lags = v.check_nonneg_int(lags, "lags")

    period = np.full((t, k + 1), np.nan)
    collinear = None  # (period, R) of the first cross-section skipped for (near-)collinear exposures
    for s in range(t):
        ok = np.isfinite(y[s]) & np.isfinite(ex[s]).all(axis=1)
        if ok.sum() < k + 2:
            continue
        sol, r = _cross_section(y[s][ok], ex[s][ok])
        if sol is None:
            collinear = collinear or (s, r)
        else:
            period[s] = sol
    used = period[np.isfinite(period).all(axis=1)]
    m = used.shape[0]
    if m < 2 and collinear is not None:
        v.check_conditioning(
            collinear[1], f"the assets of period {collinear[0] + 1}", v.COND_LIMIT_QR, None, "exposures"
        )
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
        cov, factor = correct_fama_macbeth(
            cov, used.mean(axis=0), shanken_factors, cast(np.ndarray, np.isfinite(period).all(axis=1))
        )
    return FamaMacBethResult(
        premia=used.mean(axis=0),
        stderr=np.sqrt(np.diag(cov)),
        period_premia=period,
        nperiods=m,
        lags=lags,
        shanken_factor=factor,
    )
