"""Ridge, lasso and elastic-net loadings for all assets at once, on Gram matrices.

Objectives (intercept always fitted and never penalised; ``w_k`` are per-factor penalty weights,
1 by default, 0 leaves a factor unpenalised; with ``standardize`` the factors are scaled to unit
variance (1/n) before penalising and the loadings reported in original units, as glmnet does):

- ridge: ``||y - a - Xb||^2 + lambda * sum_k w_k b_k^2``  (scikit-learn ``Ridge(alpha=lambda)``)
- elastic net: ``1/(2n) ||y - a - Xb||^2 + lambda * (r * sum_k w_k |b_k| + (1 - r)/2 * sum_k w_k b_k^2)``
  with ``r = l1_ratio`` (scikit-learn ``ElasticNet(alpha=lambda, l1_ratio=r)``); ``r = 1`` is the lasso.

Penalty weights are used as given. glmnet rescales ``penalty.factor`` to sum to K (the number of factors)
before use, so the same fit has ``lambda_glmnet = lambda_xlfactor * sum(w) / K`` (equal when every weight
is 1; with the market at 0 and four factors at 1 of five, glmnet's lambda is 0.8 times ours).

Every fit is reduced to its Gram quantities ``X'X``, ``X'y``, ``y'y`` over the rows it uses, so
one set of matrix products serves every asset, lambda and cross-validation fold. The lasso follows each
problem's exact piecewise-linear path (a homotopy on its active set, all (fold, asset) problems batched):
only problems whose active set changes are solved again, small systems by one batched elimination, systems
with more active loadings than inactive ones on the inactive ones by the block's inverse Gram matrix (well-
conditioned blocks), the others by LAPACK's Cholesky; every step is checked against the KKT conditions.
Elastic net (and any lasso problem the check rejects) runs coordinate descent vectorised over the
problems, with warm starts along the lambda path; a problem stops when its duality gap is below
``tol * y'y``, and is then polished by solving exactly on its active set (kept when the KKT conditions
hold), so the loadings are exact to rounding.

The package, one module per concern: ``api`` (the public face: ``fit``, ``ridge``, ``lasso``, ``elastic_net``,
``PenalizedResult``), ``problems`` (the Gram quantities of every block of rows and asset), ``grids`` (lambda grids),
``eigenbasis`` (ridge in the eigenbasis), ``homotopy`` (the lasso path and the elastic-net driver), ``descent`` (coordinate descent,
the polish, duality gaps) and ``linalg`` (batched SPD solves under an ``options.SolvePolicy``).
"""

from ..options import (
    MAX_LAMBDAS,
    Grid,
    Penalty,
    SolvePolicy,
    Solver,
    check_grid,
    check_weights,
)
from .api import (
    PenalizedResult,
    elastic_net,
    fit,
    fit_path,
    lasso,
    prepare,
    ridge,
    score_path,
    toward_prior,
)
from .eigenbasis import ridge_blocks, ridge_path, ridge_scores
from .grids import default_grid, lasso_grid, lasso_lambda_max, ridge_grid
from .homotopy import enet_path
from .problems import Problems, build_problems

__all__ = [
    "MAX_LAMBDAS",
    "Grid",
    "PenalizedResult",
    "Penalty",
    "Problems",
    "SolvePolicy",
    "Solver",
    "build_problems",
    "check_grid",
    "check_weights",
    "default_grid",
    "elastic_net",
    "enet_path",
    "fit",
    "fit_path",
    "lasso",
    "lasso_grid",
    "lasso_lambda_max",
    "prepare",
    "ridge",
    "ridge_blocks",
    "ridge_grid",
    "ridge_path",
    "ridge_scores",
    "score_path",
    "toward_prior",
]
