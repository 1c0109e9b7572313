"""xlfactor's spreadsheet functions: one module for classic Excel, xlwings Server and xlwings Lite.

Layout everywhere: periods run down rows; assets run across columns; a per-asset result is a row
under the asset's column; loadings are factor rows x asset columns (factor order as given).
Every function: coerce the cells (``coerce``), call the core (the expensive parts through the result caches
of ``memo``), shape the output; ``udf`` registers it with its help texts (shared ones in ``helptext``) and
shows a user error as one line naming the function.
"""

from __future__ import annotations

import numpy as np

from ..core import _validation as v
from ..core import backtest as walkforward
from ..core import options, regression, risk, rolling
from ..errors import InputShapeError, InputValueError
from . import coerce as cells
from . import helptext as doc
from . import memo
from .decorate import excel_names, udf
from .fn_macro import *  # noqa: F403 - macro and fundamental models: RISK_PREMIA, MIMICKING_PORTFOLIO, ...
from .fn_statistical import *  # noqa: F403 - latent factors: PCA_FACTORS, PCA_LOADINGS, FACTOR_COUNT, ...

# New topics: one module xlfactor/excel/fn_<topic>.py each, star-imported here (F403 silenced), names in __all__.


def _model(loadings, factor_covariance, specific_variance) -> risk.FactorModel:
    return risk.FactorModel.from_arrays(
        cells.table(loadings, "loadings").T, cells.table(factor_covariance, "factor_covariance"),
        cells.series(specific_variance, "specific_variance"),
    )


def _one_lambda(value, name: str) -> float:
    lam = cells.number(value, name, None, low=0.0)
    if lam is None:
        raise InputValueError(f"{name} is required: a number >= 0 (CV_LAMBDA chooses one).")
    return lam


def _penalty_options(x, standardize, penalty_weights, l1_ratio, method) -> dict:
    """The options every penalised function shares, blanks resolved to the defaults (options.DEFAULTS)."""
    weights = (options.market_first_weights(x.shape[1]) if cells.blank(penalty_weights)
               else cells.series(penalty_weights, "penalty_weights"))
    ratio = cells.number(l1_ratio, "l1_ratio", options.DEFAULTS["l1_ratio"], low=0.0, high=1.0, low_open=True)
    return {"standardize": cells.flag(standardize, "standardize", options.DEFAULTS["standardize"]),
            "penalty_weights": weights, "l1_ratio": ratio if method == "enet" else None}


def _penalized(method, returns, factors, lam, rf, standardize, intercept, penalty_weights, l1_ratio=None, prior=None):
    y, x = cells.returns_and_factors(returns, factors, rf)
    res = memo.fit(y, x, [_one_lambda(lam, "penalty")], method=method, prior=cells.optional_table(prior, "prior"),
                        **_penalty_options(x, standardize, penalty_weights, l1_ratio, method))
    out = res.loadings[0].T  # factors x assets
    if cells.flag(intercept, "intercept"):
        out = np.vstack([res.intercept[0], out])
    return cells.block(out)


def _market_is(value) -> str:
    """total or excess (``options.MARKET_KINDS``): whether rf is subtracted from the market too."""
    return cells.option(value, options.MARKET_KINDS, "market_is", options.DEFAULTS["market_is"])


def _collinearity(factors):
    """VIF and condition number need independent factors: exactly collinear ones are an error naming them."""
    x = cells.table(factors, "factors")
    res = regression.collinearity(x)
    if not np.isfinite(res.vif).all():
        complete = np.isfinite(x).all(axis=1)
        v.check_not_collinear(x[complete], f"the {complete.sum()} rows where every factor is present",
                              "VIF and condition number are then infinite.")
    return res


# --- the six main functions ---------------------------------------------------------------------------------------


@udf(
    returns=doc.RETURNS,
    market=doc.MARKET,
    rf=doc.RF_MARKET,
    stats="TRUE for 8 rows per asset: alpha, beta, t(alpha), t(beta), R2, residual volatility, observations, Blume beta.",
    lags=doc.LAGS,
    market_is=doc.MARKET_IS,
)
def capm_beta(returns, market, rf=None, stats=None, lags=None, market_is=None):
    """Market beta of each asset from the market-model regression on excess returns; optionally alpha, t-stats, R2."""
    y, m, r = cells.periods([(returns, "returns"), (market, "market")], rf)
    res = regression.capm(y, cells.one_column(m, "market"), rf=r, market_is=_market_is(market_is),
                          lags=cells.count(lags, "lags", None))
    if not cells.flag(stats, "stats"):
        return cells.row(res.beta)
    return cells.block([res.alpha, res.beta, res.tstat_alpha, res.tstat_beta, res.r2, res.resid_vol, res.nobs,
                        res.blume_beta])


