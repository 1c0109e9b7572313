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

    Attributes
    ----------
    coef, stderr : ndarray, shape (N, 1 + K)
        Intercept and loadings per asset, and their standard errors.
    resid_ss, total_ss : ndarray, shape (N,)
        Residual and total (centred) sums of squares.
    factor_ss : ndarray, shape (N, K)
        Each factor's part of the explained sum of squares.
    nobs : ndarray of int, shape (N,)
        Rows used per asset.
    cov_type : {"classic", "hac"}
        The standard errors' kind.
    lags : int or None
        Newey-West lags when ``cov_type`` is "hac".

    Derived (properties): ``intercept``, ``loadings``, ``tstat``, ``pvalues``, ``df_resid``, ``r2``,
    ``adj_r2``, ``resid_vol`` and ``risk`` (a ``RiskSplit``).

    Examples
    --------
    >>> import numpy as np
    >>> from xlfactor import ols
    >>> x = np.array([0.01, -0.02, 0.03, 0.00, -0.01, 0.02])
    >>> e = np.array([0.001, -0.002, 0.0, 0.002, -0.001, 0.0])
    >>> fit = ols(np.column_stack([0.002 + 1.5 * x + e, -0.001 + 0.5 * x - e]), x)
    >>> fit.tstat.round(2).tolist()
    [[3.05, 45.55], [-1.38, 13.83]]
    >>> print(fit.r2.round(4), fit.adj_r2.round(4), fit.resid_vol.round(5))
    [0.9981 0.9795] [0.9976 0.9744] [0.00141 0.00141]
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
    def risk(self) -> RiskSplit:
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
    systematic variance (can be negative when factors are correlated). Every variance divides by
    n - 1, so ``total_var == systematic_var + specific_var`` holds exactly.

    Attributes
    ----------
    total_var, specific_var : ndarray, shape (N,)
        Each asset's variance and its residual variance, per period.
    factor_var : ndarray, shape (N, K)
        Each factor's part of the systematic variance.

    Derived (properties): ``systematic_var``, ``r2`` and the volatilities ``total_vol``,
    ``systematic_vol``, ``specific_vol``.

    Examples
    --------
    >>> import numpy as np
    >>> from xlfactor import ols
    >>> x = np.array([0.01, -0.02, 0.03, 0.00, -0.01, 0.02])
    >>> e = np.array([0.001, -0.002, 0.0, 0.002, -0.001, 0.0])
    >>> fit = ols(np.column_stack([0.002 + 1.5 * x + e, -0.001 + 0.5 * x - e]), x)
    >>> split = fit.risk
    >>> print(split.r2.round(4), np.allclose(split.total_var, split.systematic_var + split.specific_var))
    [0.9981 0.9795] True
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

    Attributes
    ----------
    fit : RegressionResult
        The regression of excess returns on the market's excess return.
    mean_return : ndarray, shape (N,)
        Historical mean of each asset's total return over the rows it used.
    mean_rf, mean_premium : ndarray, shape (N,)
        Mean risk-free rate and mean market excess return over the same rows.
    traded : bool
        Whether the market is a return; if not, ``expected_return`` is refused and ``alpha`` is an intercept.

    Derived (properties): ``alpha``, ``beta``, ``tstat_alpha``, ``tstat_beta``, ``r2``, ``resid_vol``,
    ``nobs``, ``blume_beta`` (2/3 beta + 1/3) and ``expected_return``.

    Examples
    --------
    >>> import numpy as np
    >>> from xlfactor import capm
    >>> m = np.array([0.011, -0.019, 0.031, 0.001, -0.009, 0.021])  # the market's total return
    >>> e = np.array([0.001, -0.002, 0.0, 0.002, -0.001, 0.0])
    >>> fit = capm(np.column_stack([0.003 + 1.5 * m + e, 0.5 * m - e]), m, rf=0.001)
    >>> print(fit.beta.round(3), fit.blume_beta.round(3))
    [1.534 0.466] [1.356 0.644]
    >>> np.allclose(fit.mean_return - fit.expected_return, fit.alpha)
    True
    """

    fit: RegressionResult
    mean_return: FloatArray  # (n_assets,) historical mean of the raw return
    mean_rf: FloatArray  # (n_assets,) mean risk-free rate over the same rows
    mean_premium: FloatArray  # (n_assets,) mean market excess return over the same rows
    traded: bool = True  # the market is a return; False: beta only (no CAPM expected return, alpha no pricing error)

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
    def vasicek_beta(self) -> FloatArray:
        """Vasicek's (1973) Bayesian beta: ``w b + (1 - w) b_bar`` with ``w = s2 / (s2 + se^2)``, the prior being
        the cross-section of estimated betas (mean ``b_bar``, variance ``s2`` with ddof 1) and ``se`` each beta's
        standard error (HAC when the fit used lags). Precise betas move little, noisy ones most.

        Examples
        --------
        >>> import numpy as np
        >>> from xlfactor.core.regression import capm
        >>> rng = np.random.default_rng(0)
        >>> m = rng.normal(0.005, 0.04, 120)
        >>> y = np.outer(m, [0.5, 1.0, 1.5]) + rng.normal(0, 0.02, (120, 3))
        >>> c = capm(y, m)
        >>> bool(np.all(np.abs(c.vasicek_beta - c.beta.mean()) <= np.abs(c.beta - c.beta.mean())))
        True
        """
        se2 = self.fit.stderr[:, 1] ** 2
        ok = np.isfinite(self.beta)
        prior_mean = self.beta[ok].mean()
        prior_var = self.beta[ok].var(ddof=1) if ok.sum() > 1 else 0.0
        with np.errstate(invalid="ignore", divide="ignore"):
            w = np.where(prior_var + se2 > 0, prior_var / (prior_var + se2), 1.0)
        return w * self.beta + (1 - w) * prior_mean

    @property
    def expected_return(self) -> FloatArray:
        """CAPM expected return per period: rf + beta (E[R_m] - rf); refused for a market that is not traded."""
        from .shanken import require_traded

        require_traded([self.traded], 1, "the CAPM expected return", ["market"])
        return self.mean_rf + self.beta * self.mean_premium


@dataclass(frozen=True, eq=False)
class Collinearity:
    """Multicollinearity diagnostics of a factor set, on the rows where every factor is present.

    ``vif[k] = 1 / (1 - R²_k)`` from regressing factor k on the others with an intercept
    (the diagonal of the inverse correlation matrix); ``condition_number`` is
    ``sqrt(max eigenvalue / min eigenvalue)`` of the correlation matrix, the condition
    number of the standardised factors. Rules of thumb: VIF above 10 or a condition
    number above 30 signals harmful collinearity.

    Attributes
    ----------
    corr : ndarray, shape (K, K)
        Correlation matrix of the factors.
    vif : ndarray, shape (K,)
        Variance inflation factor of each factor (large when a factor is nearly a combination of others).
    condition_number : float
        Condition number of the standardised factors (exact collinearity raises ``CollinearityError`` instead).
    nobs : int
        Rows used (every factor present).

    Examples
    --------
    >>> import numpy as np
    >>> from xlfactor import collinearity
    >>> x = np.array([0.01, -0.02, 0.03, 0.00, -0.01, 0.02])
    >>> z = np.array([0.00, 0.01, -0.01, 0.02, 0.01, -0.02])
    >>> diag = collinearity(np.column_stack([x, 2 * x + z / 10, x ** 2]))  # the second nearly doubles the first
    >>> print(np.round(diag.vif, 1), round(diag.condition_number, 1), diag.nobs)
    [1690.4 1668.6    1.7] 90.5 6
    """

    corr: FloatArray  # (n_factors, n_factors)
    vif: FloatArray  # (n_factors,)
    condition_number: float
    nobs: int


@dataclass(frozen=True, eq=False)
class GRSResult:
    """Gibbons-Ross-Shanken (1989) test that every alpha is zero, on a balanced panel.

    Attributes
    ----------
    statistic : float
        The F statistic.
    pvalue : float
        Its p-value under F(``df_num``, ``df_den``).
    df_num, df_den : int
        Degrees of freedom: N, and T - N - K.
    alpha : ndarray, shape (N,)
        The alphas tested, per period.
    nobs : int
        The complete rows used, T.

    Examples
    --------
    >>> import numpy as np
    >>> from xlfactor import grs
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(0.005, 0.04, size=(120, 1))
    >>> y = f @ [[0.8, 1.2]] + rng.normal(0, 0.02, size=(120, 2))  # no alpha: the test should not reject
    >>> test = grs(y, f)
    >>> print(test.df_num, test.df_den, test.pvalue > 0.05)
    2 117 True
    """

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

    Attributes
    ----------
    premia, stderr : ndarray, shape (1 + K,)
        Mean period estimates (intercept first) and their standard errors.
    period_premia : ndarray, shape (T, 1 + K)
        Each period's cross-sectional estimates; NaN rows for the periods skipped.
    nperiods : int
        Periods whose cross-section could be estimated.
    lags : int or None
        Newey-West lags, or None for the plain standard deviation.
    shanken_factor : float or None
        ``1 + c`` of Shanken (1992) when the standard errors are corrected for the estimated betas
        (see ``shanken.py``), else None.

    Derived (properties): ``tstat`` and ``pvalues`` (Student t with ``nperiods - 1`` degrees of freedom).

    Examples
    --------
    >>> import numpy as np
    >>> from xlfactor import fama_macbeth
    >>> beta = np.array([0.5, 1.0, 1.5, 2.0])
    >>> rng = np.random.default_rng(1)
    >>> returns = 0.002 + 0.004 * beta + rng.normal(0, 0.001, size=(60, 4))  # a premium of 0.4% per unit
    >>> fm = fama_macbeth(returns, beta[:, None])
    >>> print(fm.premia.round(3), fm.nperiods)
    [0.002 0.004] 60
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
