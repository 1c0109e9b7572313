"""glmnet's Fortran (python-glmnet's ``elnet``) on the benchmark's folds and lambda grid.

python-glmnet does not build against numpy 2, so it usually lives in an environment of its own
(benchmarks/README.md says how to make one); ``bench_cv.py --glmnet-python PATH`` then runs this file
with that interpreter. It reads the problem from an .npz file and prints one JSON line.

The peer is the Fortran routine itself, not python-glmnet's ``ElasticNet`` class, whose per-lambda
scoring in Python costs ~10x the fit: per asset, one ``elnet`` call per fold and one on the full sample
(as LassoCV and xlfactor do), on our lambda grid (``ulam``), without standardisation, with an intercept,
at glmnet's default threshold 1e-7. Its objective 1/(2n)||y - a - Xb||^2 + lambda |b|_1 is ours.

Run: <glmnet python> benchmarks/glmnet_peer.py problem.npz
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np


def lasso_path(x, y, lambdas, thr=1e-7):
    """(K, L) loadings and (L,) intercepts of glmnet's lasso path at ``lambdas`` (decreasing)."""
    from _glmnet import elnet, solns  # python-glmnet's extension module

    k = x.shape[1]
    lmu, a0, ca, ia, nin, _, _, _, jerr = elnet(
        1,
        1.0,
        np.asfortranarray(x),
        y.astype(np.float64, copy=True),
        np.ones(len(y)),
        np.zeros(1, dtype=np.int32),
        np.ones(k),
        np.array([[-np.inf] * k, [np.inf] * k], order="F"),
        k + 1,
        1.0,
        lambdas,
        thr,
        k,
        len(lambdas),
        0,
        1,
        100_000,
    )
    if jerr != 0 or lmu != len(lambdas):
        raise RuntimeError(f"glmnet elnet failed (jerr={jerr}, {lmu} of {len(lambdas)} lambdas)")
    return solns(k, ca[:, :lmu], ia, nin[:lmu]), a0[:lmu]


def cross_validate(y, x, grid, folds, cols):
    """Best lambda per asset in ``cols``: held-out mean squared error summed over ``folds``."""
    best = []
    for j in cols:
        err = np.zeros(grid.shape[0])
        for tr, te in folds:
            b, a = lasso_path(x[tr], y[tr, j], grid[:, j])
            err += ((y[te, j][:, None] - a - x[te] @ b) ** 2).mean(axis=0)
        lasso_path(x, y[:, j], grid[:, j])  # the full sample's path, as the other contenders fit it
        best.append(grid[np.argmin(err), j])
    return np.array(best)


def main() -> None:
    data = np.load(sys.argv[1])
    y, x, grid, cols = data["y"], data["x"], data["grid"], data["cols"]
    folds = [(data[f"train{i}"], data[f"test{i}"]) for i in range(int(data["n_folds"]))]
    t0, c0 = time.perf_counter(), time.process_time()
    best = cross_validate(y, x, grid, folds, cols)
    took, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({"seconds": took, "cpu": cpu, "best": best.tolist()}))


if __name__ == "__main__":
    main()
