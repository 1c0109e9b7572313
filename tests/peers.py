"""Access to peer implementations used as references by tests and benchmarks."""

from __future__ import annotations

import glob
import importlib.util

import numpy as np


def rpp_vanilla():
    """riskparityportfolio's compiled risk-budgeting solver (``vanilla.design``), or None.

    Loaded from its extension file: the package ``__init__`` also imports jax and quadprog, which
    that solver does not use and which are too heavy to install for tests.
    """
    spec = importlib.util.find_spec("riskparityportfolio")
    if spec is None:
        return None
    files = glob.glob(f"{spec.submodule_search_locations[0]}/vanilla*.so") + glob.glob(
        f"{spec.submodule_search_locations[0]}/vanilla*.pyd"
    )
    if not files:
        return None
    ext = importlib.util.spec_from_file_location("vanilla", files[0])
    mod = importlib.util.module_from_spec(ext)
    ext.loader.exec_module(mod)
    return mod


def returns_with_covariance(cov: np.ndarray, t: int, seed: int = 0) -> np.ndarray:
    """T x N returns whose sample covariance (ddof=1) is exactly ``cov`` (for estimators that take returns)."""
    n = cov.shape[0]
    z = np.random.default_rng(seed).normal(size=(t, n))
    z -= z.mean(axis=0)
    q, _ = np.linalg.qr(z)  # orthonormal, centred columns
    return np.sqrt(t - 1) * q @ np.linalg.cholesky(cov).T


def skfolio_risk_budgeting(cov: np.ndarray, budgets: np.ndarray, t: int | None = None):
    """skfolio ``RiskBudgeting`` weights for a covariance, or None when skfolio is not installed."""
    try:
        from skfolio.optimization import RiskBudgeting
    except ImportError:
        return None
    # in percent: at the shipped data's scale (variances ~1e-3) CLARABEL stops short of 1e-12 ("may be
    # inaccurate", weights 4e-6 off); risk-budgeting weights do not depend on the scale
    x = 100.0 * returns_with_covariance(cov, t or cov.shape[0] + 50)
    model = RiskBudgeting(
        risk_budget=budgets, solver_params={"tol_gap_abs": 1e-12, "tol_gap_rel": 1e-12, "tol_feas": 1e-12}
    )
    return model.fit(x).weights_


def ridge_search_per_asset(x: np.ndarray, y: np.ndarray, alphas, cv):
    """scikit-learn's ``GridSearchCV(Ridge(), {"alpha": alphas}, cv=cv, scoring="neg_mean_squared_error")`` for
    every column of ``y`` in ONE search: Ridge fits each column of a 2-D ``y`` as its own problem (the same solve
    as column by column), and one scorer per column reads that column's predictions, so the fold scores, means and
    ranks are each column's own (scikit-learn's scorers share one predict per fit). Returns the fold MSEs
    (L, F, N), the mean MSEs (L, N) and each column's best index into ``alphas`` (GridSearchCV's ``best_index_``
    rule: the first of rank 1), i.e. what ``RidgeCV(alphas, cv=cv, scoring="neg_mean_squared_error")`` picks."""
    from sklearn.linear_model import Ridge
    from sklearn.metrics import make_scorer
    from sklearn.model_selection import GridSearchCV

    n = y.shape[1]
    scoring = {f"a{j}": make_scorer(_column_mse(j), greater_is_better=False) for j in range(n)}
    res = GridSearchCV(Ridge(), {"alpha": alphas}, cv=cv, scoring=scoring, refit=False).fit(x, y).cv_results_
    folds = sum(1 for key in res if key.startswith("split") and key.endswith("_test_a0"))
    fold_mse = -np.array([[res[f"split{f}_test_a{j}"] for f in range(folds)] for j in range(n)]).transpose(2, 1, 0)
    mean = -np.array([res[f"mean_test_a{j}"] for j in range(n)]).T
    best = np.array([res[f"rank_test_a{j}"].argmin() for j in range(n)])
    return fold_mse, mean, best


def _column_mse(j: int):
    return lambda truth, pred: np.mean((truth[:, j] - pred[:, j]) ** 2)
