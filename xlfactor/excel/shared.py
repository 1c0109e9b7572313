"""Argument groups several spreadsheet functions share, read from cells and validated (blanks: the defaults).

A function module (``udfs`` or a topic's ``fn_<topic>``) reads e.g. the penalty options with
``shared.penalty_options(x, standardize, penalty_weights, l1_ratio, method)``. Every given argument is
validated first, then refused when the chosen method ignores it (``coerce.unused``, ``risk.check_used``), as the
core refuses it.
"""

from __future__ import annotations

import numpy as np

from ..core import options, risk
from ..errors import InputShapeError, InputValueError
from . import coerce as cells


def market_is(value) -> str:
    """total or excess (``options.MARKET_KINDS``): whether rf is subtracted from the market too."""
    return cells.option(value, options.MARKET_KINDS, "market_is", options.DEFAULTS["market_is"])


def factor_model(loadings, factor_covariance, specific_variance) -> risk.FactorModel:
    """The factor risk model from its three ranges (loadings: factor rows x asset columns)."""
    return risk.FactorModel.from_arrays(
        cells.table(loadings, "loadings").T,
        cells.table(factor_covariance, "factor_covariance"),
        cells.series(specific_variance, "specific_variance"),
    )


def one_lambda(value, name: str) -> float:
    """A required penalty lambda >= 0."""
    lam = cells.number(value, name, None, low=0.0)
    if lam is None:
        raise InputValueError(f"{name} is required: a number >= 0 (CV_LAMBDA chooses one).")
    return lam


def penalty_options(x, standardize, penalty_weights, l1_ratio, method) -> dict:
    """The options every penalised function shares, validated, blanks resolved to the defaults (options.DEFAULTS)."""
    weights = (
        options.market_first_weights(x.shape[1])
        if cells.blank(penalty_weights)
        else options.check_weights(cells.series(penalty_weights, "penalty_weights"), x.shape[1])
    )
    ratio = cells.number(l1_ratio, "l1_ratio", options.DEFAULTS["l1_ratio"], low=0.0, high=1.0, low_open=True)
    return {
        "standardize": cells.flag(standardize, "standardize", options.DEFAULTS["standardize"]),
        "penalty_weights": weights,
        "l1_ratio": ratio if method == "enet" else None,
    }


def cv_options(folds, scheme) -> dict:
    """Folds and scheme from cells, blanks the defaults: what every cross-validating function takes."""
    return {
        "folds": cells.count(folds, "folds", options.DEFAULTS["folds"], minimum=2),
        "scheme": cells.option(scheme, options.SCHEMES, "scheme", options.DEFAULTS["scheme"]),
    }


def rule(value) -> str:
    """The rule choosing lambda from the cross-validation curve (blank: the default)."""
    return cells.option(value, options.RULES, "rule", options.DEFAULTS["rule"])


def alloc_options(
    chosen: str, selector: str, budgets, target_vol, n_assets: int, n_factors: int, base: str | None = None
) -> dict:
    """Budgets and target volatility, validated whatever the allocation, then refused when the allocation
    ``chosen`` (the argument ``selector``; its ``base`` for targetvol) does not read them, chosen or left blank:
    ``risk.check_used``, in ``options.ignored``'s words."""
    b = None if cells.blank(budgets) else cells.series(budgets, "budgets")
    if b is not None and b.size == n_assets:
        risk.check_budgets(b, n_assets, "assets")
    elif b is not None and b.size in (n_factors, n_factors + 1):
        risk.check_budgets(b, b.size, "factors")
    elif b is not None:
        raise InputShapeError(
            f"budgets has {b.size} values; give one per asset ({n_assets}) for {selector} budget, "
            f"or one per factor ({n_factors}, or {n_factors + 1} with specific risk) for {selector} "
            "factor."
        )
    vol = cells.number(target_vol, "target_vol", None, low=0.0, low_open=True)
    risk.check_used(chosen, b, vol, base, selector)
    return {"budgets": b, "target_vol": vol}


def cov_options(halflife, corr_halflife, nw_lags, regime_halflife, halflife_default: float | None = None) -> dict:
    """The factor covariance's options, validated, blanks (and "") resolved: keyword arguments of
    ``risk.factor_covariance`` and ``backtest``. None is dropped: an option the chosen method does not read is
    refused by the core (``risk.check_cov_used``, in ``options.ignored``'s words), whether the method was chosen
    or left blank; the template passes each only where its method reads it."""

    def life(value, name, default=None):
        return cells.number(value, name, default, low=0.0, low_open=True)

    return {
        "halflife": life(halflife, "halflife", halflife_default),
        "corr_halflife": life(corr_halflife, "corr_halflife"),
        "nw_lags": cells.count(nw_lags, "nw_lags", options.DEFAULTS["nw_lags"]) or 0,
        "regime_halflife": life(regime_halflife, "regime_halflife"),
    }


def labelled(values: np.ndarray, rows: np.ndarray, periods, n_rows: int) -> list[list]:
    """A per-window (or per-period) block, with the period of each row first when ``periods`` is given."""
    if cells.blank(periods):
        return cells.block(values)
    return cells.block(np.column_stack([cells.labels(periods, "periods", n_rows)[rows], values]))


def windows(window, every, expanding) -> dict:
    """Window size (required), step between window ends and expanding, as rolling.rolling takes them."""
    size = cells.count(window, "window", None, minimum=2)
    if size is None:
        raise InputValueError("window is required: the number of periods in each estimation window, e.g. 60.")
    return {
        "window": size,
        "step": cells.count(every, "every", 1, minimum=1),
        "expanding": cells.flag(expanding, "expanding"),
    }


def model_names(models) -> tuple[str, ...]:
    """The backtest's risk models: names in a row or comma-separated (also the latent ones); blank: all named ones."""
    if cells.blank(models):
        return options.BACKTEST_MODELS
    known = options.BACKTEST_MODELS + options.BACKTEST_LATENT
    return tuple(cells.option(n, known, "models", options.BACKTEST_MODELS[-1]) for n in cells.words(models, "models"))
