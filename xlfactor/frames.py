"""Pandas wrappers around the core: align on dates, keep labels, return labelled tables.

Nothing here computes: every number comes from ``xlfactor.core``. Inputs are DataFrames (one column per
asset or factor) or Series indexed by period; they are aligned on their common index first.

Examples
--------
>>> import xlfactor as xf
>>> from xlfactor import frames
>>> data = xf.load_french()
>>> excess = data.industries.sub(data.rf, axis=0).loc["1963-07":]
>>> print(frames.ols(excess, data.factors).loc[["NoDur", "Enrgy"], ["alpha", "Mkt-RF", "R2", "nobs"]].round(3))
       alpha  Mkt-RF     R2  nobs
NoDur  0.002   0.830  0.695   645
Enrgy  0.000   0.904  0.465   645
"""

from __future__ import annotations

from typing import Any, TypeAlias

import pandas as pd

from . import labels
from .core import cv, frequency, penalized, premia, premia_gmm, regression, risk, statistical
from .core import fundamental as _fundamental
from .core import mimicking as _mimicking
from .labels.examples import EXAMPLES

Table: TypeAlias = "pd.DataFrame | pd.Series"  # one column per asset or factor, indexed by period


def _frame(x, default: str) -> pd.DataFrame:
    return x.to_frame(x.name or default) if isinstance(x, pd.Series) else pd.DataFrame(x)


def _checked(**tables: pd.DataFrame | pd.Series) -> list[Any]:
    """The tables restricted to their common periods, then each as a float array: a repeated period, no common
    period or a column that is not numbers is an error naming the argument (the generated faces' checks, in
    ``labels``). Returns the aligned tables followed by their arrays."""
    aligned, _ = labels._align(tables)
    return [*aligned.values(), *(labels._numeric(name, t) for name, t in aligned.items())]


def traded(table: Table) -> list[bool] | None:
    """Which columns are traded, as the data say: ``attrs["traded"]`` (a flag, or a flag per column name, e.g.
    ``xlfactor.data.load_macro``'s: not traded); None (every column traded) when the data say nothing.

    Examples
    --------
    >>> from xlfactor.data.macro import load_macro
    >>> traded(load_macro()), traded(load_macro()["GDP"])
    ([False, False, False], [False])
    """
    said = getattr(table, "attrs", {}).get("traded")
    if said is None:
        return None
    names = [table.name] if isinstance(table, pd.Series) else list(table.columns)
    return [bool(said.get(n, True)) if isinstance(said, dict) else bool(said) for n in names]


def align(*objs: Table) -> list[Table]:
    """Restrict Series/DataFrames to their common index (inner join on dates), keeping order.

    Parameters
    ----------
    *objs : DataFrame or Series
        Tables indexed by period.

    Returns
    -------
    list of DataFrame or Series
        Each table restricted to the periods all of them have, in the first one's order.

    Raises
    ------
    TypeError
        When no table is given.

    Examples
    --------
    >>> import xlfactor as xf
    >>> from xlfactor.frames import align
    >>> data = xf.load_french()
    >>> rf, market = align(data.rf.loc["2000-01":"2000-03"], data.market.loc["2000-02":"2000-06"])
    >>> [str(p) for p in rf.index], len(market)
    (['2000-02', '2000-03'], 2)
    """
    if not objs:
        raise TypeError("align needs at least one table.")
    idx = objs[0].index
    for o in objs[1:]:
        idx = idx.intersection(o.index, sort=False)
    return [o.loc[idx] for o in objs]


