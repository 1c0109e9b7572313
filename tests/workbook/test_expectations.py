"""Every xlfactor formula of the template has a core expectation (``check.expected_blocks``), and the values the
build computed (the file's cached values) equal it: in the main suite, before the runtime suites' engine round trip
compares what a formula engine computes from the same formulas."""

import numpy as np
import pytest

from tests.workbook import check
from xlfactor.workbook import procedure
from xlfactor.workbook.template import Inputs, Template


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    path = tmp_path_factory.mktemp("expect") / "preview.xlsx"
    return path, Template().build(path, "preview"), procedure.run(Inputs())


def test_every_formula_has_an_expectation_and_the_build_meets_it(built):
    path, book, res = built
    assert check.check(path, book, None, res, cached=False) > 10_000
    sheets = {area.sheet.name for _, area, _ in book.formulas}
    assert {"Macro", "Statistical"} <= sheets and not check.NOT_COMPARED


def test_a_missing_or_wrong_expectation_fails(built, monkeypatch):
    path, book, res = built
    full = check.expected_blocks(res)
    monkeypatch.setattr(check, "expected_blocks", lambda r: {k: v for k, v in full.items() if k[0] != "Statistical"})
    with pytest.raises(AssertionError, match=r"\('Statistical', 'chosen'\): no core expectation"):
        check.check(path, book, None, res, cached=False)
    short = {**full, ("Macro", "risk_premia"): full[("Macro", "risk_premia")][:-1]}
    monkeypatch.setattr(check, "expected_blocks", lambda r: short)
    with pytest.raises(AssertionError, match=r"\('Macro', 'risk_premia'\): formula 6, expected 5"):
        check.check(path, book, None, res, cached=False)
    wrong = {**full, ("Statistical", "scree"): full[("Statistical", "scree")] * np.r_[1, 1, 1, -1]}
    monkeypatch.setattr(check, "expected_blocks", lambda r: wrong)
    with pytest.raises(AssertionError, match="Statistical', 'scree'"):
        check.check(path, book, None, res, cached=False)
