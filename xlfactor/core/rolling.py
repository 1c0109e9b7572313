"""Rolling and expanding windows: every estimate made again on each window, with no look-ahead.

For the penalised methods the lambda is chosen again in each window by time-ordered cross-validation
whose folds lie inside the window, so nothing after a window's last row reaches its estimates.

The windows are one more batch axis of the Gram machinery (``penalized.build_problems``): a chunk of
windows is one set of problems, (window, fold, asset) for the CV and (window, asset) for the final fit, whose
Gram quantities are sums of per-row moments (one matrix product), solved together along each window's own
lambda grid. ``engine`` only decides where the chunks run: here (``"local"``) or on a Dask cluster
(``"dask"``, see ``xlfactor.core.engines``); chunks are the same either way, so the results are identical.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, cast

import numpy as np
from numpy.typing import ArrayLike

from ..errors import InsufficientDataError
from . import _validation as v
from . import cv, penalized, regression, risk
from .options import DEFAULTS, METHODS, ROLLING_METHODS, CVOptions, ignored

CHUNK_PROBLEMS = 200_000  # (window, fold, asset) problems per chunk: bounds memory (about 1 KiB a problem at K = 5);
# a step along the path has a fixed cost, so fewer, larger chunks are faster


@dataclass(frozen=True, eq=False)
class RollingResult:
    """Estimates per window (window axis first).

    Attributes
    ----------
    method : str
        ols, ridge, lasso or enet.
    starts, ends : ndarray of int, shape (W,)
        First and last row (inclusive) of each window: its estimates use those rows only.
    lambdas : ndarray, shape (W,)
        The pooled lambda chosen in each window (NaN for OLS).
    intercept : ndarray, shape (W, N)
        Each asset's intercept.
    loadings : ndarray, shape (W, N, K)
        Each asset's loadings.
    r2 : ndarray, shape (W, N)
        1 - specific / total variance in the window (OLS: its R²).
    factor_cov : ndarray, shape (W, K, K)
        The factor covariance (``cov_method``) in the window.
    specific_var : ndarray, shape (W, N)
        Each asset's residual variance in the window, ``RSS / (n - 1)`` (descriptive, as
        ``RegressionResult.risk``); the forecasts' convention ``RSS / (n - K - 1)`` is
        ``risk.specific_variance``'s, which the backtest applies.
    nobs : ndarray of int, shape (W, N)
        Rows each asset used; an asset without enough rows in a window is NaN there.

    Derived (property): ``beta``, the loadings on the first factor, (W, N).

    Examples
    --------
    >>> import numpy as np
    >>> from xlfactor import rolling
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(0, 0.04, size=(120, 2))
    >>> y = f @ [[1.0, 0.8, 1.2], [0.5, -0.3, 0.0]] + rng.normal(0, 0.01, size=(120, 3))
    >>> res = rolling(y, f, 60, step=30)
    >>> res.ends, res.loadings.shape
    (array([ 59,  89, 119]), (3, 3, 2))
    >>> print(res.beta.round(2))
    [[1.03 0.74 1.21]
     [1.   0.8  1.24]
     [0.96 0.84 1.27]]
    """

    method: str
    starts: np.ndarray  # (W,) first row of each window
    ends: np.ndarray  # (W,) last row of each window (inclusive): the estimates use rows up to here only
    lambdas: np.ndarray  # (W,) the pooled lambda chosen in the window (NaN for OLS)
    intercept: np.ndarray  # (W, N)
    loadings: np.ndarray  # (W, N, K)
    r2: np.ndarray  # (W, N) 1 - specific / total variance in the window (OLS: its R2, in [0, 1]); NaN where the
    # asset's return is constant over the window (no variance to explain: R2 undefined)
    factor_cov: np.ndarray  # (W, K, K)
    specific_var: np.ndarray  # (W, N)
    nobs: np.ndarray  # (W, N) rows used by each asset in each window

    @property
    def beta(self) -> np.ndarray:
        """Loadings on the first factor (the market), (W, N)."""
        return self.loadings[:, :, 0]


def windows(n_rows: int, window: int, step: int = 1, expanding: bool = False) -> list[tuple[int, int]]:
    """The (first, last) rows of each window, oldest first.

    ``window`` rows ending every ``step`` rows, the last window ending at the last row; expanding windows
    all start at row 0 (the first holds ``window`` rows).

    Parameters
    ----------
    n_rows : int
        Rows of the data.
    window : int
        Rows per window (at least 2).
    step : int, default 1
        Rows between the ends of consecutive windows.
    expanding : bool, default False
        Start every window at row 0.

    Returns
    -------
    list of (int, int)
        First and last row (0-based, inclusive) of each window.

    Raises
    ------
    InputValueError
        When ``window`` is below 2 or above ``n_rows``, or ``step`` below 1.

    Examples
    --------
    >>> from xlfactor import windows
    >>> windows(10, 4, step=3)
    [(0, 3), (3, 6), (6, 9)]
    >>> windows(10, 4, step=3, expanding=True)
    [(0, 3), (0, 6), (0, 9)]
    """
    window = v.check_nonneg_int(window, "window", minimum=2)
    step = v.check_nonneg_int(step, "step", minimum=1)
    if window > n_rows:
        raise v.InputValueError(f"window is {window} rows but the data have {n_rows}; shorten the window.")
    ends = list(range(n_rows - 1, window - 2, -step))[::-1]
    return [(0 if expanding else end - window + 1, end) for end in ends]


@dataclass(frozen=True)
class Spec:
    """What is estimated on every window (validated; picklable, so a Dask worker gets it whole)."""

    method: str = "ols"
    folds: int = DEFAULTS["folds"]
    scheme: str = DEFAULTS["scheme"]
    gap: int = DEFAULTS["gap"]
    rule: str = DEFAULTS["rule"]
    pooled_loss: str = DEFAULTS["pooled_loss"]
    standardize: bool = False
    weights: tuple = ()
    l1_ratio: float = 1.0
    cov_method: str = DEFAULTS["cov_method"]
    halflife: float | None = None
    n_lambdas: int = 100
    eps: float = 1e-3
    tol: float = 1e-12
    max_iter: int = 10_000
    factor_names: tuple = ()  # for messages: a collinear factor is named (empty: "column k")


@v.checks_data
def rolling(
    returns: ArrayLike,
    factors: ArrayLike,
    window: int,
    *,
    step: int = 1,
    expanding: bool = False,
    method: str = "ols",
    folds: int = DEFAULTS["folds"],
    scheme: str = DEFAULTS["scheme"],
    gap: int = DEFAULTS["gap"],
    rule: str = DEFAULTS["rule"],
    pooled_loss: str = DEFAULTS["pooled_loss"],
    standardize: bool = False,
    penalty_weights: ArrayLike | None = None,
    l1_ratio: float | None = None,
    cov_method: str = DEFAULTS["cov_method"],
    halflife: float | None = None,
    n_lambdas: int = 100,
    engine: str = "local",
    scheduler: Any = None,
    chunk_windows: int | None = None,
    progress: Callable[[int, int], object] | None = None,
    factor_names: v.Names = None,
) -> RollingResult:
    """Loadings, R2, factor covariance and specific variances on every window (see the module docstring).

    ``method`` ols, ridge, lasso or enet; the penalised ones choose one lambda per window (pooled over the
    assets, ``rule`` and ``pooled_loss`` as in ``cv.CVResult.pooled_lambda``) by ``folds`` ``scheme`` folds inside
    the window. ``engine`` "local" (default) or "dask" with ``scheduler`` a ``dask.distributed.Client``, a
    scheduler address, or None (a local cluster). ``progress(done, total)`` is called after each chunk.

    Parameters
    ----------
    returns : array_like, shape (T, N)
        Asset (excess) returns, periods down rows; NaN is a missing value.
    factors : array_like, shape (T, K)
        Factor returns over the same periods.
    window : int
        Rows per window (see ``windows``).
    step : int, default 1
        Rows between consecutive window ends.
    expanding : bool, default False
        Windows all starting at row 0.
    method : {"ols", "ridge", "lasso", "enet"}, default "ols"
        The fit in each window.
    folds, scheme, gap, rule, pooled_loss
        The time-ordered cross-validation inside each window (``xlfactor.cross_validate``); defaults from
        ``xlfactor.core.options``.
    standardize : bool, default False
        Penalise unit-variance factors, report loadings in original units.
    penalty_weights : array_like of shape (K,), optional
        Per-factor penalty weights (0 leaves a factor unpenalised). Default: all 1.
    l1_ratio : float, optional
        The elastic net's mix (``method="enet"``).
    cov_method : {"sample", "ewma", "ledoitwolf"}
        The factor covariance in each window; ``halflife`` for ``ewma``.
    halflife : float, optional
        EWMA half-life in periods.
    n_lambdas : int, default 100
        Points of each window's lambda grid.
    engine : {"local", "dask"}, default "local"
        Where the chunks of windows run; the results are the same.
    scheduler : dask.distributed.Client or str, optional
        The Dask cluster (``engine="dask"``); None starts a local one for the call.
    chunk_windows : int, optional
        Windows per chunk. Default: at most about 200,000 (window, fold, asset) problems a chunk, and on Dask at
        least ``engines.TASKS_PER_SLOT`` chunks per worker thread. The numbers are identical for the same chunks;
        other chunks may change them in the last bits (about 1e-15).
    progress : callable, optional
        ``progress(done, total)`` after each chunk.
    factor_names : sequence of str, optional
        The factors' names, for messages (a collinear factor is named).

    Returns
    -------
    RollingResult
        Intercepts, loadings, R², factor covariance, specific variances, lambdas and rows used per window.

    Raises
    ------
    InputShapeError
        When ``returns`` and ``factors`` have different numbers of rows.
    InputValueError
        For bad values or options (an unknown method, a window longer than the data, ...).
    InsufficientDataError
        When a window's folds leave too few rows to fit.

    Examples
    --------
    >>> import numpy as np
    >>> from xlfactor import rolling
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(0, 0.04, size=(120, 2))
    >>> y = f @ [[1.0, 0.8, 1.2], [0.5, -0.3, 0.0]] + rng.normal(0, 0.01, size=(120, 3))
    >>> res = rolling(y, f, 60, step=30, method="lasso")
    >>> res.loadings[-1].round(2).tolist()  # the last window's loadings, one row per asset
    [[0.96, 0.53], [0.84, -0.26], [1.27, -0.03]]
    """
    y, x, spec = _prepare(
        returns,
        factors,
        method,
        folds,
        scheme,
        gap,
        rule,
        pooled_loss,
        standardize,
        penalty_weights,
        l1_ratio,
        cov_method,
        halflife,
        n_lambdas,
    )
    spec = replace(spec, factor_names=tuple(factor_names or ()))
    spans = np.array(windows(y.shape[0], window, step, expanding)).reshape(-1, 2)
    from .engines import TASKS_PER_SLOT, runner

    with runner(engine, scheduler) as run:
        # on a cluster, several chunks per worker thread; the data go to each worker once, a chunk names its rows
        tasks = run.slots * TASKS_PER_SLOT if run.remote else 1
        chunks = _chunks(spans, y.shape[1], spec, chunk_windows, tasks)
        parts = run.map(_chunk, [(a, b, spans[s], spec) for s, a, b in chunks], (y, x), progress)
    fields = {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}
    return RollingResult(method=spec.method, starts=spans[:, 0], ends=spans[:, 1], **fields)


def _prepare(
    returns,
    factors,
    method,
    folds,
    scheme,
    gap,
    rule,
    pooled_loss,
    standardize,
    penalty_weights,
    l1_ratio,
    cov_method,
    halflife,
    n_lambdas,
):
    y, x = returns, factors  # checked by ``rolling``'s decorator
    method = v.choose(method, ROLLING_METHODS, "method", DEFAULTS["rolling_method"])
    if method == "ols":
        given = [
            name for name, val in (("penalty_weights", penalty_weights), ("l1_ratio", l1_ratio)) if val is not None
        ]
        if given or standardize:
            name = (given + ["standardize"])[0]
            raise v.InputValueError(ignored(name, "ols", METHODS, default=DEFAULTS["rolling_method"]))
        v.check_factor_columns(x)
        ratio, w = 1.0, np.ones(x.shape[1])
    else:
        method, pen = penalized.prepare(y, x, method, penalized.Penalty(penalty_weights, l1_ratio))
        ratio, w = cast(float, pen.l1_ratio), cast(np.ndarray, pen.weights)  # checked by prepare
    cov_method = v.choose(cov_method, risk.COV_METHODS, "cov_method", DEFAULTS["cov_method"])
    risk.check_cov_used(cov_method, "cov_method", halflife=halflife)
    risk.factor_covariance(x, cov_method, halflife)  # checks the options on the whole sample
    cvo = CVOptions(folds=folds, scheme=scheme, gap=gap, rule=rule, pooled_loss=pooled_loss).checked()
    spec = Spec(
        method=method,
        folds=cvo.folds,
        scheme=cvo.scheme,
        gap=cvo.gap,
        rule=cvo.rule,
        pooled_loss=cvo.pooled_loss,
        standardize=bool(standardize),
        weights=tuple(float(a) for a in w),
        l1_ratio=float(ratio),
        cov_method=v.choose(cov_method, risk.COV_METHODS, "cov_method", DEFAULTS["cov_method"]),
        halflife=None if halflife is None else float(halflife),
        n_lambdas=v.check_nonneg_int(n_lambdas, "n_lambdas", minimum=1, maximum=penalized.MAX_LAMBDAS),
    )
    return y, x, spec


def _chunks(spans: np.ndarray, n_assets: int, spec: Spec, chunk_windows: int | None, tasks: int = 1):
    """(window slice, first row, last row) of each chunk of consecutive windows: ``chunk_windows`` windows, or
    at most CHUNK_PROBLEMS problems and at least ``tasks`` chunks (when there are that many windows)."""
    per_window = n_assets * (1 if spec.method == "ols" else spec.folds + 1)
    size = chunk_windows or min(max(1, CHUNK_PROBLEMS // per_window), -(-len(spans) // tasks))
    if not chunk_windows and tasks > 1:  # a multiple of the tasks, so that no worker gets one chunk more
        n_chunks = -(-len(spans) // size)
        size = max(1, -(-len(spans) // (-(-n_chunks // tasks) * tasks)))
    size = v.check_nonneg_int(size, "chunk_windows", minimum=1)
    out = []
    for i in range(0, len(spans), size):
        s = slice(i, min(i + size, len(spans)))
        out.append((s, int(spans[s, 0].min()), int(spans[s, 1].max())))
    return out


def _chunk(y: np.ndarray, x: np.ndarray, first: int, last: int, windows_: np.ndarray, spec: Spec) -> dict:
    """Every estimate on the windows ``windows_`` (first, last row), from rows ``first`` to ``last`` of the whole
    data (which a Dask worker holds once for every chunk). BLAS runs on one thread here, so a chunk's numbers do
    not depend on where it runs (a multi-threaded matrix product may sum in another order)."""
    # fresh copies of the chunk's rows: numpy's SIMD reductions may round by memory alignment
    y, x = np.array(y[first : last + 1], order="C"), np.array(x[first : last + 1], order="C")
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return _estimate(y, x, first, windows_, spec)
    with threadpool_limits(1, user_api="blas"):
        return _estimate(y, x, first, windows_, spec)


def _estimate(y: np.ndarray, x: np.ndarray, first: int, windows_: np.ndarray, spec: Spec) -> dict:
    spans = windows_ - first
    n_win, n, k = len(spans), y.shape[1], x.shape[1]
    w = penalized.Penalty(np.asarray(spec.weights), spec.l1_ratio, spec.standardize)  # checked in _prepare
    sets = [np.arange(a, b + 1) for a, b in spans]
    where = lambda s, _=None: f" in the window of rows {windows_[s][0] + 1}-{windows_[s][1] + 1}"  # noqa: E731
    by_qr: list[int] = []
    for s, rows in enumerate(sets):
        xs = x[rows][np.isfinite(x[rows]).all(axis=1)]
        what = f"the {len(xs)} rows{where(s)} where every factor is present"
        if len(xs) < k + 2:
            raise InsufficientDataError(f"{what} are too few: a regression on {k} factor(s) needs {k + 2}.")
        v.check_not_constant(xs, what)
        if spec.method == "ols":  # solved from Gram sums below: refuse where they cannot give 6 digits
            xc = xs - xs.mean(axis=0)
            r_xc = cast(np.ndarray, np.linalg.qr(xc / np.linalg.norm(xc, axis=0), mode="r"))  # mode "r": R alone
            # one limit with OLS (regression.ols, COND_LIMIT_QR); windows beyond the Gram sums' limit by QR below
            if v.check_conditioning(r_xc, what, v.COND_LIMIT_QR, spec.factor_names or None) > v.COND_LIMIT_GRAM:
                by_qr.append(s)
        else:
            v.check_not_collinear(xs, what, "their loadings are not unique.", spec.factor_names or None)
    full, _ = _build_problems(y, x, sets, spec.standardize, set_label=where)
    lam = np.full(n_win, np.nan)
    if spec.method == "ols":
        coef = np.linalg.solve(full.gram[full.block], full.xty.T[:, :, None])[:, :, 0].T
    else:
        lam = _choose_lambdas(y, x, spans, windows_, full, spec, w)
        coef = _coef_at(full, lam, spec, w)
    intercept, load = full.original_units(coef)
    c, g = full.xty, full.gram[full.block]
    gb = sum(g[:, :, j].T * coef[j] for j in range(k))  # G b per problem by elementwise operations only: sums in
    # one order whatever the arrays' memory alignment (numpy's SIMD reductions are not; chunks must give the
    # same numbers in any process)
    rss = np.maximum(full.yty - 2 * (coef * c).sum(axis=0) + (coef * gb).sum(axis=0), 0.0)
    out = {
        "lambdas": lam,
        "intercept": np.full((n_win, n), np.nan),
        "loadings": np.full((n_win, n, k), np.nan),
        "r2": np.full((n_win, n), np.nan),
        "specific_var": np.full((n_win, n), np.nan),
        "nobs": np.zeros((n_win, n), int),
    }
    at = (full.rowset, full.asset)
    out["intercept"][at], out["loadings"][at] = intercept, load.T + 0.0
    out["specific_var"][at] = rss / (full.n - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["r2"][at] = np.clip(1.0 - rss / full.yty, 0.0, 1.0) if spec.method == "ols" else 1.0 - rss / full.yty
    out["r2"][_constant(y, spans)] = np.nan  # 0 / 0: no variance to explain (see RollingResult.r2)
    out["nobs"][at] = full.n
    for s in by_qr:  # the Gram sums' error grows with the condition number squared: these windows by QR instead
        _refit_by_qr(out, y[sets[s]], x[sets[s]], s)
    out["factor_cov"] = np.array([risk.factor_covariance(x[r], spec.cov_method, spec.halflife) for r in sets])
    return out


def _refit_by_qr(out: dict, y: np.ndarray, x: np.ndarray, s: int) -> None:
    """Window ``s``'s OLS estimates again from the QR of its factors (``regression.ols``), for the assets fitted."""
    fitted = out["nobs"][s] > 0
    if not fitted.any():
        return
    res = regression.ols(y[:, fitted], x)
    out["intercept"][s, fitted], out["loadings"][s, fitted] = res.coef[:, 0], res.coef[:, 1:]
    out["specific_var"][s, fitted] = res.resid_ss / (res.nobs - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["r2"][s, fitted] = np.clip(1.0 - res.resid_ss / res.total_ss, 0.0, 1.0)


def _typical_row(y: np.ndarray, x: np.ndarray) -> int:
    """The row whose factors (and then returns) lie closest to their medians, in units of their spread: the
    Gram sums are centred on it (``_build_problems``)."""

    def z(a):
        med = np.nanmedian(a, axis=0)
        spread = np.nanmedian(np.abs(a - med), axis=0)
        return np.abs(a - med) / np.where(spread > 0, spread, 1.0)

    with np.errstate(invalid="ignore"):
        score = np.nan_to_num(z(x).max(axis=1), nan=np.inf)
        full = np.isfinite(y).all(axis=1)
        if full.any():
            score = score + np.where(full, np.nan_to_num(z(y).max(axis=1), nan=np.inf), np.inf)
    return int(np.argmin(score))


def _build_problems(y, x, sets, standardize, test_sets=None, set_label=None):
    """``penalized.build_problems`` with the sums centred on a typical row (a first set of that one row, whose
    problems are dropped as too short), not on the mean of the first window: a window with one huge value
    (a market cell of 1e8) would otherwise take every other window's precision (and its Gram matrix) with it."""
    first = [np.array([_typical_row(y, x)])]
    label = lambda s, n=None: set_label(s - 1, n)  # noqa: E731
    tests = None if test_sets is None else [np.array([], int), *test_sets]
    probs, test = penalized.build_problems(y, x, first + list(sets), standardize, tests, set_label=label, short="drop")
    return replace(probs, rowset=probs.rowset - 1), test


def _constant(y: np.ndarray, spans: np.ndarray) -> np.ndarray:
    """(W, N): the returns that do not vary over the window's rows where they are present."""
    with np.errstate(invalid="ignore"):
        return np.array(
            [np.fmax.reduce(y[a : b + 1], axis=0) == np.fmin.reduce(y[a : b + 1], axis=0) for a, b in spans]
        ).reshape(len(spans), y.shape[1])


def _choose_lambdas(y, x, spans, windows_, full, spec: Spec, w):
    """Each window's pooled lambda by CV inside it (a point of the window's grid)."""
    n_win, n, k = len(spans), y.shape[1], x.shape[1]
    if spec.method == "ridge":
        present, first = np.unique(full.rowset, return_index=True)  # each window's first block (as cv's grid)
        grid = np.full((spec.n_lambdas, n_win), np.nan)
        for s, p in zip(present, first, strict=True):
            grid[:, s] = penalized.ridge_grid(full.gram[full.block[p]], spec.n_lambdas)
    else:
        lam_max = np.zeros(n_win)
        np.maximum.at(lam_max, full.rowset, penalized.lasso_lambda_max(full, w))
        grid = penalized.lasso_grid(lam_max, spec.n_lambdas, spec.eps)
    trains, tests, owners, parts = [], [], [], {}
    for s, (a, b) in enumerate(spans):
        if b - a + 1 not in parts:  # the folds depend on the window's length only
            parts[b - a + 1] = cv.splits(b - a + 1, spec.folds, spec.scheme, spec.gap, min_train=k + 2)
        for tr, te in parts[b - a + 1]:
            trains.append(tr + a)
            tests.append(te + a)
            owners.append(s)
    owner = np.array(owners)

    def label(i, _=None):
        return (
            f" in the training rows of fold {i % spec.folds + 1} of the window of rows "
            f"{windows_[owner[i]][0] + 1}-{windows_[owner[i]][1] + 1}"
        )

    probs, test = _build_problems(y, x, trains, spec.standardize, tests, set_label=label)
    win = owner[probs.rowset]
    sse, _, _ = penalized.score_path(
        probs, np.take(grid, win, axis=1), spec.method, w, _solver(spec), test
    )  # np.take: each lambda's row contiguous
    with np.errstate(invalid="ignore", divide="ignore"):
        sse /= np.where(test["n"] > 0, test["n"], np.nan)  # mean squared errors, in place
    fold_mse = np.full((spec.n_lambdas, spec.folds, n, n_win), np.nan)  # each window a CV of its own (last axis)
    fold_mse[:, probs.rowset % spec.folds, probs.asset, win] = sse
    del sse
    asset_var = np.full((n, n_win), np.nan)
    asset_var[full.asset, full.rowset] = full.yty / np.maximum(full.n - 1, 1)
    where = lambda s: f"in the window of rows {windows_[s][0] + 1}-{windows_[s][1] + 1}: "  # noqa: E731
    pooled = cv.pooled_loss(fold_mse, asset_var, spec.pooled_loss, where)  # (L, F, W)
    idx = cv.choose_index(pooled, grid, spec.rule, lambda s: where(s) + "the pooled loss")
    return grid[idx, np.arange(n_win)]


def _coef_at(full, lam, spec: Spec, w):
    """The full-window coefficients (K, P) at each window's chosen lambda, as the single-window fit finds them:
    ridge in closed form, the lasso and elastic net by one exact solve at that lambda (no path down to it)."""
    at = lam[full.rowset][None, :]
    if spec.method == "ridge":
        return penalized.ridge_path(full, at, w)[0]
    coef = penalized.enet_path(full, at, w, _solver(spec)).coef
    assert coef is not None  # keep=True (the default) stores the coefficients
    return coef[0]


def _solver(spec: Spec) -> penalized.Solver:
    return penalized.Solver(tol=spec.tol, max_iter=spec.max_iter).checked()


__all__ = ["RollingResult", "rolling", "windows", "ROLLING_METHODS"]
