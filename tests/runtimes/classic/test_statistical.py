"""fn_statistical's functions through xlwings' real classic path (call_udf on COM-shaped cells)."""

import re

import numpy as np
import pytest

from tests.excel import cases, hostile, statistical_cases, winstubs
from tests.runtimes.classic.test_classic import call

CASES = statistical_cases.build_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.func for c in CASES])
def test_matches_core_on_com_inputs(case):
    got = cases.as_array(call(case.func, case.args))
    assert got.shape == case.expected.shape
    np.testing.assert_allclose(got, case.expected, rtol=1e-12, atol=1e-15, equal_nan=True)


def test_registered_output_help_names_every_output():
    from xlfactor.excel import udfs

    for name, outputs in statistical_cases.output_choices().items():
        doc = getattr(udfs, name).__xlfunc__["argmap"]["output"]["doc"]
        assert all(o in doc for o in outputs) and len(doc) <= 255, (name, doc)


@pytest.mark.parametrize(("args", "text"), statistical_cases.note_cases(), ids=["converged", "em_warning"])
def test_factor_count_note_is_one_text_cell(args, text):
    assert call("factor_count", args) == [[text]]


def test_risk_alloc_and_contributions_take_the_latent_model_by_formula_chain():
    """RISK_ALLOC(PCA_LOADINGS, FACTOR_COV(PCA_FACTORS), SPECIFIC_VAR(returns, PCA_FACTORS, PCA_LOADINGS)) is the
    ERC portfolio of statistical.latent_risk_model; RISK_CONTRIB of it gives equal shares."""
    r, rf, _, _ = statistical_cases.shipped()
    R, RF = cases.cells(r), cases.cells(rf[:, None])
    factors = [list(row) for row in call("pca_factors", [R, [[2]], RF])]
    loadings = [list(row) for row in call("pca_loadings", [R, [[2]], RF])]
    fcov = [list(row) for row in call("factor_cov", [factors])]
    spec = [list(row) for row in call("specific_var", [R, factors, loadings, RF])]
    model, weights, shares = statistical_cases.chain_expected()
    np.testing.assert_allclose(cases.as_array(spec)[0], model.specific_var, rtol=1e-12)
    got = cases.as_array(call("risk_alloc", [loadings, fcov, spec]))[0]
    np.testing.assert_allclose(got, weights, rtol=1e-9)
    rc = cases.as_array(call("risk_contrib", [[list(got)], loadings, fcov, spec]))[0]
    np.testing.assert_allclose(rc, shares, atol=1e-9)


@pytest.mark.parametrize(
    ("func", "args", "message"), statistical_cases.ERROR_CASES, ids=[e[0] for e in statistical_cases.ERROR_CASES]
)
def test_user_errors_are_error_values_with_a_message(func, args, message):
    assert winstubs.cell_value(call(func, args)) in ("#VALUE!", "#NUM!")
    why = call("xlfactor_error", [[[cases.ERROR]]])
    assert re.match(message, why[0][0]) and "\n" not in why[0][0], why[0][0]


def test_bad_input_battery_gives_clear_errors_never_crashes():
    def outcome(bad):
        try:
            out = call(bad.func, bad.args)
        except Exception as exc:  # a traceback in the cell is what this test looks for
            return f"{type(exc).__name__}: {exc}"[:120]
        return "error" if isinstance(out[0][0], winstubs.VARIANT) else "numbers"

    hostile.check_battery("classic", outcome, statistical_cases.battery(), min_inputs=200)
