"""Factors built from asset returns."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from . import _validation as v

LOW_VOL_RULE = (
    "LowVol: each month, the equal-weighted return of the {n} assets with the lowest volatility over the "
    "previous {window} months minus that of the {n} with the highest (no look-ahead: month t uses months "
    "t-{window} to t-1)."
)


def low_volatility(returns: ArrayLike, window: int = 36, n: int = 4) -> np.ndarray:
    """Long-short low-volatility factor from asset returns (T x N): NaN for the first ``window`` months.

    The rule is ``LOW_VOL_RULE``: each period, the equal-weighted return of the ``n`` assets with the lowest
    volatility over the previous ``window`` periods minus that of the ``n`` with the highest.

    Parameters
    ----------
    returns : array_like, shape (T, N)
        Asset returns with no missing value.
    window : int, default 36
        Trailing periods over which volatilities are ranked.
    n : int, default 4
        Assets in each leg (2 n <= N).

    Returns
    -------
    ndarray, shape (T,)
        The factor's return per period; NaN for the first ``window`` periods.

    Raises
    ------
    InputValueError
        For missing or non-numeric values, ``window`` below 2, or ``n`` too large for the assets.

    Examples
    --------
    >>> import numpy as np
    >>> import xlfactor as xf
    >>> from xlfactor.core.factors import low_volatility
    >>> lv = low_volatility(xf.load_french().size_value.to_numpy(), n=2)
    >>> bool(np.isnan(lv[:36]).all()), round(float(np.nanmean(lv)) * 12, 4)  # mean a year
    (True, 0.0303)
    """
    y = v.as_float_2d(returns, "returns", allow_missing=False)
    window = v.check_nonneg_int(window, "window", minimum=2)
    n = v.check_nonneg_int(n, "n", minimum=1)
    t, m = y.shape
    if 2 * n > m:
        raise v.InputValueError(f"n is {n} but there are only {m} assets; the long and short legs need 2n <= {m}.")
    out = np.full(t, np.nan)
    for s in range(window, t):
        order = np.argsort(y[s - window : s].std(axis=0, ddof=1), kind="stable")
        out[s] = y[s, order[:n]].mean() - y[s, order[-n:]].mean()
    return out
