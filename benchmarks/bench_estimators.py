"""The scikit-learn estimators (xlfactor.estimators) against scikit-learn's own, fitted asset by asset.

Run: python benchmarks/bench_estimators.py [--quick]

FactorLassoCV / FactorRidgeCV (all assets at once) versus a loop of LassoCV / RidgeCV over the assets on the same
folds (KFold(5), unshuffled: scheme "blocked") and grid, at scikit-learn's default tolerance (as an analyst would run
it); prints the time ratio and the share of assets given the same lambda. Also the skfolio route: MeanRisk on
TimeSeriesFactorModel with xlfactor.interop.FactorLoadings vs LoadingMatrixRegression(LassoCV). Seeded synthetic
monthly data (T periods, K factors, N assets).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LassoCV, RidgeCV
from sklearn.model_selection import KFold

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._common import factor_data, header, median_time
from xlfactor.estimators import FactorLassoCV, FactorRidgeCV


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    t, k, n = (240, 5, 20) if args.quick else (600, 8, 100)
    y, x = factor_data(t, k, n, seed=0, noise=0.02)
    header(f"estimators: T={t}, K={k}, N={n}, KFold(5), 100 lambdas")
    ours = FactorLassoCV()
    t_ours = median_time(lambda: ours.fit(x, y), repeat=3)
    loop = [LassoCV(cv=KFold(5)) for _ in range(n)]
    t_loop = median_time(lambda: [m.fit(x, y[:, i]) for i, m in enumerate(loop)], repeat=1)
    same = np.mean([np.isclose(m.alpha_, a, rtol=1e-9) for m, a in zip(loop, ours.alpha_, strict=True)])
    print(
        f"lasso CV: FactorLassoCV {t_ours:.3f} s, loop of LassoCV {t_loop:.3f} s: {t_loop / t_ours:.0f}x; "
        f"same lambda for {same:.0%} of assets"
    )
    ridge = FactorRidgeCV(n_alphas=30)
    t_r = median_time(lambda: ridge.fit(x, y), repeat=3)
    grid = ridge.alphas_[:, 0]
    rloop = [RidgeCV(alphas=grid, cv=KFold(5), scoring="neg_mean_squared_error") for _ in range(n)]
    t_rl = median_time(lambda: [m.fit(x, y[:, i]) for i, m in enumerate(rloop)], repeat=1)
    same = np.mean([m.alpha_ == a for m, a in zip(rloop, ridge.alpha_, strict=True)])
    print(
        f"ridge CV: FactorRidgeCV {t_r:.3f} s, loop of RidgeCV {t_rl:.3f} s: {t_rl / t_r:.0f}x; "
        f"same lambda for {same:.0%} of assets"
    )
    try:
        from skfolio.optimization import MeanRisk
        from skfolio.prior import LoadingMatrixRegression, TimeSeriesFactorModel

        from xlfactor.interop import FactorLoadings
    except ImportError:
        print("skfolio: not installed, skipped")
        return
    ours_p = MeanRisk(prior_estimator=TimeSeriesFactorModel(loading_matrix_estimator=FactorLoadings()))
    theirs_p = MeanRisk(
        prior_estimator=TimeSeriesFactorModel(
            loading_matrix_estimator=LoadingMatrixRegression(linear_regressor=LassoCV(cv=KFold(5)))
        )
    )
    t_a = median_time(lambda: ours_p.fit(y, factors=x), repeat=1)
    t_b = median_time(lambda: theirs_p.fit(y, factors=x), repeat=1)
    print(
        f"skfolio MeanRisk: FactorLoadings {t_a:.3f} s, LoadingMatrixRegression(LassoCV) {t_b:.3f} s: "
        f"{t_b / t_a:.1f}x; max weight difference {np.abs(ours_p.weights_ - theirs_p.weights_).max():.1e} "
        "(scikit-learn at its default tol)"
    )


if __name__ == "__main__":
    main()
