"""Factor models for spreadsheets, backed by a tested numpy core.

The public Python API: numpy arrays in (periods down rows, one column per asset or factor), frozen
result dataclasses out; ``xlfactor.frames`` gives the same with labelled pandas tables. This module never
imports xlwings; the Excel functions live in ``xlfactor.excel.udfs``. How the package is built:
``docs/architecture.md``.

Examples
--------
>>> import xlfactor as xf
>>> data = xf.load_french()
>>> excess = data.industries.sub(data.rf, axis=0).loc["1963-07":]
>>> fit = xf.ols(excess.to_numpy(), data.factors.loc["1963-07":].to_numpy())
>>> print(fit.r2.round(2))
[0.69 0.73 0.88 0.47 0.75 0.81 0.59 0.42 0.75 0.63 0.84 0.89]
"""

# ruff: noqa: F405 - the names of __all__ come from _api, by the star import that type checkers read

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the names, for type checkers; at run time loaded on first use (__getattr__ below)
    from ._api import *  # noqa: F403

__version__ = "0.1.0"

__all__ = [
    "frames",
    "load_french",
    "ols",
    "capm",
    "collinearity",
    "grs",
    "fama_macbeth",
    "ridge",
    "lasso",
    "elastic_net",
    "cross_validate",
    "splits",
    "rolling",
    "windows",
    "RollingResult",
    "backtest",
    "BacktestResult",
    "PenalizedResult",
    "factor_covariance",
    "specific_variance",
    "FactorModel",
    "risk_contributions",
    "allocate",
    "RiskContributions",
    "AllocationResult",
    "CVResult",
    "pca",
    "factor_count",
    "latent_vs_named",
    "latent_risk_model",
    "rolling_latent",
    "PCAResult",
    "FactorCount",
    "LatentVsNamed",
    "RegressionResult",
    "RiskSplit",
    "CapmResult",
    "Collinearity",
    "GRSResult",
    "FamaMacBethResult",
    "XLFactorError",
    "InputShapeError",
    "InputValueError",
    "InsufficientDataError",
    "CollinearityError",
    "ConvergenceError",
    # macro-economic and fundamental factor models
    "load_macro",
    "risk_premia",
    "two_pass",
    "gmm",
    "PremiaResult",
    "mimicking",
    "MimickingResult",
    "compound",
    "align",
    "Compounded",
    "fundamental",
    "FundamentalResult",
]


def __getattr__(name: str):
    """Load the API on first use of one of its names (``_api``): ``import xlfactor`` alone imports none of its
    dependencies, so the command line's ``--version`` and the Excel server's processes start faster."""
    if name not in __all__:
        raise AttributeError(f"module 'xlfactor' has no attribute {name!r}")
    from . import _api

    public = {n: getattr(_api, n) for n in __all__}
    globals().update(public)
    return public[name]


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
