"""fn_macro's functions through xlwings' real classic path (call_udf on COM-shaped cells)."""

import re

import numpy as np
import pytest

from tests.excel import cases, hostile, macro_cases, winstubs
from tests.runtimes.classic.test_classic import call

CASES = macro_cases.build_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.func for c in CASES])
def test_matches_core_on_com_inputs(case):
    got = cases.as_array(call(case.func, case.args))
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
    assert [list(r) for r in call("char_model", args)] == expected


@pytest.mark.parametrize(
    ("func", "args", "message"), macro_cases.ERROR_CASES, ids=[e[0] for e in macro_cases.ERROR_CASES]
)
def test_user_errors_are_error_values_with_a_message(func, args, message):
    assert winstubs.cell_value(call(func, args)) in ("#VALUE!", "#NUM!")
    why = call("xlfactor_error", [[[cases.ERROR]]])
    assert re.match(message, why[0][0]) and "\n" not in why[0][0], why[0][0]


def test_bad_input_battery_gives_clear_errors_never_crashes():
    def outcome(bad):
        try:
            out = call(bad.func, bad.args)
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"[:120]
        return "error" if isinstance(out[0][0], winstubs.VARIANT) else "numbers"

    hostile.check_battery("classic", outcome, macro_cases.battery(), min_inputs=300)
