"""Quarterly US macro factors from statsmodels' shipped ``macrodata`` (1959Q1-2009Q3; no network).

Non-traded factors (they are not returns): growth rates and changes per quarter, in decimals.

- ``GDP``: real GDP growth, ``realgdp_t / realgdp_{t-1} - 1``.
- ``Infl``: inflation, macrodata's annualised ``infl`` (400 log(cpi_t / cpi_{t-1})) divided by 400.
- ``dUnemp``: change of the unemployment rate, ``(unemp_t - unemp_{t-1}) / 100``.

The first quarter has no predecessor and is dropped: 1959Q2-2009Q3, 202 quarters. Rows are labelled by the
quarter's last month as YYYYMM (``core.frequency.quarter_label``), the label ``compound`` gives monthly returns.
"""

from __future__ import annotations

import pandas as pd

from ..core.frequency import quarter_label

MACRO_FACTORS = ("GDP", "Infl", "dUnemp")
TRADED = dict.fromkeys(MACRO_FACTORS, False)  # growth rates and changes, not returns of a portfolio


def load_macro() -> pd.DataFrame:
    """GDP growth, inflation and unemployment change per quarter, indexed by quarter (``PeriodIndex``).

    Returns
    -------
    DataFrame
        202 quarters x ``MACRO_FACTORS``, in decimals; ``attrs["traded"]`` marks them not traded.

    Raises
    ------
    ImportError
        Without statsmodels (a dependency of xlfactor).

    Examples
    --------
    >>> m = load_macro()
    >>> m.shape, str(m.index[0]), str(m.index[-1])
    ((202, 3), '1959Q2', '2009Q3')
    """
    from statsmodels.datasets import macrodata

    raw = macrodata.load_pandas().data
    index = pd.PeriodIndex.from_fields(year=raw["year"].astype(int), quarter=raw["quarter"].astype(int), freq="Q")
    out = pd.DataFrame(
        {
            "GDP": raw["realgdp"].pct_change().to_numpy(),
            "Infl": raw["infl"].to_numpy() / 400.0,
            "dUnemp": raw["unemp"].diff().to_numpy() / 100.0,
        },
        index=index.rename("quarter"),
    ).iloc[1:]
    out.attrs["traded"] = dict(TRADED)  # what frames.grs and frames.capm read: these factors are not returns
    return out


def macro_labels(frame: pd.DataFrame) -> pd.Series:
    """YYYYMM label of each quarter's last month (1959Q2 is 195906)."""
    return pd.Series(quarter_label(frame.index.year, frame.index.quarter), index=frame.index, name="period")
