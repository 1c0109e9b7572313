"""The spreadsheet functions through xlwings' real classic path: decorators, call_udf and the VBA wrapper."""

import io
import re
from unittest import mock

import numpy as np
import pytest
import xlwings.udfs as xludfs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.excel import cases, fuzz, hostile, vba, winstubs
from tests.excel.fuzz import cell_ranges
from xlfactor.excel import udfs

CASES = cases.build_cases()
NAMES = sorted(udfs.__all__)


def com_cell(x):
    return winstubs.NA if x == cases.ERROR else x


def to_com(arg):
    """Cells as pywin32 delivers them: tuples of tuples, a scalar for one cell, the marker when omitted."""
    if arg is None:
        return winstubs.MISSING
    if isinstance(arg, list):
        return winstubs.com([[com_cell(x) for x in r] for r in arg])
    return arg


def call(name, args):
    n_params = len(getattr(udfs, name).__xlfunc__["args"])
    com_args = [to_com(a) for a in args] + [winstubs.MISSING] * (n_params - len(args))
    return winstubs.call(udfs, name, *com_args)


def test_every_function_is_registered_with_help():
    for name in NAMES:
        info = getattr(udfs, name).__xlfunc__
        assert info["category"] == "xlfactor"
        assert 20 < len(info["ret"]["doc"]) <= 255, name
        for arg in info["args"]:
            assert not arg["doc"].startswith("Positional argument"), (name, arg["name"])
            assert len(arg["doc"]) <= 255 and arg["options"] == {"convert": "raw"}
    for name in ("ridge_loadings", "lasso_loadings"):
        lam = getattr(udfs, name).__xlfunc__["argmap"]["penalty"]["doc"]
        assert ("1/(2n)" in lam) == (name == "lasso_loadings") and "scale" in lam


def _vba_module() -> str:
    out = io.StringIO()
    xludfs.generate_vba_wrapper("xlfactor.excel.udfs", udfs, out, mock.MagicMock(Name="xlfactor.xlsm"))
    return out.getvalue()


def test_vba_wrapper_calls_every_function_by_its_upper_case_name():
    """Excel's autocomplete and Function Wizard show the name the VBA module declares: CAPM_BETA, as Excel's own."""
    module = _vba_module()
    declared = [name for name, _ in vba.SIGNATURE.findall(module)]
    assert sorted(declared) == sorted(n.upper() for n in NAMES)
    for name in NAMES:
        assert f'{name.upper()} = XLPy.CallUDF("xlfactor.excel.udfs", "{name.upper()}"' in module
    assert winstubs.cell_value(call("capm_beta", [[[0.01], [0.03], [0.0]], [[0.02], [0.01], [0.0]]])) == pytest.approx(
        udfs.capm_beta([[0.01], [0.03], [0.0]], [[0.02], [0.01], [0.0]])[0][0], rel=1e-15
    )  # call_udf("CAPM_BETA")


SLOW = {"cv_lambda", "cv_curve", "lasso_path", "rolling_beta", "rolling_loadings", "backtest", "risk_premia"}  # GMM
WIZARD_GUARD = 'If (Not Application.CommandBars("Standard").Controls(1).Enabled) Then Exit Function'


def test_slow_functions_are_not_evaluated_in_the_function_wizard():
    module = _vba_module()
    bodies = dict(re.findall(r"^Function (\w+)\(.*?\n(.*?)^End Function", module, re.M | re.S))
    assert set(bodies) == {n.upper() for n in NAMES}
    guarded = {name.lower() for name, body in bodies.items() if WIZARD_GUARD in body}
    assert guarded == SLOW
    assert {n for n in NAMES if not getattr(udfs, n).__xlfunc__["call_in_wizard"]} == SLOW


def test_functions_re_exported_from_a_topic_module_are_registered_and_called():
    """New topics live in fn_<topic>.py, star-imported into the catalogue: xlwings' classic scan must see them."""
    from tests.excel import catalogue

    out = io.StringIO()
    xludfs.generate_vba_wrapper("tests.excel.catalogue", catalogue, out, mock.MagicMock(Name="x.xlsm"))
    module = out.getvalue()
    assert sorted(name for name, _ in vba.SIGNATURE.findall(module)) == ["DEMO_HERE", "DEMO_SLOW", "DEMO_TWICE"]
    assert vba.problems(module) == []
    assert winstubs.call(catalogue, "demo_twice", 2.5) == [[5.0]]
    assert winstubs.call(catalogue, "demo_here", 2.5) == [[3.5]]
    assert winstubs.cell_value(winstubs.call(catalogue, "demo_twice", "x")) == "#VALUE!"
    assert udfs.xlfactor_error()[0][0] == "DEMO_TWICE: x must be a number; got text 'x'."
    assert not catalogue.demo_slow.__xlfunc__["call_in_wizard"] and catalogue.demo_twice.__xlfunc__["call_in_wizard"]


def test_vba_module_compiles():
    """The module Import Functions writes: no reserved word or procedure name as a parameter, no duplicates."""
    module = _vba_module()
    assert len(vba.SIGNATURE.findall(module)) == len(NAMES)
    assert vba.problems(module) == []


