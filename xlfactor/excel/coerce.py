"""The boundary between Excel cells and the numeric core, in both directions.

Range arguments are declared ``raw`` (``@xw.arg(name, "raw")``), so xlwings hands them over exactly
as the runtime sent them, and this module is the one place that interprets them:

- classic (COM): a tuple of tuples, a scalar for one cell, ``None`` for a blank, an ``int`` error
  code for an error cell (Excel numbers always arrive as floats), ``pywintypes.TimeType`` for dates;
- Office.js (xlwings Server and Lite): a list of lists, ``None`` (JSON null) or JsNull for blanks,
  ``{"type": "Error", ...}`` objects for error cells, ``[[x]]`` for one cell (xlwings passes ``x``).

Blank cells are missing values (NaN). Error cells (#N/A, #DIV/0!, ...) are errors naming the argument,
row and column, as Excel's own functions propagate errors; so are text, logical values and dates
inside numeric ranges. Trailing rows that are blank in every argument over the same periods, and
trailing blank columns, are ignored, so a range may reach beyond its data.
Skipping xlwings' own per-cell cleaning also avoids its cost (about 10 µs a cell on Server).

Results leave through ``row``/``column``/``block``: explicit 2-D lists of floats where missing or
non-finite numbers become "" (an empty cell) on every runtime.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import os
from collections import deque
from typing import overload

import numpy as np
import xlwings as xw

from ..core import _validation as v
from ..core.options import ignored
from ..errors import InputShapeError, InputValueError, InsufficientDataError, XLFactorError

# COM error codes of #NULL!, #DIV/0!, #VALUE!, #REF!, #NAME?, #NUM!, #N/A (xlwings/_xlwindows.py)
COM_ERROR_TEXT = {
    -2146826288: "#NULL!",
    -2146826281: "#DIV/0!",
    -2146826273: "#VALUE!",
    -2146826265: "#REF!",
    -2146826259: "#NAME?",
    -2146826252: "#NUM!",
    -2146826246: "#N/A",
}
MAX_CELLS = 25_000_000  # one argument: 5,040 periods x 3,000 assets is 15 million
FIX_ERROR = 'fix that cell, or wrap it in IFERROR(..., "") to treat it as a missing value.'
_FLOAT_OR_BLANK = {float, type(None)}  # cells that need no interpretation


class ExcelInputError(XLFactorError, xw.XlwingsError):
    """A user error shown in the cell: one line, function name first.

    An ``xw.XlwingsError`` so that xlwings Server answers HTTP 400 (message shown, no retries).
    """


def on_office_js() -> bool:
    """True under xlwings Server and Lite (both set XLWINGS_ON_SERVER=true before importing xlwings)."""
    return os.environ.get("XLWINGS_ON_SERVER") == "true"


def runtime() -> str:
    """Which decorators xlwings bound at import: 'officejs', 'classic' (COM, Windows) or 'python' (no Excel)."""
    if on_office_js():
        return "officejs"
    return "classic" if getattr(xw.func, "__module__", "") == "xlwings.udfs" else "python"


# The latest user errors, newest last, for XLFACTOR_ERROR: a classic error cell holds an error value, not text.
RECENT_ERRORS: deque[str] = deque(maxlen=10)


def com_error_value(excel_code: str):
    """A real Excel error value for classic Excel: a VT_ERROR variant (Excel shows #VALUE!, #NUM!, ...)."""
    import pythoncom
    from win32com.client import VARIANT

    code = next(k for k, text in COM_ERROR_TEXT.items() if text == excel_code)
    return VARIANT(pythoncom.VT_ERROR, code)


def excel_errors(func):
    """Turn an ``XLFactorError`` into an Excel error with a one-line message, function name first.

    Office.js: raise ``ExcelInputError`` (``#VALUE!``, the message on hover). Classic: return a real
    error value (``#VALUE!`` for bad input, ``#NUM!`` when the numbers cannot give an estimate), so that
    IFERROR and ISERROR work and the error cascades; the message is kept for ``XLFACTOR_ERROR``. Plain
    Python (no Excel): raise ``ExcelInputError``. Other exceptions are bugs and propagate unchanged.
    """
    name = func.__name__.upper()

    @functools.wraps(func)
    def wrapper(*args):
        problem: XLFactorError
        try:
            return func(*args)
        except MemoryError:  # a refusal the user can act on, not a server error
            problem = InsufficientDataError(
                "the computation needs more memory than this machine has; select "
                "smaller ranges, fewer lambdas or fewer folds."
            )
        except XLFactorError as exc:
            problem = exc
        message = f"{name}: {problem}"
        if runtime() == "classic":
            RECENT_ERRORS.append(message)
            return [[com_error_value(problem.excel_code)]]
        error = ExcelInputError(message)
        error.excel_code = problem.excel_code
        raise error from None

    return wrapper


# --- cells to arrays ------------------------------------------------------------------------------------------


def _numbers(value) -> bool:
    """A block of numbers the server's decoder made of a range (``decode.call``): 2-D float64, blanks NaN."""
    return isinstance(value, np.ndarray) and value.ndim == 2 and value.dtype == np.float64


def _rows(value) -> list:
    """The value as a list of rows, whatever the runtime sent (scalar, flat list, nested lists, a decoded block)."""
    if _numbers(value):  # back to the cells the range held (blanks None), for what reads ranges cell by cell
        return [[None if x != x else x for x in r] for r in value.tolist()]
    if isinstance(value, (list, tuple)):
        if not value:
            return []
        if all(isinstance(r, (list, tuple)) for r in value):
            return list(value)
        if any(isinstance(r, (list, tuple)) for r in value):
            raise InputShapeError("is not a rectangular range; select a block of cells.")
        return [list(value)]
    return [[value]]


def _is_blank(x) -> bool:
    """An empty cell: None (JSON null), "" (also what =IFERROR(x, "") gives), or Pyodide's JsNull in Lite."""
    return x is None or (isinstance(x, str) and x == "") or type(x).__name__ == "JsNull"


def _error_value(x) -> str | None:
    """The text of an Excel error cell (#N/A, #REF!, ...), or None for any other value."""
    if type(x) is int and x in COM_ERROR_TEXT:
        return COM_ERROR_TEXT[x]
    if isinstance(x, dict) and str(x.get("type", "")).lower() == "error":  # Office.js, e.g. {"type": "Error", ...}
        return str(x.get("basicValue") or x.get("errorType") or "#VALUE!")
    return None


def _plain(x):
    """An Office.js data-type cell ({"type": "Double", "basicValue": 1.5}, FormattedNumber, String, Boolean) as
    its value, as xlwings reads one; an error cell stays an error."""
    if isinstance(x, dict) and "basicValue" in x and str(x.get("type", "")).lower() != "error":
        return x["basicValue"]
    return x


def _describe(x) -> str:
    if isinstance(x, (bool, np.bool_)):
        return f"a logical value ({'TRUE' if x else 'FALSE'})"
    if isinstance(x, (dt.date, dt.datetime)):
        return f"a date ({x:%Y-%m-%d})"
    if isinstance(x, str):
        return f"text '{x[:30]}'"
    if _error_value(x) is not None:
        return f"an error value ({_error_value(x)})"
    if isinstance(x, dict):
        return f"a value of type {x.get('type', 'object')}"
    return f"{type(x).__name__} {str(x)[:30]!r}"


def _element(x, name: str, i: int, j: int) -> float:
    x = _plain(x)
    if _is_blank(x):
        return np.nan
    if _error_value(x) is not None:
        raise InputValueError(f"{name} row {i + 1}, column {j + 1} is {_describe(x)}; {FIX_ERROR}")
    if isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, (bool, np.bool_)):
        try:
            return float(x)
        except OverflowError:  # a JSON integer beyond any double, e.g. 10**400
            raise InputValueError(f"{name} row {i + 1}, column {j + 1} is a number too large for Excel.") from None
    raise InputValueError(f"{name} row {i + 1}, column {j + 1} is {_describe(x)}; select numbers only.")


