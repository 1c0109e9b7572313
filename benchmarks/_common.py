"""Shared helpers for the benchmarks: timing, machine facts, seeded synthetic factor data."""

from __future__ import annotations

import os
import platform
import statistics
import time

import numpy as np


def header(title: str) -> None:
    from threadpoolctl import threadpool_info

    print(f"== {title}")
    print(f"python {platform.python_version()}, numpy {np.__version__}, cores {os.cpu_count()}")
    for pool in threadpool_info():
        print(f"  threadpool: {pool.get('internal_api')} {pool.get('version')} threads={pool.get('num_threads')} ({pool.get('prefix')})")


def median_time(fn, repeat: int = 5, setup=None) -> float:
    """Median wall time of ``fn()``; ``setup()`` runs untimed before each call (e.g. clearing result caches)."""
    times = []
    for _ in range(repeat):
        if setup is not None:
            setup()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def factor_data(t: int, k: int, n: int, seed: int = 0, noise: float = 0.01):
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0003, 0.01, size=(t, k))
    b = rng.normal(0.5, 0.5, size=(n, k))
    y = rng.normal(0, 0.0002, size=n) + x @ b.T + rng.normal(0, noise, size=(t, n))
    return y, x


def clear_result_caches() -> None:
    """Empty the Excel layer's result caches, so that a timed call computes instead of answering from memory."""
    from xlfactor.excel import memo

    memo.clear_all()
