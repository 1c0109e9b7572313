"""Time-ordered cross-validation: splitters, error curves and the choice of lambda.

Folds are defined on the periods (rows) of the whole sample, so every asset is scored on the
same months; an asset with missing values uses the usable rows of each fold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
from numpy.typing import ArrayLike

from ..errors import InsufficientDataError
from . import _validation as v
from . import penalized
from .options import DEFAULTS, POOLED_LOSSES, RULES, CVOptions, Grid, Penalty, SolvePolicy, Solver

MAX_WORK_BYTES = 2 * 2**30  # refuse a CV whose coefficient paths alone would need more memory than this


def splits(
    n_rows: int,
    folds: int = DEFAULTS["folds"],
    scheme: str = DEFAULTS["scheme"],
    gap: int = DEFAULTS["gap"],
    seed: int = DEFAULTS["seed"],
    min_train: int = 2,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Train rows and test rows of each cross-validation fold, as a list of ``(train, test)`` pairs.

    Parameters
    ----------
    n_rows : int
        Number of periods (rows).
    folds : int
        Number of folds, 2 to ``options.MAX_FOLDS``.
    scheme : {"blocked", "walkforward", "kfold"}
        ``blocked``: ``folds`` contiguous test blocks (the first ``n % folds`` one row longer, as scikit-learn
        ``KFold``); training on every other row except ``gap`` rows purged on each side of the test block.
        ``walkforward``: expanding window, identical to scikit-learn ``TimeSeriesSplit(n_splits=folds, gap=gap)``:
        test blocks of ``n // (folds + 1)`` rows at the end, training on everything up to ``gap`` rows before each.
        ``kfold``: rows shuffled with ``seed``, then split as ``blocked`` without a gap (for comparison with
        textbooks; it lets the future inform the past).
    gap : int
        Rows purged between training and test rows (blocked, walkforward).
    seed : int
        The shuffle's seed (kfold).
    min_train : int
        Fewest training rows a fold may have.

    Returns
    -------
    list of (numpy.ndarray, numpy.ndarray)
        Sorted row indices (0-based) of each fold's training and test rows.

    Raises
    ------
    InputValueError
        An option out of range or an unknown scheme.
    InsufficientDataError
        Too few rows for the folds (a test block under 2 rows, or a training set under ``min_train``).

    Examples
    --------
    >>> from xlfactor.core.cv import splits
    >>> [(tr.tolist(), te.tolist()) for tr, te in splits(6, folds=3)]
    [([2, 3, 4, 5], [0, 1]), ([0, 1, 4, 5], [2, 3]), ([0, 1, 2, 3], [4, 5])]
    >>> [(tr.tolist(), te.tolist()) for tr, te in splits(6, folds=2, scheme="walkforward")]
    [([0, 1], [2, 3]), ([0, 1, 2, 3], [4, 5])]
    """
    return fold_rows(n_rows, CVOptions(folds, scheme, gap, seed=seed).checked(), min_train)


def fold_rows(n_rows: int, opts: CVOptions, min_train: int = 2) -> list[tuple[np.ndarray, np.ndarray]]:
    """``splits`` with its options checked already (``CVOptions.checked``)."""
    folds, scheme, gap = opts.folds, opts.scheme, opts.gap
    rows = np.arange(n_rows)
    if scheme == "walkforward":
        test_size = n_rows // (folds + 1)
        if test_size < 1:
            raise InsufficientDataError(
                f"folds is {folds} but walk-forward validation on {n_rows} rows needs at least "
                f"{folds + 1} rows; use fewer folds."
            )
        out = []
        for start in range(n_rows - folds * test_size, n_rows, test_size):
            out.append((rows[: max(start - gap, 0)], rows[start : start + test_size]))
    else:
        if 2 * folds > n_rows:
            raise InsufficientDataError(
                f"folds is {folds} but {n_rows} rows give test blocks of fewer than 2 rows; "
                f"use at most {n_rows // 2} folds."
            )
        order = rows if scheme == "blocked" else np.random.default_rng(opts.seed).permutation(n_rows)
        purge = gap if scheme == "blocked" else 0
        out = []
        for block in np.array_split(np.arange(n_rows), folds):
            lo, hi = block[0] - purge, block[-1] + purge
            train = order[(rows < lo) | (rows > hi)]
            out.append((np.sort(train), np.sort(order[block])))
    smallest = min(len(tr) for tr, _ in out)
    if smallest < min_train:
        raise InsufficientDataError(
            f"with {folds} {scheme} folds and gap {gap} on {n_rows} rows, a training set has only "
            f"{smallest} rows; at least {min_train} are needed. Use fewer folds or a smaller gap."
        )
    return out


