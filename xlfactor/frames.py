"""pandas wrappers around the core: align on dates, keep labels, return labelled tables.

Nothing here computes: every number comes from ``xlfactor.core``.
"""

from __future__ import annotations

import pandas as pd

from .core import regression


def _frame(x, default: str) -> pd.DataFrame:
    return x.to_frame(x.name or default) if isinstance(x, pd.Series) else pd.DataFrame(x)


def align(*objs):
    """Restrict Series/DataFrames to their common index (inner join on dates), keeping order."""
    idx = objs[0].index
    for o in objs[1:]:
        idx = idx.intersection(o.index, sort=False)
    return [o.loc[idx] for o in objs]


def ols(returns: pd.DataFrame, factors: pd.DataFrame, lags: int | None = None) -> pd.DataFrame:
    """Factor regression of every asset: one row per asset, coefficients, t-stats and fit."""
    returns, factors = _frame(returns, "asset"), _frame(factors, "factor")
    returns, factors = align(returns, factors)
    fit = regression.ols(
        returns.to_numpy(float), factors.to_numpy(float), lags=lags,
        asset_names=list(map(str, returns.columns)), factor_names=list(map(str, factors.columns)),
    )
    names = ["alpha", *map(str, factors.columns)]
    out = pd.DataFrame(fit.coef, index=returns.columns, columns=names)
    out[[f"t({c})" for c in names]] = fit.tstat
    out["R2"], out["adj R2"], out["resid vol"], out["nobs"] = fit.r2, fit.adj_r2, fit.resid_vol, fit.nobs
    return out


def capm(returns: pd.DataFrame, market: pd.Series, rf=None, lags: int | None = None,
         market_is: str | None = None) -> pd.DataFrame:
    """Market model and risk split per asset, with CAPM expected returns next to historical means."""
    returns = _frame(returns, "asset")
    objs = align(returns, market) if not isinstance(rf, pd.Series) else align(returns, market, rf)
    returns, market = objs[0], objs[1]
    rf_arr = objs[2].to_numpy(float) if isinstance(rf, pd.Series) else rf
    res = regression.capm(
        returns.to_numpy(float), market.to_numpy(float), rf=rf_arr, lags=lags, market_is=market_is,
        asset_names=list(map(str, returns.columns)),
    )
    risk = res.fit.risk
    return pd.DataFrame(
        {
            "alpha": res.alpha, "beta": res.beta, "t(alpha)": res.tstat_alpha, "t(beta)": res.tstat_beta,
            "R2": res.r2, "total vol": risk.total_vol, "systematic vol": risk.systematic_vol,
            "specific vol": risk.specific_vol, "mean": res.mean_return, "CAPM E[R]": res.expected_return,
            "nobs": res.nobs,
        },
        index=returns.columns,
    )


def risk_split(returns: pd.DataFrame, factors: pd.DataFrame) -> pd.DataFrame:
    """Total, systematic and specific variance per asset, and each factor's share of it."""
    returns, factors = align(_frame(returns, "asset"), _frame(factors, "factor"))
    risk = regression.ols(returns.to_numpy(float), factors.to_numpy(float),
                          asset_names=list(map(str, returns.columns))).risk
    out = pd.DataFrame(
        {"total var": risk.total_var, "systematic var": risk.systematic_var,
         "specific var": risk.specific_var, "R2": risk.r2},
        index=returns.columns,
    )
    out[[f"var({c})" for c in factors.columns]] = risk.factor_var
    return out


def collinearity(factors: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series, float]:
    """(correlation matrix, VIF per factor, condition number) of the factors."""
    res = regression.collinearity(factors.to_numpy(float), factor_names=list(map(str, factors.columns)))
    corr = pd.DataFrame(res.corr, index=factors.columns, columns=factors.columns)
    return corr, pd.Series(res.vif, index=factors.columns, name="VIF"), res.condition_number