def _matrix(value, name: str) -> np.ndarray:
    """A 2-D float array of every cell (blanks NaN); errors, text, logical values and dates are user errors."""
    if _numbers(value):  # decoded straight to numbers: only the checks that do not look at cells one by one
        return _checked(value, name)
    rows = _rows(value)
    widths = {len(r) for r in rows}
    if len(widths) > 1:
        raise InputShapeError(f"{name} is not a rectangular range; select a block of cells.")
    if not rows or widths == {0}:
        raise InputShapeError(f"{name} is empty; select at least one cell.")
    _check_size(len(rows) * len(rows[0]), name)
    if not set(map(type, itertools.chain.from_iterable(rows))) <= _FLOAT_OR_BLANK:
        # some odd cells (errors, text, ints): look cell by cell only at the rows that hold them
        rows = [
            r if set(map(type, r)) <= _FLOAT_OR_BLANK else [_element(x, name, i, j) for j, x in enumerate(r)]
            for i, r in enumerate(rows)
        ]
    return _checked(np.array(rows, dtype=float), name)


def _check_size(cells_: int, name: str) -> None:
    if cells_ > MAX_CELLS:
        raise InputShapeError(
            f"{name} has {cells_:,} cells, over the {MAX_CELLS:,} one argument may "
            "hold; select a smaller range (whole columns such as A:A send every row)."
        )