def test_vba_check_catches_what_breaks_compilation():
    broken = (
        "Function sample_window(data, periods, start, end, Optional select)\nEnd Function\n"
        "Function risk_alloc(loadings, factor_cov, lambda_)\nEnd Function\n"
        "Function factor_cov(factors)\nEnd Function\nFunction Factor_Cov(x)\nEnd Function\n"
    )
    found = vba.problems(broken)
    assert "sample_window: parameter end is a reserved word" in found
    assert "sample_window: parameter select is a reserved word" in found
    assert "risk_alloc: parameter factor_cov has the name of a procedure of the module" in found
    assert "risk_alloc: parameter lambda_ is not a plain VBA identifier" in found
    assert "procedure factor_cov is defined 2 times" in found


@pytest.mark.parametrize("case", CASES, ids=[c.func for c in CASES])
def test_matches_core_on_com_inputs(case):
    got = cases.as_array(call(case.func, case.args))
    assert got.shape == case.expected.shape
    np.testing.assert_allclose(got, case.expected, rtol=1e-12, atol=1e-15, equal_nan=True)


def test_single_cell_scalar_rf_and_date_cells():
    r = [[0.01, 0.02], [0.03, -0.01], [0.0, 0.02], [0.02, 0.01], [-0.01, 0.0]]
    m = [[0.01], [0.02], [0.005], [0.015], [-0.01]]
    by_scalar = call("capm_beta", [r, m, 0.001])  # a single cell arrives as a scalar
    by_column = call("capm_beta", [r, m, [[0.001]] * 5])
    assert by_scalar == by_column
    dated = [[winstubs.TimeType(2024, 1, 31), 0.02]] + r[1:]
    assert winstubs.cell_value(call("capm_beta", [dated, m])) == "#VALUE!"
    assert call("xlfactor_error", [])[0] == [
        "CAPM_BETA: returns row 1, column 1 is a date (2024-01-31); select numbers only."
    ]


def test_trailing_blank_rows_are_ignored():
    r = [[0.01], [0.03], [0.0], [0.02], [-0.01]]
    m = [[0.011], [0.02], [0.004], [0.015], [-0.012]]
    padded = r + [[None]] * 4
    assert call("capm_beta", [padded, m]) == call("capm_beta", [r, m])


@pytest.mark.parametrize(("func", "args", "message"), cases.ERROR_CASES, ids=[e[0] for e in cases.ERROR_CASES])
def test_user_errors_are_error_values_with_a_message(func, args, message):
    shown = winstubs.cell_value(call(func, args))
    assert shown in ("#VALUE!", "#NUM!")  # a real error value: IFERROR and ISERROR see it, dependents cascade
    why = call("xlfactor_error", [[[cases.ERROR]]])  # =XLFACTOR_ERROR(the error cell)
    assert re.match(message, why[0][0]) and "\n" not in why[0][0]


def test_error_codes_say_what_kind_of_problem():
    short = [[0.01], [0.02]]
    assert winstubs.cell_value(call("capm_beta", [short, short])) == "#NUM!"  # too few rows: no estimate
    assert winstubs.cell_value(call("capm_beta", [[["x"]] + short, [[0.0]] + short])) == "#VALUE!"  # bad input
    assert call("xlfactor_error", [])[0][0].startswith("CAPM_BETA: returns row 1, column 1 is text 'x'")
    assert call("xlfactor_error", [])[1][0].startswith("CAPM_BETA: returns column 1 has 2 usable rows")


@settings(max_examples=fuzz.EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fuzz_outcome_is_numbers_or_a_message(data):
    name = data.draw(st.sampled_from(NAMES))
    n_params = len(getattr(udfs, name).__xlfunc__["args"])
    args = [data.draw(cell_ranges(com=True)) for _ in range(n_params)]
    out = winstubs.call(udfs, name, *args)
    flat = [x for r in out for x in r]
    if len(flat) == 1 and isinstance(flat[0], winstubs.VARIANT):
        assert winstubs.cell_value(out) in ("#VALUE!", "#NUM!")
        assert udfs.xlfactor_error()[0][0].startswith(name.upper() + ": ")
    elif name == "xlfactor_error":
        assert all(isinstance(x, str) for x in flat)
    else:
        assert all((isinstance(x, float) and np.isfinite(x)) or x == "" for x in flat)


def test_bad_input_battery_gives_clear_errors_never_crashes():
    def outcome(bad):
        try:
            out = call(bad.func, bad.args)
        except Exception as exc:  # a traceback in the cell
            return f"{type(exc).__name__}: {exc}"[:120]
        return "error" if isinstance(out[0][0], winstubs.VARIANT) else "numbers"

    hostile.check_battery("classic", outcome)


@pytest.mark.parametrize(
    ("func", "args", "base", "what"),
    hostile.trailing_month_cases(),
    ids=[f"{c[0]}-{c[3]}" for c in hostile.trailing_month_cases()],
)
def test_latest_month_missing_in_one_argument_is_a_missing_value(func, args, base, what):
    hostile.check_trailing_month(call, func, args, base)


def test_oversized_ranges_and_out_of_memory_are_refusals(monkeypatch):
    from xlfactor.excel import coerce

    monkeypatch.setattr(coerce, "MAX_CELLS", 100)
    assert winstubs.cell_value(call("capm_beta", [[[0.01]] * 101, [[0.02]] * 101])) == "#VALUE!"
    assert call("xlfactor_error", [])[0][0].startswith("CAPM_BETA: returns has 101 cells, over the 100")

    def no_memory(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(udfs.regression, "capm", no_memory)
    r = [[0.01], [0.03], [0.0], [0.02]]
    assert winstubs.cell_value(call("capm_beta", [r, r])) == "#NUM!"
    assert "needs more memory than this machine has" in call("xlfactor_error", [])[0][0]