def ols(returns: Table, factors: Table, lags: int | None = None) -> pd.DataFrame:
    """Factor regression of every asset: one row per asset, coefficients, t-stats and fit.

    Parameters
    ----------
    returns : DataFrame or Series
        Asset returns, one column per asset, indexed by period; NaN is a missing value.
    factors : DataFrame or Series
        Factor returns, one column per factor; aligned with ``returns`` on the index.
    lags : int, optional
        Newey-West lags for the t-statistics (see ``xlfactor.ols``).

    Returns
    -------
    DataFrame
        One row per asset: ``alpha``, one column per factor, ``t(alpha)``, ``t(<factor>)``, ``R2``,
        ``adj R2``, ``resid vol`` and ``nobs``. With a factor the data mark not traded (``attrs["traded"]``,
        see ``traded``), ``intercept`` replaces ``alpha``: it is no pricing error.

    Raises
    ------
    XLFactorError
        As ``xlfactor.ols``: too few rows, a constant or collinear factor, bad values.

    Examples
    --------
    >>> import xlfactor as xf
    >>> from xlfactor import frames
    >>> data = xf.load_french()
    >>> excess = data.industries.sub(data.rf, axis=0).loc["1963-07":]
    >>> print(frames.ols(excess, data.factors).loc[["NoDur", "Enrgy"], ["alpha", "Mkt-RF", "R2", "nobs"]].round(3))
           alpha  Mkt-RF     R2  nobs
    NoDur  0.002   0.830  0.695   645
    Enrgy  0.000   0.904  0.465   645
    """
    flags = traded(factors)
    returns, factors, y, x = _checked(returns=_frame(returns, "asset"), factors=_frame(factors, "factor"))
    fit = regression.ols(
        y,
        x,
        lags=lags,
        asset_names=list(map(str, returns.columns)),
        factor_names=list(map(str, factors.columns)),
    )
    names = ["alpha" if flags is None or all(flags) else "intercept", *map(str, factors.columns)]
    out = pd.DataFrame(fit.coef, index=returns.columns, columns=names)
    out[[f"t({c})" for c in names]] = fit.tstat
    out["R2"], out["adj R2"], out["resid vol"], out["nobs"] = fit.r2, fit.adj_r2, fit.resid_vol, fit.nobs
    return out


CAPM_UNITS = "returns, vols: decimal per period"  # capm's column header: alpha, vols, mean, CAPM E[R]


def capm(
    returns: Table,
    market: pd.Series,
    rf: pd.Series | float | None = None,
    lags: int | None = None,
    market_is: str | None = None,
) -> pd.DataFrame:
    """Market model and risk split per asset, with CAPM expected returns next to historical means.

    Parameters
    ----------
    returns : DataFrame or Series
        Asset total returns, one column per asset, indexed by period.
    market : Series
        The market's total return.
    rf : Series or float, optional
        Risk-free rate per period, subtracted from the assets, and from the market unless
        ``market_is="excess"`` (see ``xlfactor.capm``).
    lags : int, optional
        Newey-West lags for the t-statistics.
    market_is : {"total", "excess"}, optional
        Whether ``market`` is the market's total return (default) or already net of rf.

    Returns
    -------
    DataFrame
        One row per asset: ``alpha``, ``beta``, their t-statistics, ``R2``, total, systematic and specific
        volatility, the historical ``mean``, ``CAPM E[R]`` (returns and volatilities in decimals per period, as the
        columns' name, printed with the table, and ``attrs["units"]`` say) and ``nobs``. For a market the data mark not traded (``attrs["traded"]``, see
        ``traded``), ``intercept`` replaces ``alpha`` and there is no ``CAPM E[R]``: its mean is no premium.

    Raises
    ------
    XLFactorError
        As ``xlfactor.capm``.

    Examples
    --------
    >>> import xlfactor as xf
    >>> from xlfactor import frames
    >>> data = xf.load_french()
    >>> table = frames.capm(data.industries.loc["1963-07":], data.market, rf=data.rf, lags=6)
    >>> print(table.loc[["NoDur", "Enrgy"], ["alpha", "beta", "t(beta)"]].round(4))
    returns, vols: decimal per period   alpha    beta  t(beta)
    NoDur                              0.0028  0.7946  19.1441
    Enrgy                              0.0019  0.8045  18.6363
    """
    is_traded = (traded(market) or [True])[0]
    returns = _frame(returns, "asset")
    tables = {"returns": returns, "market": market, **({"rf": rf} if isinstance(rf, pd.Series) else {})}
    checked = _checked(**tables)
    returns, y, m = checked[0], checked[len(tables)], checked[len(tables) + 1]
    res = regression.capm(
        y,
        m,
        rf=checked[-1] if isinstance(rf, pd.Series) else rf,
        lags=lags,
        market_is=market_is,
        asset_names=list(map(str, returns.columns)),
        traded=is_traded,
    )
    risk = res.fit.risk
    a = "alpha" if is_traded else "intercept"
    table = pd.DataFrame(
        {
            a: res.alpha,
            "beta": res.beta,
            f"t({a})": res.tstat_alpha,
            "t(beta)": res.tstat_beta,
            "R2": res.r2,
            "total vol": risk.total_vol,
            "systematic vol": risk.systematic_vol,
            "specific vol": risk.specific_vol,
            "mean": res.mean_return,
            **({"CAPM E[R]": res.expected_return} if is_traded else {}),
            "nobs": res.nobs,
        },
        index=returns.columns,
    )
    table.columns.name = CAPM_UNITS  # printed with the table (attrs are not): the documented columns keep their names
    table.attrs["units"] = (
        f"{a}, the vols, mean{', CAPM E[R]' if is_traded else ''}: decimal per period of the data (monthly data: "
        "0.005 = 0.5% a month; times 12 for a year, the vols times sqrt(12)); t-stats, beta, R2: pure numbers"
    )
    return table


