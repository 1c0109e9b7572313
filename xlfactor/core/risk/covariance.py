"""Covariance estimates of factor returns and specific variances for risk forecasts."""

from __future__ import annotations

import numpy as np

from ...errors import (
    InputShapeError,
    InputValueError,
    InsufficientDataError,
)
from .. import _validation as v
from ..options import COV_METHODS, DEFAULTS

# --- covariance ------------------------------------------------------------------------------------------------


def factor_covariance(factors, method: str = DEFAULTS["cov_method"], halflife: float | None = None) -> np.ndarray:
    """Covariance of factor returns (rows with any factor missing are dropped).

    - ``sample``: ddof = 1.
    - ``ewma``: exponentially weighted with ``halflife`` periods (weight ``0.5 ** (age / halflife)``,
      the newest row has age 0), around the weighted mean, debiased by ``1 / (1 - sum v^2)`` with ``v``
      the normalised weights: pandas ``ewm(halflife=h).cov()`` on the last row.
    - ``ledoitwolf``: Ledoit-Wolf (2004) shrinkage of the ddof = 0 covariance towards a scaled
      identity with the optimal intensity: scikit-learn ``LedoitWolf``.
    """
    x = v.as_float_2d(factors, "factors")
    x = x[np.isfinite(x).all(axis=1)]
    method = v.choose(method, COV_METHODS, "method", "sample")
    n, k = x.shape
    if n < 2:
        raise InsufficientDataError(f"factors has {n} complete rows; a covariance needs at least 2.")
    if method == "sample":
        return np.atleast_2d(np.cov(x, rowvar=False))
    if method == "ewma":
        if halflife is None or (isinstance(halflife, str) and not halflife.strip()):
            raise InputValueError("halflife is required for method 'ewma': the number of periods over which weights halve.")
        h = v.check_number(halflife, "halflife", low=0.0, low_open=True)
        w = 0.5 ** (np.arange(n)[::-1] / h)
        w /= w.sum()
        mu = w @ x
        xc = x - mu
        return (xc * w[:, None]).T @ xc / (1.0 - w @ w)
    xc = x - x.mean(axis=0)
    s = xc.T @ xc / n
    mu = np.trace(s) / k
    x2 = xc * xc
    beta_ = (x2.T @ x2).sum() / n - (s * s).sum()
    delta = ((s - mu * np.eye(k)) ** 2).sum() / k
    beta = min(beta_ / (k * n), delta)
    shrink = 0.0 if beta == 0 else beta / delta
    return (1.0 - shrink) * s + shrink * mu * np.eye(k)


def specific_variance(returns, factors, loadings) -> np.ndarray:
    """Variance (ddof = 1) of each asset's residual ``y - X b`` under given loadings (N x K).

    The intercept is absorbed by the demeaning. Each asset uses the rows where it and every factor
    are present.
    """
    y = v.as_float_2d(returns, "returns")
    x = v.as_float_2d(factors, "factors")
    v.check_same_rows(y, x, "returns", "factors")
    b = v.as_float_2d(loadings, "loadings", allow_missing=False)
    if b.shape != (y.shape[1], x.shape[1]):
        raise InputShapeError(
            f"loadings is {b.shape[0]} x {b.shape[1]} but returns has {y.shape[1]} assets and factors has "
            f"{x.shape[1]} columns; pass one row per asset and one column per factor."
        )
    e = y - np.where(np.isfinite(x), x, 0.0) @ b.T
    e[~(np.isfinite(y) & np.isfinite(x).all(axis=1)[:, None])] = np.nan
    n = np.isfinite(e).sum(axis=0)
    if (n < 2).any():
        j = int(np.flatnonzero(n < 2)[0])
        raise InsufficientDataError(f"returns column {j + 1} has {n[j]} usable rows; a variance needs at least 2.")
    return np.nanvar(e, axis=0, ddof=1)


def check_covariance(cov, name: str = "covariance") -> np.ndarray:
    """A symmetric, positive semi-definite, finite matrix (symmetry and PSD up to 1e-10 relative)."""
    s = v.as_float_2d(cov, name, allow_missing=False)
    if s.shape[0] != s.shape[1]:
        raise InputShapeError(f"{name} is {s.shape[0]} x {s.shape[1]}; it must be square.")
    scale = max(np.abs(s).max(), 1e-300)
    asym = np.abs(s - s.T).max()
    if asym > 1e-10 * scale:
        i, j = np.unravel_index(np.argmax(np.abs(s - s.T)), s.shape)
        raise InputValueError(
            f"{name} is not symmetric: row {i + 1}, column {j + 1} is {s[i, j]:.6g} but row {j + 1}, "
            f"column {i + 1} is {s[j, i]:.6g}."
        )
    s = (s + s.T) / 2
    low = np.linalg.eigvalsh(s)[0]
    if low < -1e-10 * scale:
        raise InputValueError(
            f"{name} is not positive semi-definite (smallest eigenvalue {low:.3g}); "
            "estimate it from data or use the Ledoit-Wolf estimate."
        )
    return s


