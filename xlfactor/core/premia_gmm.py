"""Risk premia by two-step efficient GMM (Cochrane, Asset Pricing, ch. 12-13; linearmodels' LinearFactorModelGMM).

Parameters ``theta = (B (N x K, row by row), lam (p), mu (K))``; moments per period

    e_t = r_t - X lam - B (f_t - mu)        (X = B, or [1, B] with an intercept)
    g_t = [e_it * (1, f_t) for each asset i,  f_t - mu]

so that betas, premia and factor means are estimated together and the standard errors account for the betas.
Step 1 weights the moments by the inverse of their covariance at the two-pass estimates, step 2 at the step-1
estimates (both centred; Newey-West with ``lags``). Each step minimises ``T g' W g`` by Newton's method (BFGS
from the two-pass estimates to find the basin, as linearmodels, then Newton with the exact Hessian, Gauss-Newton's
``G' W G`` plus the moments' curvature, and a line search; BLAS on one thread) to a relative step of 1e-12. The J
statistic ``T g' W g`` at the step-2 estimates tests the N - p over-identifying restrictions (that every pricing
error is zero). Covariance ``(G' S^-1 G)^-1 / (T - K)``, with S the centred covariance of the moments at the
estimates.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize

from ..errors import ConvergenceError, InputValueError, InsufficientDataError
from . import _validation as v
from ._threads import single_threaded
from .premia import PremiaResult, _long_run, _panel, cross_sectional_r2

MAX_STEPS = 500
STEP_TOL = 1e-12
MAX_COND = 1e4  # scaled condition number of the weighted Jacobian; beyond it the premia are not identified


def _unpack(theta: np.ndarray, n: int, k: int, p: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return theta[: n * k].reshape(n, k), theta[n * k : n * k + p], theta[n * k + p :]


def _moments(theta: np.ndarray, y: np.ndarray, f: np.ndarray, intercept: bool) -> np.ndarray:
    t, n = y.shape
    k = f.shape[1]
    b, lam, mu = _unpack(theta, n, k, k + int(intercept))
    x = np.column_stack([np.ones(n), b]) if intercept else b
    fe = f - mu
    e = y - (x @ lam)[None, :] - fe @ b.T
    fc = np.column_stack([np.ones(t), f])
    return np.column_stack([(e[:, :, None] * fc[:, None, :]).reshape(t, n * (k + 1)), fe])


def _blocks(theta: np.ndarray, y: np.ndarray, f: np.ndarray, intercept: bool):
    """What the Jacobian's blocks are made of: sizes, betas ``b``, the premia's regressors ``x``, ``mean([1, f])``
    and ``d_beta`` = d mean(e_i [1, f]) / d b_i, (K+1) x K, the same for every asset."""
    t, n = y.shape
    k = f.shape[1]
    p = k + int(intercept)
    b, lam, mu = _unpack(theta, n, k, p)
    x = np.column_stack([np.ones(n), b]) if intercept else b
    fc = np.column_stack([np.ones(t), f])
    return n, k, p, b, x, fc.mean(axis=0), -fc.T @ (f - mu + lam[p - k :]) / t


def _jacobian(theta: np.ndarray, y: np.ndarray, f: np.ndarray, intercept: bool) -> np.ndarray:
    """d mean(g) / d theta, (N(K+1) + K) x (NK + p + K)."""
    n, k, p, b, x, mean_fc, d_beta = _blocks(theta, y, f, intercept)
    jac = np.zeros((n * (k + 1) + k, n * k + p + k))
    for i in range(n):
        rows = slice(i * (k + 1), (i + 1) * (k + 1))
        jac[rows, i * k : (i + 1) * k] = d_beta
        jac[rows, n * k : n * k + p] = -np.outer(mean_fc, x[i])
        jac[rows, n * k + p :] = np.outer(mean_fc, b[i])
    jac[n * (k + 1) :, n * k + p :] = -np.eye(k)
    return jac


def _weight(g: np.ndarray, lags: int | None) -> np.ndarray:
    s = _long_run(g - g.mean(axis=0), lags)
    return np.linalg.inv(s)


def _mean_moments(theta: np.ndarray, y: np.ndarray, f: np.ndarray, intercept: bool) -> np.ndarray:
    """``mean(g)`` without the T x N(K+1) moments: ``e' [1, f] / T`` row by row, then ``mean(f) - mu``."""
    t, n = y.shape
    k = f.shape[1]
    b, lam, mu = _unpack(theta, n, k, k + int(intercept))
    x = np.column_stack([np.ones(n), b]) if intercept else b
    e = y - (x @ lam)[None, :] - (f - mu) @ b.T
    fc = np.column_stack([np.ones(t), f])
    return np.concatenate([(e.T @ fc).ravel() / t, f.mean(axis=0) - mu])


