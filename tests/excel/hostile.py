"""A battery of bad inputs for every spreadsheet function, in the cell form the runtime suites translate.

Each mutation changes one argument of a valid call (``cases.build_cases``): text, logical values, error
cells, numbers too large to compute with, empty or ragged ranges, one row, a duplicated or empty factor
column, wrong counts and options. ``must_fail`` marks mutations after which no number may come back
(a number would be a silently wrong answer); the others may give numbers or a clear error. Either way
the outcome must never be a crash (an exception other than the user error).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from tests.excel import cases


@dataclass
class Bad:
    func: str
    args: list
    what: str
    must_fail: bool


def _set(block, i, j, value):
    out = copy.deepcopy(block)
    out[i][j] = value
    return out


def _range_mutations(block):
    """(what, new block, must_fail) for one range argument."""
    n, k = len(block), len(block[0])
    mid = n // 2
    yield "text in a cell", _set(block, mid, 0, "n/a"), True
    yield "a logical value in a cell", _set(block, mid, k - 1, True), True
    yield "an error cell", _set(block, mid, 0, cases.ERROR), True
    yield "1e300 in a cell", _set(block, mid, 0, 1e300), True
    yield "-1e300 in a cell", _set(block, 0, k - 1, -1e300), True
    yield "an empty range", [], True
    yield "a ragged range", [r[:] for r in block[:-1]] + [block[-1][:-1] or [None, None]], True
    yield "one row", [block[0]], False
    yield "two rows", block[:2], False
    yield "every cell blank", [[None] * k for _ in range(n)], True
    if k > 1:
        yield "the first column twice", [[r[0]] + r for r in block], False
        yield "a column without numbers in the middle", [[r[0], None] + r[1:] for r in block], False
        yield "a column of zeros", [[0.0] + r[1:] for r in block], False
    yield "a trailing row of error cells", block + [[cases.ERROR] * k], True
    yield "a trailing blank row", block + [[None] * k], False
    yield "a header row of text", [[f"name {j}" for j in range(k)]] + block, True
    yield "a number stored as text", _set(block, mid, 0, "0.5"), True
    yield "'NaN' typed as text", _set(block, mid, 0, "NaN"), True
    yield "a blank row in the middle", block[:mid] + [[None] * k] + block[mid:], False
    yield "transposed", [list(c) for c in zip(*block, strict=True)], False


SCALARS = [
    ("a huge count", [[1e9]]),
    ("a negative number", [[-3.0]]),
    ("a fraction", [[2.5]]),
    ("text", [["xyz"]]),
    ("an error cell", [[cases.ERROR]]),
    ("a logical value", [[True]]),
    ("a range of two", [[1.0, 2.0]]),
]


def build(case_list=None) -> list[Bad]:
    """Bad inputs from each function's first valid call in ``case_list`` (default: ``cases.build_cases()``)."""
    import inspect

    from xlfactor.excel import udfs

    out, seen = [], set()
    for case in cases.build_cases() if case_list is None else case_list:
        if case.func in seen:
            continue
        seen.add(case.func)
        for pos, arg in enumerate(case.args):
            if arg is None:
                continue
            is_range = isinstance(arg, list) and (len(arg) > 1 or len(arg[0]) > 1)
            param = list(inspect.signature(getattr(udfs, case.func)).parameters.values())[pos]
            optional = param.default is not inspect.Parameter.empty  # blank means the default: not a mistake
            if is_range:
                for what, new, refused in _range_mutations(arg):
                    args = list(case.args)
                    args[pos] = new
                    must_fail = refused and not (optional and what in ("an empty range", "every cell blank"))
                    out.append(Bad(case.func, args, f"argument {pos + 1}: {what}", must_fail))
            else:
                for what, new in SCALARS:
                    args = list(case.args)
                    args[pos] = new
                    # an error cell is never a valid option or count; the rest may be (e.g. TRUE as a flag)
                    out.append(Bad(case.func, args, f"argument {pos + 1}: {what}", what == "an error cell"))
        out.append(Bad(case.func, [], "no arguments", False))
        out.append(Bad(case.func, [cases.cells([[0.01]])] * len(case.args), "one cell in every argument", False))
    return out


def tally(outcomes) -> dict:
    """outcomes: (Bad, kind) with kind 'numbers', 'error' (the user error) or 'crash: ...'."""
    t = {"inputs": 0, "clear errors": 0, "numbers": 0, "silent wrong": [], "crashes": []}
    for bad, kind in outcomes:
        t["inputs"] += 1
        if kind == "error":
            t["clear errors"] += 1
        elif kind == "numbers":
            t["numbers"] += 1
            if bad.must_fail:
                t["silent wrong"].append(f"{bad.func} {bad.what}")
        else:
            t["crashes"].append(f"{bad.func} {bad.what}: {kind}")
    return t


PERIOD_ARGS = {"returns", "market", "factors", "rf", "data", "periods"}
# functions whose answer cannot depend on a row that is missing for every asset (listwise deletion)
ROW_FREE = {
    "capm_beta",
    "factor_r2",
    "ridge_loadings",
    "lasso_loadings",
    "ols_loadings",
    "specific_var",
    "capm_er",
    "grs_test",
}


def trailing_month_cases() -> list[tuple]:
    """(func, args, base args, what): the latest month blank in one argument over the periods, present in the others.

    The row is a missing value (the data reaches it), never a shape error; for the ROW_FREE functions the
    answer equals the answer without that month.
    """
    import inspect

    from xlfactor.excel import udfs

    out = []
    for case in cases.build_cases():
        names = list(inspect.signature(getattr(udfs, case.func)).parameters)
        period = [p for p, a in enumerate(case.args) if names[p] in PERIOD_ARGS and isinstance(a, list) and len(a) > 1]
        if len(period) < 2:
            continue
        for blank in period:
            args = list(case.args)
            for p in period:
                row = case.args[p][-1]
                args[p] = case.args[p] + [[None] * len(row) if p == blank else list(row)]
            out.append((case.func, args, case.args, f"{names[blank]} blank in the last month"))
    return out


def check_battery(runtime: str, outcome, bads: list[Bad] | None = None, min_inputs: int = 1000) -> None:
    """Run every bad input (default: ``build()``); ``outcome(bad)`` is 'numbers', 'error' or a crash description.

    Prints the tally.
    """
    t = tally((bad, outcome(bad)) for bad in (build() if bads is None else bads))
    print(
        f"{runtime}: {t['inputs']} bad inputs, {t['clear errors']} clear errors, {t['numbers']} numbers, "
        f"{len(t['silent wrong'])} silent wrong, {len(t['crashes'])} crashes"
    )
    assert t["inputs"] > min_inputs and not t["crashes"] and not t["silent wrong"], (
        t["crashes"][:5],
        t["silent wrong"][:5],
    )


def check_trailing_month(call, func, args, base) -> None:
    """The latest month blank in one argument: numbers, equal to the answer without it where rows cannot matter."""
    import numpy as np

    got = cases.as_array(call(func, args))
    if func in ROW_FREE:
        np.testing.assert_allclose(got, cases.as_array(call(func, base)), rtol=1e-10, equal_nan=True)
    else:
        assert got.size and np.isfinite(got).any()
