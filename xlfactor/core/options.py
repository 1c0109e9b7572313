"""Every option's name, allowed values and default: the one place that the core, the CLI's arguments,
the Excel functions' help texts and the template's Start sheet (labels and drop-downs) read.

A new scheme, rule or method is one edit here. Choices of the defaults:

- rule ``min``: the lambda with the lowest cross-validated error (scikit-learn's ``LassoCV.alpha_``, glmnet's
  ``lambda.min``). On contiguous time blocks the fold errors differ by volatility regime, so the standard error
  of the mean fold error is large (about 20% of it on the shipped data) and the 1-SE rule accepts a much
  worse pooled error. ``1se_paired`` measures the standard error on the fold-wise differences from the
  minimum instead, which removes the regime effect; ``1se`` (the textbook rule) stays available.
- low-volatility factor from the ``size_value`` portfolios: built from the 12 industries it would explain
  them partly by construction; the industries remain a choice.
- pooled loss ``sum``: the lambda that predicts the assets' returns best in total; ``normalized`` divides each
  asset's error by its variance first, so that volatile assets do not decide for all.
- covariance ``sample``: with a handful of factors over hundreds of periods the sample covariance is well
  conditioned, and it is the one against which in-sample risk is exact; ``ewma`` and ``ledoitwolf`` on request.
- market penalty weight 0: penalising the market shrinks industry betas from about 0.9 to 0.6 and turns
  the market variance they lose into "specific" risk that the model treats as uncorrelated, so the model
  under-predicts its own portfolio's volatility (ERC on the shipped data: 11.1% predicted, 14.0% realised);
  with the market unpenalised (glmnet's ``penalty.factor`` 0) prediction and outcome agree (14.2% vs 14.1%).
"""

from __future__ import annotations

SCHEMES = ("blocked", "walkforward", "kfold")
RULES = ("min", "1se", "1se_paired")  # 1se_paired: one standard error of the fold-wise differences from the minimum
POOLED_LOSSES = ("sum", "normalized")
LOW_VOL_SOURCES = ("size_value", "industries")  # the portfolios the shipped low-volatility factor is built from  # a pooled lambda minimises the error summed over assets, or each over its variance
METHODS = ("ridge", "lasso", "enet")  # penalised fits
LOADINGS = ("ols", "ridge", "lasso")  # what feeds the risk model
COV_METHODS = ("sample", "ewma", "ledoitwolf")
ALLOC_METHODS = ("erc", "budget", "invvol", "factor", "minvar", "targetvol")
# the backtest's risk models: OLS; ridge and lasso with every factor penalised; the lasso with the market free
BACKTEST_MODELS = ("ols", "ridge", "lasso", "lasso_market_free")
PREMIA_METHODS = ("twopass", "gmm")  # risk premia: two-pass regressions, or two-step efficient GMM
PREMIA_SE = ("shanken", "plain", "robust")  # two-pass standard errors (GMM's are robust)
FREQUENCIES = ("quarter", "year")  # what monthly returns compound to, to meet a slower series

DEFAULTS = {
    "method": "lasso",
    "folds": 5,
    "scheme": "blocked",
    "gap": 0,
    "rule": "min",
    "pooled_loss": "sum",
    "l1_ratio": 0.5,  # elastic net
    "standardize": False,
    "market_weight": 0.0,  # penalty weight of the market (the first factor); every other factor 1
    "loadings": "lasso",
    "lags": 6,
    "cov_method": "sample",
    "halflife": 36.0,
    "risk_method": "erc",
    "low_vol_from": "size_value",
    "premia_method": "twopass",
    "premia_se": "shanken",  # betas are estimated: without the correction the premia's t-stats are overstated
    "frequency": "quarter",
}
CHOICES = {"method": METHODS, "scheme": SCHEMES, "rule": RULES, "loadings": LOADINGS, "cov_method": COV_METHODS,
           "risk_method": ALLOC_METHODS, "pooled_loss": POOLED_LOSSES, "low_vol_from": LOW_VOL_SOURCES,
           "premia_method": PREMIA_METHODS, "premia_se": PREMIA_SE, "frequency": FREQUENCIES}


def market_first_weights(n_factors: int, market_weight: float | None = None) -> list[float]:
    """Penalty weights with the market (the first factor) at ``market_weight`` (default 0) and the others 1."""
    w = DEFAULTS["market_weight"] if market_weight is None else float(market_weight)
    return [w] + [1.0] * (n_factors - 1)


def describe(key: str) -> str:
    """'blocked (default), walkforward or kfold': an option's choices for help texts and labels."""
    names = [f"{c} (default)" if c == DEFAULTS[key] else c for c in CHOICES[key]]
    return ", ".join(names[:-1]) + " or " + names[-1]
