"""Batched factor regression (xlfactor) versus a per-asset statsmodels OLS loop.

Run: python benchmarks/bench_regression.py [--quick]
Prints median times, the ratio, and the largest difference of coefficients (relative to the
largest coefficient of that kind) and of standard errors (relative), which must be ~1e-12.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import statsmodels.api as sm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._common import factor_data, header, median_time
from xlfactor.core import regression


def statsmodels_loop(y, x, lags):
    z = sm.add_constant(x)
    kw = {} if lags is None else {"cov_type": "HAC", "cov_kwds": {"maxlags": lags}}
    params, bse = [], []
    for j in range(y.shape[1]):
        r = sm.OLS(y[:, j], z).fit(**kw)
        params.append(r.params)
        bse.append(r.bse)
    return np.array(params), np.array(bse)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="skip the largest size")
    args = ap.parse_args()
    header("regression: xlfactor.core.regression.ols vs per-asset statsmodels OLS")
    sizes = [(819, 4, 30), (2520, 10, 500), (5040, 20, 3000)]
    if args.quick:
        sizes = sizes[:2]
    print(
        f"{'T':>5} {'K':>3} {'N':>5} {'errors':>8} {'xlfactor s':>11} {'statsmodels s':>14} {'ratio':>8} {'max diff':>13}"
    )
    for t, k, n in sizes:
        y, x = factor_data(t, k, n, seed=t + k + n)
        for lags in (None, 6):
            repeat = 5 if n <= 500 else 3
            ours = median_time(lambda y=y, x=x, lags=lags: regression.ols(y, x, lags=lags), repeat)
            ref_repeat = 3 if n <= 500 else 1
            peer = median_time(lambda y=y, x=x, lags=lags: statsmodels_loop(y, x, lags), ref_repeat)
            fit = regression.ols(y, x, lags=lags)
            p, b = statsmodels_loop(y, x, lags)
            # difference relative to each coefficient's typical size (alphas near 0 make plain ratios noisy)
            diff = max(np.max(np.abs(fit.coef - p) / np.abs(p).max(axis=0)), np.max(np.abs(fit.stderr / b - 1)))
            kind = "classic" if lags is None else f"HAC({lags})"
            print(
                f"{t:>5} {k:>3} {n:>5} {kind:>8} {ours:>11.4f} {peer:>14.3f} {peer / ours:>7.0f}x {diff:>13.1e}",
                flush=True,
            )


if __name__ == "__main__":
    main()