def _gradient(theta: np.ndarray, w: np.ndarray, y: np.ndarray, f: np.ndarray, intercept: bool) -> np.ndarray:
    """Half the gradient of ``mean(g)' W mean(g)``: ``G' W mean(g)``, with G's block structure (see
    ``_jacobian``) used rather than G itself: O(N K) after ``W mean(g)``, not O(N^2 K^2)."""
    n, k, _, b, x, mean_fc, d_beta = _blocks(theta, y, f, intercept)
    v = w @ _mean_moments(theta, y, f, intercept)
    per_asset, v_mu = v[: n * (k + 1)].reshape(n, k + 1), v[n * (k + 1) :]
    weight = per_asset @ mean_fc
    return np.concatenate([(per_asset @ d_beta).ravel(), -x.T @ weight, b.T @ weight - v_mu])


def _gauss_newton(theta: np.ndarray, w: np.ndarray, y: np.ndarray, f: np.ndarray, intercept: bool) -> np.ndarray:
    """``G' W G``: the part of the Hessian of half the objective from the moments' slopes."""
    jac = _jacobian(theta, y, f, intercept)
    return jac.T @ w @ jac


def _curvature(theta: np.ndarray, w: np.ndarray, y: np.ndarray, f: np.ndarray, intercept: bool) -> np.ndarray:
    """The rest of the Hessian of half the objective, ``sum_m (W mean(g))_m d2 mean(g)_m``, exactly.

    ``mean(g)`` is quadratic in theta through two products only: asset i's betas times the factors' premia
    (``- b_i' lam``) and times their means (``+ b_i' mu``), so the only second derivatives are
    ``d2 mean(e_i [1, f]) / d b_ij d lam_j = - mean([1, f])`` and ``... / d b_ij d mu_j = + mean([1, f])``;
    weighted by ``W mean(g)`` they give ``-/+ weight_i`` in the (b_ij, lam_j) and (b_ij, mu_j) cells.
    """
    n, k, p, _, _, mean_fc, _ = _blocks(theta, y, f, intercept)
    v = w @ _mean_moments(theta, y, f, intercept)
    weight = v[: n * (k + 1)].reshape(n, k + 1) @ mean_fc
    h = np.zeros((theta.size, theta.size))
    rows = np.arange(n * k)  # b_ij at i * k + j
    lam_cols = n * k + (p - k) + rows % k
    mu_cols = n * k + p + rows % k
    h[rows, lam_cols] = -np.repeat(weight, k)
    h[rows, mu_cols] = np.repeat(weight, k)
    return h + h.T


def _objective(theta: np.ndarray, w: np.ndarray, y: np.ndarray, f: np.ndarray, intercept: bool) -> float:
    gbar = _mean_moments(theta, y, f, intercept)
    return float(gbar @ w @ gbar)


def _check_identified(theta: np.ndarray, w: np.ndarray, y: np.ndarray, f: np.ndarray, intercept: bool) -> None:
    """Refuse a minimum along a flat direction: the weighted Jacobian, columns scaled to unit length (so the
    parameters' units do not count), with a condition number above ``MAX_COND`` (well-identified models on the
    shipped data: 25-60; two factors correlated 1 - 1e-10: 4e5)."""
    jac = _jacobian(theta, y, f, intercept)
    g = jac.T @ w @ jac  # = A'A for A = W^1/2 G; its scaled condition number is A's squared
    d = np.sqrt(np.where(np.diag(g) > 0, np.diag(g), 1.0))
    if not np.linalg.cond(g / np.outer(d, d)) <= MAX_COND**2:
        raise ConvergenceError(
            "GMM's objective is flat along a direction of the parameters (the betas are close to "
            "zero or collinear): the premia are not identified. Use method 'twopass', or remove a "
            "factor."
        )


def _minimise(theta: np.ndarray, w: np.ndarray, y: np.ndarray, f: np.ndarray, intercept: bool) -> np.ndarray:
    """Minimise ``mean(g)' W mean(g)`` from ``theta`` by Newton's method with a line search.

    Gauss-Newton alone (``G' W G``) crawls when the pricing errors are large (macro factors: the objective's
    curvature from the moments' cross-derivatives is not small), so the Hessian is the exact one, ``G' W G``
    plus that curvature (``_curvature``); where it is not positive definite, Gauss-Newton's matrix is used. Steps are halved until the
    objective does not rise. The objective is not convex (several minima on quarterly macro factors), so BFGS
    from the two-pass estimates (as linearmodels) finds the basin first and Newton polishes its minimum.
    """
    first = optimize.minimize(
        _objective,
        theta,
        args=(w, y, f, intercept),
        method="BFGS",
        jac=lambda th, *a: 2 * _gradient(th, *a),
        options={"gtol": 1e-12, "maxiter": 20000},
    )
    theta = first.x
    obj = _objective(theta, w, y, f, intercept)
    for _ in range(MAX_STEPS):
        grad = _gradient(theta, w, y, f, intercept)
        gauss_newton = _gauss_newton(theta, w, y, f, intercept)
        h = gauss_newton + _curvature(theta, w, y, f, intercept)
        try:
            np.linalg.cholesky(h)
        except np.linalg.LinAlgError:
            h = gauss_newton
        step = np.linalg.solve(h, -grad)
        for _ in range(60):  # backtrack: never let the objective rise (beyond rounding)
            new = _objective(theta + step, w, y, f, intercept)
            if new <= obj * (1 + 1e-14) + 1e-300:
                break
            step = step / 2
        theta, obj = theta + step, new
        if np.max(np.abs(step)) <= STEP_TOL * max(1.0, np.max(np.abs(theta))):
            _check_identified(theta, w, y, f, intercept)
            return theta
    raise ConvergenceError(
        f"GMM did not converge in {MAX_STEPS} Newton steps; the model may be badly "
        "identified (betas close to zero or collinear). Use method 'twopass'."
    )


