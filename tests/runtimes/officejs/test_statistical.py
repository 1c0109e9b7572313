"""fn_statistical's functions through xlwings' real Office.js path (xlwings Server and Lite payloads)."""

import json
import re

import numpy as np
import pytest
import xlwings as xw
from xlwings.server import custom_functions_meta

from tests.excel import cases, hostile, statistical_cases
from tests.runtimes.officejs.test_officejs import call
from xlfactor.excel import coerce, udfs

CASES = statistical_cases.build_cases()
STATISTICAL = ("pca_factors", "pca_loadings", "pca_eigenvalues", "pca_r2", "factor_count", "latent_vs_named")


def test_meta_has_the_statistical_functions_with_help():
    meta = {f["name"]: f for f in custom_functions_meta(udfs)["functions"]}
    for name in STATISTICAL:
        f = meta[name.upper()]
        assert 20 < len(f["description"]) <= 255 and all(10 < len(p["description"]) <= 255 for p in f["parameters"])
    assert "statistical" in meta["BACKTEST"]["parameters"][4]["description"]


@pytest.mark.parametrize("case", CASES, ids=[c.func for c in CASES])
def test_matches_core_on_office_js_payloads(case):
    result = call(case.func, case.args)
    json.dumps(result, allow_nan=False)
    got = cases.as_array(result)
    assert got.shape == case.expected.shape
    np.testing.assert_allclose(got, case.expected, rtol=1e-12, atol=1e-15, equal_nan=True)


def test_registered_output_help_names_every_output():
    meta = {f["name"]: f for f in custom_functions_meta(udfs)["functions"]}
    for name, outputs in statistical_cases.output_choices().items():
        doc = next(p["description"] for p in meta[name.upper()]["parameters"] if p["name"] == "output")
        assert all(o in doc for o in outputs) and len(doc) <= 255, (name, doc)


@pytest.mark.parametrize(("args", "text"), statistical_cases.note_cases(), ids=["converged", "em_warning"])
def test_factor_count_note_is_one_text_cell(args, text):
    result = call("factor_count", args)
    json.dumps(result, allow_nan=False)
    assert result == [[text]]


def test_risk_alloc_and_contributions_take_the_latent_model_by_formula_chain():
    r, rf, _, _ = statistical_cases.shipped()
    R, RF = cases.cells(r), cases.cells(rf[:, None])
    factors, loadings = call("pca_factors", [R, [[2]], RF]), call("pca_loadings", [R, [[2]], RF])
    fcov, spec = call("factor_cov", [factors]), call("specific_var", [R, factors, loadings, RF])
    _, weights, shares = statistical_cases.chain_expected()
    got = call("risk_alloc", [loadings, fcov, spec])
    np.testing.assert_allclose(cases.as_array(got)[0], weights, rtol=1e-9)
    np.testing.assert_allclose(cases.as_array(call("risk_contrib", [got, loadings, fcov, spec]))[0], shares, atol=1e-9)


@pytest.mark.parametrize(
    ("func", "args", "message"), statistical_cases.ERROR_CASES, ids=[e[0] for e in statistical_cases.ERROR_CASES]
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
        except Exception as exc:  # HTTP 500, retried, then "An error occurred."
            return f"{type(exc).__name__}: {exc}"[:120]
        return "numbers"

    hostile.check_battery("officejs", outcome, statistical_cases.battery(), min_inputs=200)
