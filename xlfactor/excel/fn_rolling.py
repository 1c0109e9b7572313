"""Excel functions out of sample: rolling-window betas and loadings, and the walk-forward backtest.

All three are slow (a regression or a cross-validation per window): ``udf(slow=True)`` keeps classic Excel's
Function Wizard from evaluating them on every keystroke. Rows are window ends (or rebalances), oldest first,
labelled with their period when ``periods`` is given.
"""

from __future__ import annotations

from ..core import backtest as walkforward
from ..core import options
from ..errors import InputValueError
from . import coerce as cells
from . import helptext as doc
from . import memo, shared
from .decorate import udf

ROLLING_OUTPUTS = ("loadings", "lambda", "r2", "specific_var", "intercept")
BACKTEST_OUTPUTS = ("summary", "cumulative", "returns", "predicted_vol", "weights")


@udf(
    slow=True,
    returns=doc.RETURNS,
    market=doc.MARKET,
    window=doc.WINDOW,
    every=doc.STEP,
    rf=doc.RF_MARKET,
    periods=doc.PERIODS,
    expanding=doc.EXPANDING,
    market_is=doc.MARKET_IS,
)
def rolling_beta(returns, market, window, every=None, rf=None, periods=None, expanding=None, market_is=None):
    """Market beta of each asset on every window (rows: window ends, oldest first; columns: assets), for charting."""
    y, m, r = cells.periods([(returns, "returns"), (market, "market")], rf)
    m = cells.one_column(m, "market")
    premium = m - r if shared.market_is(market_is) == "total" else m
    res = memo.rolling_windows(y - r[:, None], premium[:, None], **shared.windows(window, every, expanding))
    return shared.labelled(res.beta, res.ends, periods, len(m))


@udf(
    slow=True,
    returns=doc.RETURNS,
    factors=doc.FACTORS,
    window=doc.WINDOW,
    method=f"{options.describe('rolling_method')}; penalised methods choose lambda by CV inside each window (folds, "
    "scheme, rule, penalty_weights, standardize: penalised only, refused with ols).",
    every=doc.STEP,
    asset="loadings: which asset (column of returns, default 1).",
    output=(
        "loadings (default: one column per factor for the asset), lambda (the window's pooled lambda), r2, "
        "specific_var or intercept (one column per asset)."
    ),
    rf=doc.RF,
    periods=doc.PERIODS,
    folds=doc.FOLDS,
    scheme=doc.SCHEME,
    rule=doc.RULE,
    penalty_weights=doc.WEIGHTS_PENALTY,
    standardize=doc.STANDARDIZE,
    expanding=doc.EXPANDING,
)
def rolling_loadings(
    returns,
    factors,
    window,
    method=None,
    every=None,
    asset=None,
    output=None,
    rf=None,
    periods=None,
    folds=None,
    scheme=None,
    rule=None,
    penalty_weights=None,
    standardize=None,
    expanding=None,
):
    """Loadings (or lambda, R2, specific variance) on every window: rows are window ends, oldest first, for charting."""
    y, x = cells.returns_and_factors(returns, factors, rf)
    chosen = cells.option(method, options.ROLLING_METHODS, "method", options.DEFAULTS["rolling_method"])
    out = cells.option(output, ROLLING_OUTPUTS, "output", "loadings")
    j = cells.count(asset, "asset", 1, minimum=1)
    if j > y.shape[1]:
        raise InputValueError(f"asset is {j} but returns has {y.shape[1]} columns.")
    pen = {
        k: val
        for k, val in shared.penalty_options(x, standardize, penalty_weights, None, chosen).items()
        if val is not None
    }
    pen.update(
        rule=shared.rule(rule), **shared.cv_options(folds, scheme)
    )  # all validated, used by the penalised methods only
    given = {
        "penalty_weights": penalty_weights,
        "standardize": standardize,
        "folds": folds,
        "scheme": scheme,
        "rule": rule,
    }
    penalised = [m for m in options.ROLLING_METHODS if m != "ols"]
    for name, value in given.items():
        cells.unused(value, name, chosen, penalised, options.DEFAULTS["rolling_method"])
    res = memo.rolling_windows(
        y, x, method=chosen, **({} if chosen == "ols" else pen), **shared.windows(window, every, expanding)
    )
    values = {
        "loadings": lambda: res.loadings[:, j - 1, :],
        "lambda": lambda: res.lambdas[:, None],
        "r2": lambda: res.r2,
        "specific_var": lambda: res.specific_var,
        "intercept": lambda: res.intercept,
    }[out]()
    return shared.labelled(values, res.ends, periods, y.shape[0])