@udf(
    returns=doc.RETURNS,
    factors=doc.FACTORS,
    rf=doc.RF,
    split="TRUE for 4 rows per asset: R2, total variance, systematic variance, specific variance.",
)
def factor_r2(returns, factors, rf=None, split=None):
    """Share of each asset's variance explained by the factors (R2); optionally the systematic/specific split."""
    y, x = cells.returns_and_factors(returns, factors, rf)
    risk_split = regression.ols(y, x).risk
    if not cells.flag(split, "split"):
        return cells.row(risk_split.r2)
    return cells.block([risk_split.r2, risk_split.total_var, risk_split.systematic_var, risk_split.specific_var])


@udf(
    returns=doc.RETURNS,
    factors=doc.FACTORS,
    penalty=doc.RIDGE_LAMBDA,
    rf=doc.RF,
    standardize=doc.STANDARDIZE,
    intercept=doc.INTERCEPT,
    penalty_weights=doc.WEIGHTS_PENALTY,
    prior=doc.PRIOR,
)
def ridge_loadings(returns, factors, penalty, rf=None, standardize=None, intercept=None, penalty_weights=None,
                   prior=None):
    """Ridge loadings (factor rows x asset columns), shrunk towards the prior (default 0): (X'X + lambda W)^-1 (X'y + lambda W b0)."""
    return _penalized("ridge", returns, factors, penalty, rf, standardize, intercept, penalty_weights, prior=prior)


@udf(
    returns=doc.RETURNS,
    factors=doc.FACTORS,
    penalty=doc.LASSO_LAMBDA,
    rf=doc.RF,
    standardize=doc.STANDARDIZE,
    intercept=doc.INTERCEPT,
    penalty_weights=doc.WEIGHTS_PENALTY,
)
def lasso_loadings(returns, factors, penalty, rf=None, standardize=None, intercept=None, penalty_weights=None):
    """Lasso loadings (factor rows x asset columns) with exact zeros for dropped factors; market and intercept unpenalised."""
    return _penalized("lasso", returns, factors, penalty, rf, standardize, intercept, penalty_weights)


@udf(
    returns=doc.RETURNS,
    factors=doc.FACTORS,
    penalty=doc.ENET_LAMBDA,
    l1_ratio=doc.L1_RATIO,
    rf=doc.RF,
    standardize=doc.STANDARDIZE,
    intercept=doc.INTERCEPT,
    penalty_weights=doc.WEIGHTS_PENALTY,
)
def enet_loadings(returns, factors, penalty, l1_ratio=None, rf=None, standardize=None, intercept=None,
                  penalty_weights=None):
    """Elastic-net loadings (factor rows x asset columns): lasso and ridge penalties mixed by l1_ratio; market unpenalised."""
    return _penalized("enet", returns, factors, penalty, rf, standardize, intercept, penalty_weights, l1_ratio)


def _cv_options(folds, scheme) -> dict:
    """Folds and scheme from cells, blanks the defaults: what every cross-validating function takes."""
    return {"folds": cells.count(folds, "folds", options.DEFAULTS["folds"], minimum=2),
            "scheme": cells.option(scheme, options.SCHEMES, "scheme", options.DEFAULTS["scheme"])}


def _rule(rule) -> str:
    return cells.option(rule, options.RULES, "rule", options.DEFAULTS["rule"])


def _cross_validate(returns, factors, method, folds, scheme, gap, pooled, rf, standardize, penalty_weights, l1_ratio,
                    prior=None):
    y, x = cells.returns_and_factors(returns, factors, rf)
    method = cells.option(method, options.METHODS, "method", options.DEFAULTS["method"])
    return memo.cross_validate(
        y, x,
        method=method,
        **_cv_options(folds, scheme),
        gap=cells.count(gap, "gap", options.DEFAULTS["gap"]),
        pooled=pooled,
        prior=cells.optional_table(prior, "prior"),
        **_penalty_options(x, standardize, penalty_weights, l1_ratio, method),
    )


