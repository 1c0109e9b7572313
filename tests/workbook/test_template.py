"""Static checks of the generated template: committed copies current, functions known, references and charts right."""

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from xlfactor.excel import udfs
from xlfactor.workbook.template import FILE_NAMES, FLAVORS, Inputs, Template, build_all

ROOT = Path(__file__).resolve().parents[2]
EXCEL_FUNCTIONS = {"IF", "IFERROR", "INDEX", "MATCH", "COUNTIF", "OR"}
REF = re.compile(r"(?:'([^']+)'!)?\$?([A-Z]{1,3})\$?(\d+)(?::\$?([A-Z]{1,3})\$?(\d+))?")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("wb")
    return {fl: p for fl, p in zip(FLAVORS, build_all(folder, Inputs(), force=True))}


CACHED = re.compile(r"<(c:)?v>([^<]*)</(?:c:)?v>")


def _close(a: str, b: str) -> bool:
    """Cached values: numbers equal to a tolerance (another machine's BLAS rounds differently), text exactly."""
    try:
        x, y = float(a), float(b)
    except ValueError:
        return a == b
    return abs(x - y) <= 1e-8 * max(abs(x), abs(y)) + 1e-12


def test_committed_workbooks_are_current(built):
    """Same parts, same XML apart from cached values, and cached values equal to a tolerance."""
    for flavor, path in built.items():
        committed = ROOT / "workbooks" / FILE_NAMES[flavor]
        assert committed.exists(), f"run `xlfactor workbook --force` to create {committed}"
        with zipfile.ZipFile(path) as new, zipfile.ZipFile(committed) as old:
            assert new.namelist() == old.namelist()
            for name in new.namelist():
                a, b = new.read(name).decode(), old.read(name).decode()
                stale = f"{committed} is stale ({name}); run `xlfactor workbook --force`"
                assert CACHED.sub(r"<\1v/>", a) == CACHED.sub(r"<\1v/>", b), stale
                values_a, values_b = [v for _, v in CACHED.findall(a)], [v for _, v in CACHED.findall(b)]
                bad = [(x, y) for x, y in zip(values_a, values_b) if not _close(x, y)]
                assert not bad, f"{stale}: {len(bad)} cached values differ, e.g. {bad[:3]}"


def test_committed_comparison_tolerates_rounding_but_not_changes():
    assert _close("0.2941791355253809", "0.2941791355253812") and _close("1e-17", "0") and _close("Mkt-RF", "Mkt-RF")
    assert not _close("0.2941791355253809", "0.2941791") and not _close("Mkt-RF", "SMB") and not _close("1", "0")


def _formulas(path):
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                v = cell.value
                text = getattr(v, "text", v)
                if isinstance(text, str) and text.startswith("="):
                    yield wb, ws, cell, text


def _extent(ws) -> int:
    """Last row the sheet uses: written cells, and the full stored range of every array (spill) formula."""
    from openpyxl.utils.cell import range_boundaries

    spills = [range_boundaries(c.value.ref)[3] for row in ws.iter_rows() for c in row if hasattr(c.value, "ref")]
    return max([ws.max_row, *spills])


@pytest.mark.parametrize("flavor", ["classic", "officejs"])
def test_every_formula_names_a_known_function_and_resolves(built, flavor):
    names = {n.upper() for n in udfs.__all__}
    known = EXCEL_FUNCTIONS | (names if flavor == "classic" else {f"_XLDUDF_{n}" for n in names})
    used, n = set(), 0
    for wb, ws, cell, text in _formulas(built[flavor]):
        n += 1
        stripped = re.sub(r'"[^"]*"', '""', text)
        for fn in re.findall(r"([A-Za-z_][A-Za-z0-9_.]*)\(", stripped):
            assert fn.upper() in known, f"{ws.title}!{cell.coordinate}: unknown function {fn}"
            used.add(fn.upper())
        for sheet, c0, r0, c1, r1 in REF.findall(re.sub(r"[A-Za-z_][A-Za-z0-9_.]*\(", "(", stripped)):
            target = wb[sheet] if sheet else ws
            assert sheet == "" or sheet in wb.sheetnames
            last_row = int(r1 or r0)
            assert last_row <= _extent(target), f"{ws.title}!{cell.coordinate} points past the end of {target.title}"
            if sheet:
                top_left = target[f"{c0}{r0}"].value
                assert top_left is not None, f"{ws.title}!{cell.coordinate} points at an empty {sheet}!{c0}{r0}"
    assert n > 250
    prefix = "" if flavor == "classic" else "_XLDUDF_"
    not_in_template = {"FAMA_MACBETH", "LASSO_PATH", "ENET_LOADINGS"}  # companions for analysts, not steps of the procedure
    assert used - EXCEL_FUNCTIONS == {prefix + n for n in names - not_in_template}
    if flavor == "classic":
        conf = openpyxl.load_workbook(built[flavor])["xlwings.conf"]
        assert (conf["A1"].value, conf["B1"].value) == ("UDF Modules", "xlfactor.excel.udfs")
    else:
        assert "xlwings.conf" not in openpyxl.load_workbook(built[flavor]).sheetnames


