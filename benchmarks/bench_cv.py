"""Cross-validated lambda for all assets (xlfactor) versus per-asset scikit-learn loops.

Run: python benchmarks/bench_cv.py [--quick] [--glmnet-python PATH]

Walk-forward folds (TimeSeriesSplit(5)), 100 lambdas, seeded synthetic daily data.
- lasso: xlfactor.core.cv.cross_validate vs a loop of LassoCV(alphas=<same grid>, cv=<same folds>)
  at scikit-learn's default tolerance, as an analyst would run it; prints the time ratio and the
  share of assets given the same lambda.
- lasso reference: scikit-learn ``lasso_path`` at tol 1e-12 on the same folds and grid for a subset of
  assets: the share given the same lambda; and the loadings at the chosen lambda against
  ``Lasso(tol=1e-14)`` (largest difference).
- glmnet's Fortran (python-glmnet's ``elnet``) on the same folds and grid (benchmarks/glmnet_peer.py); it
  does not build against numpy 2, so it runs in an environment of its own, given by --glmnet-python
  (benchmarks/README.md says how to make it); without it the line says so.
- ridge: vs a loop of GridSearchCV(Ridge(), same grid, same folds) (what RidgeCV does with cv=...), and
  vs a minimal eigenbasis prototype (one eigendecomposition per fold, every lambda's held-out error in
  closed form), the fastest numpy formulation we know.
Peers that would take minutes are timed on a subset of assets and extrapolated linearly (said so
in the output). Peak memory of xlfactor's call is measured with tracemalloc. Every xlfactor timing is a
cold call: the result caches are cleared before each repeat (a cached repeat costs only hashing). Each condition's
line gives xlfactor's and glmnet's CPU seconds (every thread's) beside their wall times: the steadier figure on a
machine others load.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
from sklearn.linear_model import LassoCV, Ridge
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._common import (
    BUSY,
    Condition,
    blas_threads,
    clear_result_caches,
    factor_data,
    header,
    load_average,
    median_time,
    spread,
)
from xlfactor.core import cv


def sparse_data(t, k, n, seed):
    """Factor data whose assets load on about half of the factors (so the lasso has work to do)."""
    y, x = factor_data(t, k, n, seed=seed, noise=0.015)
    rng = np.random.default_rng(seed + 1)
    b = rng.normal(0.5, 0.5, size=(n, k)) * (rng.random((n, k)) < 0.5)
    y = x @ b.T + rng.normal(0, 0.015, size=(t, n))
    return y, x


def peak_memory(fn):
    clear_result_caches()  # a cached repeat would measure nothing
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def lasso_peer(y, x, grid, cols):
    folds = TimeSeriesSplit(5)
    t0 = time.perf_counter()
    alphas = [LassoCV(alphas=grid[:, j], cv=folds).fit(x, y[:, j]).alpha_ for j in cols]
    return time.perf_counter() - t0, np.array(alphas)


def ridge_peer(y, x, grid, cols):
    t0 = time.perf_counter()
    for j in cols:
        GridSearchCV(Ridge(), {"alpha": grid}, cv=TimeSeriesSplit(5), scoring="neg_mean_squared_error").fit(x, y[:, j])
    return time.perf_counter() - t0


def folds_of(t):
    return list(TimeSeriesSplit(5).split(np.arange(t)))


def tight_reference(y, x, grid, cols):
    """Best lambda per asset from scikit-learn's lasso_path at tol 1e-12 on the same folds and grid."""
    from sklearn.linear_model import lasso_path

    best = []
    for j in cols:
        err = np.zeros(grid.shape[0])
        for tr, te in folds_of(len(x)):
            xm, ym = x[tr].mean(0), y[tr, j].mean()
            _, coefs, _ = lasso_path(x[tr] - xm, y[tr, j] - ym, alphas=grid[:, j], tol=1e-12, max_iter=100_000)
            err += ((y[te, j] - ym)[:, None] - (x[te] - xm) @ coefs).__pow__(2).mean(axis=0)
        best.append(grid[np.argmin(err), j])
    return np.array(best)


