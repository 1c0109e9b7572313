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
from ..core import options, regression, risk
from ..core.shanken import traded_flags
from ..errors import InputShapeError, InputValueError
from . import coerce as cells
from . import fn_macro, fn_rolling, fn_statistical, memo, shared
from . import helptext as doc
from .decorate import excel_names, udf
from .fn_macro import *  # noqa: F403 - macro and fundamental models: RISK_PREMIA, MIMICKING_PORTFOLIO, ...
from .fn_risk import *  # noqa: F403 - risk model and allocation: RISK_ALLOC, FACTOR_COV, SPECIFIC_VAR
from .fn_risk import factor_cov, risk_alloc, specific_var  # named: they keep their places in __all__ below
from .fn_rolling import *  # noqa: F403 - out of sample: ROLLING_BETA, ROLLING_LOADINGS, BACKTEST
from .fn_statistical import *  # noqa: F403 - latent factors: PCA_FACTORS, PCA_LOADINGS, FACTOR_COUNT, ...

# New topics: one module xlfactor/excel/fn_<topic>.py each, star-imported here (F403 silenced), names in __all__.


def _penalized(method, returns, factors, lam, rf, standardize, intercept, penalty_weights, l1_ratio=None, prior=None):
    y, x = cells.returns_and_factors(returns, factors, rf)
    res = memo.fit(
        y,
        x,
        [shared.one_lambda(lam, "penalty")],
        method=method,
        prior=cells.optional_table(prior, "prior"),
        **shared.penalty_options(x, standardize, penalty_weights, l1_ratio, method),
    )
    out = res.loadings[0].T  # factors x assets
    if cells.flag(intercept, "intercept"):
        out = np.vstack([res.intercept[0], out])
    return cells.block(out)


def _collinearity(factors):
    """VIF and condition number need independent factors: exactly collinear ones are an error naming them."""
    x = cells.table(factors, "factors")
    res = regression.collinearity(x)
    if not np.isfinite(res.vif).all():
        complete = np.isfinite(x).all(axis=1)
        v.check_not_collinear(
            x[complete],
            f"the {complete.sum()} rows where every factor is present",
            "VIF and condition number are then infinite.",
        )
    return res


# --- the six main functions ---------------------------------------------------------------------------------------


@udf(
    returns=doc.RETURNS,
    market=doc.MARKET,
    rf=doc.RF_MARKET,
    stats="TRUE for 8 rows per asset: alpha, beta, t(alpha), t(beta), R2, residual volatility, observations, Blume beta.",
    lags=doc.LAGS,
    market_is=doc.MARKET_IS,
    traded=doc.TRADED_MARKET,
)
def capm_beta(returns, market, rf=None, stats=None, lags=None, market_is=None, traded=None):
    """Market beta of each asset from the market-model regression on excess returns; optionally alpha, t-stats, R2."""
    y, m, r = cells.periods([(returns, "returns"), (market, "market")], rf)
    with_stats, is_traded = cells.flag(stats, "stats"), cells.flag(traded, "traded", True)
    cells.unused(traded, "traded", str(with_stats).upper(), ("TRUE",), "FALSE", "stats")
    res = regression.capm(
        y,
        cells.one_column(m, "market"),
        rf=r,
        market_is=shared.market_is(market_is),
        lags=cells.count(lags, "lags", None),
        traded=is_traded,
    )
    if not with_stats:
        return cells.row(res.beta)
    out = np.vstack(
        [res.alpha, res.beta, res.tstat_alpha, res.tstat_beta, res.r2, res.resid_vol, res.nobs, res.blume_beta]
    )
    if not res.traded:
        out[[0, 2]] = np.nan  # an intercept, not an alpha: left blank
    return cells.block(out)


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
def ridge_loadings(
    returns, factors, penalty, rf=None, standardize=None, intercept=None, penalty_weights=None, prior=None
):
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
def enet_loadings(
    returns, factors, penalty, l1_ratio=None, rf=None, standardize=None, intercept=None, penalty_weights=None
):
    """Elastic-net loadings (factor rows x asset columns): lasso and ridge penalties mixed by l1_ratio; market unpenalised."""
    return _penalized("enet", returns, factors, penalty, rf, standardize, intercept, penalty_weights, l1_ratio)


def _cross_validate(
    returns, factors, method, folds, scheme, gap, pooled, rf, standardize, penalty_weights, l1_ratio, prior=None
):
    y, x = cells.returns_and_factors(returns, factors, rf)
    chosen = cells.option(method, options.METHODS, "method", options.DEFAULTS["method"])
    pen = shared.penalty_options(x, standardize, penalty_weights, l1_ratio, chosen)
    cells.unused(l1_ratio, "l1_ratio", chosen, ("enet",), options.DEFAULTS["method"])
    return memo.cross_validate(
        y,
        x,
        method=chosen,
        **shared.cv_options(folds, scheme),
        gap=cells.count(gap, "gap", options.DEFAULTS["gap"]),
        pooled=pooled,
        prior=cells.optional_table(prior, "prior"),
        **pen,
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
    pooled=(
        "TRUE (or sum) for one lambda for all assets, lowest error summed over assets; normalized: each asset's "
        "error over its variance first. Default FALSE: one lambda per asset."
    ),
    rf=doc.RF,
    standardize=doc.STANDARDIZE,
    penalty_weights=doc.WEIGHTS_PENALTY,
    l1_ratio=doc.L1_RATIO,
    prior=doc.PRIOR,
)
def cv_lambda(
    returns,
    factors,
    method=None,
    folds=None,
    scheme=None,
    rule=None,
    gap=None,
    pooled=None,
    rf=None,
    standardize=None,
    penalty_weights=None,
    l1_ratio=None,
    prior=None,
):
    """Penalty lambda chosen by time-ordered cross-validation, per asset (or one pooled); market unpenalised by default."""
    loss = cells.scalar(pooled)
    if isinstance(loss, str) and loss.strip().lower() in options.POOLED_LOSSES:
        pooled, loss = True, loss.strip().lower()
    else:
        pooled, loss = cells.flag(pooled, "pooled"), options.DEFAULTS["pooled_loss"]
    res = _cross_validate(
        returns, factors, method, folds, scheme, gap, pooled, rf, standardize, penalty_weights, l1_ratio, prior
    )
    rule = shared.rule(rule)
    return [[res.pooled_lambda(rule, loss)]] if pooled else cells.row(res.best_lambda(rule))


