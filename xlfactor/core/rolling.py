"""Rolling and expanding windows: every estimate made again on each window, with no look-ahead.

For the penalised methods the lambda is chosen again in each window by time-ordered cross-validation
whose folds lie inside the window, so nothing after a window's last row reaches its estimates. This is
the reference implementation (one window after another through the single-window API); batching the
windows through the Gram machinery is the next step (issue 11).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _validation as v
from . import cv, penalized, regression, risk
from .options import DEFAULTS, METHODS

ROLLING_METHODS = ("ols", *METHODS)


@dataclass(frozen=True, eq=False)
class RollingResult:
    """Estimates per window (window axis first)."""

    method: str
    starts: np.ndarray  # (W,) first row of each window
    ends: np.ndarray  # (W,) last row of each window (inclusive): the estimates use rows up to here only
    lambdas: np.ndarray  # (W,) the pooled lambda chosen in the window (NaN for OLS)
    intercept: np.ndarray  # (W, N)
    loadings: np.ndarray  # (W, N, K)
    r2: np.ndarray  # (W, N) 1 - specific / total variance in the window (OLS: its R2)
    factor_cov: np.ndarray  # (W, K, K)
    specific_var: np.ndarray  # (W, N)


def windows(n_rows: int, window: int, step: int = 1, expanding: bool = False) -> list[tuple[int, int]]:
    """(first, last) rows of each window: ``window`` rows ending every ``step`` rows, the last ending at the
    last row; expanding windows all start at row 0 (the first holds ``window`` rows)."""
    window = v.check_nonneg_int(window, "window", minimum=2)
    step = v.check_nonneg_int(step, "step", minimum=1)
    if window > n_rows:
        raise v.InputValueError(f"window is {window} rows but the data have {n_rows}; shorten the window.")
    ends = list(range(n_rows - 1, window - 2, -step))[::-1]
    return [(0 if expanding else end - window + 1, end) for end in ends]


def rolling(
    returns,
    factors,
    window: int,
    *,
    step: int = 1,
    expanding: bool = False,
    method: str = "ols",
    folds: int = DEFAULTS["folds"],
    scheme: str = DEFAULTS["scheme"],
    gap: int = DEFAULTS["gap"],
    rule: str = DEFAULTS["rule"],
    standardize: bool = False,
    penalty_weights=None,
    l1_ratio: float | None = None,
    cov_method: str = DEFAULTS["cov_method"],
    halflife: float | None = None,
) -> RollingResult:
    """Loadings, R2, factor covariance and specific variances on every window (see the module docstring)."""
    y = v.as_float_2d(returns, "returns")
    x = v.as_float_2d(factors, "factors")
    v.check_same_rows(y, x, "returns", "factors")
    method = v.choose(method, ROLLING_METHODS, "method", "ols")
    spans = windows(y.shape[0], window, step, expanding)
    n, k = y.shape[1], x.shape[1]
    lam = np.full(len(spans), np.nan)
    icpt, load = np.empty((len(spans), n)), np.empty((len(spans), n, k))
    r2, spec, cov = np.empty((len(spans), n)), np.empty((len(spans), n)), np.empty((len(spans), k, k))
    for w, (first, last) in enumerate(spans):
        yw, xw = y[first:last + 1], x[first:last + 1]
        if method == "ols":
            fit = regression.ols(yw, xw)
            icpt[w], load[w] = fit.coef[:, 0], fit.loadings
        else:
            opts = dict(method=method, standardize=standardize, penalty_weights=penalty_weights, l1_ratio=l1_ratio)
            res = cv.cross_validate(yw, xw, folds=folds, scheme=scheme, gap=gap, pooled=True, **opts)
            lam[w] = res.pooled_lambda(rule)
            fit = penalized.fit(yw, xw, [lam[w]], **opts)
            icpt[w], load[w] = fit.intercept[0], fit.loadings[0]
        spec[w] = risk.specific_variance(yw, xw, load[w])
        usable = np.where(np.isfinite(xw).all(axis=1)[:, None], yw, np.nan)
        r2[w] = 1.0 - spec[w] / np.nanvar(usable, axis=0, ddof=1)
        cov[w] = risk.factor_covariance(xw, cov_method, halflife)
    return RollingResult(method=method, starts=np.array([s for s, _ in spans]), ends=np.array([e for _, e in spans]),
                         lambdas=lam, intercept=icpt, loadings=load, r2=r2, factor_cov=cov, specific_var=spec)


__all__ = ["RollingResult", "rolling", "windows", "ROLLING_METHODS"]
