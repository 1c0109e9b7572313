"""A template with no penalised factor (the market alone, unpenalised by default) builds, and says why it has no lambda.

The Lambda sheet states that the penalised fit equals OLS and that lambda has no effect; the ridge and lasso
lambdas are 0 and the Loadings sheet's ridge and lasso are the OLS loadings, as ``xlfactor demo`` prints them.
Every xlfactor formula of the book still equals the core (``check.check``), (the formulas
written instead of the cross-validation are evaluated in tests/runtimes/classic/test_workbook.py).
"""

from __future__ import annotations

import numpy as np
import openpyxl
import pytest

from tests.workbook import check, synthetic
from xlfactor.workbook import dataset, procedure
from xlfactor.workbook.template import Capacity, Inputs, Template
from xlfactor.workbook.template.sheets.lambda_ import NO_PENALTY

SMALL = Capacity(periods=640, assets=12)  # the engine reads every cell of a room: keep the rooms small here


def one_factor_daily() -> dataset.Dataset:
    """Daily data of another shape (600 days, 9 assets) with a single factor, the market."""
    return synthetic.daily(t=600, n=9, k=1, seed=3)


CASES = {
    "shipped, market only": (None, lambda d: Inputs(use_factors=(True,) + (False,) * (d.shape()[2] - 1))),
    "daily, one factor": (one_factor_daily, lambda d: Inputs()),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_book_with_no_penalised_factor_builds_and_says_lambda_has_no_effect(case, tmp_path):
    make, inputs_of = CASES[case]
    data = make() if make else dataset.french()
    inputs = inputs_of(data)
    path = tmp_path / "one.xlsx"
    book = Template(inputs, data, SMALL if make else None).build(path, "classic")  # None: room for the shipped data
    res = procedure.run(inputs, data=data)
    assert res.method_cv is None
    check.check(path, book, None, res)  # every xlfactor formula equals the core, cached values too

    wb = openpyxl.load_workbook(path, data_only=True)
    texts = [c.value for row in wb["Lambda"].iter_rows() for c in row if isinstance(c.value, str)]
    assert NO_PENALTY in texts
    for key in ("lasso", "ridge"):
        ref = book.block("Lambda", key)
        assert wb["Lambda"].cell(ref.r0 + 1, ref.c0 + 1).value == 0
        area = book.block("Loadings", key)
        k, n = res.ols.loadings.T.shape
        got = np.array(
            [[wb["Loadings"].cell(area.r0 + 1 + i, area.c0 + 1 + j).value for j in range(n)] for i in range(k)]
        )
        np.testing.assert_allclose(got.astype(float), res.ols.loadings.T, rtol=1e-12)
        np.testing.assert_allclose(getattr(res, key).loadings[0], res.ols.loadings, rtol=1e-9, atol=1e-12)
    assert not any(f[2] in ("CV_CURVE", "CV_LAMBDA", "LASSO_LOADINGS", "RIDGE_LOADINGS") for f in book.formulas)