def loadings_check(y, x, lam, cols):
    """Largest difference between xlfactor's lasso loadings and Lasso(tol=1e-14), at each asset's lambda."""
    from sklearn.linear_model import Lasso

    from xlfactor.core import penalized

    worst = 0.0
    for j, a in zip(cols, lam[: cols.size], strict=True):
        ours = penalized.lasso(y[:, [j]], x, [a]).loadings[0, 0]
        ref = Lasso(alpha=a, tol=1e-14, max_iter=1_000_000).fit(x, y[:, j]).coef_
        worst = max(worst, float(np.abs(ours - ref).max()))
    return worst


def glmnet_peer(y, x, grid, cols, python):
    """(seconds, CPU seconds, best lambdas) of glmnet's Fortran on the same folds and grid for the assets ``cols``
    (benchmarks/glmnet_peer.py), run by the interpreter ``python`` that has python-glmnet, or in this
    process when it has; None when neither has it."""
    folds = folds_of(len(x))
    if python is None:
        try:
            from benchmarks import glmnet_peer as peer

            t0, c0 = time.perf_counter(), time.process_time()
            best = peer.cross_validate(y, x, grid, folds, cols)
            return time.perf_counter() - t0, time.process_time() - c0, best
        except ImportError:
            return None
    data = {"y": y[:, cols], "x": x, "grid": grid[:, cols], "cols": np.arange(cols.size), "n_folds": len(folds)}
    for i, (tr, te) in enumerate(folds):
        data[f"train{i}"], data[f"test{i}"] = tr, te
    with tempfile.TemporaryDirectory() as tmp:
        problem = Path(tmp) / "problem.npz"
        np.savez(problem, **data)
        out = subprocess.run(
            [python, str(Path(__file__).with_name("glmnet_peer.py")), str(problem)],
            capture_output=True,
            text=True,
            check=True,
        )
    res = json.loads(out.stdout)
    return res["seconds"], res["cpu"], np.array(res["best"])


def ridge_prototype(y, x, grid):
    """Ridge CV the shortest way in numpy: per fold one eigendecomposition and the test rows' Gram
    quantities, then every lambda's held-out error in closed form (K x K x N work per lambda)."""
    err = np.zeros((grid.size, y.shape[1]))
    for tr, te in folds_of(len(x)):
        xm, ym = x[tr].mean(0), y[tr].mean(0)
        xc = x[tr] - xm
        d, v = np.linalg.eigh(xc.T @ xc)
        z = v.T @ (xc.T @ (y[tr] - ym))  # (K, N)
        xt, yt = (x[te] - xm) @ v, y[te] - ym
        h, q, yy = xt.T @ xt, xt.T @ yt, np.einsum("ij,ij->j", yt, yt)
        for i, lam in enumerate(grid):
            b = z / (d + lam)[:, None]
            err[i] += (yy - 2 * np.einsum("kn,kn->n", b, q) + np.einsum("kn,kn->n", b, h @ b)) / len(te)
    return err


ROUNDS = 3  # cold calls of xlfactor per condition, interleaved with the peers


