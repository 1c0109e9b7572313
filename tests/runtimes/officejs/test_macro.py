"""fn_macro's functions through xlwings' real Office.js path (xlwings Server and Lite payloads)."""

import json
import re

import numpy as np
import pytest
import xlwings as xw
from xlwings.server import custom_functions_meta

from tests.excel import cases, hostile, macro_cases
from tests.runtimes.officejs.test_officejs import call
from xlfactor.excel import coerce, udfs

CASES = macro_cases.build_cases()
MACRO = ("risk_premia", "mimicking_portfolio", "compound_returns", "char_model")


def test_meta_has_the_macro_functions_with_help():
    meta = {f["name"]: f for f in custom_functions_meta(udfs)["functions"]}
    for name in MACRO:
        f = meta[name.upper()]
        assert 20 < len(f["description"]) <= 255 and all(10 < len(p["description"]) <= 255 for p in f["parameters"])
    assert [p["name"] for p in meta["FAMA_MACBETH"]["parameters"]][-1] == "factors"
    for name in ("GRS_TEST", "CAPM_ER", "OLS_LOADINGS", "CAPM_BETA"):  # the alpha-based functions
        assert [p["name"] for p in meta[name]["parameters"]][-1] == "traded"


@pytest.mark.parametrize("case", CASES, ids=[c.func for c in CASES])
def test_matches_core_on_office_js_payloads(case):
    result = call(case.func, case.args)
    json.dumps(result, allow_nan=False)
    got = cases.as_array(result)
    assert got.shape == case.expected.shape
    np.testing.assert_allclose(got, case.expected, rtol=1e-12, atol=1e-15, equal_nan=True)


def test_the_characteristics_risk_model_goes_into_risk_alloc():
    """CHAR_MODEL's three outputs, spilled and passed on as cells, are the risk model RISK_ALLOC takes."""
    args, expected = macro_cases.char_risk_model_case()
    parts = [call("char_model", [*args, [[out]]]) for out in ("exposures", "factor_cov", "specific_var")]
    for method, weights in expected.items():
        got = cases.as_array(call("risk_alloc", [*parts, [[method]]]))
        np.testing.assert_allclose(got.ravel(), weights, rtol=1e-8, atol=1e-12)
        assert got.shape == (1, 15)


def test_text_outputs():
    args, expected = macro_cases.names_case()
    assert call("char_model", args) == expected


@pytest.mark.parametrize(
    ("func", "args", "message"), macro_cases.ERROR_CASES, ids=[e[0] for e in macro_cases.ERROR_CASES]
)
def test_user_errors_raise_xlwings_error_with_one_line(func, args, message):
    with pytest.raises(xw.XlwingsError) as exc:
        call(func, args)
    assert isinstance(exc.value, coerce.ExcelInputError)
    assert re.match(message, str(exc.value)) and "\n" not in str(exc.value), str(exc.value)


def test_bad_input_battery_gives_clear_errors_never_crashes():
    def outcome(bad):
        try:
            json.dumps(call(bad.func, bad.args), allow_nan=False)
        except coerce.ExcelInputError:
            return "error"
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"[:120]
        return "numbers"

    hostile.check_battery("officejs", outcome, macro_cases.battery(), min_inputs=300)
