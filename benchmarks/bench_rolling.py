"""Rolling lasso with lambda by CV inside every window (xlfactor) versus a loop of scikit-learn LassoCV.

Run: python benchmarks/bench_rolling.py [--windows-for-peer 20]

The issue-11 case: the shipped monthly data from 1963-07 (645 months), the 30 portfolios' excess returns
on five factors (market, size, value, momentum, low volatility), 60-month windows stepped monthly (586
windows), lambda by 5-fold blocked CV (contiguous folds, no shuffle) over 100 lambdas in each window.

- xlfactor: ``core.rolling.rolling(method="lasso")``, one pooled lambda per window (the market
  unpenalised); cold calls (rolling has no cache).
- peer: ``LassoCV(cv=KFold(5))`` for every asset of every window, as an analyst would loop it
  (one lambda per asset, a little less work than ours per window); timed on a sample of windows and
  extrapolated linearly (said so in the output).
- the loop of xlfactor's own single-window API (``cv.cross_validate`` + ``penalized.fit`` per window), timed
  on a sample and extrapolated: what batching the windows buys.
- the Dask engine on a 2-process ``LocalCluster`` when Dask is installed (start-up excluded, then the same call).
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
from sklearn.linear_model import LassoCV
from sklearn.model_selection import KFold

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._common import clear_result_caches, header, median_time
from xlfactor.core import cv, penalized, rolling
from xlfactor.data import load_french

WINDOW = 60


def shipped():
    f = load_french()
    x = f.five_factors
    keep = x.index >= x.index[-645]
    return f.portfolios.sub(f.rf, axis=0)[keep].to_numpy(), x[keep].to_numpy()


def ours(y, x, **kw):
    return rolling.rolling(y, x, WINDOW, method="lasso", penalty_weights=[0, 1, 1, 1, 1], **kw)


def sample_windows(n_windows: int, how_many: int) -> np.ndarray:
    return np.linspace(0, n_windows - 1, how_many).round().astype(int)


def peer_loop(y, x, spans, picks):
    t0 = time.perf_counter()
    for w in picks:
        a, b = spans[w]
        for j in range(y.shape[1]):
            LassoCV(cv=KFold(5)).fit(x[a : b + 1], y[a : b + 1, j])
    return (time.perf_counter() - t0) * len(spans) / len(picks)


def own_loop(y, x, spans, picks):
    t0 = time.perf_counter()
    for w in picks:
        a, b = spans[w]
        yw, xw = y[a : b + 1], x[a : b + 1]
        res = cv.cross_validate(yw, xw, method="lasso", pooled=True, penalty_weights=[0, 1, 1, 1, 1])
        penalized.fit(yw, xw, [res.pooled_lambda()], method="lasso", penalty_weights=[0, 1, 1, 1, 1])
        clear_result_caches()
    return (time.perf_counter() - t0) * len(spans) / len(picks)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--windows-for-peer", type=int, default=12, help="windows the peers are timed on")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    header("rolling lasso CV: 645 months x 30 assets x 5 factors, 60-month windows stepped monthly")
    y, x = shipped()
    spans = rolling.windows(len(x), WINDOW)
    picks = sample_windows(len(spans), args.windows_for_peer)
    t_ours = median_time(lambda: ours(y, x), repeat=args.repeat)
    tracemalloc.start()
    res = ours(y, x)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    print(
        f"windows {len(spans)}; xlfactor rolling lasso: {t_ours:.2f} s (median of {args.repeat}), "
        f"peak {peak:.0f} MiB (tracemalloc)"
    )
    t_peer = peer_loop(y, x, spans, picks)
    print(
        f"LassoCV loop ({len(spans)} windows x 30 assets, extrapolated from {len(picks)} windows): {t_peer:.1f} s"
        f"  -> xlfactor is {t_peer / t_ours:.0f}x faster"
    )
    t_own = own_loop(y, x, spans, picks)
    print(
        f"loop of xlfactor's single-window CV (extrapolated from {len(picks)} windows): {t_own:.1f} s"
        f"  -> batching the windows is {t_own / t_ours:.0f}x faster"
    )
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        print('dask engine: skipped (pip install "xlfactor[dask]")')
        return
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster, Client(cluster) as client:
        ours(y, x, engine="dask", scheduler=client, chunk_windows=150)  # warm the workers (imports)
        t0 = time.perf_counter()
        other = ours(y, x, engine="dask", scheduler=client, chunk_windows=150)
        t_dask = time.perf_counter() - t0
    local = ours(y, x, chunk_windows=150)
    same = all(
        np.array_equal(getattr(local, f), getattr(other, f), equal_nan=True)
        for f in ("lambdas", "loadings", "intercept", "specific_var", "factor_cov")
    )
    print(
        f"dask engine, 2-process LocalCluster, 4 chunks: {t_dask:.2f} s (local with the same chunks is identical: {same})"
    )
    assert np.isfinite(res.lambdas).all()


if __name__ == "__main__":
    main()
