"""The spreadsheet functions through xlwings' real Office.js path (xlwings Server and Lite)."""

import asyncio
import json
import re

import numpy as np
import pytest
import xlwings as xw
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from xlwings.server import custom_functions_call, custom_functions_meta

from tests.excel import cases, fuzz, hostile
from tests.excel.fuzz import OFFICE_ERROR, cell_ranges
from xlfactor.excel import coerce, udfs

CASES = cases.build_cases()
NAMES = sorted(udfs.__all__)


def to_json(arg):
    """Cells as Excel's Office.js client sends them: a 2-D list per parameter, null blanks, error objects."""
    if arg is None:
        return None
    return [[OFFICE_ERROR if x == cases.ERROR else x for x in r] for r in arg]


def payload(name, args, runtime="1.4"):
    n_params = len(getattr(udfs, name).__xlfunc__["args"])
    args = [to_json(a) for a in args] + [None] * (n_params - len(args))
    return {
        "client": "Office.js",
        "func_name": name,
        "args": args,
        "caller_address": "[Book1]Sheet1!B2",
        "version": xw.__version__,
        "runtime": runtime,
    }


def call(name, args, runtime="1.4"):
    """The result as xlwings Server puts it under "result" in its HTTP answer."""
    return asyncio.run(custom_functions_call(payload(name, args, runtime), udfs))


def test_meta_names_are_upper_case_and_include_re_exported_topic_modules():
    """Office.js registers the names custom_functions_meta lists; functions of fn_<topic> modules must be there."""
    from tests.excel import catalogue

    meta = custom_functions_meta(catalogue)
    assert sorted(f["name"] for f in meta["functions"]) == ["DEMO_HERE", "DEMO_SLOW", "DEMO_TWICE"]
    assert all(f["id"] == f["name"] for f in meta["functions"])
    got = asyncio.run(
        custom_functions_call({**payload("capm_beta", []), "func_name": "demo_twice", "args": [[[2.5]]]}, catalogue)
    )
    assert got == [[5.0]]
    names = {f["name"] for f in custom_functions_meta(udfs)["functions"]}
    assert names == {n.upper() for n in udfs.__all__} and all(n.isupper() for n in names)


def test_meta_lists_every_function_with_help():
    meta = {f["name"]: f for f in custom_functions_meta(udfs)["functions"]}
    assert set(meta) == {n.upper() for n in NAMES}
    for name, f in meta.items():
        assert 20 < len(f["description"]) <= 255
        assert all(len(p["description"]) > 10 for p in f["parameters"]), name
    assert "1/(2n)" in meta["LASSO_LOADINGS"]["parameters"][2]["description"]
    assert "not divided by n" in meta["RIDGE_LOADINGS"]["parameters"][2]["description"]
    assert [p["name"] for p in meta["CV_LAMBDA"]["parameters"]] == [
        "returns",
        "factors",
        "method",
        "folds",
        "scheme",
        "rule",
        "gap",
        "pooled",
        "rf",
        "standardize",
        "penalty_weights",
        "l1_ratio",
        "prior",
    ]
    penalised = ("ridge_loadings", "lasso_loadings", "enet_loadings", "cv_lambda", "cv_curve", "lasso_path")
    for name in penalised:  # every penalised function takes the same options, with the same help
        params = {p["name"]: p["description"] for p in meta[name.upper()]["parameters"]}
        assert {"rf", "standardize", "penalty_weights"} <= set(params), name
        assert params["penalty_weights"] == udfs.doc.WEIGHTS_PENALTY
    assert [p.get("optional", False) for p in meta["CAPM_BETA"]["parameters"]] == [False, False] + [True] * 5
    assert all(getattr(udfs, n).__xlfunc__["cache"] for n in NAMES)  # the client answers unchanged repeats


@pytest.mark.parametrize("case", CASES, ids=[c.func for c in CASES])
def test_matches_core_on_office_js_payloads(case):
    result = call(case.func, case.args)
    json.dumps(result, allow_nan=False)
    got = cases.as_array(result)
    assert got.shape == case.expected.shape
    np.testing.assert_allclose(got, case.expected, rtol=1e-12, atol=1e-15, equal_nan=True)


def test_runtime_1_2_and_single_cell_scalars():
    r = [[0.01, 0.02], [0.03, -0.01], [0.0, 0.02], [0.02, 0.01], [-0.01, 0.0]]
    m = [[0.01], [0.02], [0.005], [0.015], [-0.01]]
    a = call("capm_beta", [r, m, [[0.001]]], runtime="1.2")
    b = call("capm_beta", [r, m, [[0.001]] * 5])
    assert a == b


def test_non_finite_results_are_empty_cells():
    m = [[0.01], [0.02], [0.005], [0.015], [-0.01]]
    r = [[2 * x[0]] for x in m]  # a perfect fit: zero residuals, infinite t-stats
    out = call("capm_beta", [r, m, None, [[True]]])
    json.dumps(out, allow_nan=False)
    assert out[1] == [pytest.approx(2.0)] and out[3] == [""]


@pytest.mark.parametrize(("func", "args", "message"), cases.ERROR_CASES, ids=[e[0] for e in cases.ERROR_CASES])
def test_user_errors_raise_xlwings_error_with_one_line(func, args, message):
    with pytest.raises(xw.XlwingsError) as exc:
        call(func, args)
    assert isinstance(exc.value, coerce.ExcelInputError) and isinstance(exc.value, ValueError)
    assert re.match(message, str(exc.value)) and "\n" not in str(exc.value)


@settings(max_examples=fuzz.EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fuzz_outcome_is_numbers_or_the_user_error(data):
    name = data.draw(st.sampled_from(NAMES))
    n_params = len(getattr(udfs, name).__xlfunc__["args"])
    args = [data.draw(cell_ranges(com=False)) for _ in range(n_params)]
    body = {
        "client": "Office.js",
        "func_name": name,
        "args": args,
        "caller_address": "A1",
        "version": xw.__version__,
        "runtime": "1.4",
    }
    try:
        result = asyncio.run(custom_functions_call(body, udfs))
    except coerce.ExcelInputError as exc:
        assert str(exc).startswith(name.upper() + ": ")
        return
    json.dumps(result, allow_nan=False)


def test_bad_input_battery_gives_clear_errors_never_crashes():
    def outcome(bad):
        try:
            json.dumps(call(bad.func, bad.args), allow_nan=False)  # also: nothing xlwings Server cannot send
        except coerce.ExcelInputError:
            return "error"
        except Exception as exc:  # HTTP 500, retried, then "An error occurred."
            return f"{type(exc).__name__}: {exc}"[:120]
        return "numbers"

    hostile.check_battery("officejs", outcome)


@pytest.mark.parametrize(
    ("func", "args", "base", "what"),
    hostile.trailing_month_cases(),
    ids=[f"{c[0]}-{c[3]}" for c in hostile.trailing_month_cases()],
)
def test_latest_month_missing_in_one_argument_is_a_missing_value(func, args, base, what):
    hostile.check_trailing_month(call, func, args, base)