@udf(
    returns=doc.RETURNS,
    factors=doc.FACTORS,
    rf=doc.RF,
    lags=doc.LAGS,
    tstats="TRUE to add the t-stats below the coefficients (same layout). Default FALSE.",
    traded=doc.TRADED_ALPHA,
)
def ols_loadings(returns, factors, rf=None, lags=None, tstats=None, traded=None):
    """OLS alpha (first row) and loadings (one row per factor) of each asset; optionally their t-stats below."""
    y, x = cells.returns_and_factors(returns, factors, rf)
    flags = traded_flags(None if cells.blank(traded) else cells.flags(traded, "traded"), x.shape[1])
    fit = regression.ols(y, x, lags=cells.count(lags, "lags", None))
    out = np.array(fit.coef.T)  # a copy: blanks may be written into it
    if cells.flag(tstats, "tstats"):
        out = np.vstack([out, fit.tstat.T])
    if not flags.all():
        out[:: x.shape[1] + 1] = np.nan  # an intercept, not an alpha (and its t-stat): left blank
    return cells.block(out)


@udf(
    weights=doc.WEIGHTS,
    loadings=doc.LOADINGS,
    factor_covariance=doc.FACTOR_COV,
    specific_variance=doc.SPECIFIC_VAR,
    by="asset (default: one share per asset, a row) or factor (one share per factor then specific risk, a column).",
)
def risk_contrib(weights, loadings, factor_covariance, specific_variance, by=None):
    """Shares of portfolio risk by asset (a row summing to 1) or by factor plus specific risk (a column summing to 1)."""
    model = shared.factor_model(loadings, factor_covariance, specific_variance)
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
def cv_curve(
    returns,
    factors,
    method=None,
    folds=None,
    scheme=None,
    gap=None,
    asset=None,
    rf=None,
    standardize=None,
    penalty_weights=None,
    l1_ratio=None,
):
    """Cross-validation error curve for charting: columns lambda, mean error, standard error, non-zero loadings."""
    j = cells.count(asset, "asset", None, minimum=1)
    res = _cross_validate(
        returns, factors, method, folds, scheme, gap, j is None, rf, standardize, penalty_weights, l1_ratio
    )
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
    res = memo.fit(
        y,
        x,
        None,
        method="lasso",
        n_lambdas=cells.count(n_lambdas, "n_lambdas", 100, minimum=2),
        **shared.penalty_options(x, standardize, penalty_weights, None, "lasso"),
    )
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
    res = regression.capm(
        y,
        cells.one_column(m, "market"),
        rf=r,
        market_is=shared.market_is(market_is),
        traded=cells.flag(traded, "traded", True),
    )
    return cells.block([res.expected_return, res.mean_return])


@udf(
    returns=doc.RETURNS,
    exposures="Exposures (e.g. betas from OLS_LOADINGS without the alpha row): one row per factor, one column per asset.",
    lags=doc.LAGS,
    factors="Optional: the factors whose betas are the exposures (one column each); Shanken-corrects the std errors.",
)
def fama_macbeth(returns, exposures, lags=None, factors=None):
    """Fama-MacBeth risk premia per period: rows intercept then one per exposure; columns premium, std error, t-stat."""
    y, f = (
        (cells.table(returns, "returns"), None)
        if cells.blank(factors)
        else cells.aligned((returns, "returns"), (factors, "factors"))
    )
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
            raise InputShapeError(
                f"use_columns has {chosen.size} values ({chosen.sum()} TRUE) but data has {table.shape[1]} "
                "columns; give one TRUE/FALSE per column, at least one TRUE."
            )
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


__all__ = [
    "capm_beta",
    "factor_r2",
    "ridge_loadings",
    "lasso_loadings",
    "enet_loadings",
    "cv_lambda",
    "risk_alloc",
    "ols_loadings",
    "factor_cov",
    "specific_var",
    "risk_contrib",
    "cv_curve",
    "lasso_path",
    "factor_vif",
    "factor_cond",
    "factor_corr",
    "capm_er",
    "fama_macbeth",
    "grs_test",
    "sample_window",
    "excess_returns",
    "xlfactor_error",
]
__all__ += fn_rolling.__all__ + fn_macro.__all__ + fn_statistical.__all__  # their own functions, in their order

__getattr__ = excel_names(globals())  # classic Excel calls CAPM_BETA: the functions' Excel names resolve too
