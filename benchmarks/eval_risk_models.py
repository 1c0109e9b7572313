"""The risk models judged on many test portfolios: the evaluation table behind the README's backtest conclusion.

Run: python benchmarks/eval_risk_models.py [--quick]

Data: the shipped 12 industries' excess returns from 1963-07 and the four French factors; 60-month windows
rebalanced monthly, ERC allocations (xlfactor's defaults). Part 1: the four backtest models (loadings), each with
the sample factor covariance. Part 2: OLS loadings with each Barra-style option switched on alone, against the
plain sample covariance, so that one sees whether each helps. Prints, per model: the bias statistic of its ERC
portfolio with the normal band, the kurtosis-adjusted band and the block-bootstrap interval; QLIKE, MRAD, the
variance calibration ratio (means over the test portfolios) and the share of test portfolios outside their
kurtosis-adjusted band; then the Diebold-Mariano statistics on QLIKE (row minus column: negative = row better).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import xlfactor
from xlfactor.core import backtest


def table(res: backtest.BacktestResult, names) -> None:
    st, ev = res.stats, res.evaluation
    summ = ev.summary()
    print(
        f"{'model':<22} {'bias':>6} {'normal band':>13} {'kurtosis band':>13} {'bootstrap':>13} {'real/pred':>9} "
        f"{'QLIKE':>8} {'MRAD':>6} {'ratio':>6} {'outside':>7} {'turn/yr':>7}"
    )
    for i, name in enumerate(names):
        print(
            f"{name:<22} {st['bias'][i]:6.3f} {st['bias_low'][i]:6.3f}-{st['bias_high'][i]:.3f} "
            f"{st['bias_kurt_low'][i]:6.3f}-{st['bias_kurt_high'][i]:.3f} "
            f"{st['bias_boot_low'][i]:6.3f}-{st['bias_boot_high'][i]:.3f} {st['vol_ratio'][i]:9.3f} "
            f"{summ['qlike'][i]:8.4f} {summ['mrad'][i]:6.3f} {summ['ratio'][i]:6.3f} {summ['outside'][i]:7.2f} "
            f"{st['turnover_year'][i]:7.3f}"
        )
    print(
        f"Diebold-Mariano on QLIKE over {ev.periods} periods and {len(ev.portfolios)} test portfolios "
        "(row minus column; p-value in brackets):"
    )
    for i, name in enumerate(names):
        cells = [f"{ev.dm[i, j]:6.2f} ({ev.dm_pvalue[i, j]:.3f})" if i != j else " " * 14 for j in range(len(names))]
        print(f"  {name:<22} " + " ".join(cells))


def stack(results):
    """One BacktestResult per variant (each with one model) joined along the model axis."""
    first = results[0]
    fields = {
        f: np.concatenate([getattr(r, f) for r in results])
        for f in (
            "returns",
            "predicted_vol",
            "weights",
            "lambdas",
            "rc_dispersion_path",
            "trades",
            "test_returns",
            "test_variances",
        )
    }
    return backtest.BacktestResult(
        models=tuple(f"v{i}" for i in range(len(results))),
        rebalances=first.rebalances,
        rows=first.rows,
        test_portfolios=first.test_portfolios,
        periods_per_year=first.periods_per_year,
        **fields,
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="rebalance every 12 months instead of monthly")
    args = ap.parse_args()
    fr = xlfactor.load_french()
    y = fr.industries.sub(fr.rf, axis=0).to_numpy()[174:]
    x = fr.factors.to_numpy()[174:]
    step = 12 if args.quick else 1
    t0 = time.perf_counter()
    res = backtest.backtest(y, x, 60, step=step)
    print(f"Part 1: the four models, 60-month windows every {step} month(s) ({time.perf_counter() - t0:.1f} s)")
    table(res, res.models)
    st = res.stats
    for i, m in enumerate(res.models):
        print(
            f"  {m}: ERC predicted {100 * st['predicted_vol'][i]:.2f}% vs realised {100 * st['volatility'][i]:.2f}% "
            f"a year ({100 * st['predicted_vol'][i] / st['volatility'][i]:.1f}%)"
        )
    variants = {
        "sample (base)": {},
        "sample, NW 2 lags": {"nw_lags": 2},
        "ewma hl 36": {"cov_method": "ewma", "halflife": 36},
        "barra hl 24": {"cov_method": "barra", "halflife": 24},
        "barra hl 24/corr 48": {"cov_method": "barra", "halflife": 24, "corr_halflife": 48},
        "barra hl 24, regime 12": {"cov_method": "barra", "halflife": 24, "regime_halflife": 12},
        "sample, shrink q=0.1": {"specific_shrink": 0.1},
    }
    t0 = time.perf_counter()
    runs = [backtest.backtest(y, x, 60, step=step, models=["ols"], **opts) for opts in variants.values()]
    print(f"\nPart 2: OLS loadings, one Barra-style option at a time ({time.perf_counter() - t0:.1f} s)")
    table(stack(runs), list(variants))


if __name__ == "__main__":
    main()
