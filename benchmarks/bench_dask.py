"""Dask scale-out of the rolling lasso: 2 single-threaded workers against a single-threaded local run.

Run: python benchmarks/bench_dask.py [--rounds 1] [--case daily|wide|both]

Cases (seeded synthetic data, 5 factors, the market unpenalised, lambda by 5-fold CV inside every window):
- daily: 2,772 days x 30 assets, 252-day windows stepped daily: 2,521 windows.
- wide: 645 months x 500 assets, 60-month windows stepped monthly: 586 windows.

Each round runs, interleaved: the local engine in a fresh process (BLAS on one thread), then the Dask engine on a
``LocalCluster`` of 2 single-threaded worker processes started for the round, configured as the engine's own
(no sampling profiler: its cost follows wall time, a large share on a loaded machine; start-up and a small warm-up
call that imports xlfactor on the workers are not timed). Printed: wall times (median, min-max), the speed-up,
tasks per worker, CPU seconds per worker against the local run's, peak resident memory per worker next to the local process's (ru_maxrss, and the rise over the
resident size before the job), the largest difference from the local numbers, and the load average at the
start and end (the machine may be shared: read the speed-up with the load).

On a shared Linux machine with autogroup scheduling (``/proc/sys/kernel/sched_autogroup_enabled``), every
terminal session gets an equal share of the CPUs, however many processes it runs: the workers then split this
session's share and the wall-clock speed-up cannot show. The CPU line (local CPU seconds over the busiest
worker's) is the speed-up on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # single-threaded everywhere (workers inherit it)

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._common import factor_data, header  # noqa: E402

CASES = {"daily": (2772, 30, 252), "wide": (645, 500, 60)}  # rows, assets, window
FIELDS = ("lambdas", "intercept", "loadings", "r2", "specific_var", "factor_cov")


def _data(case: str):
    t, n, window = CASES[case]
    y, x = factor_data(t, 5, n, seed=1)
    return y, x, window


def _run(case: str, **kw):
    from xlfactor.core import rolling

    y, x, window = _data(case)
    return rolling.rolling(y, x, window, method="lasso", penalty_weights=[0, 1, 1, 1, 1], **kw)


def _memory() -> tuple[float, float]:
    """(resident MiB now, peak resident MiB of this process so far)."""
    import resource

    with open("/proc/self/statm") as fh:
        now = int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    return now, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _local(case: str):
    """In a fresh process: (seconds, fields, resident before, peak)."""
    _run("daily" if case == "daily" else "wide", step=10**6)  # one window: imports and first-call costs untimed
    before, _ = _memory()
    t0, c0 = time.perf_counter(), time.process_time()
    res = _run(case)
    took, cpu = time.perf_counter() - t0, time.process_time() - c0
    return took, {f: getattr(res, f) for f in FIELDS}, before, _memory()[1], cpu


def _dask(case: str):
    import dask
    from dask.distributed import Client, LocalCluster, get_task_stream

    with (
        dask.config.set({"distributed.worker.profile.enabled": False}),  # as the engine's own cluster (engines.py)
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        _run(case, step=10**6, engine="dask", scheduler=client)  # warm-up: imports on the workers
        before = client.run(lambda: _memory()[0])
        cpu0 = client.run(time.process_time)
        with get_task_stream(client) as ts:
            t0 = time.perf_counter()
            res = _run(case, engine="dask", scheduler=client)
            took = time.perf_counter() - t0
        peak = client.run(lambda: _memory()[1])
        cpu = {w: c - cpu0[w] for w, c in client.run(time.process_time).items()}
        tasks = dict.fromkeys(before, 0)
        for rec in ts.data:
            if rec["key"].startswith("_chunk"):
                tasks[rec["worker"]] = tasks.get(rec["worker"], 0) + 1
    return took, {f: getattr(res, f) for f in FIELDS}, before, peak, tasks, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=1, help="interleaved rounds (local, then dask) per case")
    ap.add_argument("--case", choices=[*CASES, "both"], default="both")
    args = ap.parse_args()
    header("rolling lasso CV on Dask: 2 single-threaded workers vs a single-threaded local run")
    print(f"load average at start: {' '.join(f'{a:.2f}' for a in os.getloadavg())}")
    for case in CASES if args.case == "both" else [args.case]:
        t, n, window = CASES[case]
        print(f"\n-- {case}: {t} rows x {n} assets, {window}-row windows stepped by 1 ({t - window + 1} windows)")
        local_t, dask_t = [], []
        for r in range(args.rounds):
            with ProcessPoolExecutor(1) as pool:
                lt, lf, l_before, l_peak, l_cpu = pool.submit(_local, case).result()
            dt, df, d_before, d_peak, tasks, d_cpu = _dask(case)
            local_t.append(lt)
            dask_t.append(dt)
            diff = max(float(np.nanmax(np.abs(df[f] - lf[f]), initial=0.0)) for f in FIELDS)
            same_nan = all(np.array_equal(np.isnan(df[f]), np.isnan(lf[f])) for f in FIELDS)
            print(f"round {r + 1}: local {lt:.2f} s, dask {dt:.2f} s ({lt / dt:.2f}x); load {os.getloadavg()[0]:.2f}")
            print(
                f"  tasks per worker: {sorted(tasks.values())}; CPU seconds: local {l_cpu:.2f}, workers "
                f"{', '.join(f'{c:.2f}' for c in d_cpu.values())} (local CPU / busiest worker's: "
                f"{l_cpu / max(d_cpu.values()):.2f}x, the speed-up on an idle machine)"
            )
            print(
                f"  peak memory: local process {l_peak:.0f} MiB (+{l_peak - l_before:.0f} over {l_before:.0f}); "
                + "; ".join(
                    f"worker {i + 1} {d_peak[w]:.0f} MiB (+{d_peak[w] - d_before[w]:.0f} over {d_before[w]:.0f})"
                    for i, w in enumerate(sorted(d_peak))
                )
            )
            print(f"  largest difference from the local numbers: {diff:.2e} (same blanks: {same_nan})")
        speed = [a / b for a, b in zip(local_t, dask_t, strict=True)]
        print(
            f"{case}: local median {statistics.median(local_t):.2f} s ({min(local_t):.2f}-{max(local_t):.2f}), "
            f"dask median {statistics.median(dask_t):.2f} s ({min(dask_t):.2f}-{max(dask_t):.2f}); speed-up "
            f"median {statistics.median(speed):.2f}x ({min(speed):.2f}-{max(speed):.2f})"
        )
    print(f"\nload average at end: {' '.join(f'{a:.2f}' for a in os.getloadavg())}")


if __name__ == "__main__":
    main()
