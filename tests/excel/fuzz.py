"""Hypothesis strategies for malformed spreadsheet ranges, in either runtime's wire format."""

from __future__ import annotations

import datetime as dt
import os

from hypothesis import strategies as st

from tests.excel import winstubs

EXAMPLES = int(os.environ.get("XLFACTOR_FUZZ_EXAMPLES", "150"))  # per runtime; raise it for a long fuzz run
OFFICE_ERROR = {"type": "Error", "basicType": "Error", "basicValue": "#N/A", "errorType": "NotAvailable"}


def office_error(text: str) -> dict:
    """An error cell as Excel's Office.js client sends it (text such as '#DIV/0!')."""
    return {"type": "Error", "basicType": "Error", "basicValue": text}


def _cell(com: bool):
    numbers = st.floats(-0.5, 0.5, allow_nan=False) | st.sampled_from([0.0, 1e-300, 1e300, -1e300])
    weird = st.sampled_from([None, "", "abc", "1.5", True, False, float("nan"), float("inf")])
    error = st.just(winstubs.NA if com else OFFICE_ERROR)
    date = st.just(winstubs.TimeType(2024, 1, 31) if com else 45322.0)
    ints = st.integers(-5, 5)
    return st.one_of(numbers, numbers, numbers, weird, error, date, ints, st.just(dt.date(2020, 1, 1)))


@st.composite
def cell_ranges(draw, com: bool):
    """A scalar, None, a ragged or rectangular block of cells (COM: tuples; Office.js: lists)."""
    kind = draw(st.sampled_from(["scalar", "none", "block", "block", "block", "ragged", "empty"]))
    if kind == "scalar":
        return draw(_cell(com))
    if kind == "none":
        return winstubs.MISSING if com else None
    if kind == "empty":
        return () if com else []
    rows, cols = draw(st.integers(1, 12)), draw(st.integers(1, 4))
    if kind == "ragged":
        block = [[draw(_cell(com)) for _ in range(draw(st.integers(1, 4)))] for _ in range(rows)]
    else:
        block = [[draw(_cell(com)) for _ in range(cols)] for _ in range(rows)]
    return tuple(tuple(r) for r in block) if com else block