def risk_split(returns: Table, factors: Table) -> pd.DataFrame:
    """Total, systematic and specific variance per asset, and each factor's share of it.

    Parameters
    ----------
    returns : DataFrame or Series
        Asset returns, one column per asset, indexed by period.
    factors : DataFrame or Series
        Factor returns, one column per factor.

    Returns
    -------
    DataFrame
        One row per asset: ``total var``, ``systematic var``, ``specific var``, ``R2`` and ``var(<factor>)``,
        each factor's (Euler) part of the systematic variance, per period; see ``RiskSplit``.

    Raises
    ------
    XLFactorError
        As ``xlfactor.ols``.

    Examples
    --------
    >>> import xlfactor as xf
    >>> from xlfactor import frames
    >>> data = xf.load_french()
    >>> excess = data.industries.sub(data.rf, axis=0).loc["1963-07":]
    >>> print(frames.risk_split(excess, data.factors).loc[["NoDur"], ["R2", "var(Mkt-RF)", "var(SMB)"]].round(5))
                R2  var(Mkt-RF)  var(SMB)
    NoDur  0.69477      0.00129  -0.00002
    """
    returns, factors, y, x = _checked(returns=_frame(returns, "asset"), factors=_frame(factors, "factor"))
    risk = regression.ols(y, x, asset_names=list(map(str, returns.columns))).risk
    out = pd.DataFrame(
        {
            "total var": risk.total_var,
            "systematic var": risk.systematic_var,
            "specific var": risk.specific_var,
            "R2": risk.r2,
        },
        index=returns.columns,
    )
    out[[f"var({c})" for c in factors.columns]] = risk.factor_var
    return out


def collinearity(factors: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series, float]:
    """Correlation matrix, VIF per factor and condition number of the factors, labelled.

    Parameters
    ----------
    factors : DataFrame
        Factor returns, one column per factor, indexed by period.

    Returns
    -------
    corr : DataFrame
        The factors' correlation matrix.
    vif : Series
        Variance inflation factor of each factor.
    condition_number : float
        Condition number of the standardised factors.

    Raises
    ------
    XLFactorError
        As ``xlfactor.collinearity``.

    Examples
    --------
    >>> import xlfactor as xf
    >>> from xlfactor import frames
    >>> corr, vif, cond = frames.collinearity(xf.load_french().factors.loc["1963-07":])
    >>> print(vif.round(2).to_dict(), round(cond, 2))
    {'Mkt-RF': 1.19, 'SMB': 1.12, 'HML': 1.15, 'Mom': 1.07} 1.58
    """
    res = regression.collinearity(labels._numeric("factors", factors), factor_names=list(map(str, factors.columns)))
    corr = pd.DataFrame(res.corr, index=factors.columns, columns=factors.columns)
    return corr, pd.Series(res.vif, index=factors.columns, name="VIF"), res.condition_number


def grs(excess_returns: Table, factors: Table) -> pd.Series:
    """GRS test of zero alphas: statistic, p-value, degrees of freedom, periods used.

    Parameters
    ----------
    excess_returns : DataFrame or Series
        Asset excess returns, one column per asset, indexed by period.
    factors : DataFrame or Series
        Traded factors' excess returns. Factors the data mark not traded (``attrs["traded"]``, see ``traded``)
        are refused: their alphas are no pricing errors.

    Returns
    -------
    Series
        ``GRS F``, ``p-value``, ``df1``, ``df2`` and ``periods``.

    Raises
    ------
    XLFactorError
        As ``xlfactor.grs``.

    Examples
    --------
    >>> import xlfactor as xf
    >>> from xlfactor import frames
    >>> data = xf.load_french()
    >>> excess = data.industries.sub(data.rf, axis=0).loc["1963-07":]
    >>> test = frames.grs(excess, data.factors)
    >>> print(round(test["GRS F"], 2), test["df1"], test["df2"])
    4.1 12.0 629.0
    """
    flags = traded(factors)
    excess_returns, factors, y, x = _checked(
        excess_returns=_frame(excess_returns, "asset"), factors=_frame(factors, "factor")
    )
    res = regression.grs(
        y,
        x,
        traded=flags,
        asset_names=list(map(str, excess_returns.columns)),
    )
    return pd.Series(
        {"GRS F": res.statistic, "p-value": res.pvalue, "df1": res.df_num, "df2": res.df_den, "periods": res.nobs}
    )


