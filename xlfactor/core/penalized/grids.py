"""Lambda grids: the lasso's ``lambda_max`` and log-spaced grid below it, the ridge grid from the factors'
eigenvalues, and the default grid of a fit or cross-validation. The option checks live in ``options``
(``check_grid``, ``check_weights``, ``Grid.checked``)."""

from __future__ import annotations

from typing import cast

import numpy as np

from ..options import MAX_LAMBDAS, Grid, Penalty, check_grid, check_weights  # noqa: F401  (the package's names)
from .problems import Problems


def unpenalised_fit(probs: Problems, pen: Penalty) -> tuple[np.ndarray, np.ndarray]:
    """``(b, c - G b)`` per problem with only the unpenalised factors (0 if none), every block's system at once:
    the lasso's solution at and above its ``lambda_max``."""
    u = cast(np.ndarray, pen.weights) == 0  # checked (Penalty.checked): a float vector
    b = np.zeros(probs.xty.shape)
    if not u.any():
        return b, probs.xty.copy()
    g_u = probs.gram[:, :, u]  # (B, K, U)
    b[u] = np.einsum("puv,vp->up", np.linalg.inv(g_u[:, u])[probs.block], probs.xty[u])
    return b, probs.xty - np.einsum("pku,up->kp", g_u[probs.block], b[u])


def lasso_lambda_max(probs: Problems, pen: Penalty) -> np.ndarray:
    """Smallest lambda at which every penalised loading is zero, per problem.

    ``max_k |x_k' r| / (n w_k l1_ratio)`` over penalised factors, with ``r`` the residual of y on
    the unpenalised factors (y itself when every factor is penalised): scikit-learn's and glmnet's
    ``lambda_max`` (``pen``: checked; an ``l1_ratio`` of 0, ridge's, counts as 1: the lasso's grid).
    """
    weights = cast(np.ndarray, pen.weights)  # checked (Penalty.checked): a float vector
    on = weights > 0
    corr = unpenalised_fit(probs, pen)[1]
    ratio = np.abs(corr[on]) / weights[on, None]
    return ratio.max(axis=0) / (probs.n * (ratio if (ratio := cast(float, pen.l1_ratio)) > 0 else 1.0))


def lasso_grid(lambda_max: np.ndarray, n_lambdas: int = 100, eps: float = 1e-3) -> np.ndarray:
    """Log-spaced grids from ``lambda_max`` down to ``eps * lambda_max``: (n_lambdas, len(lambda_max))."""
    steps = np.logspace(0.0, np.log10(eps), n_lambdas)
    return steps[:, None] * np.atleast_1d(lambda_max)[None, :]


def ridge_grid(gram: np.ndarray, n_lambdas: int = 100) -> np.ndarray:
    """Log-spaced ridge grid from ``100 * d_max`` down to ``0.01 * d_min``, ``d`` the eigenvalues of X'X.

    The effective degrees of freedom ``sum_j d_j / (d_j + lambda)`` then run from below K/101 to
    above K/1.01: from nearly all shrunk to nearly OLS.
    """
    d = np.linalg.eigvalsh(gram)
    d = d[d > 0]
    return np.logspace(np.log10(100 * d.max()), np.log10(0.01 * d.min()), n_lambdas)


def default_grid(probs: Problems, method: str, pen: Penalty, grid: Grid, common: bool) -> np.ndarray:
    """The default lambda grid, (L, P): per problem, or one common grid (the widest) when ``common`` (``pen`` and
    ``grid`` checked)."""
    p = probs.xty.shape[1]
    if method == "ridge":
        return np.repeat(ridge_grid(probs.gram[0], grid.n_lambdas)[:, None], p, axis=1)
    lam_max = lasso_lambda_max(probs, pen)
    if common:
        lam_max = np.full(p, lam_max.max())
    return lasso_grid(lam_max, grid.n_lambdas, grid.eps)
