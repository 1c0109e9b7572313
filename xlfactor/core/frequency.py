"""Mixed frequencies: compound monthly returns to quarters or years, and align series by period label.

Period labels are YYYYMM numbers (196307 for July 1963), as the spreadsheet's Data sheet has them. A quarter or a
year is labelled by its last month: 1959Q1 is 195903, 1959 is 195912 (``quarter_label``). A period's compound
return is ``prod(1 + r) - 1`` over its months; it is NaN for an asset missing in any of them. Months must be
consecutive and increasing: a repeated month (overlapping periods) or a gap inside the data is an error naming the
label; incomplete quarters (years) at the two ends are left out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ..errors import InputShapeError, InputValueError, InsufficientDataError
from . import _validation as v
from .options import DEFAULTS, FREQUENCIES

MONTHS = {"quarter": 3, "year": 12}


@dataclass(frozen=True, eq=False)
class Compounded:
    """Returns compounded to a slower frequency, one row per complete period.

    Attributes
    ----------
    labels : ndarray, shape (P,)
        YYYYMM of each period's last month.
    returns : ndarray, shape (P, N)
        The compounded returns, ``prod(1 + r) - 1`` over each period's months (NaN if any is missing).
    first_row : ndarray, shape (P,)
        0-based row of each period's first month in the input.

    Examples
    --------
    >>> res = compound([[0.01], [0.02], [-0.01]], [199001, 199002, 199003])
    >>> res.labels.tolist(), res.first_row.tolist()
    ([199003], [0])
    """

    labels: np.ndarray  # (P,) YYYYMM of each period's last month
    returns: np.ndarray  # (P, N)
    first_row: np.ndarray  # (P,) 0-based row of each period's first month in the input


def quarter_label(year, quarter) -> np.ndarray:
    """YYYYMM label of a quarter's last month: ``quarter_label(1959, 1) == 195903``.

    Examples
    --------
    >>> quarter_label([1959, 2009], [1, 3]).tolist()
    [195903, 200909]
    """
    return np.asarray(year, dtype=int) * 100 + 3 * np.asarray(quarter, dtype=int)


def month_index(labels, name: str = "periods") -> np.ndarray:
    """Months since year 0 of YYYYMM labels; a label that is not a whole YYYYMM number is an error naming its row."""
    lab = v.as_float_1d(labels, name, allow_missing=False)
    month = np.mod(lab, 100)
    bad = (lab != np.round(lab)) | (month < 1) | (month > 12) | (lab < 100)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputValueError(
            f"{name} row {i + 1} is {lab[i]:g}, not a month as YYYYMM (e.g. 196307 for July "
            "1963); write the periods as YYYYMM numbers."
        )
    return (lab // 100).astype(int) * 12 + month.astype(int) - 1


def compound(returns: ArrayLike, labels: ArrayLike, to: str | None = None) -> Compounded:
    """Compound monthly (or quarterly) ``returns`` (T x N, one row per YYYYMM label) to quarters or years.

    Parameters
    ----------
    returns : array_like
        T x N simple returns, one row per month; or one per quarter, labelled by the quarter's last month
        (195903, 195906, ...: compounded to quarters they are returned as they are, to years four at a time).
    labels : array_like
        T YYYYMM labels, consecutive months (or consecutive quarter ends) and increasing.
    to : str, optional
        ``quarter`` (default) or ``year``.

    Returns
    -------
    Compounded

    Raises
    ------
    InputValueError
        A label that is not YYYYMM, repeated or out of order, or a gap inside the months; a return below -1
        (a loss of more than 100%: percentages, not decimals).
    InsufficientDataError
        No complete period.

    Examples
    --------
    >>> res = compound([[0.01], [0.02], [-0.01], [0.03]], [199001, 199002, 199003, 199004])
    >>> res.labels.tolist(), np.round(res.returns.ravel(), 6).tolist()
    ([199003], [0.019898])
    """
    to = v.choose(to, FREQUENCIES, "to", str(DEFAULTS["frequency"]))
    y = v.as_float_2d(returns, "returns")
    if (y < -1.0).any():  # NaN compares False: a gap stays a gap
        i, j = np.argwhere(y < -1.0)[0]
        raise InputValueError(
            f"returns row {i + 1}, column {j + 1} is {y[i, j]:.6g}, a loss of more than 100%; returns are decimals "
            "(-0.05 for -5%) and cannot be below -1: divide percentages by 100."
        )
    m = month_index(labels)
    if m.size != y.shape[0]:
        raise InputShapeError(f"periods has {m.size} labels but returns has {y.shape[0]} rows; give one label per row.")
    step = np.diff(m)
    months = 3 if (step == 3).sum() > (step == 1).sum() else 1  # months a row holds: quarterly rows are quarter ends
    word = "month" if months == 1 else "quarter"
    if months == 3:
        check_period_ends(labels, "quarter", "periods")
    if (step != months).any():
        i = int(np.flatnonzero(step != months)[0]) + 1
        lab = v.as_float_1d(labels, "periods")
        why = (
            "repeats or goes back (overlapping periods)"
            if step[i - 1] < 1
            else f"skips {step[i - 1] // months - 1} {word}(s) after {lab[i - 1]:g}"
        )
        raise InputValueError(
            f"periods row {i + 1} ({lab[i]:g}) {why}; {word}ly returns must have one row per {word}, "
            "consecutive and increasing."
        )
    size = MONTHS[to] // months  # rows a period holds
    start = (months - 1 - m[0]) % MONTHS[to] // months  # first row that begins a period
    count = (m.size - start) // size
    if count < 1:
        raise InsufficientDataError(
            f"returns covers {m.size} {word}(s) but no complete {to}; pass at least the {size} {word}s of one {to}."
        )
    block = y[start : start + count * size].reshape(count, size, y.shape[1])
    last = m[start + size - 1 : start + count * size : size]
    labels_out = (last // 12) * 100 + last % 12 + 1
    return Compounded(
        labels=labels_out, returns=np.prod(1.0 + block, axis=1) - 1.0, first_row=start + size * np.arange(count)
    )


def check_period_ends(labels, to: str | None = None, name: str = "labels") -> np.ndarray:
    """The YYYYMM labels of a slower series, each the last month of a quarter (or year, by ``to``); a label that
    is not (a quarter labelled by its first month, 195901 for 1959Q1) is an error naming its row.

    Examples
    --------
    >>> check_period_ends([195903, 195906]).tolist()
    [195903.0, 195906.0]
    """
    to = v.choose(to, FREQUENCIES, "to", str(DEFAULTS["frequency"]))
    lab = v.as_float_1d(labels, name, allow_missing=False)
    m = month_index(lab, name)
    bad = np.flatnonzero((m + 1) % MONTHS[to] != 0)
    if bad.size:
        i = int(bad[0])
        raise InputValueError(
            f"{name} row {i + 1} is {lab[i]:g}, not the last month of a {to}; label each {to} by "
            f"its last month as YYYYMM ({'1959Q1 is 195903' if to == 'quarter' else '1959 is 195912'})."
        )
    return lab


def align(
    left: ArrayLike, right: ArrayLike, left_name: str = "left periods", right_name: str = "right periods"
) -> tuple[np.ndarray, np.ndarray]:
    """Rows ``(i, j)`` of the labels the two series share, in the order of ``left``.

    Repeated labels in either series are an error (the match would be ambiguous); no shared label is an error.

    Parameters
    ----------
    left, right : array_like, shape (T,)
        Period labels as numbers (YYYYMM of each period's last month), no missing values.
    left_name, right_name : str
        What the two series are, for the error messages.

    Returns
    -------
    i, j : numpy.ndarray of int
        ``left[i] == right[j]`` for every shared label, ``i`` increasing.

    Raises
    ------
    InputValueError
        When a label is missing or not a number, appears twice in one series, or the series share none.

    Examples
    --------
    >>> align([195903, 195906, 195909], [195906, 195909, 195912])
    (array([1, 2]), array([0, 1]))
    """
    a = v.as_float_1d(left, left_name, allow_missing=False)
    b = v.as_float_1d(right, right_name, allow_missing=False)
    for lab, name in ((a, left_name), (b, right_name)):
        uniq, counts = np.unique(lab, return_counts=True)
        if (counts > 1).any():
            raise InputValueError(f"{name} has {uniq[counts > 1][0]:g} more than once; each period must appear once.")
    common, i, j = np.intersect1d(a, b, return_indices=True)
    if common.size == 0:
        raise InputValueError(
            f"{left_name} ({a[0]:g}-{a[-1]:g}) and {right_name} ({b[0]:g}-{b[-1]:g}) share no "
            "period; label both as YYYYMM of the period's last month (1959Q1 is 195903)."
        )
    order = np.argsort(i)
    return i[order], j[order]
