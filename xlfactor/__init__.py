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

from . import frames
from .core.backtest import BacktestResult, backtest
from .core.cv import CVResult, cross_validate, splits
from .core.frequency import Compounded, align, compound
from .core.fundamental import FundamentalResult, fundamental
from .core.mimicking import MimickingResult, mimicking
from .core.penalized import PenalizedResult, elastic_net, lasso, ridge
from .core.premia import PremiaResult, two_pass  # macro-economic and fundamental models
from .core.premia import estimate as risk_premia
from .core.premia_gmm import gmm
from .core.regression import capm, collinearity, fama_macbeth, grs, ols
from .core.results import CapmResult, Collinearity, FamaMacBethResult, GRSResult, RegressionResult, RiskSplit
from .core.risk import (
    AllocationResult,
    FactorModel,
    RiskContributions,
    allocate,
    factor_covariance,
    risk_contributions,
    specific_variance,
)
from .core.rolling import RollingResult, rolling, windows
from .core.statistical import (
    FactorCount,
    LatentVsNamed,
    PCAResult,
    factor_count,
    latent_risk_model,
    latent_vs_named,
    pca,
    rolling_latent,
)
from .data import load_french
from .data.macro import load_macro
from .errors import (
    CollinearityError,
    ConvergenceError,
    InputShapeError,
    InputValueError,
    InsufficientDataError,
    XLFactorError,
)

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
