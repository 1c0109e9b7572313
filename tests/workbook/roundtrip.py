"""The template evaluated through one runtime (shared by both runtimes' suites).

Three workbooks: the shipped data with its defaults and then changed Start inputs; a data set of
another shape (360 months x 45 assets x 7 factors, read from CSV files as the CLI reads them); and a
workbook into whose Data sheet 24 months, 2 assets and a factor are pasted, which every sheet must follow.

Each is built on its data as the engine reads them from the file (``stored``), so that the build, the engine's recalculation and
the core's procedure call the Excel layer's memo with the same converted inputs and each estimate is computed once,
as a UDF server computes a repeated call once (the comparison with the core is the same: every block to 1e-9).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest

from tests.workbook import bridge, check, synthetic
from xlfactor.workbook import dataset, procedure
from xlfactor.workbook.template import Capacity, Inputs, Template

# the covariance method too: built with sample (Start's half-life cell filled, passed to no function), recalculated
# with ewma (the half-life reaches FACTOR_COV and BACKTEST); ledoitwolf in tests/runtimes/classic/test_workbook.py
CHANGED = {"start": 198001, "end": 201212, "rule": "1se", "method": "ridge", "loadings": "ridge", "cov_method": "ewma"}
SMALL = Capacity(periods=900, assets=40)  # the engine reads every cell of a room: keep the rooms small here
GROWN = 24  # months pasted below the data


def _cell(book, sheet: str, block: str, i: int = 0) -> str:
    from xlsxwriter.utility import xl_rowcol_to_cell

    ref = book.block(sheet, block)
    return xl_rowcol_to_cell(ref.r0 + i, ref.c0)


def stored(data: dataset.Dataset) -> dataset.Dataset:
    """The data as the formula engine reads them from the built file: XlsxWriter writes a number with 16 significant
    digits and `formulas` rounds a number cell to 15 decimals, so the engine reads the Data sheet's -0.0047 where the
    build computed on -0.0046999999999999993 (a percentage over 100).

    The numbers differ in the last bits only, and the engine's blocks equal the core's to 1e-9 either way; but on
    the data as given every estimate is computed twice, once on each side of the last digit (the engine's key in
    the memo is not the build's). Built on these, the engine's calls hit the build's entries."""
    as_read = np.vectorize(lambda v: round(float(f"{v:.16G}"), 15), otypes=[float])
    return replace(data, rf=as_read(data.rf), factors=as_read(data.factors), returns=as_read(data.returns))


@dataclass(frozen=True)
class Built:
    """A template built on ``data`` and loaded by the formula engine: what a round trip recalculates."""

    data: dataset.Dataset
    path: Path
    book: object  # template.Book
    model: object  # formulas.ExcelModel


def build_shipped(runtime: str, folder: Path) -> Built:
    """The shipped data's template (Start's defaults, small rooms) in the runtime's flavour, loaded by the engine."""
    import formulas

    bridge.register(runtime)
    data = stored(dataset.french())
    path = folder / f"template_{runtime}.xlsx"  # each runtime reads its own flavour
    book = Template(data=data, capacity=SMALL).build(path, runtime)
    return Built(data, path, book, formulas.ExcelModel().loads(str(path)).finish())


def shipped(runtime: str, built: Built) -> dict:
    """``built`` (``build_shipped``) calculated, then recalculated with a typed 1 in Use cells and with changed Start
    inputs: every block equals the core each time."""
    from xlfactor.excel import coerce

    coerce.RECENT_ERRORS.clear()  # as after a restart of the UDF server: XLFACTOR_ERROR has nothing to say
    bridge.register(runtime)
    data, path, book, model = built.data, built.path, built.book, built.model
    solution = model.calculate()
    defaults = procedure.run(Inputs(), data=data)
    n_udf = check.check(path, book, solution, defaults)
    n_plain = check.check_plain_formulas(path, book, solution)

    # a typed 1 in a factor's Use cell selects it as TRUE does (COUNTIF alone would not count it)
    use = {bridge.cell_key(path, "Start", _cell(book, "Start", "use", k)): 1 for k in (0, 2)}
    typed_one = model.calculate(inputs=use)
    check.check(path, book, typed_one, defaults, cached=False)
    check.check_plain_formulas(path, book, typed_one)  # factor names, orders and labels too

    # change the window and the lambda rule in the Start sheet's cells and recalculate
    changes = {bridge.cell_key(path, "Start", _cell(book, "Start", k)): v for k, v in CHANGED.items()}
    changed_solution = model.calculate(inputs=changes)
    # Start's Newey-West lags is a value the build fills in (the rule for the built window), not a formula: it
    # stays as built when the window changes
    changed_inputs = replace(Inputs(), **CHANGED, lags=defaults.inputs.lags)
    changed = procedure.run(changed_inputs, data=data)
    check.check(path, book, changed_solution, changed, cached=False)
    capm = book.block("Market model", "capm")
    before = np.asarray(check.value(solution, path, capm)[1], float)
    after = np.asarray(check.value(changed_solution, path, capm)[1], float)
    assert np.abs(before - after).max() > 1e-3  # betas follow the window
    assert changed.lambda_lasso != defaults.lambda_lasso
    model_loadings = check.value(changed_solution, path, book.block("Risk", "model_loadings"))
    np.testing.assert_allclose(
        np.asarray(model_loadings, float), changed.ridge.loadings[0].T, rtol=1e-9
    )  # the risk model now uses the ridge loadings
    assert n_udf > 10_000 and n_plain > 200
    return {"udf_cells": n_udf, "plain_formulas": n_plain}


def other_shape(runtime: str, tmp_path) -> dict:
    """360 x 45 x 7 from CSV files: every block equals the core.

    Another shape than the shipped 645 months x 12 assets x 5 factors: more assets, more factors, other dates (the
    synthetic set's 30 years from 1960, which share 120 quarters with the Macro sheet's macro data). The full
    1,200 months go through the CLI and the rendering; the engine's load and evaluation cost in proportion to the
    cells, and 360 months fill every block as 720 did (the backtest's five-year windows, a year apart, 25 of them)."""
    flavor = runtime
    bridge.register(runtime)
    files = synthetic.write(tmp_path / "data", t=360, first_year=1960)
    data = stored(dataset.from_files(files["returns"], files["factors"], "RF"))
    assert data.shape() == (360, synthetic.N, synthetic.K)
    path = tmp_path / f"other_{flavor}.xlsx"
    book = Template(data=data, capacity=Capacity(periods=400, assets=50)).build(path, flavor)
    _, solution = bridge.evaluate(path)
    res = procedure.run(Inputs(), data=data)
    counts = {
        "udf_cells": check.check(path, book, solution, res),
        "plain_formulas": check.check_plain_formulas(path, book, solution),
    }
    assert counts["udf_cells"] > 21_000  # of 35,028 (720 months: 35,000 of 58,368)
    return counts


def pasted(runtime: str, tmp_path) -> dict:
    """Paste 24 months, 2 assets and a factor into a built workbook's Data sheet (openpyxl): every sheet follows.

    Excel 365 re-sizes each dynamic array to its new result; the engine keeps the stored areas, so the test
    gives every formula of the pasted workbook the area its result now takes (read from a build on all the
    data; the anchors are the same cells) and evaluates the pasted workbook's own formulas.
    """
    import openpyxl
    from openpyxl.worksheet.formula import ArrayFormula

    flavor = runtime
    bridge.register(runtime)
    # 300 months from 1960 (the Macro sheet's quarters among them) grown by 24: the engine's cost is by cells
    months, rf, f, r, _, fnames, anames = synthetic.make(t=300 + GROWN, n=22, k=6, seed=3, first_year=1960)
    full = stored(dataset.Dataset(months, rf, f, tuple(fnames), r, tuple(anames), "synthetic"))
    rf, f, r = full.rf, full.factors, full.returns  # as stored: the cells openpyxl pastes hold these too
    t0, n0, k0 = len(months) - GROWN, r.shape[1] - 2, f.shape[1] - 1
    first = dataset.Dataset(
        months[:t0], rf[:t0], f[:t0, :k0], tuple(fnames[:k0]), r[:t0, :n0], tuple(anames[:n0]), "synthetic"
    )
    room = Capacity(periods=400, assets=30, factors=8)
    path, all_path = tmp_path / f"paste_{flavor}.xlsx", tmp_path / f"all_{flavor}.xlsx"
    built = Template(data=first, capacity=room)
    built.build(path, flavor)
    book = Template(data=full, capacity=room).build(all_path, flavor)
    wb = openpyxl.load_workbook(path)
    ws = wb["Data"]
    rooms = {k: book.block("Data", f"room_{k}") for k in ("periods", "rf", "factors", "assets")}
    head = rooms["periods"].r0  # 1-based row of the names: one above the first data row
    for j in range(k0, f.shape[1]):
        ws.cell(head, rooms["factors"].c0 + 1 + j, fnames[j])
    for j in range(n0, r.shape[1]):
        ws.cell(head, rooms["assets"].c0 + 1 + j, anames[j])
    for i in range(len(months)):
        row = rooms["periods"].r0 + i + 1
        if i >= t0:
            ws.cell(row, rooms["periods"].c0 + 1, int(months[i]))
            ws.cell(row, rooms["rf"].c0 + 1, float(rf[i]))
        for j in range(f.shape[1]):
            if i >= t0 or j >= k0:
                ws.cell(row, rooms["factors"].c0 + 1 + j, float(f[i, j]))
        for j in range(r.shape[1]):
            if i >= t0 or j >= n0:
                ws.cell(row, rooms["assets"].c0 + 1 + j, float(r[i, j]))
    spills = openpyxl.load_workbook(all_path)
    resized = 0
    for sheet in wb.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, ArrayFormula):
                    want = spills[sheet.title][cell.coordinate].value
                    assert isinstance(want, ArrayFormula), (
                        f"{sheet.title}!{cell.coordinate}: no formula in the full build"
                    )
                    resized += want.ref != cell.value.ref
                    cell.value = ArrayFormula(want.ref, cell.value.text)
    assert resized > 30  # the blocks that run down the periods or across the assets and factors
    pasted_path = tmp_path / f"pasted_{flavor}.xlsx"
    wb.save(pasted_path)
    _, solution = bridge.evaluate(pasted_path)
    # Start's Newey-West lags stay as built (a value the build fills in for its window, as in ``shipped``)
    res = procedure.run(Inputs(lags=built.inp.lags), data=full)
    assert len(res.months) == len(months) and res.factors.shape[1] == f.shape[1]  # the end (=MAX) took the new rows
    n = check.check(pasted_path, book, solution, res, cached=False, grown=True)
    n_plain = check.check_plain_formulas(pasted_path, book, solution)  # names, selections and budgets followed
    observations = check.value(solution, pasted_path, book.block("Market model", "capm"))[6]
    assert np.asarray(observations, float) == pytest.approx(len(months))  # per asset, the two new assets included
    assert n > 10_000 and n_plain > 200
    return {"udf_cells": n, "plain_formulas": n_plain}
