"""Risk premia of traded or non-traded factors: the two-pass estimator and GMM.

Pass 1 regresses each asset's returns (T x N) on the factors (T x K) with an intercept: betas B (N x K) and
residuals e. Pass 2 regresses the assets' mean returns on their betas across assets, ``mean(R) = X lam + alpha``
with ``X = B`` (excess returns, no intercept) or ``X = [1, B]`` (the intercept is the zero-beta rate).
Rows with any asset or factor missing are dropped for all (the estimators need a balanced panel).

Standard errors (``se``):

- ``plain``: ``V = (A S_e A' + S_f*) / T`` with ``A = (X'X)^-1 X'``, ``S_e`` the residual and ``S_f`` the factor
  covariance (both ddof 1; ``S_f*`` is ``S_f`` bordered with zeros for the intercept). It equals Fama-MacBeth's
  standard error with the full-sample betas held fixed (``fama_macbeth(returns, betas)``), which ignores that the
  betas are estimated.
- ``shanken``: Shanken (1992), ``V = ((1 + c) A S_e A' + S_f*) / T`` with ``c = lam' S_f^-1 lam`` over the factor
  premia: the errors-in-variables correction. ``1 + c`` is reported as ``shanken_factor``.
- ``robust``: the heteroskedasticity-robust GMM sandwich of the two passes' moment conditions (or Newey-West with
  ``lags``), debiased by ``T - K - 1``: linearmodels' ``LinearFactorModel.fit(cov_type="robust")``
  (``cov_type="kernel", kernel="bartlett", bandwidth=lags``).

The pricing errors ``alpha`` are tested jointly with ``J = alpha' V_alpha^+ alpha`` on ``N - K`` (``N - K - 1``
with an intercept) degrees of freedom, ``V_alpha^+`` the generalised inverse on the space orthogonal to ``X``.
For ``plain`` and ``shanken``, ``V_alpha = (1 + c) P S_e P' / T`` with ``P = I - X A`` (``c = 0`` for plain).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from ..errors import CollinearityError, InputValueError, InsufficientDataError
from . import _validation as v
from .least_squares import bartlett_weights
from .options import DEFAULTS, PREMIA_METHODS, PREMIA_SE
from .regression import ols
from .shanken import shanken_covariance


@dataclass(frozen=True, eq=False)
class PremiaResult:
    """Risk premia per period. With ``intercept`` the zero-beta rate comes first, then one premium per factor.

    Attributes
    ----------
    premia : ndarray, shape (K + intercept,)
        The zero-beta rate (with ``intercept``), then one premium per factor, per period.
    cov : ndarray, shape (K + intercept, K + intercept)
        Their covariance by ``se``; ``stderr``, ``tstat`` and ``pvalues`` derive from it.
    betas : ndarray, shape (N, K)
        Time-series betas (GMM's own for ``gmm``).
    alpha, alpha_cov : ndarray
        Pricing errors (mean return minus the fitted one, per asset) and their covariance.
    j_stat, j_df : float, int
        The joint test that every pricing error is zero (``j_pvalue``).
    r2 : float
        Cross-sectional R²: 1 - var(alpha) / var(mean returns) across assets.
    shanken_factor : float
        ``1 + lam' S_f^-1 lam`` at these premia: Shanken's scaling of the residual part of the variance.
    nobs : int
        Rows used (every asset and factor present).
    method, se : str
        ``twopass`` or ``gmm``; ``plain``, ``shanken`` or ``robust``.
    intercept : bool
        Whether a zero-beta rate was estimated.
    lags : int or None
        Newey-West lags of robust errors.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(0.0, 0.03, (300, 1))
    >>> r = 0.004 * np.linspace(0.5, 1.5, 5) + f @ np.linspace(0.5, 1.5, 5)[None, :] + rng.normal(0, 0.01, (300, 5))
    >>> res = two_pass(r, f)
    >>> res.premia.shape, res.j_df, res.se
    ((1,), 4, 'shanken')
    """

    premia: np.ndarray  # (K + intercept,)
    cov: np.ndarray  # (K + intercept, K + intercept)
    betas: np.ndarray  # (N, K) time-series betas
    alpha: np.ndarray  # (N,) pricing errors: mean return minus the premia's fitted return
    alpha_cov: np.ndarray  # (N, N)
    j_stat: float  # joint test that every pricing error is zero
    j_df: int
    r2: float  # cross-sectional R²: 1 - var(alpha) / var(mean returns) across assets
    shanken_factor: float  # 1 + lam' S_f^-1 lam
    nobs: int
    method: str
    se: str
    intercept: bool
    lags: int | None = None

    @property
    def stderr(self) -> np.ndarray:
        return np.sqrt(np.diag(self.cov))

    @property
    def tstat(self) -> np.ndarray:
        return self.premia / self.stderr

    @property
    def pvalues(self) -> np.ndarray:
        """Two-sided p-values from the normal distribution (large-sample, as linearmodels)."""
        return 2 * stats.norm.sf(np.abs(self.tstat))

    @property
    def j_pvalue(self) -> float:
        return float(stats.chi2.sf(self.j_stat, self.j_df)) if self.j_df > 0 else float("nan")


@dataclass(frozen=True, eq=False)
class _Panel:
    """The balanced panel and its first pass."""

    y: np.ndarray  # (T, N)
    f: np.ndarray  # (T, K)
    coef: np.ndarray  # (N, K + 1) intercept and betas
    resid: np.ndarray  # (T, N)
    x: np.ndarray  # (N, p) the cross-sectional design: betas, after a column of ones with an intercept

    @property
    def betas(self) -> np.ndarray:
        return self.coef[:, 1:]


def _panel(returns, factors, intercept: bool, factor_names: v.Names) -> _Panel:
    y = v.as_float_2d(returns, "returns")
    f = v.as_float_2d(factors, "factors")
    v.check_same_rows(y, f, "returns", "factors")
    keep = np.isfinite(y).all(axis=1) & np.isfinite(f).all(axis=1)
    y, f = y[keep], f[keep]
    t, n = y.shape
    k = f.shape[1]
    p = k + int(intercept)
    if n < p:
        raise InsufficientDataError(
            f"returns has {n} assets but {k} factor premia{' and a zero-beta rate' if intercept else ''} need at "
            f"least {p} assets in the cross-section; add assets or remove factors."
        )
    if t < k + 3:
        raise InsufficientDataError(
            f"returns and factors share {t} complete rows (every asset and factor present); {k} factor(s) need at "
            f"least {k + 3}. Remove assets with gaps or shorten the sample to where all are present."
        )
    fit = ols(y, f, factor_names=factor_names)
    resid = y - np.column_stack([np.ones(t), f]) @ fit.coef.T
    x = np.column_stack([np.ones(n), fit.loadings]) if intercept else fit.loadings
    _check_design(x, intercept, factor_names)
    return _Panel(y=y, f=f, coef=fit.coef, resid=resid, x=x)


def _check_design(x: np.ndarray, intercept: bool, factor_names: v.Names) -> None:
    """Reject betas that cannot separate the premia across assets (a column a combination of the others)."""
    scale = np.linalg.norm(x, axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    r = np.linalg.qr(x / scale, mode="r")
    tiny = np.flatnonzero(np.abs(np.diag(r)) <= 1e-10)
    if tiny.size:
        j = int(tiny[0]) - int(intercept)
        what = "the intercept" if j < 0 else f"the betas on factors {v.label('column', j, factor_names)}"
        raise CollinearityError(
            f"{what} {'are' if j >= 0 else 'is'} a linear combination of the other columns of the cross-section "
            f"(1 and the betas{'' if intercept else ', no intercept'}) across the {x.shape[0]} assets; the premia "
            "cannot be told apart. Add assets whose exposures differ, or remove that factor."
        )


def two_pass(
    returns: ArrayLike,
    factors: ArrayLike,
    *,
    intercept: bool = False,
    se: str | None = None,
    lags: int | None = None,
    factor_names: v.Names = None,
) -> PremiaResult:
    """Two-pass (Black-Jensen-Scholes / Fama-MacBeth with full-sample betas) risk premia.

    Parameters
    ----------
    returns : array_like
        T x N asset returns (excess returns when ``intercept`` is False).
    factors : array_like
        T x K factors, traded (returns) or not (e.g. GDP growth).
    intercept : bool
        Estimate a zero-beta rate (first premium) in the cross-section.
    se : str, optional
        ``shanken`` (default), ``plain`` or ``robust`` (see the module's docstring).
    lags : int, optional
        Newey-West lags of the ``robust`` covariance (Bartlett kernel).
    factor_names : sequence of str, optional
        Names used in error messages.

    Returns
    -------
    PremiaResult

    Raises
    ------
    InsufficientDataError
        Fewer assets than premia, or too few complete rows.
    CollinearityError
        Constant or collinear factors, or betas that cannot separate the premia.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(0.01, 0.04, (240, 1))
    >>> b = np.linspace(0.5, 1.5, 6)
    >>> r = f @ b[None, :] + rng.normal(0, 0.02, (240, 6))
    >>> res = two_pass(r, f)
    >>> res.premia.shape, res.se
    ((1,), 'shanken')
    """
    se = v.choose(se, PREMIA_SE, "se", str(DEFAULTS["premia_se"]))
    lags = _lags(lags, se)
    d = _panel(returns, factors, intercept, factor_names)
    t = d.y.shape[0]
    mean = d.y.mean(axis=0)
    a = np.linalg.pinv(d.x)  # (p, N) = (X'X)^-1 X' for a full-rank X
    lam = a @ mean
    alpha = mean - d.x @ lam
    k0 = int(intercept)
    s_f = np.atleast_2d(np.cov(d.f, rowvar=False))
    c = float(lam[k0:] @ np.linalg.solve(s_f, lam[k0:]))
    if se == "robust":
        cov, alpha_cov = _robust_cov(d, lam, alpha, lags)
    else:
        cov, alpha_cov = _shanken_cov(d, a, s_f, 0.0 if se == "plain" else c)
    j_stat, j_df = j_test(alpha, alpha_cov, d.x)
    return PremiaResult(
        premia=lam,
        cov=cov,
        betas=d.betas,
        alpha=alpha,
        alpha_cov=alpha_cov,
        j_stat=j_stat,
        j_df=j_df,
        r2=cross_sectional_r2(mean, alpha),
        shanken_factor=1.0 + c,
        nobs=t,
        method="twopass",
        se=se,
        intercept=intercept,
        lags=lags,
    )


def _lags(lags, se: str) -> int | None:
    if lags is None:
        return None
    if se != "robust":
        raise InputValueError(
            f"lags applies to se 'robust' (Newey-West); se is '{se}'. Leave lags blank or use se 'robust'."
        )
    return v.check_nonneg_int(lags, "lags")


def _shanken_cov(d: _Panel, a: np.ndarray, s_f: np.ndarray, c: float) -> tuple[np.ndarray, np.ndarray]:
    t = d.y.shape[0]
    s_e = d.resid.T @ d.resid / (t - 1)
    intercept = d.x.shape[1] > d.betas.shape[1]
    cov = shanken_covariance(a @ s_e @ a.T, s_f, c, t, intercept)
    proj = np.eye(d.x.shape[0]) - d.x @ a
    return cov, (1.0 + c) * proj @ s_e @ proj.T / t


def _long_run(g: np.ndarray, lags: int | None) -> np.ndarray:
    """``g'g / T`` (uncentred), plus Bartlett-weighted autocovariances with ``lags``."""
    s = g.T @ g
    if lags:
        for lag, w in enumerate(bartlett_weights(lags)[1:], start=1):
            o = g[lag:].T @ g[:-lag]
            s += w * (o + o.T)
    s /= g.shape[0]
    return (s + s.T) / 2


def _robust_cov(d: _Panel, lam: np.ndarray, alpha: np.ndarray, lags: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Sandwich ``G^-1 S G^-T / (T - K - 1)`` of the exactly identified moments of both passes.

    Moments per period: ``e_it [1, f_t]`` (pass 1, N(K+1)), ``X'(r_t - X lam)`` (pass 2, p) and
    ``r_t - X lam - alpha`` (N); parameters in the same order: intercepts and betas, lam, alpha.
    """
    t, n = d.y.shape
    k = d.f.shape[1]
    p = d.x.shape[1]
    k0 = p - k
    fc = np.column_stack([np.ones(t), d.f])
    err = d.y - (d.x @ lam)[None, :]
    g = np.column_stack(
        [(d.resid[:, :, None] * fc[:, None, :]).reshape(t, n * (k + 1)), err @ d.x, err - alpha[None, :]]
    )
    s1, s2 = n * (k + 1), n * (k + 1) + p
    jac = np.eye(s2 + n)
    jac[:s1, :s1] = np.kron(np.eye(n), fc.T @ fc / t)
    lam_f = lam[k0:]
    for i in range(n):  # d(moment)/d(betas of asset i), negated
        block = np.zeros((p, k + 1))
        block[:, 1:] = np.outer(d.x[i], lam_f)
        block[k0:, 1:] -= alpha[i] * np.eye(k)
        jac[s1:s2, i * (k + 1) : (i + 1) * (k + 1)] = block
        jac[s2 + i, i * (k + 1) + 1 : (i + 1) * (k + 1)] = lam_f
    jac[s1:s2, s1:s2] = d.x.T @ d.x
    jac[s2:, s1:s2] = d.x
    ji = np.linalg.inv(jac)
    cov = ji @ _long_run(g, lags) @ ji.T / (t - k - 1)
    cov = (cov + cov.T) / 2
    return cov[s1:s2, s1:s2], cov[s2:, s2:]


def j_test(alpha: np.ndarray, alpha_cov: np.ndarray, x: np.ndarray) -> tuple[float, int]:
    """``alpha' V^+ alpha`` with ``V^+`` the inverse of ``V`` on the space orthogonal to the columns of ``x``.

    NaN when that covariance is singular (too few periods for the number of assets).
    """
    n, p = x.shape
    df = n - p
    if df == 0:
        return 0.0, 0
    q = np.linalg.svd(x)[0][:, p:]
    vq = q.T @ alpha_cov @ q
    vals, vecs = np.linalg.eigh((vq + vq.T) / 2)
    if not vals[0] > df * np.finfo(float).eps * vals[-1]:
        return float("nan"), df
    coefs = vecs.T @ (q.T @ alpha)
    return float(np.sum(coefs**2 / vals)), df


def cross_sectional_r2(mean: np.ndarray, alpha: np.ndarray) -> float:
    """``1 - var(alpha) / var(mean returns)`` across assets (Jagannathan and Wang, 1996)."""
    return float(1.0 - np.var(alpha) / np.var(mean))


def estimate(
    returns: ArrayLike,
    factors: ArrayLike,
    *,
    method: str | None = None,
    intercept: bool = False,
    se: str | None = None,
    lags: int | None = None,
    factor_names: v.Names = None,
) -> PremiaResult:
    """Risk premia by ``method``: ``twopass`` (default) or ``gmm`` (see ``two_pass`` and ``premia_gmm.gmm``).

    Parameters
    ----------
    returns : array_like
        T x N asset returns (excess returns when ``intercept`` is False).
    factors : array_like
        T x K factors, traded or not.
    method : str, optional
        ``twopass`` (default) or ``gmm``.
    intercept : bool
        Estimate a zero-beta rate (first premium).
    se : str, optional
        Two-pass: ``shanken`` (default), ``plain`` or ``robust``; GMM: ``robust`` only.
    lags : int, optional
        Newey-West lags of robust errors.
    factor_names : sequence of str, optional
        Names used in error messages.

    Returns
    -------
    PremiaResult

    Raises
    ------
    InputValueError
        An unknown method or se, or se other than robust for GMM.
    InsufficientDataError, CollinearityError, ConvergenceError
        As ``two_pass`` and ``premia_gmm.gmm``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(0.01, 0.04, (240, 1))
    >>> r = f @ np.linspace(0.5, 1.5, 6)[None, :] + rng.normal(0, 0.02, (240, 6))
    >>> estimate(r, f, method="gmm").method
    'gmm'
    """
    method = v.choose(method, PREMIA_METHODS, "method", str(DEFAULTS["premia_method"]))
    if method == "twopass":
        return two_pass(returns, factors, intercept=intercept, se=se, lags=lags, factor_names=factor_names)
    from .premia_gmm import gmm  # the GMM module builds on this one

    return gmm(returns, factors, intercept=intercept, se=se, lags=lags, factor_names=factor_names)
