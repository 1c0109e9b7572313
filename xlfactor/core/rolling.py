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

from dataclasses import dataclass

import numpy as np

from ..errors import InsufficientDataError
from . import _validation as v
from . import cv, penalized, risk
from .options import DEFAULTS, METHODS

ROLLING_METHODS = ("ols", *METHODS)
CHUNK_PROBLEMS = 200_000  # (window, fold, asset) problems per chunk: bounds memory (about 1 KiB a problem at K = 5);
# a step along the path has a fixed cost, so fewer, larger chunks are faster


@dataclass(frozen=True, eq=False)
class RollingResult:
    """Estimates per window (window axis first)."""

    method: str
    starts: np.ndarray  # (W,) first row of each window
    ends: np.ndarray  # (W,) last row of each window (inclusive): the estimates use rows up to here only
    lambdas: np.ndarray  # (W,) the pooled lambda chosen in the window (NaN for OLS)
    intercept: np.ndarray  # (W, N)
    loadings: np.ndarray  # (W, N, K)
    r2: np.ndarray  # (W, N) 1 - specific / total variance in the window (OLS: its R2)
    factor_cov: np.ndarray  # (W, K, K)
    specific_var: np.ndarray  # (W, N)
    nobs: np.ndarray  # (W, N) rows used by each asset in each window

    @property
    def beta(self) -> np.ndarray:
        """Loadings on the first factor (the market), (W, N)."""
        return self.loadings[:, :, 0]


def windows(n_rows: int, window: int, step: int = 1, expanding: bool = False) -> list[tuple[int, int]]:
    """(first, last) rows of each window: ``window`` rows ending every ``step`` rows, the last ending at the
    last row; expanding windows all start at row 0 (the first holds ``window`` rows)."""
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


def rolling(
    returns,
    factors,
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
    penalty_weights=None,
    l1_ratio: float | None = None,
    cov_method: str = DEFAULTS["cov_method"],
    halflife: float | None = None,
    n_lambdas: int = 100,
    engine: str = "local",
    scheduler=None,
    chunk_windows: int | None = None,
    progress=None,
) -> RollingResult:
    """Loadings, R2, factor covariance and specific variances on every window (see the module docstring).

    ``method`` ols, ridge, lasso or enet; the penalised ones choose one lambda per window (pooled over the
    assets, ``rule`` and ``pooled_loss`` as in ``cv.CVResult.pooled_lambda``) by ``folds`` ``scheme`` folds inside
    the window. ``engine`` "local" (default) or "dask" with ``scheduler`` a ``dask.distributed.Client``, a
    scheduler address, or None (a local cluster). ``progress(done, total)`` is called after each chunk.
    """
    y, x, spec = _prepare(returns, factors, method, folds, scheme, gap, rule, pooled_loss, standardize,
                          penalty_weights, l1_ratio, cov_method, halflife, n_lambdas)
    spans = np.array(windows(y.shape[0], window, step, expanding)).reshape(-1, 2)
    chunks = _chunks(spans, y.shape[1], spec, chunk_windows)
    from .engines import run_chunks

    parts = run_chunks(engine, scheduler, _chunk, [(y[a:b + 1], x[a:b + 1], a, spans[s], spec) for s, a, b in chunks],
                       progress)
    fields = {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}
    return RollingResult(method=spec.method, starts=spans[:, 0], ends=spans[:, 1], **fields)


def _prepare(returns, factors, method, folds, scheme, gap, rule, pooled_loss, standardize, penalty_weights, l1_ratio,
             cov_method, halflife, n_lambdas):
    method = v.choose(method, ROLLING_METHODS, "method", "ols")
    if method == "ols":
        y = v.as_float_2d(returns, "returns")
        x = v.as_float_2d(factors, "factors")
        v.check_same_rows(y, x, "returns", "factors")
        v.check_factor_columns(x)
        ratio, w = 1.0, np.ones(x.shape[1])
    else:
        y, x, method, pen = penalized.prepare(returns, factors, method, penalized.Penalty(penalty_weights, l1_ratio))
        ratio, w = pen.l1_ratio, pen.weights
    risk.factor_covariance(x, cov_method, halflife)  # checks the options on the whole sample
    spec = Spec(
        method=method, folds=v.check_nonneg_int(folds, "folds", minimum=2, maximum=cv.MAX_FOLDS),
        scheme=v.choose(scheme, cv.SCHEMES, "scheme", DEFAULTS["scheme"]), gap=v.check_nonneg_int(gap, "gap"),
        rule=v.choose(rule, cv.RULES, "rule", DEFAULTS["rule"]),
        pooled_loss=v.choose(pooled_loss, cv.POOLED_LOSSES, "pooled_loss", DEFAULTS["pooled_loss"]),
        standardize=bool(standardize), weights=tuple(float(a) for a in w), l1_ratio=float(ratio),
        cov_method=v.choose(cov_method, risk.COV_METHODS, "cov_method", DEFAULTS["cov_method"]),
        halflife=None if halflife is None else float(halflife),
        n_lambdas=v.check_nonneg_int(n_lambdas, "n_lambdas", minimum=1, maximum=penalized.MAX_LAMBDAS),
    )
    return y, x, spec