def _checked(arr: np.ndarray, name: str) -> np.ndarray:
    """The block of numbers ``arr`` (blanks NaN) without its trailing blank columns; infinities, numbers too
    large and a block without numbers are user errors."""
    _check_size(arr.size, name)
    if np.isinf(arr).any():
        i, j = np.argwhere(np.isinf(arr))[0]
        raise InputValueError(f"{name} row {i + 1}, column {j + 1} is infinite; select finite numbers.")
    v.check_magnitude(arr, name)
    filled = ~np.isnan(arr)
    cols_used = np.flatnonzero(filled.any(axis=0))
    if not cols_used.size:
        raise InputValueError(f"{name} has no numbers; select the cells that hold the data.")
    return arr[:, : cols_used[-1] + 1]  # trailing blank columns are ignored


def _rows_used(arr: np.ndarray) -> int:
    return int(np.flatnonzero((~np.isnan(arr)).any(axis=1))[-1]) + 1


def table(value, name: str) -> np.ndarray:
    """A 2-D float array: blanks NaN, trailing blank rows and columns dropped; error cells are user errors."""
    arr = _matrix(value, name)
    return arr[: _rows_used(arr)]


def aligned(*args: tuple) -> list[np.ndarray]:
    """Arguments whose rows are the same periods, as 2-D arrays of one common length.

    ``args`` are (value, name) pairs. Trailing rows that are blank in every argument are dropped
    (ranges may reach beyond the data); a blank row that some other argument fills is a missing
    value, kept. An argument with fewer rows than the data reaches is a shape error.
    """
    arrays = [_matrix(value, name) for value, name in args]
    length = max(_rows_used(a) for a in arrays)
    short = [(a.shape[0], name) for a, (_, name) in zip(arrays, args, strict=True) if a.shape[0] < length]
    if short:
        longest = next(name for a, (_, name) in zip(arrays, args, strict=True) if _rows_used(a) == length)
        raise InputShapeError(
            f"{longest} has {length} rows but {short[0][1]} has {short[0][0]}; select the same periods for both."
        )
    return [a[:length] for a in arrays]


def series(value, name: str) -> np.ndarray:
    """A 1-D float array from a single cell, a row or a column."""
    arr = table(value, name)
    if min(arr.shape) != 1:
        raise InputShapeError(f"{name} is {arr.shape[0]} rows x {arr.shape[1]} columns; select a single row or column.")
    return arr.ravel()


def periods(args, rf=None) -> tuple:
    """Arguments over the same periods, row-aligned (see ``aligned``), then the per-period rate ``rf``.

    ``args`` are (value, name) pairs. A blank rf is 0; one number applies to every period; a column
    of rates is one more argument over the same periods.
    """
    named = list(args)
    r = None if blank(rf) else _matrix(rf, "rf")
    column = r is not None and r.size > 1
    if r is not None and column:
        if r.shape[1] != 1:
            raise InputShapeError(
                f"rf is {r.shape[0]} x {r.shape[1]} cells; give one number or one column "
                "of rates over the same periods."
            )
        named.append((r, "rf"))
    arrays = aligned(*named)
    rate = arrays.pop()[:, 0] if column else np.full(arrays[0].shape[0], 0.0 if r is None else r[0, 0])
    return (*arrays, rate)


def labels(value, name: str, n_rows: int) -> np.ndarray:
    """One label (a number) per row of data, from a column reaching at least ``n_rows`` rows; blanks are NaN."""
    arr = one_column(_matrix(value, name), name)
    if arr.size < n_rows:
        raise InputShapeError(f"{name} has {arr.size} rows but the data have {n_rows}; select the same periods.")
    return arr[:n_rows]


def one_column(arr: np.ndarray, name: str) -> np.ndarray:
    if arr.shape[1] != 1:
        raise InputShapeError(f"{name} is {arr.shape[0]} rows x {arr.shape[1]} columns; select a single column.")
    return arr[:, 0]


def returns_and_factors(returns, factors, rf=None):
    """(y, x) with rf subtracted from the returns: the common first step of the regression functions."""
    y, x, r = periods([(returns, "returns"), (factors, "factors")], rf)
    return (y - r[:, None] if r.any() else y), x  # no rf (blank or 0): no copy of the returns


def blank(value) -> bool:
    """True for an omitted argument, a blank cell, or a range holding only blanks (error cells are not blank)."""
    if _numbers(value):
        return bool(np.isnan(value).all())
    if isinstance(value, (list, tuple)):
        return all(_is_blank(_plain(x)) for x in itertools.chain.from_iterable(_rows(value)))
    return _is_blank(_plain(value))


