"""Result objects of the core: frozen dataclasses of numpy arrays; derived values are properties."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

FloatArray = np.ndarray
IntArray = np.ndarray


@dataclass(frozen=True, eq=False)
class RegressionResult:
    """Time-series regression of asset returns on factor returns (one row per asset).

    ``coef`` and ``stderr`` hold the intercept (alpha) in column 0 and the loadings after it.
    ``factor_ss`` splits the explained sum of squares by factor (Euler: ``b_k (X_c'X_c b)_k``).
    Standard errors are classic OLS, or Newey-West (Bartlett kernel, ``lags``) when
    ``cov_type == "hac"``, as statsmodels ``cov_type="HAC"`` without small-sample correction.
    """

    coef: FloatArray  # (n_assets, 1 + n_factors)
    stderr: FloatArray  # (n_assets, 1 + n_factors)
    resid_ss: FloatArray  # (n_assets,)
    total_ss: FloatArray  # (n_assets,)
    factor_ss: FloatArray  # (n_assets, n_factors)
    nobs: IntArray  # (n_assets,) rows used per asset
    cov_type: str = "classic"
    lags: int | None = None

    @property
    def n_factors(self) -> int:
        return self.coef.shape[1] - 1

    @property
    def intercept(self) -> FloatArray:
        """Alpha of each asset, per period."""
        return self.coef[:, 0]

    @property
    def loadings(self) -> FloatArray:
        """Loadings (betas), (n_assets, n_factors)."""
        return self.coef[:, 1:]

    @property
    def tstat(self) -> FloatArray:
        """t-statistics of intercept and loadings, shaped like ``coef``."""
        return self.coef / self.stderr

    @property
    def df_resid(self) -> IntArray:
        return self.nobs - self.n_factors - 1

    @property
    def pvalues(self) -> FloatArray:
        """Two-sided p-values: Student t with ``df_resid`` (classic), normal (HAC), as statsmodels."""
        t = np.abs(self.tstat)
        if self.cov_type == "hac":
            return 2 * stats.norm.sf(t)
        return 2 * stats.t.sf(t, self.df_resid[:, None])

    @property
    def r2(self) -> FloatArray:
        """Share of each asset's variance explained by the factors."""
        return 1.0 - self.resid_ss / self.total_ss

    @property
    def adj_r2(self) -> FloatArray:
        return 1.0 - (self.resid_ss / self.df_resid) / (self.total_ss / (self.nobs - 1))

    @property
    def resid_vol(self) -> FloatArray:
        """Standard error of the regression, sqrt(RSS / (n - K - 1)), per period."""
        return np.sqrt(self.resid_ss / self.df_resid)

    @property
    def risk(self) -> "RiskSplit":
        """Total, systematic and specific variance with one denominator (n - 1)."""
        d = self.nobs - 1
        return RiskSplit(
            total_var=self.total_ss / d,
            specific_var=self.resid_ss / d,
            factor_var=self.factor_ss / d[:, None],
        )


@dataclass(frozen=True, eq=False)
class RiskSplit:
    """Per-asset variance split: total = systematic + specific, systematic = sum of factor parts.

    ``factor_var[i, k] = b_ik (Cov(F) b_i)_k``: factor k's Euler contribution to asset i's
    systematic variance (can be negative when factors are correlated).
    """

    total_var: FloatArray  # (n_assets,)
    specific_var: FloatArray  # (n_assets,)
    factor_var: FloatArray  # (n_assets, n_factors)

    @property
    def systematic_var(self) -> FloatArray:
        return self.factor_var.sum(axis=1)

    @property
    def r2(self) -> FloatArray:
        return self.systematic_var / self.total_var

    @property
    def total_vol(self) -> FloatArray:
        return np.sqrt(self.total_var)

    @property
    def systematic_vol(self) -> FloatArray:
        return np.sqrt(self.systematic_var)

    @property
    def specific_vol(self) -> FloatArray:
        return np.sqrt(self.specific_var)


@dataclass(frozen=True, eq=False)
class CapmResult:
    """Market model on excess returns, with CAPM expected returns (alpha imposed to 0).

    Means are over the rows each asset's regression used, so that
    ``mean_return - expected_return == alpha`` exactly.
    """

    fit: RegressionResult
    mean_return: FloatArray  # (n_assets,) historical mean of the raw return
    mean_rf: FloatArray  # (n_assets,) mean risk-free rate over the same rows
    mean_premium: FloatArray  # (n_assets,) mean market excess return over the same rows

    @property
    def alpha(self) -> FloatArray:
        return self.fit.intercept

    @property
    def beta(self) -> FloatArray:
        return self.fit.loadings[:, 0]

    @property
    def tstat_alpha(self) -> FloatArray:
        return self.fit.tstat[:, 0]

    @property
    def tstat_beta(self) -> FloatArray:
        return self.fit.tstat[:, 1]

    @property
    def r2(self) -> FloatArray:
        return self.fit.r2

    @property
    def resid_vol(self) -> FloatArray:
        return self.fit.resid_vol

    @property
    def nobs(self) -> IntArray:
        return self.fit.nobs

    @property
    def blume_beta(self) -> FloatArray:
        """Blume's adjusted beta, 2/3 of the estimate plus 1/3 of 1: betas revert towards the market's."""
        return 2.0 / 3.0 * self.beta + 1.0 / 3.0

    @property
    def expected_return(self) -> FloatArray:
        """CAPM expected return per period: rf + beta (E[R_m] - rf)."""
        return self.mean_rf + self.beta * self.mean_premium


@dataclass(frozen=True, eq=False)
class Collinearity:
    """Multicollinearity diagnostics of a factor set, on the rows where every factor is present.

    ``vif[k] = 1 / (1 - R²_k)`` from regressing factor k on the others with an intercept
    (the diagonal of the inverse correlation matrix); ``condition_number`` is
    ``sqrt(max eigenvalue / min eigenvalue)`` of the correlation matrix, the condition
    number of the standardised factors. Rules of thumb: VIF above 10 or a condition
    number above 30 signals harmful collinearity.
    """

    corr: FloatArray  # (n_factors, n_factors)
    vif: FloatArray  # (n_factors,)
    condition_number: float
    nobs: int


@dataclass(frozen=True, eq=False)
class GRSResult:
    """Gibbons-Ross-Shanken (1989) test that every alpha is zero, on a balanced panel."""

    statistic: float
    pvalue: float
    df_num: int  # number of assets N
    df_den: int  # T - N - K
    alpha: FloatArray  # (n_assets,)
    nobs: int


@dataclass(frozen=True, eq=False)
class FamaMacBethResult:
    """Fama-MacBeth (1973) cross-sectional regressions: one per period, then averaged.

    Column 0 is the intercept (the zero-beta excess return); the others are the premia of the
    exposures. Standard errors are the standard deviation of the period estimates over
    sqrt(T), or Newey-West (Bartlett, ``lags``) on them, each divided by T - 1 as linearmodels'
    ``FamaMacBeth`` with ``debiased=True`` does.
    """

    premia: FloatArray  # (1 + n_exposures,)
    stderr: FloatArray  # (1 + n_exposures,)
    period_premia: FloatArray  # (n_periods, 1 + n_exposures), NaN rows for skipped periods
    nperiods: int  # periods whose cross-section could be estimated
    lags: int | None = None
    shanken_factor: float | None = None  # 1 + c when the standard errors are Shanken-corrected (shanken.py)

    @property
    def tstat(self) -> FloatArray:
        return self.premia / self.stderr

    @property
    def pvalues(self) -> FloatArray:
        """Two-sided p-values from Student t with T - 1 degrees of freedom."""
        return 2 * stats.t.sf(np.abs(self.tstat), self.nperiods - 1)