def one_se_index(mean: np.ndarray, se: np.ndarray, lambdas: np.ndarray) -> np.ndarray:
    """Index of the largest lambda whose mean error is within one standard error of the minimum.

    ``mean``, ``se`` are (n_lambdas, m); ``lambdas`` is (n_lambdas,) or (n_lambdas, m).
    """
    best = np.nanargmin(mean, axis=0)
    cols = np.arange(mean.shape[1])
    bound = mean[best, cols] + se[best, cols]
    lam = np.broadcast_to(lambdas.reshape(lambdas.shape[0], -1), mean.shape)
    within = mean <= bound
    return np.argmax(np.where(within, lam, -np.inf), axis=0)


def fold_se(fold_err: np.ndarray) -> np.ndarray:
    """Standard error of the mean over folds (axis 1): std(ddof=1) / sqrt(scored folds)."""
    return np.nanstd(fold_err, axis=1, ddof=1) / np.sqrt(np.isfinite(fold_err).sum(axis=1))


def paired_one_se_index(fold_err: np.ndarray, lambdas: np.ndarray) -> np.ndarray:
    """The 1-SE rule on fold-wise differences: the largest lambda whose fold errors exceed those at the minimum
    by at most one standard error of the paired differences.

    ``fold_err`` is (n_lambdas, folds, m). Fold errors on time blocks move together with the volatility of each
    block, so the paired differences have a much smaller standard error than the fold errors themselves.
    """
    mean = np.nanmean(fold_err, axis=1)
    best = np.nanargmin(mean, axis=0)
    cols = np.arange(mean.shape[1])
    diff = fold_err - fold_err[best, :, cols].T[None]
    se = fold_se(diff)
    lam = np.broadcast_to(lambdas.reshape(lambdas.shape[0], -1), mean.shape)
    within = np.nanmean(diff, axis=1) <= np.where(np.isfinite(se), se, 0.0)
    return np.argmax(np.where(within, lam, -np.inf), axis=0)


def choose_index(fold_err: np.ndarray, lambdas: np.ndarray, rule: str, who=lambda j: f"asset {j + 1}") -> np.ndarray:
    """Grid position per column of ``fold_err`` (n_lambdas, folds, m) under ``rule`` (see options.RULES)."""
    rule = v.choose(rule, RULES, "rule", "min")
    mean = np.nanmean(fold_err, axis=1)
    if rule == "min":
        return np.nanargmin(mean, axis=0)
    scored = np.isfinite(fold_err).all(axis=0).sum(axis=0)
    if (scored < 2).any():
        j = int(np.flatnonzero(scored < 2)[0])
        raise InsufficientDataError(
            f"{who(j)} has {scored[j]} scored fold(s); the rule '{rule}' needs a standard "
            "error, so at least 2: use more rows, a smaller gap, or rule 'min'."
        )
    if rule == "1se_paired":
        return paired_one_se_index(fold_err, lambdas)
    return one_se_index(mean, fold_se(fold_err), lambdas)