def words(value, name: str) -> list[str]:
    """The texts of a cell or range, each split at commas, blanks skipped ("ols, lasso" or one name per cell)."""
    raw = [_plain(x) for r in _rows(value) for x in r if not _is_blank(_plain(x))]
    bad = [x for x in raw if not isinstance(x, str)]
    if bad:
        what = (
            f"the number {bad[0]:g}"
            if isinstance(bad[0], (int, float)) and not isinstance(bad[0], bool)
            else _describe(bad[0])
        )
        raise InputValueError(f"{name} holds {what}; give names, one per cell or separated by commas.")
    return [w.strip() for x in raw for w in x.split(",") if w.strip()]


def scalar(value):
    """The value of a single cell, whatever the runtime sent; anything larger as it came."""
    rows = _rows(value)
    if len(rows) != 1 or len(rows[0]) != 1:
        return rows if _numbers(value) else value  # a decoded block as the cells it came as
    return _plain(rows[0][0])


def _not_a_number(value) -> bool:
    return isinstance(value, (bool, np.bool_, str, dict)) or _error_value(value) is not None


def flag(value, name: str, default: bool = False) -> bool:
    """TRUE/FALSE (or 1/0, "true"/"false"); blank means the default."""
    value = scalar(value)
    if blank(value):
        return default
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float)) and _error_value(value) is None and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise InputValueError(f"{name} must be TRUE or FALSE; got {_describe(value)}.")


def flags(value, name: str) -> np.ndarray:
    """One TRUE/FALSE per cell (a row or a column); blanks are FALSE."""
    rows = _rows(value)
    cells_ = list(itertools.chain.from_iterable(rows))
    if min(len(rows), len(rows[0]) if rows else 0) > 1:
        raise InputShapeError(f"{name} is {len(rows)} rows x {len(rows[0])} columns; select a single row or column.")
    return np.array([flag(c, f"{name} value {k + 1}") for k, c in enumerate(cells_)], dtype=bool)


def number(value, name: str, default: float | None, **bounds) -> float | None:
    """A number within bounds (see ``core._validation.check_number``); blank means the default."""
    value = scalar(value)
    if blank(value):
        return default
    if _not_a_number(value):
        raise InputValueError(f"{name} must be a number; got {_describe(value)}.")
    return v.check_number(value, name, **bounds)


@overload
def count(value, name: str, default: int, minimum: int = 0) -> int: ...
@overload
def count(value, name: str, default: None, minimum: int = 0) -> int | None: ...
def count(value, name: str, default: int | None, minimum: int = 0) -> int | None:
    """A whole number >= minimum (Excel sends 5 as 5.0); blank means the default."""
    value = scalar(value)
    if blank(value):
        return default
    if _not_a_number(value):
        raise InputValueError(f"{name} must be a whole number >= {minimum}; got {_describe(value)}.")
    return v.check_nonneg_int(value, name, minimum=minimum)


def option(value, options, name: str, default: str) -> str:
    """A case-insensitive choice with a did-you-mean hint; blank means the default."""
    value = scalar(value)
    if blank(value):
        return default
    if not isinstance(value, str):
        raise InputValueError(f"{name} must be one of {', '.join(options)}; got {_describe(value)}.")
    return v.choose(value, options, name, default)


def optional_table(value, name: str) -> np.ndarray | None:
    return None if blank(value) else table(value, name)


def unused(value, name: str, chosen: str, users, default: str, selector: str = "method") -> None:
    """Refuse ``value`` when it is given but the chosen ``selector`` value does not use it (only ``users`` do),
    whether the selector was chosen or left blank: a silently dropped argument would look like the answer to
    what the user asked (e.g. budgets without method budget). Validate the value first. In ``options.ignored``'s
    words, as the core and the CLI say it: "(the default)" when ``chosen`` is the selector's ``default``.

    Examples
    --------
    >>> unused(None, "budgets", "minvar", ("budget", "factor"), "erc"), unused([[1.0]], "budgets", "budget", ("budget",), "erc")
    (None, None)
    >>> unused([[1.0]], "budgets", "minvar", ("budget", "factor"), "erc")
    Traceback (most recent call last):
    ...
    xlfactor.errors.InputValueError: method minvar does not use budgets; leave it empty or choose method budget or factor.
    """
    if not blank(value) and chosen not in users:
        raise InputValueError(ignored(name, chosen, users, selector, default=default))


# --- arrays to cells ------------------------------------------------------------------------------------------------


def _cell(x):
    x = float(x)
    return x if np.isfinite(x) else ""


def block(arr) -> list[list]:
    """A 2-D result as rows of cells; NaN and infinities become empty cells."""
    a = np.atleast_2d(np.asarray(arr, dtype=float))
    return [[_cell(x) for x in r] for r in a]


def row(values) -> list[list]:
    """One result per asset, as a row (assets run across columns)."""
    return block(np.asarray(values, dtype=float).reshape(1, -1))


def column(values) -> list[list]:
    return block(np.asarray(values, dtype=float).reshape(-1, 1))