@udf(
    slow=True,
    returns=doc.RETURNS,
    factors=doc.FACTORS,
    window=doc.WINDOW,
    rebalance_every="Periods between rebalances (default 1); weights are held until the next.",
    models=doc.BACKTEST_MODELS,
    alloc=f"Allocation at each rebalance: {options.describe('risk_method')}.",
    output=(
        "summary (default: one row per statistic, one column per model), cumulative (growth of 1), returns, "
        "predicted_vol (ex-ante, per period) or weights (rebalances x assets, first model)."
    ),
    rf=doc.RF,
    periods=doc.PERIODS,
    periods_per_year="Periods in a year, to annualise (default 12: monthly data).",
    folds=doc.FOLDS,
    scheme=doc.SCHEME,
    rule=doc.RULE,
    budgets="budget: one positive number per asset; factor: one per factor. Refused by the other allocations.",
    target_vol="targetvol only (refused otherwise): the volatility to aim for, per period.",
    cov_method=f"Factor covariance in each window: {options.describe('cov_method')}.",
    halflife="Half-life in periods, ewma and barra only (empty for the others; barra: of the volatilities). Blank: 36.",
    corr_halflife="barra only: half-life of the correlations. Blank: halflife.",
    nw_lags="sample and barra: Newey-West lags of the factor covariance. Blank: 0.",
    regime_halflife="barra only: half-life of the volatility regime adjustment. Blank: none.",
    specific_shrink="Bayesian shrinkage of specific volatilities to their mean (USE4's q, 0.1 there). Blank: 0.",
)
def backtest(
    returns,
    factors,
    window,
    rebalance_every=None,
    models=None,
    alloc=None,
    output=None,
    rf=None,
    periods=None,
    periods_per_year=None,
    folds=None,
    scheme=None,
    rule=None,
    budgets=None,
    target_vol=None,
    cov_method=None,
    halflife=None,
    corr_halflife=None,
    nw_lags=None,
    regime_halflife=None,
    specific_shrink=None,
):
    """Walk-forward backtest of the procedure (estimate, choose lambda, allocate, hold) per risk model: out-of-sample statistics."""
    y, x = cells.returns_and_factors(returns, factors, rf)
    names = shared.model_names(models)
    out = cells.option(output, BACKTEST_OUTPUTS, "output", "summary")
    windows = shared.windows(window, rebalance_every, None)
    del windows["expanding"]
    chosen = cells.option(alloc, options.ALLOC_METHODS, "alloc", options.DEFAULTS["risk_method"])
    cov = cells.option(cov_method, options.COV_METHODS, "cov_method", options.DEFAULTS["cov_method"])
    reads_halflife = cov in options.COV_OPTION_USERS["halflife"]  # blank: the default half-life, where it is read
    given = shared.cov_options(
        halflife, corr_halflife, nw_lags, regime_halflife, options.DEFAULTS["halflife"] if reads_halflife else None
    )  # the core refuses an option cov_method does not read
    res = memo.backtest(
        y,
        x,
        models=names,
        alloc=chosen,
        rule=shared.rule(rule),
        **shared.cv_options(folds, scheme),
        periods_per_year=cells.number(periods_per_year, "periods_per_year", 12.0, low=0.0, low_open=True),
        **shared.alloc_options(chosen, "alloc", budgets, target_vol, y.shape[1], x.shape[1]),
        cov_method=cov,
        **given,
        specific_shrink=cells.number(specific_shrink, "specific_shrink", 0.0, low=0.0) or 0.0,
        **windows,
    )
    if out == "summary":
        st = res.stats
        return [["Statistic", *res.models]] + [[label, *cells.row(st[key])[0]] for key, label in walkforward.STATS]
    if out == "weights":
        return shared.labelled(res.weights[0], res.rebalances, periods, y.shape[0])
    series = {"cumulative": res.cumulative, "returns": res.returns, "predicted_vol": res.predicted_vol}[out]
    return shared.labelled(series.T, res.rows, periods, y.shape[0])


__all__ = ["rolling_beta", "rolling_loadings", "backtest"]