@udf(
    slow=True,
    returns=doc.RETURNS,
    factors=doc.FACTORS,
    method=doc.METHOD_CV,
    folds=doc.FOLDS,
    scheme=doc.SCHEME,
    rule=doc.RULE,
    gap=doc.GAP,
    pooled=("TRUE (or sum) for one lambda for all assets, lowest error summed over assets; normalized: each asset's "
            "error over its variance first. Default FALSE: one lambda per asset."),
    rf=doc.RF,
    standardize=doc.STANDARDIZE,
    penalty_weights=doc.WEIGHTS_PENALTY,
    l1_ratio=doc.L1_RATIO,
    prior=doc.PRIOR,
)
def cv_lambda(returns, factors, method=None, folds=None, scheme=None, rule=None, gap=None, pooled=None, rf=None,
              standardize=None, penalty_weights=None, l1_ratio=None, prior=None):
    """Penalty lambda chosen by time-ordered cross-validation, per asset (or one pooled); market unpenalised by default."""
    loss = cells.scalar(pooled)
    if isinstance(loss, str) and loss.strip().lower() in options.POOLED_LOSSES:
        pooled, loss = True, loss.strip().lower()
    else:
        pooled, loss = cells.flag(pooled, "pooled"), options.DEFAULTS["pooled_loss"]
    res = _cross_validate(returns, factors, method, folds, scheme, gap, pooled, rf, standardize, penalty_weights, l1_ratio,
                          prior)
    rule = _rule(rule)
    return [[res.pooled_lambda(rule, loss)]] if pooled else cells.row(res.best_lambda(rule))


@udf(
    loadings=doc.LOADINGS,
    factor_covariance=doc.FACTOR_COV,
    specific_variance=doc.SPECIFIC_VAR,
    method=f"{options.describe('risk_method')}: erc = equal risk, budget = risk in proportion to budgets, factor = factor risk budgets.",
    budgets="budget: one positive number per asset; factor: one per factor (shares of systematic risk), or one more for specific risk.",
    target_vol="targetvol only: the volatility to aim for, per period like the covariance (e.g. 0.10/SQRT(12)).",
)
def risk_alloc(loadings, factor_covariance, specific_variance, method=None, budgets=None, target_vol=None):
    """Long-only weights from a factor-model risk allocation: risk parity, budgets, minimum variance, target volatility."""
    model = _model(loadings, factor_covariance, specific_variance)
    method_cell, method = method, cells.option(method, options.ALLOC_METHODS, "method", options.DEFAULTS["risk_method"])
    return cells.row(risk.allocate(method, model=model, **_alloc_args(method, method_cell, budgets, target_vol)).weights)


def _alloc_args(method: str, method_cell, budgets, target_vol) -> dict:  # validated; a sheet wires them to all
    b, tv = cells.optional_table(budgets, "budgets"), cells.number(target_vol, "target_vol", None, low=0.0, low_open=True)
    _ = b is None or risk.check_budgets(b, np.size(b), "values")  # dropped where a chosen method ignores them
    return {"budgets": b if (keep := cells.blank(method_cell)) or method in risk.BUDGET_METHODS else None,  # blank:
            "target_vol": tv if keep or method == "targetvol" else None}  # the core refuses them


# --- companions: every step of the template is a live formula ------------------------------------------------------


@udf(
    returns=doc.RETURNS,
    factors=doc.FACTORS,
    rf=doc.RF,
    lags=doc.LAGS,
    tstats="TRUE to add the t-stats below the coefficients (same layout). Default FALSE.",
)
def ols_loadings(returns, factors, rf=None, lags=None, tstats=None):
    """OLS alpha (first row) and loadings (one row per factor) of each asset; optionally their t-stats below."""
    y, x = cells.returns_and_factors(returns, factors, rf)
    fit = regression.ols(y, x, lags=cells.count(lags, "lags", None))
    out = fit.coef.T
    if cells.flag(tstats, "tstats"):
        out = np.vstack([out, fit.tstat.T])
    return cells.block(out)


