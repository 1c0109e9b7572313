"""xlfactor: factor models for spreadsheets, backed by a tested numpy core.

The public Python API. This module never imports xlwings; the Excel functions live in
``xlfactor.excel.udfs``.
"""

from . import frames
from .core.cv import CVResult, cross_validate, splits
from .core.penalized import PenalizedResult, elastic_net, lasso, ridge
from .core.regression import capm, collinearity, fama_macbeth, grs, ols
from .core.backtest import BacktestResult, backtest
from .core.rolling import RollingResult, rolling, windows
from .core.risk import (
    AllocationResult,
    FactorModel,
    RiskContributions,
    allocate,
    factor_covariance,
    risk_contributions,
    specific_variance,
)
from .core.results import CapmResult, Collinearity, FamaMacBethResult, GRSResult, RegressionResult, RiskSplit
from .data import load_french
from .core.premia import PremiaResult, two_pass, estimate as risk_premia  # macro-economic and fundamental models
from .core.premia_gmm import gmm
from .core.mimicking import MimickingResult, mimicking
from .core.frequency import Compounded, align, compound
from .core.fundamental import FundamentalResult, fundamental
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