def _chunks(spans: np.ndarray, n_assets: int, spec: Spec, chunk_windows: int | None):
    """(window slice, first row, last row) of each chunk of consecutive windows."""
    per_window = n_assets * (1 if spec.method == "ols" else spec.folds + 1)
    size = chunk_windows or max(1, CHUNK_PROBLEMS // per_window)
    size = v.check_nonneg_int(size, "chunk_windows", minimum=1)
    out = []
    for i in range(0, len(spans), size):
        s = slice(i, min(i + size, len(spans)))
        out.append((s, int(spans[s, 0].min()), int(spans[s, 1].max())))
    return out


def _chunk(y: np.ndarray, x: np.ndarray, first: int, windows_: np.ndarray, spec: Spec) -> dict:
    """Every estimate on the windows ``windows_`` (first, last row), given the chunk's rows of the data from row
    ``first`` on. BLAS runs on one thread here, so a chunk's numbers do not depend on where it runs (a
    multi-threaded matrix product may sum in another order)."""
    # fresh copies, as a worker unpickles them: numpy's SIMD reductions may round by memory alignment
    y, x = np.array(y, order="C"), np.array(x, order="C")
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
    for s, rows in enumerate(sets):
        xs = x[rows][np.isfinite(x[rows]).all(axis=1)]
        what = f"the {len(xs)} rows{where(s)} where every factor is present"
        if len(xs) < k + 2:
            raise InsufficientDataError(f"{what} are too few: a regression on {k} factor(s) needs {k + 2}.")
        v.check_not_constant(xs, what)
        v.check_not_collinear(xs, what, "their loadings are not unique.")
    full, _ = penalized.build_problems(y, x, sets, spec.standardize, set_label=where, short="drop")
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
    out = {"lambdas": lam, "intercept": np.full((n_win, n), np.nan), "loadings": np.full((n_win, n, k), np.nan),
           "r2": np.full((n_win, n), np.nan), "specific_var": np.full((n_win, n), np.nan),
           "nobs": np.zeros((n_win, n), int)}
    at = (full.rowset, full.asset)
    out["intercept"][at], out["loadings"][at] = intercept, load.T + 0.0
    out["specific_var"][at] = rss / (full.n - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["r2"][at] = 1.0 - rss / full.yty
    out["nobs"][at] = full.n
    out["factor_cov"] = np.array([risk.factor_covariance(x[r], spec.cov_method, spec.halflife) for r in sets])
    return out


def _choose_lambdas(y, x, spans, windows_, full, spec: Spec, w):
    """Each window's pooled lambda by CV inside it (a point of the window's grid)."""
    n_win, n, k = len(spans), y.shape[1], x.shape[1]
    if spec.method == "ridge":
        present, first = np.unique(full.rowset, return_index=True)  # each window's first block (as cv's grid)
        grid = np.full((spec.n_lambdas, n_win), np.nan)
        for s, p in zip(present, first):
            grid[:, s] = penalized.ridge_grid(full.gram[full.block[p]], spec.n_lambdas)
    else:
        lam_max = np.zeros(n_win)
        np.maximum.at(lam_max, full.rowset, penalized.lasso_lambda_max(full, w))
        grid = penalized.lasso_grid(lam_max, spec.n_lambdas, spec.eps)
    trains, tests, owner, parts = [], [], [], {}
    for s, (a, b) in enumerate(spans):
        if b - a + 1 not in parts:  # the folds depend on the window's length only
            parts[b - a + 1] = cv.splits(b - a + 1, spec.folds, spec.scheme, spec.gap, min_train=k + 2)
        for tr, te in parts[b - a + 1]:
            trains.append(tr + a)
            tests.append(te + a)
            owner.append(s)
    owner = np.array(owner)
    label = lambda i, _=None: (f" in the training rows of fold {i % spec.folds + 1} of the window of rows "  # noqa: E731
                               f"{windows_[owner[i]][0] + 1}-{windows_[owner[i]][1] + 1}")
    probs, test = penalized.build_problems(y, x, trains, spec.standardize, tests, set_label=label, short="drop")
    win = owner[probs.rowset]
    sse, _, _ = penalized.score_path(probs, np.take(grid, win, axis=1), spec.method, w, _solver(spec),
                                     test)  # np.take: each lambda's row contiguous
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
    return penalized.enet_path(full, at, w, _solver(spec)).coef[0]


def _solver(spec: Spec) -> penalized.Solver:
    return penalized.Solver(tol=spec.tol, max_iter=spec.max_iter).checked()


__all__ = ["RollingResult", "rolling", "windows", "ROLLING_METHODS"]