@udf(
    factors=doc.FACTORS,
    method=f"{options.describe('cov_method')}: ewma needs halflife; ledoitwolf shrinks towards a scaled identity.",
    halflife="ewma only: periods over which the weights halve.",
)
def factor_cov(factors, method=None, halflife=None):
    """Covariance matrix of the factors (factors x factors): sample, EWMA or Ledoit-Wolf."""
    x = cells.table(factors, "factors")
    method = cells.option(method, options.COV_METHODS, "method", options.DEFAULTS["cov_method"])
    return cells.block(risk.factor_covariance(x, method, cells.number(halflife, "halflife", None, low=0.0, low_open=True)))


@udf(
    returns=doc.RETURNS,
    factors=doc.FACTORS,
    loadings=doc.LOADINGS,
    rf=doc.RF,
)
def specific_var(returns, factors, loadings, rf=None):
    """Specific (residual) variance of each asset under the given loadings: one row, one column per asset."""
    y, x = cells.returns_and_factors(returns, factors, rf)
    return cells.row(risk.specific_variance(y, x, cells.table(loadings, "loadings").T))


@udf(
    weights=doc.WEIGHTS,
    loadings=doc.LOADINGS,
    factor_covariance=doc.FACTOR_COV,
    specific_variance=doc.SPECIFIC_VAR,
    by="asset (default: one share per asset, a row) or factor (one share per factor then specific risk, a column).",
)
def risk_contrib(weights, loadings, factor_covariance, specific_variance, by=None):
    """Shares of portfolio risk by asset (a row summing to 1) or by factor plus specific risk (a column summing to 1)."""
    model = _model(loadings, factor_covariance, specific_variance)
    rc = risk.risk_contributions(cells.series(weights, "weights"), model=model)
    if cells.option(by, ("asset", "factor"), "by", "asset") == "factor":
        return cells.column(rc.factor_percent)
    return cells.row(rc.percent)


@udf(
    slow=True,
    returns=doc.RETURNS,
    factors=doc.FACTORS,
    method=doc.METHOD_CV,
    folds=doc.FOLDS,
    scheme=doc.SCHEME,
    gap=doc.GAP,
    asset="Column number of the asset whose curve to show; blank for the curve pooled over all assets.",
    rf=doc.RF,
    standardize=doc.STANDARDIZE,
    penalty_weights=doc.WEIGHTS_PENALTY,
    l1_ratio=doc.L1_RATIO,
)
def cv_curve(returns, factors, method=None, folds=None, scheme=None, gap=None, asset=None, rf=None, standardize=None,
             penalty_weights=None, l1_ratio=None):
    """Cross-validation error curve for charting: columns lambda, mean error, standard error, non-zero loadings."""
    j = cells.count(asset, "asset", None, minimum=1)
    res = _cross_validate(returns, factors, method, folds, scheme, gap, j is None, rf, standardize, penalty_weights,
                          l1_ratio)
    if j is None:
        pm = res.pooled_fold_mse
        mean, se = pm.mean(axis=1), pm.std(axis=1, ddof=1) / np.sqrt(pm.shape[1])
        return cells.block(np.column_stack([res.lambdas[:, 0], mean, se, res.nonzero.mean(axis=1)]))
    if j > res.lambdas.shape[1]:
        raise InputValueError(f"asset is {j} but returns has {res.lambdas.shape[1]} columns.")
    k = j - 1
    return cells.block(np.column_stack([res.lambdas[:, k], res.mse[:, k], res.mse_se[:, k], res.nonzero[:, k]]))


@udf(
    slow=True,
    returns="Returns of one asset: one column.",
    factors=doc.FACTORS,
    n_lambdas="Number of lambdas from lambda_max down to lambda_max/1000 (default 100, at most 1000).",
    standardize=doc.STANDARDIZE,
    rf=doc.RF,
    penalty_weights=doc.WEIGHTS_PENALTY,
)
def lasso_path(returns, factors, n_lambdas=None, standardize=None, rf=None, penalty_weights=None):
    """Lasso path of one asset: lambda (lasso scale) in the first column, then one column of loadings per factor."""
    y, x = cells.returns_and_factors(returns, factors, rf)
    cells.one_column(y, "returns")
    res = memo.fit(y, x, None, method="lasso", n_lambdas=cells.count(n_lambdas, "n_lambdas", 100, minimum=2),
                        **_penalty_options(x, standardize, penalty_weights, None, "lasso"))
    return cells.block(np.column_stack([res.lambdas[:, 0], res.loadings[:, 0, :]]))


