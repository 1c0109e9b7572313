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
