"""Equal-risk-contribution weights: xlfactor (Newton, factor form) vs riskparityportfolio and skfolio.

Run: python benchmarks/bench_risk.py [--quick]

For N assets and K factors (seeded synthetic factor model), prints the median time of each solver
and the largest deviation of its percent risk contributions from 1/N. riskparityportfolio's
compiled solver runs with tol=1e-8 on the contributions (its own stopping rule) on the dense
covariance; skfolio RiskBudgeting (CLARABEL, tight tolerances) gets returns whose sample covariance
is exactly that matrix; xlfactor gets the factor form (B, F, d).
"""

from __future__ import annotations

import argparse
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="skip skfolio at N=1000")
    args = ap.parse_args()
    header("ERC: xlfactor vs riskparityportfolio vs skfolio")
    van = rpp_vanilla()
    try:
        from skfolio.optimization import RiskBudgeting
    except ImportError:
        RiskBudgeting = None
    print(f"{'N':>5} {'K':>3} | {'xlfactor s':>10} {'dev':>8} | {'rpp s':>8} {'dev':>8} {'ratio':>6} | {'skfolio s':>9} {'dev':>8} {'ratio':>6}")
    for n in (30, 500, 1000):
        for k in (4, 10, 20):
            m = model(n, k, seed=n + k)
            cov = m.dense()
            ours = median_time(lambda m=m: risk.allocate("erc", model=m), 5)
            w = risk.allocate("erc", model=m).weights
            line = f"{n:>5} {k:>3} | {ours:>10.4f} {deviation(w, cov):>8.1e} |"
            b = np.full(n, 1.0 / n)
            if van is not None:
                peer = median_time(lambda cov=cov, b=b: van.design(cov, b, 1e-8, 100_000), 3)
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