@udf(
    factors=doc.FACTORS,
)
def factor_vif(factors):
    """Variance inflation factor of each factor (above 10 signals harmful collinearity): one row."""
    return cells.row(_collinearity(factors).vif)


@udf(
    factors=doc.FACTORS,
)
def factor_cond(factors):
    """Condition number of the standardised factors (above 30 signals harmful collinearity)."""
    return cells.block([[_collinearity(factors).condition_number]])


@udf(
    factors=doc.FACTORS,
)
def factor_corr(factors):
    """Correlation matrix of the factors (factors x factors), on the rows where every factor is present."""
    return cells.block(regression.collinearity(cells.table(factors, "factors")).corr)


@udf(returns=doc.RETURNS, market=doc.MARKET, rf=doc.RF_MARKET, market_is=doc.MARKET_IS, traded=doc.TRADED)
def capm_er(returns, market, rf=None, market_is=None, traded=None):
    """CAPM expected return per period, rf + beta*(mean market premium) with alpha imposed to 0 (row 1), and the historical mean (row 2)."""
    y, m, r = cells.periods([(returns, "returns"), (market, "market")], rf)
    res = regression.capm(y, cells.one_column(m, "market"), rf=r, market_is=_market_is(market_is),
                          traded=cells.flag(traded, "traded", True))
    return cells.block([res.expected_return, res.mean_return])


@udf(
    returns=doc.RETURNS,
    exposures="Exposures (e.g. betas from OLS_LOADINGS without the alpha row): one row per factor, one column per asset.",
    lags=doc.LAGS,
    factors="Optional: the factors whose betas are the exposures (one column each); Shanken-corrects the std errors.",
)
def fama_macbeth(returns, exposures, lags=None, factors=None):
    """Fama-MacBeth risk premia per period: rows intercept then one per exposure; columns premium, std error, t-stat."""
    y, f = ((cells.table(returns, "returns"), None) if cells.blank(factors)
            else cells.aligned((returns, "returns"), (factors, "factors")))
    ex = cells.table(exposures, "exposures")
    if ex.shape[1] != y.shape[1]:
        raise InputShapeError(
            f"exposures has {ex.shape[1]} columns but returns has {y.shape[1]}; give one column per asset."
        )
    res = regression.fama_macbeth(y, ex.T, lags=cells.count(lags, "lags", None), shanken_factors=f)
    return cells.block(np.column_stack([res.premia, res.stderr, res.tstat]))


@udf(
    returns=doc.RETURNS,
    factors=doc.FACTORS,
    rf=doc.RF,
    traded=doc.TRADED,
)
def grs_test(returns, factors, rf=None, traded=None):
    """Gibbons-Ross-Shanken test that every alpha is zero: F statistic and p-value (a row of two)."""
    y, x = cells.returns_and_factors(returns, factors, rf)
    res = regression.grs(y, x, traded=None if cells.blank(traded) else cells.flags(traded, "traded"))
    return [[res.statistic, res.pvalue]]


@udf(
    data="The full table: periods down rows (e.g. the Data sheet's factor or return columns).",
    periods="Period labels as numbers, one per row of data, e.g. 196307 for July 1963 (YYYYMM).",
    first_period="First period to keep, in the form of periods (e.g. 196307).",
    last_period="Last period to keep, in the form of periods (e.g. 201703).",
    use_columns="Optional: one TRUE/FALSE (or 1/0) per column of data; keeps the TRUE columns, in order.",
)
def sample_window(data, periods, first_period, last_period, use_columns=None):
    """The rows of data whose period lies between start and end (inclusive), optionally only the selected columns."""
    table, labels = cells.aligned((data, "data"), (periods, "periods"))
    labels = cells.one_column(labels, "periods")
    first, last = cells.number(first_period, "first_period", None), cells.number(last_period, "last_period", None)
    if first is None or last is None:
        raise InputValueError("first_period and last_period are required: periods in the form of periods, e.g. 196307.")
    if first > last:
        raise InputValueError(f"first_period ({first:g}) is after last_period ({last:g}); swap them.")
    keep = (labels >= first) & (labels <= last)
    if not keep.any():
        raise InputValueError(f"no period lies between {first:g} and {last:g}; check first_period and last_period.")
    out = table[keep]
    if not cells.blank(use_columns):
        chosen = cells.flags(use_columns, "use_columns")
        if chosen.size != table.shape[1] or not chosen.any():
            raise InputShapeError(f"use_columns has {chosen.size} values ({chosen.sum()} TRUE) but data has {table.shape[1]} "
                                  "columns; give one TRUE/FALSE per column, at least one TRUE.")
        out = out[:, chosen]
    return cells.block(out)


