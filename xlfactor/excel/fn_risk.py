"""Excel functions of the risk model and allocation: RISK_ALLOC, FACTOR_COV and SPECIFIC_VAR.

FACTOR_COV takes the Barra-style options of ``core.risk.factor_covariance`` (separate half-lives for volatilities
and correlations, Newey-West lags, the volatility regime adjustment), SPECIFIC_VAR the Bayesian shrinkage of
specific risk, RISK_ALLOC the weight bounds, the turnover limit and target volatility's base portfolio. Layout
as everywhere: periods down rows, assets across columns; a per-asset result is a row.
"""

from __future__ import annotations

from ..core import options, risk
from . import coerce as cells
from . import helptext as doc
from . import shared
from .decorate import udf

D = options.DEFAULTS


def _bounds(value, name: str):
    """One number for every asset, or a row of one per asset; blank: none."""
    return None if cells.blank(value) else cells.series(value, name)


@udf(
    loadings=doc.LOADINGS,
    factor_covariance=doc.FACTOR_COV,
    specific_variance=doc.SPECIFIC_VAR,
    method=f"{options.describe('risk_method')}: erc = equal risk, budget = risk in proportion to budgets, "
    "factor = factor risk budgets.",
    budgets="budget: one positive number per asset; factor: one per factor (shares of systematic risk), or one more "
    "for specific risk; targetvol: for its base when the base reads budgets. Refused by the other methods.",
    target_vol="targetvol only (refused otherwise): the volatility to aim for, per period like the covariance (e.g. 0.10/SQRT(12)).",
    base=f"targetvol only: the portfolio scaled to target_vol, {options.describe('target_base')}.",
    min_weight="Smallest weight per asset (one number, or a row of one per asset; shares of the invested portfolio). "
    "erc, budget, factor, minvar, targetvol (not invvol). Blank: 0.",
    max_weight="Largest weight per asset (one number or a row). Blank: 1.",
    current="The weights held now (a row): what max_turnover is measured from.",
    max_turnover="Most turnover allowed, SUM(ABS(new - current)) (e.g. 0.2). Blank: no limit.",
)
def risk_alloc(
    loadings,
    factor_covariance,
    specific_variance,
    method=None,
    budgets=None,
    target_vol=None,
    base=None,
    min_weight=None,
    max_weight=None,
    current=None,
    max_turnover=None,
):
    """Long-only weights from a factor-model risk allocation: risk parity, budgets, minimum variance, target volatility."""
    model = shared.factor_model(loadings, factor_covariance, specific_variance)
    chosen = cells.option(method, options.ALLOC_METHODS, "method", D["risk_method"])
    based = cells.option(base, options.TARGET_BASES, "base", D["target_base"])  # targetvol's budgets serve its base
    cells.unused(base, "base", chosen, ("targetvol",), D["risk_method"])  # the core cannot tell given from default
    n_assets, n_factors = model.loadings.shape
    alloc = shared.alloc_options(chosen, "method", budgets, target_vol, n_assets, n_factors, based)
    res = risk.allocate(
        chosen,
        model=model,
        **alloc,
        base=based,
        min_weight=_bounds(min_weight, "min_weight"),
        max_weight=_bounds(max_weight, "max_weight"),
        current=None if cells.blank(current) else cells.series(current, "current"),
        max_turnover=cells.number(max_turnover, "max_turnover", None, low=0.0),
    )
    return cells.row(res.weights)


@udf(
    factors=doc.FACTORS,
    method=f"{options.describe('cov_method')}: ewma and barra need halflife; ledoitwolf shrinks towards a scaled "
    "identity; barra = exponentially weighted volatilities and correlations (USE4).",
    halflife="ewma and barra only (empty for the others): periods over which the weights halve (barra: of the "
    "volatilities).",
    corr_halflife="barra only: half-life of the correlations. Blank: halflife.",
    nw_lags="sample and barra: Newey-West lags of the covariance (serial correlation). Blank: 0.",
    regime_halflife="barra only: half-life of the volatility regime adjustment (USE4). Blank: none.",
)
def factor_cov(factors, method=None, halflife=None, corr_halflife=None, nw_lags=None, regime_halflife=None):
    """Covariance matrix of the factors (factors x factors): sample, EWMA, Ledoit-Wolf or Barra-style."""
    x = cells.table(factors, "factors")
    chosen = cells.option(method, options.COV_METHODS, "method", D["cov_method"])
    given = shared.cov_options(halflife, corr_halflife, nw_lags, regime_halflife)
    return cells.block(risk.factor_covariance(x, chosen, **given))  # refuses an option the method does not read


@udf(
    returns=doc.RETURNS,
    factors=doc.FACTORS,
    loadings=doc.LOADINGS,
    rf=doc.RF,
    shrink="Bayesian shrinkage of specific volatilities towards their mean, USE4's q (0.1 there). Blank: 0, none.",
)
def specific_var(returns, factors, loadings, rf=None, shrink=None):
    """Specific (residual) variance of each asset under the given loadings: one row, one column per asset."""
    y, x = cells.returns_and_factors(returns, factors, rf)
    d = risk.specific_variance(y, x, cells.table(loadings, "loadings").T)
    q = cells.number(shrink, "shrink", D["specific_shrink"], low=0.0)
    return cells.row(risk.shrink_specific(d, q or 0.0))


__all__ = ["factor_cov", "risk_alloc", "specific_var"]
