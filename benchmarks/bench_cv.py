"""Cross-validated lambda for all assets (xlfactor) versus per-asset scikit-learn loops.

Run: python benchmarks/bench_cv.py [--quick]

Walk-forward folds (TimeSeriesSplit(5)), 100 lambdas, seeded synthetic daily data.
- lasso: xlfactor.core.cv.cross_validate vs a loop of LassoCV(alphas=<same grid>, cv=<same folds>)
  at scikit-learn's default tolerance, as an analyst would run it; prints the time ratio and the
  share of assets given the same lambda.
- ridge: vs a loop of GridSearchCV(Ridge(), same grid, same folds) (what RidgeCV does with cv=...).
Peers that would take minutes are timed on a subset of assets and extrapolated linearly (said so
in the output). Peak memory of xlfactor's call is measured with tracemalloc. Every xlfactor timing is a
cold call: the result caches are cleared before each repeat (a cached repeat costs only hashing).
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
from sklearn.linear_model import LassoCV, Ridge
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._common import clear_result_caches, factor_data, header, median_time  # noqa: E402
from xlfactor.core import cv  # noqa: E402


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


def run(t, k, n, lasso_subset, ridge_subset):
    y, x = sparse_data(t, k, n, seed=t + k + n)
    print(f"\nT={t} K={k} N={n}, 100 lambdas, 5 walk-forward folds")
    ours = median_time(lambda: cv.cross_validate(y, x, method="lasso", folds=5, scheme="walkforward"), 3,
                       setup=clear_result_caches)  # cold calls: every repeat computes
    res = cv.cross_validate(y, x, method="lasso", folds=5, scheme="walkforward")
    mem = peak_memory(lambda: cv.cross_validate(y, x, method="lasso", folds=5, scheme="walkforward"))
    cols = np.arange(min(n, lasso_subset))
    peer, alphas = lasso_peer(y, x, res.lambdas, cols)
    peer_all = peer * n / cols.size
    same = np.isclose(res.best_lambda()[cols], alphas, rtol=1e-9).mean()
    note = "" if cols.size == n else f" (extrapolated from {cols.size} assets)"
    print(f"  lasso CV: xlfactor {ours:.3f} s (peak {mem:.0f} MiB, converged={res.converged}); "
          f"LassoCV loop {peer_all:.1f} s{note}; ratio {peer_all / ours:.0f}x; same lambda {100 * same:.1f}% of assets")

    ours_r = median_time(lambda: cv.cross_validate(y, x, method="ridge", folds=5, scheme="walkforward"), 3,
                         setup=clear_result_caches)
    mem_r = peak_memory(lambda: cv.cross_validate(y, x, method="ridge", folds=5, scheme="walkforward"))
    grid = cv.cross_validate(y[:, :1], x, method="ridge", folds=5, scheme="walkforward").lambdas[:, 0]
    rcols = np.arange(min(n, ridge_subset))
    peer_r = ridge_peer(y, x, grid, rcols) * n / rcols.size
    print(f"  ridge CV: xlfactor {ours_r:.3f} s (peak {mem_r:.0f} MiB); GridSearchCV(Ridge) loop {peer_r:.1f} s "
          f"(extrapolated from {rcols.size} assets); ratio {peer_r / ours_r:.0f}x")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="only the middle size, peers on small subsets")
    args = ap.parse_args()
    header("cross-validated lambda: xlfactor vs scikit-learn loops")
    run(2520, 10, 500, lasso_subset=50 if args.quick else 500, ridge_subset=5 if args.quick else 20)
    if not args.quick:
        run(5040, 20, 3000, lasso_subset=30, ridge_subset=5)


if __name__ == "__main__":
    main()
