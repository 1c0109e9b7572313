"""The public face of the penalised solvers: ``fit`` (and ``ridge``, ``lasso``, ``elastic_net``) and their result,
and the steps that cross-validation and rolling windows share with it (``prepare``, ``score_path``, ``fit_path``).

Options arrive as keywords and are validated once, here, into the typed groups of ``options`` (``Penalty``,
``Grid``, ``Solver``) that the solvers read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from numpy.typing import ArrayLike

from ...errors import InputShapeError
from .. import _validation as v
from ..options import DEFAULTS, METHODS, Grid, Penalty, SolvePolicy, Solver
from .eigenbasis import ridge_path, ridge_scores
from .grids import default_grid
from .homotopy import enet_path
from .problems import Problems, build_problems


@dataclass(frozen=True, eq=False)
class PenalizedResult:
    """Penalised loadings of every asset at every lambda (lambda axis first, even for one lambda).

    Attributes
    ----------
    method : str
        "ridge", "lasso" or "enet".
    lambdas : numpy.ndarray
        (L, N): the grid of each asset (columns equal when the grid is common).
    intercept : numpy.ndarray
        (L, N) intercepts, never penalised.
    loadings : numpy.ndarray
        (L, N, K) loadings in the factors' original units.
    converged : numpy.ndarray
        (L, N) bool; always True for ridge.
    gap : numpy.ndarray
        (L, N) duality gap relative to y'y; 0 for ridge and where the KKT check verified the exact solution.
    nobs : numpy.ndarray
        (N,) rows used per asset.
    l1_ratio : float
        The lasso share of the penalty (0 ridge, 1 lasso).

    Examples
    --------
    >>> import numpy as np
    >>> from xlfactor.core import penalized
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(60, 2))
    >>> res = penalized.lasso(x @ [[1.0], [0.0]] + 0.1 * rng.normal(size=(60, 1)), x, [0.05, 0.01])
    >>> res.loadings.shape, res.all_converged
    ((2, 1, 2), True)
    >>> res.nonzero[:, 0].tolist()
    [1, 2]
    """

    method: str
    lambdas: np.ndarray
    intercept: np.ndarray
    loadings: np.ndarray
    converged: np.ndarray
    gap: np.ndarray
    nobs: np.ndarray
    l1_ratio: float = 1.0

    @property
    def all_converged(self) -> bool:
        """Whether every asset converged at every lambda."""
        return bool(self.converged.all())

    @property
    def nonzero(self) -> np.ndarray:
        """Number of non-zero loadings, (L, N)."""
        return (self.loadings != 0).sum(axis=2)


def prepare(y: np.ndarray, x: np.ndarray, method: str, penalty: Penalty) -> tuple[str, Penalty]:
    """(method, checked penalty) for checked data (``_validation.returns_and_factors``), after the checks of the
    factors every penalised fit needs: shared by fitting, cross-validation and rolling windows."""
    method = v.choose(method, METHODS, "method", DEFAULTS["method"])
    complete = v.check_factor_columns(x)
    where = f"the {complete.sum()} rows where every factor is present"
    v.check_not_constant(x[complete], where)
    if method != "ridge":  # ridge with lambda > 0 is unique for collinear factors; lambda 0 is checked in fit
        v.check_not_collinear(x[complete], where, "the lasso cannot tell them apart (its loadings are not unique).")
        # nearly collinear: refused as OLS refuses them (same limit, same message), before the active-set solves
        # meet a numerically singular Gram block (numpy's LinAlgError)
        xc = x[complete] - x[complete].mean(axis=0)
        r_xc = cast(np.ndarray, np.linalg.qr(xc / np.linalg.norm(xc, axis=0), mode="r"))  # mode "r": R alone
        v.check_conditioning(r_xc, where, v.COND_LIMIT_QR)
    return method, penalty.checked(x.shape[1], method)


def score_path(
    probs: Problems, grid: np.ndarray, method: str, pen: Penalty, solver: Solver, test=None, count: bool = False
):
    """Held-out squared errors (L, P) on ``test`` (from ``build_problems``; None: skip), non-zero loadings
    (L, P; with ``count``, else None) and whether each problem converged at every lambda (P,), without keeping
    the coefficients (L x K x P floats) in memory."""
    L, p = grid.shape[0], probs.xty.shape[1]
    if method == "ridge":
        sse = (
            ridge_scores(probs, np.asarray(grid, float).reshape(L, -1), pen, test, solver.policy)
            if test is not None
            else None
        )
        return sse, np.full((L, p), probs.gram.shape[1]) if count else None, np.ones(p, bool)
    fit = enet_path(probs, grid, pen, solver, keep=False, test=test, count=count)
    return fit.sse, fit.nonzero, fit.converged


def fit_path(probs: Problems, grid: np.ndarray, method: str, pen: Penalty, solver: Solver):
    """Coefficients on the scaled factors (L, K, P), relative gaps (L, P) and convergence (L, P)."""
    if method == "ridge":
        coef = ridge_path(probs, grid, pen, solver.policy)
        return coef, np.zeros(grid.shape), np.ones(grid.shape, bool)
    fit = enet_path(probs, grid, pen, solver)
    return fit.coef, fit.gap, fit.converged


@v.checks_data
def fit(
    returns: ArrayLike,
    factors: ArrayLike,
    lambdas: ArrayLike | None = None,
    *,
    method: str = DEFAULTS["method"],
    l1_ratio: float | None = None,
    standardize: bool = DEFAULTS["standardize"],
    penalty_weights: ArrayLike | None = None,
    n_lambdas: int = DEFAULTS["n_lambdas"],
    eps: float = DEFAULTS["eps"],
    tol: float = DEFAULTS["tol"],
    max_iter: int = DEFAULTS["max_iter"],
    strategy: str | SolvePolicy = DEFAULTS["strategy"],
    asset_names: v.Names = None,
    prior: ArrayLike | None = None,
) -> PenalizedResult:
    """Penalised loadings of every asset at one lambda or along a grid.

    Objectives (intercept always fitted, never penalised; ``w`` the penalty weights): ridge
    ``||y - a - Xb||^2 + lambda * sum_k w_k b_k^2`` (scikit-learn ``Ridge(alpha=lambda)``); elastic net
    ``1/(2n) ||y - a - Xb||^2 + lambda * (r sum_k w_k |b_k| + (1 - r)/2 sum_k w_k b_k^2)`` with ``r = l1_ratio``
    (scikit-learn ``ElasticNet``; ``r = 1`` is the lasso, ``Lasso(alpha=lambda)``).

    Parameters
    ----------
    returns : array_like
        (T, N) asset returns, periods down the rows; NaN marks a missing value (that asset's row is skipped).
    factors : array_like
        (T, K) factor returns.
    lambdas : array_like, optional
        The grid, used for every asset in the order given (descending is fastest for the lasso: warm starts).
        None: the default grid, per asset for lasso/enet (100 points down from its ``lambda_max``), from the
        factors' eigenvalues for ridge (see ``grids.ridge_grid``).
    method : {"ridge", "lasso", "enet"}
        The penalty (``options.METHODS``).
    l1_ratio : float, optional
        Elastic net only: the lasso share of the penalty, 0 < r <= 1 (default ``options.DEFAULTS["l1_ratio"]``).
    standardize : bool
        Scale the factors to unit variance (1/n) before penalising; loadings are reported in original units.
    penalty_weights : array_like, optional
        One weight >= 0 per factor (default all 1); 0 leaves a factor unpenalised.
    n_lambdas, eps : int, float
        The default grid's length and its smallest lambda as a fraction of the largest.
    tol, max_iter : float, int
        Coordinate descent's duality-gap tolerance (relative to y'y) and sweep cap (elastic net, and lasso problems
        whose exact path step fails its check).
    strategy : str or SolvePolicy
        How the batched linear systems are solved: "auto" (measured thresholds), or an explicit "masked",
        "grouped", "inverse", "cholesky" (``options.SolvePolicy``); every choice gives the same numbers to rounding.
    asset_names : sequence of str, optional
        Names used in error messages.
    prior : array_like, optional
        b0 to shrink towards instead of 0: one value per factor, or (N, K). Solved exactly as the usual problem for
        ``y - X b0`` (e.g. b0 = 1 for the market: Vasicek's and Blume's idea that betas revert to 1).

    Returns
    -------
    PenalizedResult
        Fresh arrays (the caller may write to them), lambda axis first.

    Raises
    ------
    XLFactorError
        Any invalid input, naming the argument: ``InputShapeError``, ``InputValueError`` (an option out of range, an
        infinite cell), ``InsufficientDataError`` (an asset with fewer than K + 2 usable rows), ``CollinearityError``
        (collinear factors for the lasso, or for ridge at lambda 0).

    Examples
    --------
    >>> import numpy as np
    >>> from xlfactor.core import penalized
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=(100, 3))
    >>> y = x @ [[0.9], [0.0], [0.5]] + 0.2 * rng.normal(size=(100, 1))
    >>> res = penalized.fit(y, x, [0.05], method="lasso", penalty_weights=[0, 1, 1])
    >>> np.round(res.loadings[0, 0], 2)  # the market-like first factor unpenalised; the second dropped
    array([0.9 , 0.  , 0.43])
    """
    y, x = cast(np.ndarray, returns), cast(np.ndarray, factors)  # checked by the decorator
    method, pen = prepare(y, x, method, Penalty(penalty_weights, l1_ratio, standardize, prior))
    solver = Solver(strategy, tol, max_iter).checked()
    y, b0 = toward_prior(y, x, prior)
    probs, _ = build_problems(y, x, [np.arange(y.shape[0])], pen.standardize, asset_names=asset_names)
    opts = Grid(n_lambdas, eps, lambdas).checked()
    if lambdas is None:
        grid = default_grid(probs, method, pen, opts, common=False)
    else:
        grid = np.repeat(cast(np.ndarray, opts.lambdas)[:, None], probs.xty.shape[1], axis=1)
    if method == "ridge" and (grid == 0).any():
        complete = np.isfinite(x).all(axis=1)
        v.check_not_collinear(
            x[complete],
            f"the {complete.sum()} rows where every factor is present",
            "ridge with lambda 0 is OLS, which needs independent factors; use lambda > 0 or",
        )
    coef, gap, conv = fit_path(probs, grid, method, pen, solver)
    intercept, loadings = probs.original_units(coef)
    order = np.argsort(probs.asset)
    return PenalizedResult(
        method=method,
        lambdas=grid[:, order],
        intercept=intercept[:, order],
        loadings=loadings[:, :, order].transpose(0, 2, 1) + b0 + 0.0,  # + 0.0 turns the solver's -0.0 into 0.0
        converged=conv[:, order],
        gap=gap[:, order],
        nobs=probs.n[order],
        l1_ratio=cast(float, pen.l1_ratio),  # checked: a float
    )


def toward_prior(y: np.ndarray, x: np.ndarray, prior: ArrayLike | None) -> tuple[np.ndarray, np.ndarray]:
    """(y - X b0, b0 as (assets, factors)): the substitution c = b - b0 that turns shrinkage towards b0 into the
    usual shrinkage towards 0. Without a prior: (y, 0)."""
    n_assets, k = y.shape[1], x.shape[1]
    if prior is None:
        return y, np.zeros((n_assets, k))
    b0 = v.as_float_2d(prior, "prior", allow_missing=False)
    if b0.size == k:
        b0 = np.broadcast_to(b0.reshape(1, k), (n_assets, k))
    elif b0.shape != (n_assets, k):
        raise InputShapeError(
            f"prior has {b0.size} values; give one per factor ({k}), or one per asset and factor ({n_assets} x {k})."
        )
    return y - x @ b0.T, np.array(b0)


_COMMON = """
    Parameters
    ----------
    returns : array_like
        (T, N) asset returns, periods down the rows; NaN marks a missing value.
    factors : array_like
        (T, K) factor returns.
    lam : array_like{optional}
        {lam}
    **kw
        Any other keyword of ``fit`` (``standardize``, ``penalty_weights``, ``prior``, ``strategy``, ...).

    Returns
    -------
    PenalizedResult
        Loadings (L, N, K), intercepts (L, N), lambdas (L, N), lambda axis first.

    Raises
    ------
    XLFactorError
        Invalid input, naming the argument (see ``fit``).