def grs(excess_returns: pd.DataFrame, factors: pd.DataFrame) -> pd.Series:
    """GRS test of zero alphas: statistic, p-value, degrees of freedom, periods used."""
    excess_returns, factors = align(_frame(excess_returns, "asset"), _frame(factors, "factor"))
    res = regression.grs(excess_returns.to_numpy(float), factors.to_numpy(float))
    return pd.Series({"GRS F": res.statistic, "p-value": res.pvalue, "df1": res.df_num,
                      "df2": res.df_den, "periods": res.nobs})


def fama_macbeth(returns: pd.DataFrame, exposures: pd.DataFrame, lags: int | None = None) -> pd.DataFrame:
    """Fama-MacBeth premia of static exposures (one row per asset, one column per exposure)."""
    exposures = exposures.loc[returns.columns]
    res = regression.fama_macbeth(returns.to_numpy(float), exposures.to_numpy(float), lags=lags)
    names = ["intercept", *map(str, exposures.columns)]
    return pd.DataFrame({"premium": res.premia, "std err": res.stderr, "t": res.tstat,
                         "p-value": res.pvalues}, index=names).assign(periods=res.nperiods)


__all__ = ["align", "ols", "capm", "risk_split", "collinearity", "grs", "fama_macbeth", "rolling", "backtest"]


def rolling(returns: pd.DataFrame, factors: pd.DataFrame, window: int, **options) -> dict:
    """``core.rolling.rolling`` with labels: frames keyed by each window's last date.

    Returns ``loadings`` (index (end, asset), one column per factor), ``intercept``, ``r2`` and
    ``specific_var`` (index end, one column per asset), ``lambdas`` (a Series by end) and ``factor_cov``
    (index (end, factor), one column per factor).
    """
    from .core import rolling as core_rolling

    returns, factors = align(_frame(returns, "asset"), _frame(factors, "factor"))
    res = core_rolling.rolling(returns.to_numpy(float), factors.to_numpy(float), window, **options)
    ends = returns.index[res.ends]
    assets, names = list(returns.columns), list(factors.columns)
    by_asset = lambda a: pd.DataFrame(a, index=ends, columns=assets)  # noqa: E731
    return {
        "loadings": pd.DataFrame(res.loadings.reshape(-1, len(names)), columns=names,
                                 index=pd.MultiIndex.from_product([ends, assets], names=["end", "asset"])),
        "intercept": by_asset(res.intercept), "r2": by_asset(res.r2), "specific_var": by_asset(res.specific_var),
        "lambdas": pd.Series(res.lambdas, index=ends, name="lambda"),
        "factor_cov": pd.DataFrame(res.factor_cov.reshape(-1, len(names)), columns=names,
                                   index=pd.MultiIndex.from_product([ends, names], names=["end", "factor"])),
    }


def backtest(returns: pd.DataFrame, factors: pd.DataFrame, window: int, **options) -> dict:
    """``core.backtest.backtest`` with labels. ``returns`` are excess returns.

    Returns ``summary`` (one row per statistic, one column per model), ``returns``, ``predicted_vol`` and
    ``cumulative`` (indexed by the out-of-sample periods, one column per model), ``weights`` (index
    (rebalance, model), one column per asset) and ``lambdas`` (index rebalance, one column per model).
    """
    from .core import backtest as core_backtest

    returns, factors = align(_frame(returns, "asset"), _frame(factors, "factor"))
    res = core_backtest.backtest(returns.to_numpy(float), factors.to_numpy(float), window, **options)
    models = list(res.models)
    oos, reb = returns.index[res.rows], returns.index[res.rebalances]
    st = res.stats
    series = lambda a: pd.DataFrame(a.T, index=oos, columns=models)  # noqa: E731
    return {
        "summary": pd.DataFrame({m: [st[k][i] for k, _ in core_backtest.STATS] for i, m in enumerate(models)},
                                index=[label for _, label in core_backtest.STATS]),
        "returns": series(res.returns), "predicted_vol": series(res.predicted_vol), "cumulative": series(res.cumulative),
        "weights": pd.DataFrame(res.weights.transpose(1, 0, 2).reshape(-1, returns.shape[1]), columns=returns.columns,
                                index=pd.MultiIndex.from_product([reb, models], names=["rebalance", "model"])),
        "lambdas": pd.DataFrame(res.lambdas.T, index=reb, columns=models),
        "result": res,
    }
