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
        print(
            f"  threadpool: {pool.get('internal_api')} {pool.get('version')} threads={pool.get('num_threads')} ({pool.get('prefix')})"
        )


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


# --- conditions: quiet and under a fixed synthetic load ------------------------------------------------------------

BUSY = 2  # busy processes of the "loaded" condition: as many as the benchmark machine's cores


def load_average() -> str:
    """The 1-, 5- and 15-minute load averages, e.g. '1.02 0.87 0.55' ('n/a' where the system has none)."""
    try:
        return " ".join(f"{a:.2f}" for a in os.getloadavg())
    except OSError:
        return "n/a"


def blas_threads() -> str:
    """The BLAS libraries and their thread counts, e.g. 'openblas threads=2'."""
    from threadpoolctl import threadpool_info

    return (
        ", ".join(
            f"{p.get('internal_api')} threads={p.get('num_threads')}"
            for p in threadpool_info()
            if p.get("user_api") == "blas"
        )
        or "none found"
    )


class Condition:
    """A measuring condition: ``quiet`` (nothing added) or ``loaded`` (``BUSY`` processes spinning on the cores,
    started on entry and stopped, by their ids, on exit: the fixed synthetic load of an analyst's busy laptop)."""

    def __init__(self, name: str):
        if name not in ("quiet", "loaded"):
            raise ValueError(f"condition {name!r}: quiet or loaded")
        self.name, self.procs = name, []

    def __enter__(self):
        if self.name == "loaded":
            import subprocess
            import sys

            self.procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(BUSY)]
            time.sleep(0.2)  # let them reach the scheduler
        return self

    def __exit__(self, *exc):
        for p in self.procs:
            p.kill()
            p.wait()
        self.procs = []


def spread(times) -> str:
    """'median [min-max]' of timings in seconds."""
    return f"{statistics.median(times):.3f} s [{min(times):.3f}-{max(times):.3f}]"
