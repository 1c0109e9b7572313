"""The public Python API's imports, loaded on first use of a name of ``xlfactor`` (its ``__getattr__``).

``import xlfactor`` alone stays light (numpy, scipy, pandas and statsmodels are not loaded), so that ``xlfactor
--version``, ``xlfactor serve`` and its worker processes start without them. Importing this module imports
``frames``, whose ``labels`` give the core's result classes their repr, ``_repr_html_`` and ``to_frame``.
"""

# ruff: noqa: F401 - each import is a public name: xlfactor.__getattr__ reads them from here

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