def pooled_loss(
    fold_mse: np.ndarray, asset_var: np.ndarray, loss: str = DEFAULTS["pooled_loss"], who=lambda j: ""
) -> np.ndarray:
    """Held-out error pooled over the assets scored in every fold, (L, F, ...) from ``fold_mse`` (L, F, N, ...)
    and ``asset_var`` (N, ...): summed ("sum"), or each asset's divided by its variance first ("normalized":
    every asset counts alike, whatever its volatility). Trailing axes are separate CVs (rolling windows); an
    asset missing from a fold is left out of every fold's total, which would otherwise look better."""
    loss = v.choose(loss, POOLED_LOSSES, "loss", DEFAULTS["pooled_loss"])
    keep = np.isfinite(fold_mse).all(axis=(0, 1))  # (N, ...)
    if not keep.any(axis=0).all():
        j = int(np.flatnonzero(~keep.any(axis=0).reshape(-1))[0])
        raise InsufficientDataError(
            f"{who(j)}no asset is scored in every fold, so pooled totals would compare "
            "different assets; use fewer folds or a window where the assets have data."
        )
    err = fold_mse / asset_var if loss == "normalized" else fold_mse
    return np.where(keep, err, 0.0).sum(axis=2)


@dataclass(frozen=True, eq=False)
class CVResult:
    """Cross-validated error curves of every asset, and the lambdas they choose.

    ``fold_mse[l, f, i]`` is asset i's mean squared error on fold f's held-out rows with the model fit
    on fold f's training rows at ``lambdas[l, i]``. The mean is over folds, the standard error is
    ``std(fold errors, ddof=1) / sqrt(folds)``.

    Attributes
    ----------
    method : str
        "ridge", "lasso" or "enet".
    lambdas : numpy.ndarray
        (L, N) each asset's grid, descending.
    fold_mse : numpy.ndarray
        (L, F, N) held-out mean squared errors; NaN where an asset has no usable row in a fold.
    nonzero : numpy.ndarray
        (L, N) non-zero loadings of the full-sample fit at each lambda (K for ridge).
    common_grid : bool
        One grid for every asset (ridge, pooled, or a grid given): needed by ``pooled_lambda``.
    converged : bool
        Every lasso/enet fit in every fold converged.
    asset_var : numpy.ndarray
        (N,) variance (ddof 1) of each asset's returns over its usable rows.

    Examples
    --------
    >>> import numpy as np
    >>> from xlfactor.core.cv import cross_validate
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=(100, 2))
    >>> res = cross_validate(x @ [[1.0], [0.0]] + rng.normal(size=(100, 1)), x, method="ridge", folds=5)
    >>> res.mse.shape, res.best_lambda("min").shape
    ((100, 1), (1,))
    """

    method: str
    lambdas: np.ndarray
    fold_mse: np.ndarray
    nonzero: np.ndarray
    common_grid: bool
    converged: bool
    asset_var: np.ndarray

    @property
    def mse(self) -> np.ndarray:
        """Mean held-out error over the folds, (L, N)."""
        return np.nanmean(self.fold_mse, axis=1)

    @property
    def mse_se(self) -> np.ndarray:
        """Standard error of the mean held-out error, (L, N)."""
        return fold_se(self.fold_mse)

    def index(self, rule: str = DEFAULTS["rule"]) -> np.ndarray:
        """Grid position chosen for each asset under ``rule``: "min", "1se" or "1se_paired" (options.RULES)."""
        return choose_index(self.fold_mse, self.lambdas, rule)

    def best_lambda(self, rule: str = DEFAULTS["rule"]) -> np.ndarray:
        """Chosen lambda of each asset, (N,)."""
        return self.lambdas[self.index(rule), np.arange(self.lambdas.shape[1])]

    @property
    def pooled_assets(self) -> np.ndarray:
        """The assets scored in every fold: the pooled loss sums over these only, so every fold's total covers
        the same assets (an asset missing from a fold would make that fold's total look better)."""
        return np.isfinite(self.fold_mse).all(axis=(0, 1))

    def pooled_fold_loss(self, loss: str = DEFAULTS["pooled_loss"]) -> np.ndarray:
        """Held-out error over the pooled assets, (L, F) (see ``pooled_loss``). Needs a common grid."""
        if not self.common_grid:
            raise v.InputValueError("a pooled lambda needs one grid for all assets; cross-validate with pooled=True.")
        return pooled_loss(self.fold_mse, self.asset_var, loss)

    @property
    def pooled_fold_mse(self) -> np.ndarray:
        """Held-out error summed over the pooled assets, (L, F)."""
        return self.pooled_fold_loss("sum")

    def pooled_lambda(self, rule: str = DEFAULTS["rule"], loss: str = DEFAULTS["pooled_loss"]) -> float:
        """One lambda for all assets, minimising the pooled error (see ``pooled_fold_loss``) or by a 1-SE rule."""
        pm = self.pooled_fold_loss(loss)[:, :, None]
        return float(self.lambdas[choose_index(pm, self.lambdas[:, :1], rule, lambda j: "the pooled loss")[0], 0])