"""


def ridge(returns: ArrayLike, factors: ArrayLike, lam: ArrayLike | None, **kw: Any) -> PenalizedResult:
    """Ridge loadings ``argmin ||y - a - Xb||^2 + lam * sum_k w_k b_k^2`` (scikit-learn ``Ridge(alpha=lam)``).
    {common}
    Examples
    --------
    >>> import numpy as np
    >>> from xlfactor.core import penalized
    >>> x = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0], [1.0, 1.0]])
    >>> y = x @ [[2.0], [1.0]]
    >>> res = penalized.ridge(y, x, [0.0, 1.0])
    >>> np.round(res.loadings[:, 0], 4)  # lambda 0 is OLS
    array([[2.    , 1.    ],
           [1.5072, 0.8406]])
    >>> xc, yc = x - x.mean(0), y - y.mean(0)  # the closed form on centred data
    >>> np.allclose(res.loadings[1, 0], np.linalg.solve(xc.T @ xc + np.eye(2), xc.T @ yc)[:, 0])
    True
    """
    return fit(returns, factors, lam, method="ridge", **kw)


def lasso(returns: ArrayLike, factors: ArrayLike, lam: ArrayLike | None = None, **kw: Any) -> PenalizedResult:
    """Lasso loadings ``argmin 1/(2n) ||y - a - Xb||^2 + lam * sum_k w_k |b_k|`` (scikit-learn ``Lasso(alpha=lam)``).
    {common}
    Examples
    --------
    >>> import numpy as np
    >>> from xlfactor.core import penalized
    >>> rng = np.random.default_rng(2)
    >>> x = rng.normal(size=(80, 3))
    >>> y = x @ [[1.0], [0.0], [0.0]] + 0.1 * rng.normal(size=(80, 1))
    >>> res = penalized.lasso(y, x)  # the default grid: 100 lambdas down from lambda_max
    >>> res.lambdas.shape, int(res.nonzero[0, 0]), int(res.nonzero[-1, 0])
    ((100, 1), 0, 3)
    """
    return fit(returns, factors, lam, method="lasso", **kw)


def elastic_net(
    returns: ArrayLike,
    factors: ArrayLike,
    lam: ArrayLike | None = None,
    l1_ratio: float = DEFAULTS["l1_ratio"],
    **kw: Any,
) -> PenalizedResult:
    """Elastic-net loadings (scikit-learn ``ElasticNet(alpha=lam, l1_ratio=l1_ratio)``): the lasso's objective plus
    ``lam * (1 - l1_ratio) / 2 * sum_k w_k b_k^2``, the L1 term scaled by ``l1_ratio``.
    {common}
    Examples
    --------
    >>> import numpy as np
    >>> from xlfactor.core import penalized
    >>> rng = np.random.default_rng(3)
    >>> x = rng.normal(size=(80, 2))
    >>> res = penalized.elastic_net(x @ [[1.0], [0.5]], x, [0.1], l1_ratio=0.5)
    >>> res.l1_ratio, bool((res.loadings < [1.0, 0.5]).all())
    (0.5, True)
    """
    return fit(returns, factors, lam, method="enet", l1_ratio=l1_ratio, **kw)


ridge.__doc__ = (ridge.__doc__ or "").replace("{common}", _COMMON.format(optional="", lam="The lambdas (>= 0)."))
lasso.__doc__ = (lasso.__doc__ or "").replace(
    "{common}",
    _COMMON.format(optional=", optional", lam="The lambdas (>= 0); None: each asset's default 100-point grid."),
)
elastic_net.__doc__ = (elastic_net.__doc__ or "").replace(
    "{common}",
    _COMMON.format(optional=", optional", lam="The lambdas (>= 0); None: each asset's default 100-point grid.").replace(
        "    **kw", "    l1_ratio : float\n        The lasso share of the penalty, 0 < l1_ratio <= 1.\n    **kw"
    ),
)
