"""Evaluate a generated template with the `formulas` package, xlfactor's functions bridged to a runtime.

The registered functions convert what `formulas` passes (2-D object arrays with EMPTY for blanks and
XlError for errors) into the runtime's wire format and call xlwings' real dispatch: classic
``call_udf`` with COM-shaped values, or Office.js ``custom_functions_call`` with JSON-shaped values.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np

from xlfactor.excel import udfs

_NUMBERS = (float, int, np.float64, np.int64)  # the usual cells, converted first (the bridge sees millions)


def _plain(x, error):
    """A value as the runtime sends it; ``error`` maps an error text (#DIV/0!) to the runtime's error cell.

    `formulas` pads an array formula's unused cells with #N/A; Excel 365 leaves the cells beyond a
    dynamic array's spill empty, so padding #N/A arrives as a blank, as it would in Excel.
    """
    if type(x) in _NUMBERS:
        return float(x)
    import schedula as sh
    from formulas.tokens.operand import XlError

    if x is sh.EMPTY or x is None or (isinstance(x, XlError) and str(x) == "#N/A"):
        return None
    if isinstance(x, XlError):
        return error(str(x))
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, float, np.integer, np.floating)):
        return float(x)
    return str(x)


def _result(rows):
    import formulas

    if isinstance(rows, str):
        return rows
    out = np.array([[("" if v is None else v) for v in r] for r in rows], dtype=object)
    return out.view(formulas.functions.Array)


def classic_function(name):
    from tests.excel import winstubs

    def call(*args):
        com = []
        for a in args:
            rows = [[_plain(x, winstubs.com_error) for x in r] for r in np.atleast_2d(np.asarray(a, dtype=object))]
            com.append(winstubs.com(rows))
        n_params = len(getattr(udfs, name).__xlfunc__["args"])
        com += [winstubs.MISSING] * (n_params - len(com))
        out = winstubs.call(udfs, name, *com)
        if isinstance(out[0][0], winstubs.VARIANT):  # a real error value, as Excel gets it from the VBA wrapper
            from formulas.tokens.operand import XlError

            return XlError(winstubs.cell_value(out))
        return _result(out)

    return call


def officejs_function(name):
    import xlwings as xw
    from formulas.tokens.operand import XlError
    from xlwings.server import custom_functions_call

    from tests.excel.fuzz import office_error
    from xlfactor.excel.coerce import ExcelInputError

    def call(*args):
        payload_args = [
            [[_plain(x, office_error) for x in r] for r in np.atleast_2d(np.asarray(a, dtype=object))] for a in args
        ]
        n_params = len(getattr(udfs, name).__xlfunc__["args"])
        payload_args += [None] * (n_params - len(payload_args))
        body = {
            "client": "Office.js",
            "func_name": name,
            "args": payload_args,
            "caller_address": "A1",
            "version": xw.__version__,
            "runtime": "1.4",
        }
        try:
            return _result(asyncio.run(custom_functions_call(body, udfs)))
        except ExcelInputError:
            return XlError("#VALUE!")

    return call


def _shape(x):
    return np.shape(getattr(x, "value", x))


def excel_if(original):
    """IF as Excel 365 computes it: a single condition returns the chosen branch whole, whatever its size.

    formulas 1.3.4 broadcasts the condition against both branches and fails when they differ in size
    (e.g. IF(method="factor", 5 factor budgets, 12 asset budgets)); element-wise cases stay with it.
    """
    from formulas.tokens.operand import XlError

    def call(condition, x=True, y=False):
        if np.size(getattr(condition, "value", condition)) == 1 and _shape(x) != _shape(y):
            c = np.ravel(np.asarray(getattr(condition, "value", condition), dtype=object))[0]
            if isinstance(c, XlError):
                return c
            return x if c else y
        return original(condition, x, y)

    return call


def register(runtime: str) -> None:
    """Register every xlfactor function under the name the runtime's workbook flavour stores."""
    import formulas

    funcs = formulas.get_functions()
    if not getattr(funcs["IF"]["function"], "excel_if", False):
        patched = excel_if(funcs["IF"]["function"])
        patched.excel_if = True
        funcs["IF"] = {**funcs["IF"], "function": patched}
    for name in udfs.__all__:
        if runtime == "classic":
            funcs[name.upper()] = formulas.functions.wrap_ranges_func(classic_function(name))
        else:
            funcs[f"_XLDUDF_{name.upper()}"] = formulas.functions.wrap_ranges_func(officejs_function(name))


def evaluate(path: Path, inputs: dict | None = None):
    """(model, solution): every formula of the workbook calculated; ``inputs`` overrides cells by address."""
    import formulas

    model = formulas.ExcelModel().loads(str(path)).finish()
    return model, model.calculate(inputs=inputs or {})


def cell_key(path: Path, sheet: str, a1: str) -> str:
    return f"'[{Path(path).name}]{sheet.upper()}'!{a1}"