@udf(
    returns=doc.RETURNS,
    rf=doc.RF,
)
def excess_returns(returns, rf=None):
    """Returns minus the risk-free rate, period by period (same shape as returns)."""
    y, r = cells.periods([(returns, "returns")], rf)
    return cells.block(y - r[:, None])


@udf(
    error_cell="Optional: the cell showing the error; referring to it makes this recalculate when that cell does.",
)
def xlfactor_error(error_cell=None):
    """Why xlfactor's latest functions failed: their messages, newest first (classic Excel; on Server and Lite hover the cell)."""
    if cells.runtime() == "officejs":
        return [["On xlwings Server and Lite, hover over the #VALUE! cell (or click its warning sign) to read why."]]
    recent = list(dict.fromkeys(reversed(cells.RECENT_ERRORS)))
    return [[m] for m in recent] or [["No xlfactor function has failed since the UDF server started."]]


# --- out of sample: rolling windows and the walk-forward backtest -----------------------------------------------


ROLLING_OUTPUTS = ("loadings", "lambda", "r2", "specific_var", "intercept")
BACKTEST_OUTPUTS = ("summary", "cumulative", "returns", "predicted_vol", "weights")


def _labelled(values: np.ndarray, rows: np.ndarray, periods, n_rows: int) -> list[list]:
    """A per-window (or per-period) block, with the period of each row first when ``periods`` is given."""
    if cells.blank(periods):
        return cells.block(values)
    return cells.block(np.column_stack([cells.labels(periods, "periods", n_rows)[rows], values]))


def _windows(window, every, expanding) -> dict:
    size = cells.count(window, "window", None, minimum=2)
    if size is None:
        raise InputValueError("window is required: the number of periods in each estimation window, e.g. 60.")
    return {"window": size, "step": cells.count(every, "every", 1, minimum=1),
            "expanding": cells.flag(expanding, "expanding")}


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
    premium = m - r if _market_is(market_is) == "total" else m
    res = memo.rolling_windows(y - r[:, None], premium[:, None], **_windows(window, every, expanding))
    return _labelled(res.beta, res.ends, periods, len(m))


@udf(
    slow=True,
    returns=doc.RETURNS,
    factors=doc.FACTORS,
    window=doc.WINDOW,
    method=f"{options.describe('rolling_method')}; penalised methods choose lambda by CV inside each window.",
    every=doc.STEP,
    asset="loadings: which asset (column of returns, default 1).",
    output=("loadings (default: one column per factor for the asset), lambda (the window's pooled lambda), r2, "
            "specific_var or intercept (one column per asset)."),
    rf=doc.RF,
    periods=doc.PERIODS,
    folds=doc.FOLDS,
    scheme=doc.SCHEME,
    rule=doc.RULE,
    penalty_weights=doc.WEIGHTS_PENALTY,
    standardize=doc.STANDARDIZE,
    expanding=doc.EXPANDING,
)
def rolling_loadings(returns, factors, window, method=None, every=None, asset=None, output=None, rf=None, periods=None,
                     folds=None, scheme=None, rule=None, penalty_weights=None, standardize=None, expanding=None):
    """Loadings (or lambda, R2, specific variance) on every window: rows are window ends, oldest first, for charting."""
    y, x = cells.returns_and_factors(returns, factors, rf)
    method = cells.option(method, options.ROLLING_METHODS, "method", options.DEFAULTS["rolling_method"])
    out = cells.option(output, ROLLING_OUTPUTS, "output", "loadings")
    j = cells.count(asset, "asset", 1, minimum=1)
    if j > y.shape[1]:
        raise InputValueError(f"asset is {j} but returns has {y.shape[1]} columns.")
    pen = {} if method == "ols" else {k: val for k, val in _penalty_options(x, standardize, penalty_weights, None,
                                                                            method).items() if val is not None}
    res = memo.rolling_windows(y, x, method=method, rule=_rule(rule), **_cv_options(folds, scheme), **pen,
                   **_windows(window, every, expanding))
    values = {"loadings": lambda: res.loadings[:, j - 1, :], "lambda": lambda: res.lambdas[:, None],
              "r2": lambda: res.r2, "specific_var": lambda: res.specific_var, "intercept": lambda: res.intercept}[out]()
    return _labelled(values, res.ends, periods, y.shape[0])