def fama_macbeth(returns: pd.DataFrame, exposures: pd.DataFrame, lags: int | None = None) -> pd.DataFrame:
    """Fama-MacBeth premia of static exposures (one row per asset, one column per exposure).

    Parameters
    ----------
    returns : DataFrame
        Asset (excess) returns, one column per asset, indexed by period.
    exposures : DataFrame
        One row per asset (its index holds the asset names of ``returns``' columns), one column per exposure.
    lags : int, optional
        Newey-West lags on the period estimates.

    Returns
    -------
    DataFrame
        One row for the intercept and one per exposure: ``premium``, ``std err``, ``t``, ``p-value`` and
        ``periods``.

    Raises
    ------
    KeyError
        When an asset of ``returns`` has no row in ``exposures``.
    XLFactorError
        As ``xlfactor.fama_macbeth``.

    Examples
    --------
    >>> import xlfactor as xf
    >>> from xlfactor import frames
    >>> data = xf.load_french()
    >>> excess = data.industries.sub(data.rf, axis=0).loc["1963-07":]
    >>> beta = frames.ols(excess, data.factors[["Mkt-RF"]])[["Mkt-RF"]]
    >>> print(frames.fama_macbeth(excess, beta)[["premium", "t"]].round(4))
               premium       t
    intercept   0.0055  2.3308
    Mkt-RF      0.0002  0.0829
    """
    exposures = exposures.loc[returns.columns]
    res = regression.fama_macbeth(returns.to_numpy(float), exposures.to_numpy(float), lags=lags)
    names = ["intercept", *map(str, exposures.columns)]
    return pd.DataFrame(
        {"premium": res.premia, "std err": res.stderr, "t": res.tstat, "p-value": res.pvalues}, index=names
    ).assign(periods=res.nperiods)


__all__ = ["align", "ols", "capm", "risk_split", "collinearity", "grs", "fama_macbeth", "rolling", "backtest"]


def rolling(returns: Table, factors: Table, window: int, **options: Any) -> dict[str, Any]:
    """Rolling or expanding estimates (``xlfactor.rolling``) labelled by each window's last period.

    Parameters
    ----------
    returns : DataFrame or Series
        Asset (excess) returns, one column per asset, indexed by period.
    factors : DataFrame or Series
        Factor returns, one column per factor.
    window : int
        Rows per window.
    **options
        Any keyword of ``xlfactor.rolling`` (``step``, ``expanding``, ``method``, ``folds``, ...).

    Returns
    -------
    dict
        ``loadings`` (index (end, asset), one column per factor), ``intercept``, ``r2`` and
        ``specific_var`` (index end, one column per asset), ``lambdas`` (a Series by end) and ``factor_cov``
        (index (end, factor), one column per factor).

    Raises
    ------
    XLFactorError
        As ``xlfactor.rolling``.

    Examples
    --------
    >>> import xlfactor as xf
    >>> from xlfactor import frames
    >>> data = xf.load_french()
    >>> excess = data.industries.sub(data.rf, axis=0).loc["1963-07":]
    >>> out = frames.rolling(excess, data.factors[["Mkt-RF"]], 60, step=60)
    >>> print(out["loadings"].xs("Enrgy", level="asset").round(2).tail(3))
             Mkt-RF
    end
    2007-03    0.75
    2012-03    0.94
    2017-03    1.13
    """
    from .core import rolling as core_rolling

    returns, factors, y, x = _checked(returns=_frame(returns, "asset"), factors=_frame(factors, "factor"))
    res = core_rolling.rolling(y, x, window, **options)
    ends = returns.index[res.ends]
    assets, names = list(returns.columns), list(factors.columns)
    by_asset = lambda a: pd.DataFrame(a, index=ends, columns=assets)  # noqa: E731
    return {
        "loadings": pd.DataFrame(
            res.loadings.reshape(-1, len(names)),
            columns=names,
            index=pd.MultiIndex.from_product([ends, assets], names=["end", "asset"]),
        ),
        "intercept": by_asset(res.intercept),
        "r2": by_asset(res.r2),
        "specific_var": by_asset(res.specific_var),
        "lambdas": pd.Series(res.lambdas, index=ends, name="lambda"),
        "factor_cov": pd.DataFrame(
            res.factor_cov.reshape(-1, len(names)),
            columns=names,
            index=pd.MultiIndex.from_product([ends, names], names=["end", "factor"]),
        ),
    }