def run(
    t, k, n, lasso_subset, ridge_subset, tight_subset, glmnet_subset, glmnet_python=None, conditions=("quiet", "loaded")
):
    y, x = sparse_data(t, k, n, seed=t + k + n)
    print(
        f"\nT={t} K={k} N={n}, 100 lambdas, 5 walk-forward folds; load average at start {load_average()}; "
        f"BLAS {blas_threads()}"
    )
    res = cv.cross_validate(y, x, method="lasso", folds=5, scheme="walkforward")
    mem = peak_memory(lambda: cv.cross_validate(y, x, method="lasso", folds=5, scheme="walkforward"))
    cols = np.arange(min(n, lasso_subset))
    g_cols = np.arange(min(n, glmnet_subset))  # glmnet is quick: more assets, so that each round times a while
    grid = cv.cross_validate(y[:, :1], x, method="ridge", folds=5, scheme="walkforward").lambdas[:, 0]

    def cold(method, cpu):
        clear_result_caches()
        t0, c0 = time.perf_counter(), time.process_time()
        cv.cross_validate(y, x, method=method, folds=5, scheme="walkforward")
        cpu.append(time.process_time() - c0)  # every thread's: on a loaded machine the steadier figure
        return time.perf_counter() - t0

    # interleaved: each round runs every condition in turn, and in each xlfactor (cold) and then each peer on its
    # share of the assets, so a slow phase of the shared machine weighs on both sides of the ratios alike
    times = {
        c: {"lasso": [], "ridge": [], "lasso_cpu": [], "ridge_cpu": [], "proto": [], "proto1": []}
        | {"peer": 0.0, "glmnet": 0.0, "glmnet_cpu": 0.0}
        for c in conditions
    }
    alphas, g_best = [], []
    for share, g_share in zip(np.array_split(cols, ROUNDS), np.array_split(g_cols, ROUNDS), strict=True):
        for c in conditions:
            tc = times[c]
            with Condition(c):
                tc["lasso"].append(cold("lasso", tc["lasso_cpu"]))
                p_time, p_alphas = lasso_peer(y, x, res.lambdas, share)
                tc["peer"] += p_time
                g = glmnet_peer(y, x, res.lambdas, g_share, glmnet_python)
                if g is not None:
                    tc["glmnet"] += g[0]
                    tc["glmnet_cpu"] += g[1]
                tc["ridge"].append(cold("ridge", tc["ridge_cpu"]))
                tc["proto"].append(median_time(lambda: ridge_prototype(y, x, grid), 1))
                with threadpool_limits(1):  # the prototype as xlfactor runs, BLAS on one thread: its best case here
                    tc["proto1"].append(median_time(lambda: ridge_prototype(y, x, grid), 1))
            if c == conditions[0]:
                alphas += list(p_alphas)
                g_best += [] if g is None else list(g[2])
    same = np.isclose(res.best_lambda()[cols], alphas, rtol=1e-9).mean()
    note = "" if cols.size == n else f", extrapolated from {cols.size} assets"
    print(
        f"  lasso CV peak {mem:.0f} MiB, converged={res.converged}; LassoCV loop gives the same lambda for "
        f"{100 * same:.1f}% of assets"
        + (
            f", glmnet for {100 * np.isclose(res.best_lambda()[g_cols], g_best, rtol=1e-9).mean():.1f}%"
            if g_best
            else ""
        )
    )
    for c in conditions:
        tc = times[c]
        ours, ridge, proto = (float(np.median(tc[m])) for m in ("lasso", "ridge", "proto"))
        best = min(proto, float(np.median(tc["proto1"])))
        peer_all = tc["peer"] * n / cols.size
        line = (
            f"  [{c}] lasso CV: xlfactor {spread(tc['lasso'])} (median [min-max] of {ROUNDS} cold calls); "
            f"LassoCV loop {peer_all:.1f} s{note}: ratio {peer_all / ours:.0f}x"
        )
        line += f"; xlfactor's CPU {float(np.median(tc['lasso_cpu'])):.3f} s"
        if g_best:
            g_all, g_cpu = (tc[m] * n / g_cols.size for m in ("glmnet", "glmnet_cpu"))
            g_note = "" if g_cols.size == n else f", extrapolated from {g_cols.size} assets"
            line += (
                f"; glmnet's Fortran (elnet, thr 1e-7) {g_all:.2f} s (CPU {g_cpu:.2f} s){g_note}: ratio "
                f"{g_all / ours:.1f}x (CPU {g_cpu / float(np.median(tc['lasso_cpu'])):.1f}x)"
            )
        print(line)
        print(
            f"  [{c}] ridge CV: xlfactor {spread(tc['ridge'])} (CPU {float(np.median(tc['ridge_cpu'])):.3f} s); eigenbasis prototype {spread(tc['proto'])}: "
            f"xlfactor takes {ridge / proto:.2f}x its time; on one BLAS thread {spread(tc['proto1'])}: against the "
            f"faster of the two {ridge / best:.2f}x (target <= 1.2x)"
        )
    if not g_best:
        print(
            "  glmnet: not installed here (python-glmnet does not build against numpy 2); skipped. "
            "benchmarks/README.md says how to build it and pass --glmnet-python"
        )
    ref_cols = np.arange(min(n, tight_subset))
    tight = tight_reference(y, x, res.lambdas, ref_cols)
    same_tight = np.isclose(res.best_lambda()[ref_cols], tight, rtol=1e-9).mean()
    worst = loadings_check(y, x, res.best_lambda()[ref_cols], ref_cols[:5])
    print(
        f"  lasso reference (lasso_path tol 1e-12, same folds and grid, {ref_cols.size} assets): same lambda "
        f"{100 * same_tight:.1f}%; loadings vs Lasso(tol=1e-14) differ by at most {worst:.1e}"
    )
    mem_r = peak_memory(lambda: cv.cross_validate(y, x, method="ridge", folds=5, scheme="walkforward"))
    rcols = np.arange(min(n, ridge_subset))
    peer_r = ridge_peer(y, x, grid, rcols) * n / rcols.size
    ours_r = float(np.median(times[conditions[0]]["ridge"]))
    print(
        f"  ridge CV peak {mem_r:.0f} MiB; GridSearchCV(Ridge) loop {peer_r:.1f} s (extrapolated from {rcols.size} "
        f"assets, {conditions[0]}): ratio {peer_r / ours_r:.0f}x"
    )
    res_r = cv.cross_validate(y, x, method="ridge", folds=5, scheme="walkforward")
    agree = (res_r.best_lambda() == grid[np.argmin(ridge_prototype(y, x, grid), axis=0)]).mean()
    print(
        f"  ridge: same lambda as the prototype for {100 * agree:.1f}% of assets; load average at end {load_average()}"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="peers on small subsets of the assets")
    ap.add_argument("--sizes", default="small,medium,large", help="which sizes, comma-separated (default all three)")
    ap.add_argument(
        "--conditions",
        default="quiet,loaded",
        help=f"quiet and/or loaded ({BUSY} busy processes started by the benchmark); default both",
    )
    ap.add_argument(
        "--glmnet-python",
        default=os.environ.get("XLFACTOR_GLMNET_PYTHON"),
        help="a Python that has python-glmnet (see benchmarks/README.md); default $XLFACTOR_GLMNET_PYTHON",
    )
    args = ap.parse_args()
    header("cross-validated lambda: xlfactor vs scikit-learn loops and glmnet")
    gp, q, cond = args.glmnet_python, args.quick, tuple(args.conditions.split(","))
    sizes = {  # (T, K, N), peers' subsets (lasso, ridge, tight reference, glmnet): full, quick
        "small": ((1260, 10, 100), (100, 20, 100, 100), (30, 3, 30, 100)),
        "medium": ((2520, 10, 500), (500, 20, 500, 500), (30, 3, 30, 60)),
        "large": ((5040, 20, 3000), (30, 5, 100, 30), (9, 2, 9, 9)),
    }
    for name in args.sizes.split(","):
        shape, full, quick = sizes[name]
        lasso_sub, ridge_sub, tight_sub, glmnet_sub = quick if q else full
        run(
            *shape,
            lasso_subset=lasso_sub,
            ridge_subset=ridge_sub,
            tight_subset=tight_sub,
            glmnet_subset=glmnet_sub,
            glmnet_python=gp,
            conditions=cond,
        )


if __name__ == "__main__":
    main()