def gmm(
    returns: ArrayLike,
    factors: ArrayLike,
    *,
    intercept: bool = False,
    se: str | None = None,
    lags: int | None = None,
    factor_names: v.Names = None,
) -> PremiaResult:
    """Two-step efficient GMM risk premia with their J test (see the module docstring).

    Parameters
    ----------
    returns : array_like
        T x N asset returns (excess returns when ``intercept`` is False).
    factors : array_like
        T x K factors, traded or not.
    intercept : bool
        Estimate a zero-beta rate (first premium).
    se : str, optional
        Only ``robust`` (the default here): GMM's covariance accounts for the estimated betas already.
    lags : int, optional
        Newey-West lags (Bartlett kernel) for the weights and the covariance.
    factor_names : sequence of str, optional
        Names used in error messages.

    Returns
    -------
    PremiaResult
        ``betas`` are GMM's, ``alpha`` the mean pricing errors, ``j_stat`` Hansen's J.

    Raises
    ------
    InputValueError
        ``se`` other than robust.
    ConvergenceError
        Gauss-Newton did not converge.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(0.01, 0.04, (240, 1))
    >>> r = f @ np.linspace(0.5, 1.5, 6)[None, :] + rng.normal(0, 0.02, (240, 6))
    >>> res = gmm(r, f)
    >>> res.j_df
    5
    """
    if se is not None and str(se).strip().lower() not in ("", "robust"):
        raise InputValueError(
            f"se for method 'gmm' is robust (GMM's covariance already accounts for the estimated "
            f"betas); got {se!r}. Leave se blank, or use method 'twopass' for plain or shanken."
        )
    lags = None if lags is None else v.check_nonneg_int(lags, "lags")
    d = _panel(returns, factors, intercept, factor_names)
    y, f = d.y, d.f
    t, n = y.shape
    k = f.shape[1]
    if t <= n * (k + 1) + k:
        raise InsufficientDataError(
            f"GMM has {n * (k + 1) + k} moment conditions ({n} assets x (1 + {k} factors) + {k}) but {t} complete "
            "rows; the weights need more rows than moments. Use a longer sample, fewer assets, or method 'twopass'."
        )
    p = k + int(intercept)
    theta = np.concatenate([d.betas.ravel(), np.linalg.pinv(d.x) @ y.mean(axis=0), f.mean(axis=0)])  # two-pass
    with single_threaded():  # BFGS's small products (45 assets: 1.3 s of CPU on one thread, 22.6 s on two under load)
        for _ in range(2):
            w = _weight(_moments(theta, y, f, intercept), lags)
            theta = _minimise(theta, w, y, f, intercept)
    g = _moments(theta, y, f, intercept)
    gbar = g.mean(axis=0)
    j_stat = float(t * gbar @ w @ gbar)
    jac = _jacobian(theta, y, f, intercept)
    s = _long_run(g - gbar, lags)
    scale = 1.0 / (t - k)
    cov = np.linalg.inv(jac.T @ np.linalg.solve(s, jac)) * scale
    cov = (cov + cov.T) / 2
    moment_cov = scale * s - jac @ cov @ jac.T
    alpha_rows = np.arange(n) * (k + 1)
    b, lam, _ = _unpack(theta, n, k, p)
    alpha = gbar[alpha_rows]
    s_f = np.atleast_2d(np.cov(f, rowvar=False))
    c = float(lam[p - k :] @ np.linalg.solve(s_f, lam[p - k :]))
    sel = slice(n * k, n * k + p)
    return PremiaResult(
        premia=lam,
        cov=cov[sel, sel],
        betas=b,
        alpha=alpha,
        alpha_cov=(moment_cov + moment_cov.T)[np.ix_(alpha_rows, alpha_rows)] / 2,
        j_stat=j_stat,
        j_df=n - p,
        r2=cross_sectional_r2(y.mean(axis=0), alpha),
        shanken_factor=1.0 + c,
        nobs=t,
        method="gmm",
        se="robust",
        intercept=intercept,
        lags=lags,
    )
