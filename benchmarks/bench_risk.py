"""Equal-risk-contribution weights: xlfactor (Newton, factor form) vs riskparityportfolio and skfolio.

Run: python benchmarks/bench_risk.py [--quick]

For N assets and K factors (seeded synthetic factor model), prints the median time of each solver
and the largest deviation of its percent risk contributions from 1/N. riskparityportfolio's
compiled solver runs with tol=1e-8 on the contributions (its own stopping rule) on the dense
covariance; skfolio RiskBudgeting (CLARABEL, tight tolerances) gets returns whose sample covariance
is exactly that matrix; xlfactor gets the factor form (B, F, d).

Then (``dense``) the same solvers on the dense matrix alone, N=1000: xlfactor's ``allocate("erc", cov=S,
tol=1e-10)`` (the matrix checked and proved PSD: the factor models' matrices by their factor form, the sample
covariance by a Cholesky; then Jacobi sweeps and inexact Newton by conjugate gradients) against riskparityportfolio's coordinate
descent with the same stopping rule (every contribution within 1e-10 of 1/N), on the factor models' dense matrices and on a sample
covariance of 1500 periods; the ratio is xlfactor's time over riskparityportfolio's (medians, interleaved) and the
load average is printed, since the machine may be shared. Each solver is called ``--repeat`` times (default 7),
alternating with its peer; the line gives the median wall time and its range, the ratio of the medians and the
ratio of the median CPU times of this process (both solvers run on one thread; CPU time is less sensitive to other
processes on a shared machine than wall time).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._common import header, median_time
from tests.peers import returns_with_covariance, rpp_vanilla
from xlfactor.core import risk


def model(n, k, seed):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(5 * k, k))
    return risk.FactorModel(rng.normal(0.6, 0.5, size=(n, k)), a.T @ a / (5 * k) * 1e-3, rng.uniform(2e-4, 8e-4, n))


def deviation(w, cov):
    rc = w * (cov @ w)
    return np.abs(rc / rc.sum() - 1 / len(w)).max()


def _timed(fn) -> tuple[float, float]:
    """Wall and CPU (this process) seconds of one call of ``fn``."""
    c0, w0 = time.process_time(), time.perf_counter()
    fn()
    return time.perf_counter() - w0, time.process_time() - c0


def dense_erc(van, repeat: int = 7) -> None:
    header("dense ERC, N=1000, contributions to 1e-10: xlfactor (PSD proof, Newton-CG) vs riskparityportfolio (CCD)")
    print(f"load average {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} on {os.cpu_count()} cores")
    print(f"wall seconds: median [min-max] of {repeat} interleaved calls; ratio of medians (wall, and CPU time)")
    print(f"{'matrix':<14} | {'xlfactor s':>22} {'dev':>8} | {'rpp s':>22} {'dev':>8} | {'ratio':>6} {'cpu':>6}")
    n = 1000
    rng = np.random.default_rng(1)
    z = rng.normal(size=(1500, n)) @ rng.normal(size=(n, n)) * 0.01
    cases = [(f"factor K={k}", model(n, k, seed=n + k).dense()) for k in (4, 10, 20)]
    cases.append(("sample T=1500", np.cov(z, rowvar=False)))
    b = np.full(n, 1.0 / n)
    for name, cov in cases:
        ours, peer = [], []
        for _ in range(repeat):  # interleaved, so that a burst of load hits both
            ours.append(_timed(lambda c=cov: risk.allocate("erc", cov=c, tol=1e-10)))
            peer.append(_timed(lambda c=cov: van.design(c, b, 1e-10, 100_000)))
        w, wp = risk.allocate("erc", cov=cov, tol=1e-10).weights, van.design(cov, b, 1e-10, 100_000)
        (t, tc), (tp, tpc) = np.median(ours, axis=0), np.median(peer, axis=0)
        lo, hi = np.min(ours, axis=0)[0], np.max(ours, axis=0)[0]
        plo, phi = np.min(peer, axis=0)[0], np.max(peer, axis=0)[0]
        print(
            f"{name:<14} | {t:>7.4f} [{lo:.4f}-{hi:.4f}] {deviation(w, cov):>8.1e} | "
            f"{tp:>7.4f} [{plo:.4f}-{phi:.4f}] {deviation(wp, cov):>8.1e} | {t / tp:>5.2f}x {tc / tpc:>5.2f}x",
            flush=True,
        )
    print(f"load average {os.getloadavg()[0]:.1f} after")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="skip skfolio at N=1000")
    ap.add_argument("--dense", action="store_true", help="only the dense N=1000 comparison")
    ap.add_argument("--repeat", type=int, default=7, help="interleaved calls per solver in --dense")
    args = ap.parse_args()
    if args.dense:
        dense_erc(rpp_vanilla(), args.repeat)
        return
    header("ERC: xlfactor vs riskparityportfolio vs skfolio")
    van = rpp_vanilla()
    try:
        from skfolio.optimization import RiskBudgeting
    except ImportError:
        RiskBudgeting = None
    print(
        f"{'N':>5} {'K':>3} | {'xlfactor s':>10} {'dev':>8} | {'rpp s':>8} {'dev':>8} {'ratio':>6} | {'skfolio s':>9} {'dev':>8} {'ratio':>6}"
    )
    for n in (30, 500, 1000):
        for k in (4, 10, 20):
            m = model(n, k, seed=n + k)
            cov = m.dense()
            ours = median_time(lambda m=m: risk.allocate("erc", model=m), 5)
            w = risk.allocate("erc", model=m).weights
            line = f"{n:>5} {k:>3} | {ours:>10.4f} {deviation(w, cov):>8.1e} |"
            b = np.full(n, 1.0 / n)
            if van is not None:
                peer = median_time(lambda c=cov, b=b: van.design(c, b, 1e-8, 100_000), 3)
                wp = van.design(cov, b, 1e-8, 100_000)
                line += f" {peer:>8.4f} {deviation(wp, cov):>8.1e} {peer / ours:>5.0f}x |"
            else:
                line += f" {'n/a':>8} {'':>8} {'':>6} |"
            if RiskBudgeting is not None and not (args.quick and n == 1000):
                x = returns_with_covariance(cov, n + 50)
                rb = RiskBudgeting(solver_params={"tol_gap_abs": 1e-12, "tol_gap_rel": 1e-12, "tol_feas": 1e-12})
                t0 = time.perf_counter()
                ws = rb.fit(x).weights_
                peer_s = time.perf_counter() - t0
                line += f" {peer_s:>9.3f} {deviation(ws, cov):>8.1e} {peer_s / ours:>5.0f}x"
            else:
                line += f" {'n/a':>9}"
            print(line, flush=True)


if __name__ == "__main__":
    main()