@udf(
    slow=True,
    returns=doc.RETURNS,
    factors=doc.FACTORS,
    window=doc.WINDOW,
    rebalance_every="Periods between rebalances (default 1); weights are held until the next.",
    models=doc.BACKTEST_MODELS,
    alloc=f"Allocation at each rebalance: {options.describe('risk_method')}.",
    output=("summary (default: one row per statistic, one column per model), cumulative (growth of 1), returns, "
            "predicted_vol (ex-ante, per period) or weights (rebalances x assets, first model)."),
    rf=doc.RF,
    periods=doc.PERIODS,
    periods_per_year="Periods in a year, to annualise (default 12: monthly data).",
    folds=doc.FOLDS,
    scheme=doc.SCHEME,
    rule=doc.RULE,
    budgets="budget: one positive number per asset; factor: one per factor.",
    target_vol="targetvol only: the volatility to aim for, per period.",
    cov_method=f"Factor covariance in each window: {options.describe('cov_method')}.",
    halflife="EWMA half-life in periods (ewma only).",
)
def backtest(returns, factors, window, rebalance_every=None, models=None, alloc=None, output=None, rf=None, periods=None,
             periods_per_year=None, folds=None, scheme=None, rule=None, budgets=None, target_vol=None, cov_method=None,
             halflife=None):
    """Walk-forward backtest of the procedure (estimate, choose lambda, allocate, hold) per risk model: out-of-sample statistics."""
    y, x = cells.returns_and_factors(returns, factors, rf)
    names = _model_names(models)
    out = cells.option(output, BACKTEST_OUTPUTS, "output", "summary")
    windows = _windows(window, rebalance_every, None)
    del windows["expanding"]
    chosen = cells.option(alloc, options.ALLOC_METHODS, "alloc", options.DEFAULTS["risk_method"])
    res = memo.backtest(y, x, models=names, alloc=chosen, **_alloc_args(chosen, alloc, budgets, target_vol),
                    periods_per_year=cells.number(periods_per_year, "periods_per_year", 12.0, low=0.0, low_open=True),
                    rule=_rule(rule), **_cv_options(folds, scheme),
                    cov_method=cells.option(cov_method, options.COV_METHODS, "cov_method", options.DEFAULTS["cov_method"]),
                    halflife=cells.number(halflife, "halflife", options.DEFAULTS["halflife"]), **windows)
    if out == "summary":
        st = res.stats
        return [["Statistic", *res.models]] + [[label, *cells.row(st[key])[0]] for key, label in walkforward.STATS]
    if out == "weights":
        return _labelled(res.weights[0], res.rebalances, periods, y.shape[0])
    series = {"cumulative": res.cumulative, "returns": res.returns, "predicted_vol": res.predicted_vol}[out]
    return _labelled(series.T, res.rows, periods, y.shape[0])


def _model_names(models) -> tuple[str, ...]:
    known = options.BACKTEST_MODELS + options.BACKTEST_LATENT
    return options.BACKTEST_MODELS if cells.blank(models) else tuple(
        cells.option(n, known, "models", options.BACKTEST_MODELS[-1]) for n in cells.words(models, "models"))


__all__ = [
    "capm_beta", "factor_r2", "ridge_loadings", "lasso_loadings", "enet_loadings", "cv_lambda", "risk_alloc",
    "ols_loadings", "factor_cov", "specific_var", "risk_contrib", "cv_curve", "lasso_path",
    "factor_vif", "factor_cond", "factor_corr", "capm_er", "fama_macbeth", "grs_test", "sample_window",
    "excess_returns", "xlfactor_error", "rolling_beta", "rolling_loadings", "backtest",
    "risk_premia", "mimicking_portfolio", "compound_returns", "char_model",  # noqa: F405 - fn_macro
    "pca_factors", "pca_loadings", "pca_eigenvalues", "pca_r2", "factor_count", "latent_vs_named",  # noqa: F405
]

__getattr__ = excel_names(globals())  # classic Excel calls CAPM_BETA: the functions' Excel names resolve too