def test_dynamic_array_metadata_and_cached_values(built):
    with zipfile.ZipFile(built["officejs"]) as z:
        assert "xl/metadata.xml" in z.namelist()
        sheets = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet"))
    assert 'cm="1"' in sheets and "_xldudf_CAPM_BETA(" in sheets and "_xludf." not in sheets


@pytest.mark.parametrize("flavor", FLAVORS)
def test_opens_with_cached_numbers_and_blank_padding(built, flavor):
    """No full recalculation on load (cells would show #NAME? until the functions connect); padding is empty."""
    calc = re.search(r"<calcPr[^>]*/>", zipfile.ZipFile(built[flavor]).read("xl/workbook.xml").decode()).group(0)
    assert "fullCalcOnLoad" not in calc and 'calcId="191029"' in calc
    ws = openpyxl.load_workbook(built[flavor], data_only=True)["Factors"]
    window = [ws.cell(r, 1).value for r in range(20, 839)]  # SAMPLE_WINDOW of the months, 819 rows reserved
    n = sum(v is not None for v in window)
    assert n == 645 and all(v is None for v in window[n:])  # not 0: beyond the result the cells are empty
    assert ws.cell(12, 2).value is not None and ws.cell(12, 7).value is None  # VIF of 5 factors, none in a 6th cell


def test_start_inputs_have_drop_downs(tmp_path):
    from xlfactor.workbook.template import CHOICES, FACTOR_ROW0, START_CELLS
    from xlsxwriter.utility import xl_rowcol_to_cell

    Template().build(tmp_path / "c.xlsx", "classic")
    rules = {}
    for dv in openpyxl.load_workbook(tmp_path / "c.xlsx")["Start"].data_validations.dataValidation:
        for cell in str(dv.sqref).split():
            rules[cell] = (dv.type, (dv.formula1 or "").strip('"'))
    for key, choices in CHOICES.items():
        assert rules[xl_rowcol_to_cell(*START_CELLS[key])] == ("list", ",".join(choices)), key
    for k in range(5):
        assert rules[xl_rowcol_to_cell(FACTOR_ROW0 + k, 2)] == ("list", "TRUE,FALSE")
    for key in ("folds", "gap", "lags"):
        assert rules[xl_rowcol_to_cell(*START_CELLS[key])][0] == "whole"


def test_chart_series_point_at_the_right_ranges(tmp_path):
    book = Template().build(tmp_path / "v.xlsx", "values")
    wb = openpyxl.load_workbook(tmp_path / "v.xlsx")
    by_title = {title: series for _, title, series in book.charts}
    assert set(by_title) == {"CAPM expected return vs historical mean (per month)",
                             "Cross-validated error (pooled over assets)", "Lasso loadings by asset",
                             "Weights and risk shares by asset", "Risk share by factor and specific risk"}
    cv = by_title["Cross-validated error (pooled over assets)"]
    assert cv[0]["categories"] == "'Lambda'!$A$11:$A$110" and cv[0]["values"] == "'Lambda'!$B$11:$B$110"
    lasso = by_title["Lasso loadings by asset"]
    assert [s["values"] for s in lasso] == [f"'Loadings'!$B${r}:$M${r}" for r in range(23, 28)]
    weights = by_title["Weights and risk shares by asset"]
    assert weights[0]["values"] == "'Risk'!$B$15:$M$15" and weights[1]["values"] == "'Risk'!$B$16:$M$16"
    for title, series in by_title.items():
        for s in series:
            for key in ("values", "categories"):
                m = REF.fullmatch(s[key])
                ws = wb[m.group(1)]
                cells = ws[f"{m.group(2)}{m.group(3)}:{m.group(4) or m.group(2)}{m.group(5) or m.group(3)}"]
                vals = [c.value for row in (cells if isinstance(cells[0], tuple) else (cells,)) for c in row]
                numeric = [v for v in vals if isinstance(v, (int, float))]
                if key == "values":
                    assert len(numeric) >= 2, f"{title}: {s[key]} holds no numbers"
                else:
                    assert any(v is not None for v in vals), f"{title}: {s[key]} is empty"


def test_all_thirty_portfolios_on_request(tmp_path):
    book = Template(Inputs(assets="all")).build(tmp_path / "all.xlsx", "values")
    areas = {name: (area, rows, cols) for area, name, rows, cols in book.formulas}
    assert areas["CAPM_BETA"][2] == 30 and areas["RISK_ALLOC"][2] == 30
    weights = [x for x in areas["RISK_ALLOC"][0].values()[0]]
    assert sum(weights) == pytest.approx(1.0) and min(weights) > 0