def _set_label(s: int, n_sets: int) -> str:
    """Where row set ``s`` of cross-validation's build is, in an error message: 0 is the full sample."""
    return f" in the training rows of fold {s}" if s else ""


@v.checks_data
def cross_validate(
    returns: ArrayLike,
    factors: ArrayLike,
    *,
    method: str = DEFAULTS["method"],
    lambdas: ArrayLike | None = None,
    folds: int = DEFAULTS["folds"],
    scheme: str = DEFAULTS["scheme"],
    gap: int = DEFAULTS["gap"],
    seed: int = DEFAULTS["seed"],
    l1_ratio: float | None = None,
    standardize: bool = DEFAULTS["standardize"],
    penalty_weights: ArrayLike | None = None,
    pooled: bool = False,
    n_lambdas: int = DEFAULTS["n_lambdas"],
    eps: float = DEFAULTS["eps"],
    tol: float = DEFAULTS["tol"],
    max_iter: int = DEFAULTS["max_iter"],
    strategy: str | SolvePolicy = DEFAULTS["strategy"],
    asset_names: v.Names = None,
    prior: ArrayLike | None = None,
) -> CVResult:
    """Cross-validate ridge, lasso or elastic net for every asset at once, on time-ordered folds.

    Every asset is scored on the same periods (folds are defined on the rows of the whole sample); an asset with
    missing values uses the usable rows of each fold. Standardisation, when asked for, uses each training fold's own
    means and scales.

    Parameters
    ----------
    returns : array_like
        (T, N) asset returns, periods down the rows; NaN marks a missing value.
    factors : array_like
        (T, K) factor returns.
    method : {"ridge", "lasso", "enet"}
        The penalty (see ``penalized.fit`` for the objectives).
    lambdas : array_like, optional
        One grid for every asset (sorted descending). None: each asset's own lasso grid (scikit-learn ``LassoCV``'s),
        or one common grid when ``pooled`` (the widest) or for ridge (``penalized.ridge_grid``).
    folds, scheme, gap, seed : int, str, int, int
        The folds (see ``splits``).
    l1_ratio, standardize, penalty_weights, prior
        The penalty (see ``penalized.fit``); ``prior``: shrink towards b0 (the held-out errors are those of y).
    pooled : bool
        One common grid for all assets, so that ``CVResult.pooled_lambda`` can choose one lambda for all.
    n_lambdas, eps, tol, max_iter, strategy
        The default grid and the solver (see ``penalized.fit``).
    asset_names : sequence of str, optional
        Names used in error messages.

    Returns
    -------
    CVResult
        Fold errors (L, F, N), the grids (L, N), non-zero counts of the full-sample fit, the assets' variances.

    Raises
    ------
    XLFactorError
        Invalid input, naming the argument: an option out of range, too few rows for the folds
        (``InsufficientDataError``), work beyond ``MAX_WORK_BYTES`` (``InputValueError``), and those of
        ``penalized.fit``.

    Examples
    --------
    >>> import numpy as np
    >>> from xlfactor.core.cv import cross_validate
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(120, 3))
    >>> y = x @ [[1.0, 0.5], [0.0, 0.0], [0.3, 0.0]] + rng.normal(size=(120, 2))
    >>> res = cross_validate(y, x, method="lasso", folds=4, scheme="walkforward", pooled=True)
    >>> res.fold_mse.shape, res.common_grid
    ((100, 4, 2), True)
    >>> bool(res.lambdas[-1, 0] <= res.pooled_lambda("min") <= res.lambdas[0, 0])
    True
    """
    y, x = cast(np.ndarray, returns), cast(np.ndarray, factors)  # checked by the decorator
    method, pen = penalized.prepare(y, x, method, Penalty(penalty_weights, l1_ratio, standardize))
    opts = CVOptions(folds, scheme, gap, seed=seed).checked()
    grid_opts = Grid(n_lambdas, eps, lambdas).checked("lambdas")
    given = cast("np.ndarray | None", grid_opts.lambdas)  # checked: a sorted float vector, or None as lambdas
    solver = Solver(strategy, tol, max_iter).checked()
    y, _ = penalized.toward_prior(y, x, prior)  # the held-out errors of y - X b0 are those of y
    t, n_assets = y.shape
    parts = fold_rows(t, opts, min_train=x.shape[1] + 2)
    n_l = grid_opts.n_lambdas if given is None else given.size
    need = 8 * n_l * x.shape[1] * n_assets * (len(parts) + 1)
    if need > MAX_WORK_BYTES:
        raise v.InputValueError(
            f"this cross-validation would hold {need / 2**30:.1f} GiB of coefficients "
            f"({n_l} lambdas x {x.shape[1]} factors x {n_assets} assets x {len(parts)} folds), "
            f"over the {MAX_WORK_BYTES / 2**30:g} GiB limit; use fewer lambdas, folds or assets."
        )
    # one build: the full sample first (its grid, the assets' variances and, for the lasso, riding along the folds'
    # path, the curve's non-zero counts; a short asset is named for it first), then every fold's training rows
    trains, tests = [np.arange(t)] + [tr for tr, _ in parts], [np.arange(0)] + [te for _, te in parts]
    probs, test = penalized.build_problems(y, x, trains, pen.standardize, tests, asset_names, set_label=_set_label)
    fold = probs.rowset > 0
    full, _ = probs.take(np.flatnonzero(~fold))
    order = np.argsort(full.asset)
    if given is None:
        grid = penalized.default_grid(full, method, pen, grid_opts, common=bool(pooled))[:, order]
    else:
        grid = np.repeat(np.sort(given)[::-1][:, None], n_assets, axis=1)
    common = bool(pooled) or lambdas is not None or method == "ridge"

    lasso = method != "ridge"
    if not lasso:  # ridge scores the folds only
        probs, test = probs.take(np.flatnonzero(fold), test)
        fold = np.ones(probs.asset.size, bool)
    sse, nz, conv = penalized.score_path(
        probs, np.take(grid, probs.asset, axis=1), method, pen, solver, test, count=lasso
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        sse /= np.where(test["n"] > 0, test["n"], np.nan)  # mean squared errors, in place
    fold_mse = np.full((grid.shape[0], len(parts), n_assets), np.nan)
    fold_mse[:, probs.rowset[fold] - 1, probs.asset[fold]] = sse[:, fold]
    nonzero = np.full(grid.shape, x.shape[1])
    if lasso:
        nonzero[:, probs.asset[~fold]] = nz[:, ~fold]
    # each asset's variance over its usable rows, from the full-sample problems' centred sums of squares
    asset_var = np.empty(n_assets)
    asset_var[full.asset] = full.yty / np.maximum(full.n - 1, 1)
    return CVResult(
        method=method,
        lambdas=grid,
        fold_mse=fold_mse,
        nonzero=nonzero,
        common_grid=common,
        converged=bool(conv.all()),
        asset_var=asset_var,
    )
