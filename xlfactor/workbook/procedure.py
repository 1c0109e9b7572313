"""The template's procedure computed directly with the core (no spreadsheet functions involved).

``run(inputs)`` is what ``xlfactor demo`` prints, and what the tests compare the evaluated
workbook with: the same numbers reached by two routes (formulas through xlwings, and the core).
The expensive steps go through the spreadsheet functions' result caches (``excel.memo``): the demo's
printout and the workbook's cached values then compute each model once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core import cv, penalized, regression, risk
from ..core.backtest import BacktestResult
from ..core.rolling import RollingResult
from ..excel import memo
from .dataset import Dataset, french
from .template import Inputs


@dataclass
class Results:
    inputs: Inputs
    months: np.ndarray  # YYYYMM of the window
    rf: np.ndarray  # risk-free rate over the window
    market: np.ndarray  # market excess return (the first factor) over the window
    returns: np.ndarray  # asset total returns over the window
    factors: np.ndarray  # selected factors over the window
    factor_names: list[str]
    asset_names: list[str]
    capm: regression.CapmResult
    ols: regression.RegressionResult
    collinearity: regression.Collinearity
    grs: regression.GRSResult
    method_cv: cv.CVResult | None  # CV of the lambda method (charted on the Lambda sheet); None: OLS_ONLY
    lambda_min: float  # of the lambda method
    lambda_1se: float
    lambda_lasso: float
    lambda_ridge: float
    ridge: penalized.PenalizedResult
    lasso: penalized.PenalizedResult
    risk_loadings: (
        np.ndarray
    )  # (assets, factors): the loadings chosen on Start (ols, ridge or lasso), used by the risk model
    factor_cov: np.ndarray
    specific_var: np.ndarray
    allocation: risk.AllocationResult
    backtest: BacktestResult  # the Backtest sheet
    rolling_beta: RollingResult  # the CAPM on the backtest's windows
    periods_per_year: int = 12

    @property
    def excess(self) -> np.ndarray:
        return self.returns - self.rf[:, None]

    def volatility(self, periods_per_year: int | None = None) -> tuple[float, float]:
        """(predicted, realised) volatility of the allocated portfolio's excess return, annualised, in sample.

        Predicted from the factor model (sqrt(w'(BFB'+D)w)); realised is the standard deviation (ddof 1) of
        the portfolio's excess returns over the months where every asset has one.
        """
        periods_per_year = periods_per_year or self.periods_per_year
        y = self.excess[np.isfinite(self.excess).all(axis=1)]
        w = self.allocation.weights
        return (
            float(self.allocation.volatility * np.sqrt(periods_per_year)),
            float(np.std(y @ w, ddof=1) * np.sqrt(periods_per_year)),
        )

    def table(self, what: str) -> pd.DataFrame:
        """Labelled tables for printing: capm, lasso, ridge, ols, weights, factor_risk."""
        a, f = self.asset_names, self.factor_names
        if what == "capm":
            c = self.capm
            return pd.DataFrame(
                {
                    "alpha": c.alpha,
                    "beta": c.beta,
                    "t(alpha)": c.tstat_alpha,
                    "t(beta)": c.tstat_beta,
                    "R2": c.r2,
                    "CAPM E[R]": c.expected_return,
                    "mean": c.mean_return,
                },
                index=a,
            )
        if what in ("lasso", "ridge"):
            return pd.DataFrame(getattr(self, what).loadings[0].T, index=f, columns=a)
        if what == "ols":
            return pd.DataFrame(self.ols.loadings.T, index=f, columns=a)
        if what == "weights":
            al = self.allocation
            return pd.DataFrame({"weight": al.weights, "risk share": al.contributions}, index=a)
        if what == "factor_risk":
            return pd.DataFrame({"share of variance": self.allocation.risk.factor_percent}, index=[*f, "Specific"])
        raise ValueError(f"unknown table {what!r}")


def window(inputs: Inputs, data: Dataset | None = None):
    """(periods, rf, selected factors, market excess, asset total returns, factor names, asset names) of the window."""
    data = data or french()
    inputs = inputs.resolve(data)
    keep = (data.periods >= inputs.start) & (data.periods <= inputs.end)
    use = np.array(inputs.use_factors, dtype=bool)
    return (
        data.periods[keep],
        data.rf[keep],
        data.factors[keep][:, use],
        data.market[keep],
        data.returns[keep],
        [n for n, u in zip(data.factor_names, use, strict=True) if u],
        list(data.asset_names),
    )


OLS_ONLY = "no factor is penalised (penalty weights 0), so ridge and lasso are OLS: lambda cross-validation skipped"
BACKTEST_ALLOC = {"factor": "erc"}  # the Backtest sheet's allocation: factor budgeting is too slow at every rebalance


def run(inputs: Inputs | None = None, progress=None, data: Dataset | None = None) -> Results:
    """The whole procedure on ``data`` (default: the shipped data); ``progress(step, total, message)`` before each step."""
    data = data or french()
    inputs = (inputs or Inputs()).resolve(data)
    say = progress or (lambda *a: None)
    say(1, 7, "selecting the sample window and the factors")
    months, rf, f, m, r, fnames, anames = window(inputs, data)
    y = r - rf[:, None]
    say(2, 7, "market model (CAPM) and factor regressions")
    capm = regression.capm(y, m, lags=inputs.lags, asset_names=anames)  # excess returns on the market's excess return
    ols = regression.ols(y, f, asset_names=anames, factor_names=fnames)
    weights = inputs.selected(inputs.penalty_weights)
    pen = dict(standardize=bool(inputs.standardize), penalty_weights=weights)
    method_cv: cv.CVResult | None = None
    if not any(float(w) > 0 for w in weights):  # e.g. the market alone, unpenalised (CAPM): no penalty to choose
        say(3, 7, OLS_ONLY)
        lam_min = lam_1se = lam_lasso = lam_ridge = 0.0
        pen = dict(standardize=bool(inputs.standardize), penalty_weights=[1.0] * len(weights))  # at lambda 0: OLS
    else:
        say(3, 7, "cross-validating lambda (lasso and ridge)")
        opts = dict(folds=inputs.folds, scheme=inputs.scheme, gap=inputs.gap, pooled=True, asset_names=anames, **pen)
        lasso_cv = memo.cross_validate(y, f, method="lasso", **opts)
        ridge_cv = memo.cross_validate(y, f, method="ridge", **opts)
        method_cv = ridge_cv if inputs.method.lower() == "ridge" else lasso_cv
        lam_min, lam_1se = method_cv.pooled_lambda("min"), method_cv.pooled_lambda("1se")
        lam_lasso, lam_ridge = lasso_cv.pooled_lambda(inputs.rule), ridge_cv.pooled_lambda(inputs.rule)
    say(4, 7, "ridge and lasso loadings at the chosen lambdas")
    ridge = memo.fit(y, f, [lam_ridge], method="ridge", **pen)
    lasso = memo.fit(y, f, [lam_lasso], method="lasso", **pen)
    say(5, 7, "factor covariance and specific variances")
    cov_options = inputs.cov_options()  # Start's half-life and Barra-style options, each only where the method reads it
    cov = risk.factor_covariance(f, inputs.cov_method, **cov_options)
    loadings = {"ols": ols.loadings, "ridge": ridge.loadings[0], "lasso": lasso.loadings[0]}[inputs.loadings.lower()]
    spec = risk.shrink_specific(risk.specific_variance(y, f, loadings), inputs.specific_shrink)
    say(6, 7, f"risk allocation ({inputs.risk_method})")
    model = risk.FactorModel.from_arrays(loadings, cov, spec)
    method = inputs.risk_method.lower()
    budgets: Sequence[float] | None = None
    if method == "budget":
        budgets = inputs.asset_budgets
    elif method == "factor":
        budgets = inputs.selected(inputs.factor_budgets)
    target_vol = inputs.target_vol_period if method == "targetvol" else None  # the others ignore it: refused
    allocation = risk.allocate(method, model=model, budgets=budgets, target_vol=target_vol)
    say(7, 7, f"walk-forward backtest ({inputs.bt_window}-{data.period_word} windows, every {inputs.bt_step})")
    walk = memo.backtest(
        y,
        f,
        inputs.bt_window,
        step=inputs.bt_step,
        alloc=BACKTEST_ALLOC.get(method, method),
        budgets=budgets if method == "budget" else None,
        target_vol=target_vol,
        folds=inputs.folds,
        scheme=inputs.scheme,
        rule=inputs.rule,
        cov_method=inputs.cov_method,
        **cov_options,
        specific_shrink=inputs.specific_shrink,
        periods_per_year=inputs.periods_per_year,
    )
    betas = memo.rolling_windows(y, m[:, None], inputs.bt_window, step=inputs.bt_step)
    complete = np.isfinite(y).all(axis=1)
    assert inputs.periods_per_year is not None  # resolved above
    return Results(
        inputs=inputs,
        months=months,
        rf=rf,
        market=m,
        returns=r,
        factors=f,
        factor_names=fnames,
        asset_names=anames,
        capm=capm,
        ols=ols,
        collinearity=regression.collinearity(f),
        grs=regression.grs(y[complete], f[complete]),
        method_cv=method_cv,
        lambda_min=lam_min,
        lambda_1se=lam_1se,
        lambda_lasso=lam_lasso,
        lambda_ridge=lam_ridge,
        ridge=ridge,
        lasso=lasso,
        risk_loadings=loadings,
        factor_cov=cov,
        specific_var=spec,
        allocation=allocation,
        periods_per_year=inputs.periods_per_year,
        backtest=walk,
        rolling_beta=betas,
    )
