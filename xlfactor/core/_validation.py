"""The only place where the core checks and converts its array arguments.

Conventions: rows are periods, columns are assets or factors; NaN marks a missing value;
positions in messages are 1-based, as a spreadsheet user counts them.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import cast

import numpy as np

from ..errors import CollinearityError, InputShapeError, InputValueError, InsufficientDataError

FloatArray = np.ndarray
Names = Sequence[str] | None


def label(kind: str, j: int, names: Names = None) -> str:
    """'column 3' or "column 3 ('HML')": how a message points at column j (0-based)."""
    if names is not None and j < len(names):
        return f"{kind} {j + 1} ('{names[j]}')"
    return f"{kind} {j + 1}"


def as_float_2d(values, name: str, *, allow_missing: bool = True) -> FloatArray:
    """A float matrix from an array-like: a scalar is 1x1, a vector is one column.

    Text, booleans and infinities are errors naming the row and column; NaN (and None)
    is a missing value unless ``allow_missing`` is False.
    """
    arr = np.asarray(values)
    if arr.ndim == 0:
        arr = arr.reshape(1, 1)
    elif arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    elif arr.ndim > 2:
        raise InputShapeError(f"{name} has {arr.ndim} dimensions; pass a table (rows x columns).")
    if arr.size == 0:
        raise InputShapeError(f"{name} is empty; pass at least one row and one column.")
    if arr.dtype == bool:
        raise InputValueError(f"{name} row 1, column 1 is a logical value; pass numbers.")
    if arr.dtype.kind not in "iuf":
        arr = _object_to_float(arr, name)
    arr = np.asarray(arr, dtype=float)  # no copy for float input: the core never writes to its inputs
    check_magnitude(arr, name)
    if np.isfinite(arr).all():
        return arr
    bad = np.isinf(arr) if allow_missing else ~np.isfinite(arr)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        what = "infinite" if np.isinf(arr[i, j]) else "missing"
        raise InputValueError(
            f"{name} row {i + 1}, column {j + 1} is {what}; pass finite numbers"
            + ("." if allow_missing else " with no gaps.")
        )
    return arr


def _object_to_float(arr: np.ndarray, name: str) -> np.ndarray:
    out = np.empty(arr.shape, dtype=float)
    for (i, j), v in np.ndenumerate(arr):
        if v is None:
            out[i, j] = np.nan
        elif isinstance(v, (bool, np.bool_)):
            raise InputValueError(f"{name} row {i + 1}, column {j + 1} is a logical value; pass numbers.")
        elif isinstance(v, (int, float, np.integer, np.floating)):
            out[i, j] = float(v)
        else:
            kind = "text" if isinstance(v, str) else type(v).__name__  # numpy's strings are str_: text all the same
            raise InputValueError(f"{name} row {i + 1}, column {j + 1} is {kind} {str(v)[:30]!r}; pass numbers.")
    return out


MAX_ABS = 1e100  # beyond this, squares and cross-products overflow: no estimate is possible
MIN_SCALE = 1e-100  # a column whose numbers are all smaller: squares underflow (from ~1e-154), QR and SVD fail


def check_magnitude(arr: np.ndarray, name: str) -> None:
    """Reject numbers too large to compute with (e.g. 1e300, whose square is infinite), and columns whose numbers
    are all too small (e.g. 1e-200: squares underflow to 0; a tiny cell among ordinary numbers is fine)."""
    if not arr.size:
        return
    cols = arr.reshape(arr.shape[0] if arr.ndim else 1, -1)
    high, low = np.fmax.reduce(cols, axis=0), np.fmin.reduce(cols, axis=0)  # NaN ignored; no temporary of input size
    with np.errstate(invalid="ignore"):
        scale = np.fmax(np.abs(high), np.abs(low))
        tiny = (scale > 0) & (scale < MIN_SCALE)
    if tiny.any():
        j = int(np.flatnonzero(tiny)[0])
        raise InputValueError(
            f"{name} column {j + 1}'s largest magnitude is {scale[j]:.3g}, too small to compute with (under "
            f"{MIN_SCALE:g}: its squares underflow); rescale it."
        )
    if np.fmax.reduce(high) <= MAX_ABS and np.fmin.reduce(low) >= -MAX_ABS:
        return  # the usual case
    with np.errstate(invalid="ignore"):
        huge = (np.abs(arr) > MAX_ABS) & np.isfinite(arr)  # infinities have their own message
    if huge.any():
        i, j = np.argwhere(huge.reshape(arr.shape[0], -1))[0]
        raise InputValueError(
            f"{name} row {i + 1}, column {j + 1} is {arr.reshape(arr.shape[0], -1)[i, j]:.3g}, too "
            f"large to compute with (over {MAX_ABS:g}); check that cell."
        )


def check_factor_columns(
    x: np.ndarray, k_min_rows: int | None = None, name: str = "factors", names: Names = None
) -> np.ndarray:
    """The rows where every factor is present; a factor column with no numbers, or too few such rows, is an error."""
    empty = ~np.isfinite(x).any(axis=0)
    if empty.any():
        j = int(np.flatnonzero(empty)[0])
        raise InputValueError(
            f"{name} {label('column', j, names)} has no numbers; select the cells that hold it, or remove it."
        )
    complete = np.isfinite(x).all(axis=1)
    need = x.shape[1] + 2 if k_min_rows is None else k_min_rows
    if complete.sum() < need:
        raise InsufficientDataError(
            f"{name} has {complete.sum()} rows where every factor is present; "
            f"{x.shape[1]} factor(s) need at least {need}."
        )
    return complete


def collinear_columns(x: np.ndarray) -> tuple[int, list[int]] | None:
    """(k, others): factor k (0-based) is a linear combination of the factors ``others`` on these rows; None if full rank."""
    xc = x - x.mean(axis=0)
    scale = np.linalg.norm(xc, axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    z = xc / scale
    # screen by the K x K Gram matrix (a tenth of the QR's work): its Cholesky factor is the QR's R up to signs and
    # rounding (~1e-7 on these pivots); every pivot above 1e-3 is far from the QR's 1e-10, so full rank for sure
    try:
        if (np.diag(np.linalg.cholesky(z.T @ z)) > 1e-3).all():
            return None
    except np.linalg.LinAlgError:
        pass
    r = np.linalg.qr(z, mode="r")
    tiny = np.flatnonzero(np.abs(np.diag(r)) <= 1e-10)
    if not tiny.size:
        return None
    k = int(tiny[0])
    coef = np.linalg.lstsq(xc[:, :k] / scale[:k], xc[:, k] / scale[k], rcond=None)[0] if k else np.zeros(0)
    return k, [int(j) for j in np.flatnonzero(np.abs(coef) > 1e-8)]


def check_not_collinear(x: np.ndarray, where: str, why: str, names: Names = None) -> None:
    """Reject exactly collinear factors (e.g. one selected twice), naming the columns."""
    found = collinear_columns(x)
    if found is None:
        return
    k, others = found
    of = ", ".join(label("column", j, names) for j in others) or "the others"
    raise CollinearityError(
        f"factors {label('column', k, names)} is a linear combination of {of} over {where}; {why} Remove one of them."
    )


def as_float_1d(values, name: str, *, allow_missing: bool = True) -> FloatArray:
    """A float vector from a scalar, a list, or a single row or column."""
    arr = as_float_2d(values, name, allow_missing=allow_missing)
    if min(arr.shape) != 1:
        raise InputShapeError(f"{name} is {arr.shape[0]} x {arr.shape[1]}; pass a single row or column.")
    return arr.ravel()


def check_same_rows(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    if a.shape[0] != b.shape[0]:
        raise InputShapeError(
            f"{name_a} has {a.shape[0]} rows but {name_b} has {b.shape[0]}; both must cover the same periods."
        )


def rate(rf, n_rows: int, name: str = "rf") -> FloatArray:
    """A per-period rate as a length-n vector: None is 0, a scalar is repeated."""
    if rf is None:
        return np.zeros(n_rows)
    arr = as_float_1d(rf, name)
    if arr.size == 1:
        return np.full(n_rows, arr[0])
    if arr.size != n_rows:
        raise InputShapeError(
            f"{name} has {arr.size} values but the returns have {n_rows} rows; pass one number or one value per period."
        )
    return arr


def check_nonneg_int(value, name: str, *, minimum: int = 0, maximum: int | None = None) -> int:
    """An integer count (floats such as 6.0 accepted, as spreadsheets send them), at most ``maximum``."""
    within = f">= {minimum}" + ("" if maximum is None else f" and <= {maximum}")
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise InputValueError(f"{name} must be a whole number {within}; got {value!r}.") from None
    if not np.isfinite(f) or f != int(f) or f < minimum or (maximum is not None and f > maximum):
        raise InputValueError(f"{name} must be a whole number {within}; got {value!r}.")
    return int(f)


def check_not_constant(x: np.ndarray, where: str, factor_names: Names = None, arg: str = "factors") -> None:
    """Reject a factor that does not vary over the rows used (``where`` names them)."""
    if x.shape[0] < 2:
        raise InsufficientDataError(f"{arg} has {x.shape[0]} usable row(s) over {where}; at least 2 are needed.")
    constant = np.ptp(x, axis=0) == 0
    if constant.any():
        k = int(np.flatnonzero(constant)[0])
        raise CollinearityError(
            f"{arg} {label('column', k, factor_names)} is constant over {where}; "
            "a constant factor duplicates the intercept, remove it."
        )


COND_LIMIT_QR = 1e8  # solved by QR: above this condition number of the centred, unit-length factors, the
# coefficients may differ from statsmodels' by more than 1e-6 relative (measured: at most 6e-8 up to 1.5e8, up to
# 8e-6 at 1e10, seeds 0-2, T = 60, factors [x, x + eps e (, x - eps e')], tests/core/test_stability.py)
COND_LIMIT_GRAM = 1e4  # solved from Gram sums (penalised fits; rolling OLS windows past it are refitted by QR, so
# they share COND_LIMIT_QR with regression.ols): the Gram sums' error grows with the
# square of the condition number (measured 4e-9 relative at 8e3, 4e-7 at 8e4 on the same data)
COND_LIMIT_DIAGNOSTIC = 1e12  # VIF and condition number are shown up to here (accurate to about 1e-4 there)


def condition_number(r: np.ndarray) -> float:
    """Condition number of the centred, unit-length factors, from the R factor of their QR (K x K)."""
    s = np.linalg.svd(r, compute_uv=False)
    return float(s[0] / s[-1]) if s[-1] > 0 else np.inf


def near_combination(r: np.ndarray) -> tuple[int, list[int]]:
    """(k, others): factor k (0-based) is the last factor of the direction the factors nearly share, ``others`` the
    earlier ones in it (the right singular vector of the smallest singular value of R)."""
    v = np.linalg.svd(r)[2][-1]
    involved = np.flatnonzero(np.abs(v) > 1e-3 * np.abs(v).max())
    return int(involved[-1]), [int(j) for j in involved[:-1]]


def check_conditioning(
    r: np.ndarray, where: str, limit: float, factor_names: Names = None, arg: str = "factors"
) -> float:
    """The condition number of the factors (from R of the QR of the centred, unit-length factors), or a
    ``CollinearityError`` naming the factors that (nearly) duplicate each other when it exceeds ``limit``."""
    cond = condition_number(r)
    if cond <= limit:
        return cond
    k, others = near_combination(r)
    of = ", ".join(label("column", j, factor_names) for j in others) or "the other factors"
    exact = not np.isfinite(cond) or cond > 1e15
    why = (
        "its loadings are not unique"
        if exact
        else f"condition number {cond:.2g} > {limit:g}, so its loadings cannot be estimated to 6 digits"
    )
    raise CollinearityError(
        f"{arg} {label('column', k, factor_names)} is {'' if exact else 'nearly '}a linear "
        f"combination of {of} over {where} ({why}); remove it or a factor it duplicates."
    )


def refuse_inaccurate_model(x: np.ndarray, where: str, error: float, limit: float, factor_names: Names = None) -> None:
    """A ``CollinearityError`` naming the factors that nearly duplicate each other over ``where`` and the relative
    error ``error`` (> ``limit``) their large, opposite loadings leave in the risk model ``B F B' + D``."""
    xc = x - x.mean(axis=0)
    r = cast(np.ndarray, np.linalg.qr(xc / np.linalg.norm(xc, axis=0), mode="r"))
    k, others = near_combination(r)
    of = ", ".join(label("column", j, factor_names) for j in others) or "the other factors"
    raise CollinearityError(
        f"factors {label('column', k, factor_names)} is nearly a linear combination of {of} over {where} "
        f"(condition number {condition_number(r):.2g}): their loadings are large and opposite, so the risk model "
        f"B F B' + D is accurate to only {error:.1g} (> {limit:g}) and its weights cannot be trusted; remove it or "
        "a factor it duplicates."
    )


