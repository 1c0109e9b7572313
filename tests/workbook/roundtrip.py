"""The template evaluated through one runtime: defaults, then changed Start inputs (shared by both runtimes)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from xlsxwriter.utility import xl_rowcol_to_cell

from tests.workbook import bridge, check
from xlfactor.workbook import procedure
from xlfactor.workbook.template import FACTOR_ROW0, START_CELLS, Inputs, Template

CHANGED = {"start": 198001, "end": 201212, "rule": "1se", "method": "ridge", "loadings": "ridge"}


def run(runtime: str, flavor: str, tmp_path) -> dict:
    from xlfactor.excel import coerce

    coerce.RECENT_ERRORS.clear()  # as after a restart of the UDF server: XLFACTOR_ERROR has nothing to say
    bridge.register(runtime)
    path = tmp_path / f"template_{flavor}.xlsx"
    book = Template().build(path, flavor)
    model, solution = bridge.evaluate(path)
    defaults = procedure.run(Inputs())
    n_udf = check.check(path, book, solution, defaults)
    n_plain = check.check_plain_formulas(path, book, solution)

    # a typed 1 in a factor's Use cell selects it as TRUE does (COUNTIF alone would not count it)
    use = {bridge.cell_key(path, "Start", xl_rowcol_to_cell(FACTOR_ROW0 + k, 2)): 1 for k in (0, 2)}
    typed_one = model.calculate(inputs=use)
    check.check(path, book, typed_one, defaults, cached=False)
    check.check_plain_formulas(path, book, typed_one)  # factor names, orders and labels too

    # change the window and the lambda rule in the Start sheet's cells and recalculate
    changes = {bridge.cell_key(path, "Start", xl_rowcol_to_cell(*START_CELLS[k])): v for k, v in CHANGED.items()}
    changed_solution = model.calculate(inputs=changes)
    changed_inputs = replace(Inputs(), **CHANGED)
    changed = procedure.run(changed_inputs)
    check.check(path, book, changed_solution, changed, cached=False)
    changed_book = Template(changed_inputs).build(tmp_path / "changed.xlsx", flavor)
    check.check_plain_formulas(path, changed_book, changed_solution)

    key = bridge.cell_key(path, "Market model", "B5:M12")
    before, after = np.asarray(solution[key].value[1], float), np.asarray(changed_solution[key].value[1], float)
    assert np.abs(before - after).max() > 1e-3  # betas follow the window
    lam = bridge.cell_key(path, "Lambda", "C6")
    assert solution[lam].value[0][0] == pytest.approx(defaults.lambda_lasso, rel=1e-12)  # lasso, rule min by default
    assert changed_solution[lam].value[0][0] == pytest.approx(changed.lambda_lasso, rel=1e-12)  # rule 1se after
    assert changed.lambda_lasso != defaults.lambda_lasso
    risk_loadings = bridge.cell_key(path, "Risk", "B39:M43")
    np.testing.assert_allclose(np.asarray(changed_solution[risk_loadings].value, float), changed.ridge.loadings[0].T,
                               rtol=1e-9)  # the risk model now uses the ridge loadings
    return {"udf_cells": n_udf, "plain_formulas": n_plain}
