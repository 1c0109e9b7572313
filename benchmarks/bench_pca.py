"""Principal components (xlfactor) versus scikit-learn PCA: one large panel, and rolling windows.

Run: python benchmarks/bench_pca.py [--repeat 3] [--k 10]

- large: a 5040 x 3000 factor panel (10 factors, noise as large as the typical factor return: ``factor_data``),
  the leading ``k`` components. xlfactor ``pca(y, k)`` (block subspace iteration to a residual of 1e-12 of the
  largest eigenvalue) against scikit-learn ``PCA(k)`` (its "auto" solver: randomized SVD here), fit and
  transform; interleaved, median of ``repeat``; agreement of the loadings with the exact (whole-Gram) answer.
- rolling: the shipped 30 portfolios from 1963-07 (645 months), 60-month windows stepped monthly (586), 3 latent
  factors in each window: ``rolling_latent`` (one batched eigh) against a loop of ``PCA(3).fit`` per window.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.decomposition import PCA

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._common import factor_data, header
from xlfactor.core import statistical
from xlfactor.core.options import DEFAULTS
from xlfactor.core.statistical import components
from xlfactor.data import load_french

CPU: dict = {}  # name -> median CPU seconds (all threads) of the last ``interleaved`` call


def interleaved(fns: dict, repeat: int) -> dict:
    """Median wall time of each function, the functions called in turn ``repeat`` times; their median CPU time
    (``time.process_time``, every thread) into ``CPU``: on a loaded machine the CPU time is the steadier figure."""
    times: dict = {name: [] for name in fns}
    cpu: dict = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            c0, t0 = time.process_time(), time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
            cpu[name].append(time.process_time() - c0)
    CPU.update({name: float(np.median(ts)) for name, ts in cpu.items()})
    return {name: float(np.median(ts)) for name, ts in times.items()}


def large(k: int, repeat: int) -> None:
    y, _ = factor_data(5040, 10, 3000, seed=1, noise=0.01)
    print(f"-- PCA of {y.shape[0]} x {y.shape[1]}, {k} components")
    t = interleaved(
        {"xlfactor": lambda: statistical.pca(y, k), "sklearn": lambda: PCA(k, random_state=0).fit(y).transform(y)},
        repeat,
    )
    print(f"xlfactor pca          {t['xlfactor']:.3f} s (CPU {CPU['xlfactor']:.2f} s)")
    print(
        f"sklearn PCA (auto)    {t['sklearn']:.3f} s (CPU {CPU['sklearn']:.2f} s)   ratio sklearn / xlfactor "
        f"{t['sklearn'] / t['xlfactor']:.2f}"
    )
    fast, sk = statistical.pca(y, k), PCA(k, random_state=0).fit(y)
    z = y - y.mean(axis=0)
    _, vec = components.top_components(z, k, exact=True)
    exact = vec[:, :k] * components.signs(vec[:, :k])
    print(
        f"largest loading difference from the exact answer: xlfactor {np.abs(fast.loadings - exact).max():.1e}, "
        f"sklearn {np.abs(sk.components_.T * components.signs(sk.components_.T) - exact).max():.1e}"
    )


def rolling(repeat: int) -> None:
    f = load_french()
    keep = f.portfolios.index >= f.portfolios.index[-645]
    y = f.portfolios.sub(f.rf, axis=0)[keep].to_numpy()
    spans = np.array([(e - 59, e) for e in range(59, y.shape[0])])
    print(f"-- rolling PCA: {len(spans)} windows of 60 x {y.shape[1]}, 3 components")

    def loop():
        for a, b in spans:
            PCA(3, svd_solver="full").fit(y[a : b + 1])

    t = interleaved({"xlfactor": lambda: statistical.rolling_latent(y, 60, k=3), "sklearn": loop}, repeat)
    print(
        f"xlfactor rolling_latent {t['xlfactor']:.3f} s (CPU {CPU['xlfactor']:.2f} s; loadings, factor covariance, "
        "specific variances)"
    )
    print(
        f"sklearn PCA loop        {t['sklearn']:.3f} s (CPU {CPU['sklearn']:.2f} s)   ratio sklearn / xlfactor "
        f"{t['sklearn'] / t['xlfactor']:.1f}"
    )
    auto = statistical.rolling_latent(y, 60)
    t_auto = interleaved({"x": lambda: statistical.rolling_latent(y, 60)}, repeat)["x"]
    ks, counts = np.unique(auto.n_factors, return_counts=True)
    print(
        f"k chosen per window by {DEFAULTS['criterion']}: {t_auto:.3f} s; windows per k "
        f"{ {int(a): int(b) for a, b in zip(ks, counts, strict=True)} }"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--k", type=int, default=10)
    args = ap.parse_args()
    header("principal components: xlfactor vs scikit-learn")
    print("load average (1, 5, 15 min) at the start: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    large(args.k, args.repeat)
    rolling(args.repeat)
    print(
        "load average at the end: {:.1f} {:.1f} {:.1f} (a shared 2-core machine: compare the ratios)".format(
            *os.getloadavg()
        )
    )


if __name__ == "__main__":
    main()