def choose(value, options: Sequence[str], name: str, default: str) -> str:
    """A case-insensitive option: None or "" means the default; an unknown word gets a did-you-mean hint."""
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return default
    text = str(value).strip().lower()
    if text in options:
        return text
    close = [o for o in options if o.startswith(text)] or difflib.get_close_matches(text, options, n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    raise InputValueError(f"{name} must be one of {', '.join(options)}; got {value!r}.{hint}")


def check_number(
    value, name: str, *, low: float | None = None, high: float | None = None, low_open: bool = False
) -> float:
    """A finite number within [low, high] (``low_open`` excludes low)."""
    try:
        f = float(value)
    except (TypeError, ValueError):
        f = np.nan
    if isinstance(value, (bool, np.bool_)) or not np.isfinite(f):
        raise InputValueError(f"{name} must be a number; got {value!r}.")
    if (low is not None and (f < low or (low_open and f == low))) or (high is not None and f > high):
        lo = "" if low is None else (f"> {low:g}" if low_open else f">= {low:g}")
        hi = "" if high is None else f"<= {high:g}"
        raise InputValueError(f"{name} must be {' and '.join(p for p in (lo, hi) if p)}; got {value!r}.")
    return f


def returns_and_factors(returns, factors) -> tuple[FloatArray, FloatArray]:
    """(returns, factors) as float matrices with the same number of rows: a public entry's data, checked once."""
    y = as_float_2d(returns, "returns")
    x = as_float_2d(factors, "factors")
    check_same_rows(y, x, "returns", "factors")
    return y, x


def checks_data(fn):
    """A public entry ``fn(returns, factors, ...)`` that converts and checks its data once (``returns_and_factors``)
    and passes the arrays on; ``fn.checked`` skips the check, for a caller that holds checked arrays (a backtest
    estimating several models on the same data). Both run with BLAS on one thread (``_threads``)."""
    import functools

    from ._threads import single_threaded

    @functools.wraps(fn)
    def entry(returns, factors, *args, **kw):
        with single_threaded():
            return fn(*returns_and_factors(returns, factors), *args, **kw)

    @functools.wraps(fn)
    def checked(*args, **kw):
        with single_threaded():
            return fn(*args, **kw)

    entry.checked = checked  # type: ignore[attr-defined]  # a function attribute: the entry for checked data
    return entry
