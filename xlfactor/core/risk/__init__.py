"""Factor-model risk: covariance estimates, risk contributions and risk-budgeting portfolios.

The asset covariance of a factor model is ``S = B F B' + D`` (B loadings N x K, F factor
covariance K x K, D diagonal specific variances). ``FactorModel`` applies it to vectors in O(NK)
and solves with it through the Woodbury identity in O(NK^2), so it is never formed densely.

Modules: ``covariance`` (factor covariance, specific variance and their Barra-style adjustments),
``psd`` (a dense covariance's checks: symmetric, and the proof that it is PSD), ``model`` (the factor form,
dense form and risk contributions), ``allocation`` (``allocate``) and
``factor_budget`` (weights whose factor risk shares are nearest to budgets).
"""

from ..options import ALLOC_METHODS, COV_METHODS
from .allocation import BUDGET_METHODS, allocate, check_used
from .covariance import (
    check_cov_used,
    factor_covariance,
    newey_west,
    shrink_specific,
    specific_variance,
)
from .model import (
    AllocationResult,
    DenseCov,
    FactorModel,
    RiskContributions,
    check_budgets,
    risk_contributions,
)
from .psd import check_covariance

__all__ = [
    "ALLOC_METHODS",
    "BUDGET_METHODS",
    "COV_METHODS",
    "AllocationResult",
    "DenseCov",
    "FactorModel",
    "RiskContributions",
    "allocate",
    "check_budgets",
    "check_cov_used",
    "check_covariance",
    "check_used",
    "factor_covariance",
    "newey_west",
    "risk_contributions",
    "shrink_specific",
    "specific_variance",
]