def backtest(returns: Table, factors: Table, window: int, **options: Any) -> dict[str, Any]:
    """Walk-forward backtest (``xlfactor.backtest``) with labels; ``returns`` are excess returns.

    Parameters
    ----------
    returns : DataFrame or Series
        Asset excess returns, one column per asset, indexed by period.
    factors : DataFrame or Series
        Factor returns, one column per factor (the market first).
    window : int
        Rows of each estimation window.
    **options
        Any keyword of ``xlfactor.backtest`` (``step``, ``models``, ``alloc``, ...).

    Returns
    -------
    dict
        ``summary`` (one row per statistic, one column per model), ``returns``, ``predicted_vol`` and
        ``cumulative`` (indexed by the out-of-sample periods, one column per model), ``weights`` (index
        (rebalance, model), one column per asset), ``lambdas`` (index rebalance, one column per model) and
        ``result`` (the ``BacktestResult``).

    Raises
    ------
    XLFactorError
        As ``xlfactor.backtest``.

    Examples
    --------
    >>> import xlfactor as xf
    >>> from xlfactor import frames
    >>> data = xf.load_french()
    >>> excess = data.industries.sub(data.rf, axis=0).loc["1963-07":]
    >>> out = frames.backtest(excess, data.factors, 60, step=12, models=["ols"])
    >>> out["returns"].shape, list(out["summary"].columns)
    ((577, 1), ['ols'])
    """
    from .core import backtest as core_backtest

    returns, factors, y, x = _checked(returns=_frame(returns, "asset"), factors=_frame(factors, "factor"))
    options.setdefault("factor_names", [str(c) for c in factors.columns])  # messages name the factors
    res = core_backtest.backtest(y, x, window, **options)
    models = list(res.models)
    oos, reb = returns.index[res.rows], returns.index[res.rebalances]
    st = res.stats
    series = lambda a: pd.DataFrame(a.T, index=oos, columns=models)  # noqa: E731
    return {
        "summary": pd.DataFrame(
            {m: [st[k][i] for k, _ in core_backtest.STATS] for i, m in enumerate(models)},
            index=[label for _, label in core_backtest.STATS],
        ),
        "returns": series(res.returns),
        "predicted_vol": series(res.predicted_vol),
        "cumulative": series(res.cumulative),
        "weights": pd.DataFrame(
            res.weights.transpose(1, 0, 2).reshape(-1, returns.shape[1]),
            columns=returns.columns,
            index=pd.MultiIndex.from_product([reb, models], names=["rebalance", "model"]),
        ),
        "lambdas": pd.DataFrame(res.lambdas.T, index=reb, columns=models),
        "result": res,
    }


# ---- the labelled faces of the rest of the public API, from labels.AXES (one mapping, no wrapper per function) ------
FACES: dict[str, Any] = {
    "ridge": penalized.ridge,
    "lasso": penalized.lasso,
    "elastic_net": penalized.elastic_net,
    "cross_validate": cv.cross_validate,
    "factor_covariance": risk.factor_covariance,
    "specific_variance": risk.specific_variance,
    "factor_model": risk.FactorModel,
    "risk_contributions": risk.risk_contributions,
    "allocate": risk.allocate,
    "pca": statistical.pca,
    "factor_count": statistical.factor_count,
    "latent_vs_named": statistical.latent_vs_named,
    "latent_risk_model": statistical.latent_risk_model,
    "rolling_latent": statistical.rolling_latent,
    "risk_premia": premia.estimate,
    "two_pass": premia.two_pass,
    "gmm": premia_gmm.gmm,
    "mimicking": _mimicking.mimicking,
    "fundamental": _fundamental.fundamental,
    "compound": frequency.compound,
}
_PREAMBLE = [
    "import numpy as np",
    "import pandas as pd",
    "import xlfactor as xf",
    "from xlfactor import frames",
    "data = xf.load_french()",
    'excess = data.industries.sub(data.rf, axis=0).loc["1963-07":]',
]


def _make(name: str, fn: Any) -> Any:
    out = labels.face(fn)
    out.__name__ = out.__qualname__ = name
    out.__module__ = __name__
    out.__doc__ = labels.face_doc(
        name, fn, [f">>> {line}" if not line.startswith(" ") else line for line in _PREAMBLE] + EXAMPLES.get(name, [])
    )
    return out


globals().update({_n: _make(_n, _f) for _n, _f in FACES.items()})
__all__ += list(FACES)
