"""Record the numbers a refactoring must not change, or compare them with a recording.

Run: python benchmarks/record_numbers.py OUT.npz            (record)
     python benchmarks/record_numbers.py NEW.npz --compare OLD.npz   (record NEW, then compare with OLD)
     python benchmarks/record_numbers.py --compare OLD.npz --against NEW.npz   (compare two recordings)

Items recorded (every array by name, float64):

- ``demo/*``: the template's procedure on the shipped data (``xlfactor.workbook.procedure.run()``, what
  ``xlfactor demo`` prints): CAPM, OLS, the chosen lambdas, the CV error curves, ridge and lasso loadings, the
  allocation's weights, risk shares and factor shares, the backtest's returns, weights and lambdas, rolling betas.
- ``cv_small/*``, ``cv_medium/*``: bench_cv's workloads (T=1260 K=10 N=100 and T=2520 K=10 N=500, 5 walk-forward
  folds, 100 lambdas): lasso and ridge CV lambdas, fold errors, best lambdas; the lasso's full-sample path
  (loadings at every lambda) and the ridge loadings at the best lambdas.
- ``rolling/*``: bench_rolling's workload (shipped data, 60-month windows, pooled lasso CV, market unpenalised).
- ``risk/*``: bench_risk's ERC weights for N in (30, 500), K in (4, 10, 20).

``--compare`` prints, per item, the largest relative difference ``|new - old| / max(|old|, tiny)`` over the
item's finite entries (NaN where both are NaN counts as equal), and exits 1 if any exceeds ``--rtol``; beside it
the largest difference over the item's largest value (``scale_difference``), which tells rounding from change.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _demo() -> dict[str, np.ndarray]:
    from xlfactor.workbook import procedure

    r = procedure.run()
    c, al, bt = r.capm, r.allocation, r.backtest
    out = {
        "capm_alpha": c.alpha,
        "capm_beta": c.beta,
        "capm_t_alpha": c.tstat_alpha,
        "capm_t_beta": c.tstat_beta,
        "capm_r2": c.r2,
        "ols_loadings": r.ols.loadings,
        "lambdas": np.array([r.lambda_min, r.lambda_1se, r.lambda_lasso, r.lambda_ridge]),
        "cv_lambdas": r.method_cv.lambdas,
        "cv_fold_mse": r.method_cv.fold_mse,
        "ridge_loadings": r.ridge.loadings,
        "lasso_loadings": r.lasso.loadings,
        "ridge_intercept": r.ridge.intercept,
        "lasso_intercept": r.lasso.intercept,
        "weights": al.weights,
        "risk_shares": al.contributions,
        "factor_shares": al.risk.factor_percent,
        "factor_cov": r.factor_cov,
        "specific_var": r.specific_var,
        "volatility": np.array(r.volatility()),
        "backtest_returns": bt.returns,
        "backtest_weights": bt.weights,
        "backtest_lambdas": bt.lambdas,
        "backtest_predicted_vol": bt.predicted_vol,
        "rolling_beta": r.rolling_beta.loadings,
    }
    return {f"demo/{k}": np.asarray(v, float) for k, v in out.items()}


def _cv(name: str, t: int, k: int, n: int) -> dict[str, np.ndarray]:
    from benchmarks.bench_cv import sparse_data
    from xlfactor.core import cv, penalized

    y, x = sparse_data(t, k, n, seed=t + k + n)
    out = {}
    for method in ("lasso", "ridge"):
        res = cv.cross_validate(y, x, method=method, folds=5, scheme="walkforward")
        best = res.best_lambda()
        out[f"{method}_lambdas"], out[f"{method}_fold_mse"], out[f"{method}_best"] = res.lambdas, res.fold_mse, best
        out[f"{method}_nonzero"] = res.nonzero
    path = penalized.fit(y, x, method="lasso")
    out["lasso_path_lambdas"], out["lasso_path_loadings"] = path.lambdas, path.loadings
    out["lasso_path_intercept"] = path.intercept
    rid = penalized.fit(y, x, np.unique(out["ridge_best"])[:3], method="ridge")
    out["ridge_loadings"] = rid.loadings
    return {f"{name}/{k}": np.asarray(v, float) for k, v in out.items()}


def _rolling() -> dict[str, np.ndarray]:
    from benchmarks.bench_rolling import ours, shipped

    y, x = shipped()
    r = ours(y, x)
    return {
        "rolling/lambdas": r.lambdas,
        "rolling/loadings": r.loadings,
        "rolling/intercept": r.intercept,
        "rolling/specific_var": r.specific_var,
    }


def _risk() -> dict[str, np.ndarray]:
    from benchmarks.bench_risk import model
    from xlfactor.core import risk

    return {
        f"risk/erc_{n}_{k}": risk.allocate("erc", model=model(n, k, seed=n + k)).weights
        for n in (30, 500)
        for k in (4, 10, 20)
    }


def record() -> dict[str, np.ndarray]:
    out = {}
    for part in (
        _demo,
        lambda: _cv("cv_small", 1260, 10, 100),
        lambda: _cv("cv_medium", 2520, 10, 500),
        _rolling,
        _risk,
    ):
        out.update(part())
    return out


def relative_difference(new: np.ndarray, old: np.ndarray) -> float:
    """Largest ``|new - old| / |old|`` (``|old|`` floored at 1e-300); inf if shapes or missing cells differ."""
    if new.shape != old.shape or not np.array_equal(np.isnan(new), np.isnan(old)):
        return float("inf")
    ok = np.isfinite(old)
    if not ok.any():
        return 0.0
    diff = np.abs(new[ok] - old[ok])
    return float((diff / np.maximum(np.abs(old[ok]), 1e-300)).max())


def scale_difference(new: np.ndarray, old: np.ndarray) -> float:
    """Largest ``|new - old|`` over the item's largest ``|old|``: rounding shows as ~1e-16 here, where the entry-wise
    measure divides it by an entry near zero (a loading of 1e-6 moved by one unit in the last place of 2: 1e-10)."""
    new, old = np.asarray(new, float), np.asarray(old, float)
    if new.shape != old.shape:
        return float("inf")
    ok = np.isfinite(old) & np.isfinite(new)
    if not ok.any():
        return 0.0
    return float(np.abs(new[ok] - old[ok]).max() / max(np.abs(old[ok]).max(), 1e-300))


def compare(new: dict[str, np.ndarray], old: dict[str, np.ndarray], rtol: float) -> bool:
    worst, ok = 0.0, True
    for key in sorted(set(old) | set(new)):
        if key not in new or key not in old:
            print(f"{key:40s} only in {'old' if key in old else 'new'}")
            ok = False
            continue
        d = relative_difference(np.asarray(new[key]), np.asarray(old[key]))
        worst = max(worst, d)
        flag = "" if d <= rtol else "  <-- exceeds"
        ok &= d <= rtol
        print(f"{key:40s} {d:.2e}  (of the item's largest: {scale_difference(new[key], old[key]):.1e}){flag}")
    print(f"largest relative difference {worst:.2e} over {len(old)} items (rtol {rtol:g}): {'OK' if ok else 'DIFFER'}")
    return ok


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", nargs="?", help="record into this .npz")
    ap.add_argument("--compare", metavar="OLD.npz", help="compare with this recording")
    ap.add_argument("--against", metavar="NEW.npz", help="compare this recording (instead of recording now)")
    ap.add_argument("--rtol", type=float, default=1e-12)
    args = ap.parse_args()
    if args.against:
        new = dict(np.load(args.against))
    else:
        new = record()
        if args.out:
            np.savez_compressed(args.out, **new)
            print(f"recorded {len(new)} items to {args.out}")
    if args.compare:
        return 0 if compare(new, dict(np.load(args.compare)), args.rtol) else 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
