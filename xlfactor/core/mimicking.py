"""Factor-mimicking portfolios: the traded portfolio of base assets that tracks a non-traded factor best.

Regress the factor ``g_t`` on the base assets' returns with an intercept, ``g_t = a + w' R_t + u_t`` (OLS over the
rows where the factor and every base asset are present; Breeden, Gibbons and Litzenberger, 1989). ``w`` are the
weights (in factor units per unit of return; they need not sum to one, so use excess returns as the base), the
tracking correlation is ``corr(g, w'R) = sqrt(R²)``, and the mimicking return ``w' R_t`` exists wherever the base
assets do, also in periods where the factor is missing (e.g. every month of a quarterly factor), and works as a
traded factor in every other function.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ..errors import InputShapeError, InsufficientDataError
from . import _validation as v
from .regression import ols


@dataclass(frozen=True, eq=False)
class MimickingResult:
    """Weights of the base assets and the mimicking portfolio's returns.

    Attributes
    ----------
    weights : ndarray, shape (N,)
        The OLS slopes of the factor on the base returns: the portfolio's weights.
    intercept : float
        The regression's intercept (not part of the portfolio).
    stderr : ndarray, shape (N + 1,)
        Classic OLS standard errors of the intercept and the weights.
    r2 : float
        R² of the projection; ``tracking_corr`` is its square root.
    returns : ndarray, shape (T,)
        ``w'R_t`` on every row where all base assets are present, NaN elsewhere.
    nobs : int
        Rows fitted (factor and every base asset present).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> base = rng.normal(0, 0.04, (200, 3))
    >>> res = mimicking(base @ [0.5, 0.2, 0.0] + rng.normal(0, 0.01, 200), base)
    >>> np.round(res.weights, 1).tolist(), res.nobs
    ([0.5, 0.2, 0.0], 200)
    """

    weights: np.ndarray  # (N,)
    intercept: float
    stderr: np.ndarray  # (N + 1,) classic OLS standard errors of the intercept and the weights
    r2: float
    returns: np.ndarray  # (T,) w'R_t on every row where all base assets are present, NaN elsewhere
    nobs: int

    @property
    def tracking_corr(self) -> float:
        """Correlation of the factor with its mimicking portfolio over the rows fitted: sqrt(R²)."""
        return float(np.sqrt(max(self.r2, 0.0)))

    @property
    def tstat(self) -> np.ndarray:
        return np.concatenate([[self.intercept], self.weights]) / self.stderr


def mimicking(factor: ArrayLike, base_returns: ArrayLike, *, base_names: v.Names = None) -> MimickingResult:
    """Project a (non-traded) factor on base asset returns: weights, tracking correlation, mimicking returns.

    Parameters
    ----------
    factor : array_like
        T values of the factor (NaN where it is not observed).
    base_returns : array_like
        T x N returns of the base assets (e.g. the nine size/value portfolios, in excess of the risk-free rate).
    base_names : sequence of str, optional
        Names of the base assets for error messages.

    Returns
    -------
    MimickingResult

    Raises
    ------
    InsufficientDataError
        Fewer than N + 2 rows with the factor and every base asset present.
    CollinearityError
        A base asset constant or a combination of the others.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> base = rng.normal(0.01, 0.05, (200, 3))
    >>> g = base @ [0.5, -0.2, 0.1] + rng.normal(0, 0.01, 200)
    >>> res = mimicking(g, base)
    >>> np.round(res.weights, 1)
    array([ 0.5, -0.2,  0.1])
    """
    g = v.as_float_1d(factor, "factor")
    base = v.as_float_2d(base_returns, "base_returns")
    if g.size != base.shape[0]:
        raise InputShapeError(
            f"factor has {g.size} values but base_returns has {base.shape[0]} rows; both must "
            "cover the same periods (NaN where the factor is not observed)."
        )
    complete = np.isfinite(base).all(axis=1)
    rows = complete & np.isfinite(g)
    n = base.shape[1]
    if rows.sum() < n + 2:
        raise InsufficientDataError(
            f"factor and every base asset are present in {rows.sum()} rows; {n} base "
            f"asset(s) need at least {n + 2}. Use fewer base assets."
        )
    fit = ols(g[rows], base[rows], factor_names=base_names, factors_arg="base_returns")
    w = fit.loadings[0]
    out = np.full(g.size, np.nan)
    out[complete] = base[complete] @ w
    return MimickingResult(
        weights=w,
        intercept=float(fit.intercept[0]),
        stderr=fit.stderr[0],
        r2=float(fit.r2[0]),
        returns=out,
        nobs=int(rows.sum()),
    )
