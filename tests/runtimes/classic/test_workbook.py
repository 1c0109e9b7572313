"""The classic template evaluated with `formulas`, its functions dispatched through xlwings' classic call_udf.

The engine's evaluation costs by cells, so each runtime evaluates the shipped workbook and one of the two of
another shape: this one the 360 x 45 x 7 data set from CSV files, the Office.js suite the pasted workbook (the
flavours differ in the functions' stored names only, not in their ranges).
"""

import pytest

from tests.workbook import roundtrip


@pytest.fixture(scope="module")
def shipped_book(tmp_path_factory):
    """The shipped data's template, built and loaded by the formula engine once: the round trip and the tests that
    choose a method in Start's drop-down recalculate it (roundtrip.Built)."""
    return roundtrip.build_shipped("classic", tmp_path_factory.mktemp("shipped"))


# the tests that choose a method recalculate with a short backtest, set in Start's cells: 11 rebalances (ten-year
# windows every four years; the spills it fills are shorter than the built ones, as Excel's would be)
SHORT = {"bt_window": 120, "bt_step": 48}


def _recalculate(built, **chosen):
    """Start's cells set to SHORT and ``chosen`` and the book recalculated: (solution, the core's procedure on the
    same inputs). The rest of the estimates (cross-validation, fits) are the round trip's, from the memo."""
    from dataclasses import replace

    from tests.workbook import bridge
    from xlfactor.workbook import procedure
    from xlfactor.workbook.template import Inputs

    cells = {**SHORT, **chosen}
    keys = {bridge.cell_key(built.path, "Start", roundtrip._cell(built.book, "Start", k)): v for k, v in cells.items()}
    return built.model.calculate(inputs=keys), procedure.run(replace(Inputs(), **cells), data=built.data)


def test_classic_template_evaluates_to_the_core(shipped_book):
    roundtrip.shipped("classic", shipped_book)


def test_classic_template_on_data_of_another_shape(tmp_path):
    roundtrip.other_shape("classic", tmp_path)


def test_errors_are_error_values_that_excel_formulas_handle(tmp_path):
    """IFERROR catches an xlfactor error, ISERROR sees it, arithmetic propagates it, XLFACTOR_ERROR explains it."""
    import xlsxwriter

    from tests.workbook import bridge

    path = tmp_path / "errors.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("S")
    ws.write_column("A1", ["Date", 0.01, 0.03, 0.0, 0.02, -0.01])
    ws.write_column("B1", [0.01, 0.011, 0.02, 0.004, 0.015, -0.012])
    ws.write_formula("C1", "=CAPM_BETA(A1:A6,B1:B6)")
    ws.write_formula("D1", '=IFERROR(C1,"fallback")')
    ws.write_formula("E1", "=ISERROR(C1)")
    ws.write_formula("F1", "=C1+1")
    ws.write_formula("G1", "=XLFACTOR_ERROR(C1)")
    ws.write_formula("H1", "=CAPM_BETA(A2:A6,B2:B6)")
    wb.close()
    bridge.register("classic")
    _, solution = bridge.evaluate(path)
    value = {a: solution[bridge.cell_key(path, "S", a)].value[0][0] for a in ("C1", "D1", "E1", "F1", "G1", "H1")}
    assert str(value["C1"]) == "#VALUE!" and str(value["F1"]) == "#VALUE!"
    assert value["D1"] == "fallback" and bool(value["E1"]) is True
    assert value["G1"].startswith("CAPM_BETA: returns row 1, column 1 is text 'Date'")
    assert 0.5 < value["H1"] < 3


def test_the_covariance_method_chosen_on_start_recalculates(shipped_book):
    """Issue 23.4: the functions refuse a covariance option their method does not read, so the formulas pass Start's
    half-life (and the Barra-style options) only to the methods that read them. Built with sample and recalculated
    with ewma in roundtrip.shipped (both runtimes); here ledoitwolf chosen in Start's drop-down, its half-life cell
    still filled: every block equals the core."""
    from tests.workbook import check

    assert shipped_book.book.block("Start", "halflife").value() == 36
    solution, res = _recalculate(shipped_book, cov_method="ledoitwolf")
    check.check(shipped_book.path, shipped_book.book, solution, res, cached=False)


def test_the_risk_method_chosen_on_start_recalculates(shipped_book):
    """Issue 23.4: RISK_ALLOC and BACKTEST refuse budgets or target_vol their (chosen) allocation does not read, so
    the formulas pass Start's budgets and target volatility only where the method reads them
    (``Template.only_for``): each method chosen in Start's drop-down, the budget cells and target still filled,
    every block equals the core (an argument passed to the wrong method would be a #VALUE! there)."""
    from tests.workbook import check

    for method in ("budget", "factor", "targetvol", "minvar"):
        solution, res = _recalculate(shipped_book, risk_method=method)
        check.check(shipped_book.path, shipped_book.book, solution, res, cached=False)


def test_classic_template_with_no_penalised_factor(tmp_path):
    """One factor, unpenalised: the Lambda sheet's zeros and the Loadings sheet's DROP(OLS) evaluate as cached."""
    from tests.workbook import bridge, check
    from tests.workbook.test_one_factor_workbook import SMALL, one_factor_daily
    from xlfactor.workbook import procedure
    from xlfactor.workbook.template import Inputs, Template

    bridge.register("classic")
    data = roundtrip.stored(one_factor_daily())
    path = tmp_path / "one.xlsx"
    book = Template(Inputs(), data, SMALL).build(path, "classic")
    _, solution = bridge.evaluate(path)
    assert check.check(path, book, solution, procedure.run(Inputs(), data=data)) > 0
    assert check.check_plain_formulas(path, book, solution) > 0
