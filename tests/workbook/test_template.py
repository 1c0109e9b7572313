"""Static checks of the generated template: committed copies current, functions known, references and charts right."""

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from xlfactor.excel import udfs
from xlfactor.workbook.template import FILE_NAMES, FLAVORS, Inputs, Template

ROOT = Path(__file__).resolve().parents[2]
EXCEL_FUNCTIONS = {
    "IF",
    "SQRT",
    "IFERROR",
    "INDEX",
    "CHOOSEROWS",
    "CHOOSECOLS",
    "_XLFN.CHOOSEROWS",
    "_XLFN.CHOOSECOLS",
    "MATCH",
    "COUNTIF",
    "OR",
    "AND",
    "COUNT",
    "COUNTA",
    "MAX",
    "TAKE",
    "DROP",
    "FILTER",
    "TOROW",
    "TRANSPOSE",
    "VSTACK",
    "ANCHORARRAY",
    "DATE",
    "INT",
    "MOD",
}
PREFIXES = re.compile(r"_xlfn\.|_xlws\.", re.I)  # how the file stores Excel 365's functions
REF = re.compile(r"(?:'([^']+)'!)?\$?([A-Z]{1,3})\$?(\d+)(?::\$?([A-Z]{1,3})\$?(\d+))?")


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    """(path, book) per flavour: the book knows its layout (blocks by name). One Template builds the flavours, as
    ``build_all`` does (its files are these; the functions' results are computed once for the three)."""
    folder = tmp_path_factory.mktemp("books")
    template = Template(Inputs())
    return {fl: (folder / FILE_NAMES[fl], template.build(folder / FILE_NAMES[fl], fl)) for fl in FLAVORS}


@pytest.fixture(scope="module")
def built(books):
    """The file of each flavour, as ``build_all`` writes it."""
    return {fl: path for fl, (path, _) in books.items()}


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
        assert committed.exists(), f"run `xlfactor workbook --force --out workbooks` to create {committed}"
        with zipfile.ZipFile(path) as new, zipfile.ZipFile(committed) as old:
            assert new.namelist() == old.namelist()
            for name in new.namelist():
                a, b = new.read(name).decode(), old.read(name).decode()
                stale = f"{committed} is stale ({name}); run `xlfactor workbook --force --out workbooks`"
                assert CACHED.sub(r"<\1v/>", a) == CACHED.sub(r"<\1v/>", b), stale
                values_a, values_b = [v for _, v in CACHED.findall(a)], [v for _, v in CACHED.findall(b)]
                bad = [(x, y) for x, y in zip(values_a, values_b, strict=True) if not _close(x, y)]
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


def _inside(sheet, r: int, c: int) -> bool:
    """A cell of a named block (the Data and Start sheets' rooms reach past what is written)."""
    return any(b.r0 <= r <= b.r1 and b.c0 <= c <= b.c1 for b in sheet.blocks.values())


@pytest.mark.parametrize("flavor", ["classic", "officejs"])
def test_every_formula_names_a_known_function_and_resolves(books, flavor):
    from openpyxl.utils.cell import column_index_from_string

    path, book = books[flavor]
    names = {n.upper() for n in udfs.__all__}
    known = EXCEL_FUNCTIONS | (names if flavor == "classic" else {f"_XLDUDF_{n}" for n in names})
    used, n, extents = set(), 0, {}  # each sheet's extent measured once (it reads every cell)
    # Start's optional inputs whose blank means "the default" (barra's correlation and regime half-lives)
    blank_ok = set()
    for key in ("corr_halflife", "regime_halflife"):
        try:
            b = book.block("Start", key)
        except KeyError:
            continue
        blank_ok.add((b.r0 + 1, b.c0 + 1))
    for wb, ws, cell, text in _formulas(path):
        n += 1
        stripped = PREFIXES.sub("", re.sub(r'"[^"]*"', '""', text))
        for fn in re.findall(r"([A-Za-z_][A-Za-z0-9_.]*)\(", stripped):
            assert fn.upper() in known, f"{ws.title}!{cell.coordinate}: unknown function {fn}"
            used.add(fn.upper())
        for sheet, c0, r0, c1, r1 in REF.findall(re.sub(r"[A-Za-z_][A-Za-z0-9_.]*\(", "(", stripped)):
            target = wb[sheet] if sheet else ws
            assert sheet == "" or sheet in wb.sheetnames
            last_row, last_col = int(r1 or r0), column_index_from_string(c1 or c0)
            if target.title not in extents:
                extents[target.title] = _extent(target)
            assert last_row <= extents[target.title] or _inside(
                book.sheets[target.title], last_row - 1, last_col - 1
            ), f"{ws.title}!{cell.coordinate} points past the end of {target.title}"
            if sheet:
                top_left = target[f"{c0}{r0}"].value
                blank = sheet == "Start" and (int(r0), column_index_from_string(c0)) in blank_ok
                assert top_left is not None or blank, (
                    f"{ws.title}!{cell.coordinate} points at an empty {sheet}!{c0}{r0}"
                )
    assert n > 250
    prefix = "" if flavor == "classic" else "_XLDUDF_"
    not_in_template = {
        "FAMA_MACBETH",
        "LASSO_PATH",
        "ENET_LOADINGS",
        "ROLLING_LOADINGS",
        "CHAR_MODEL",  # companions
        "PCA_FACTORS",
        "PCA_LOADINGS",
        "PCA_R2",
    }  # for analysts
    assert used - EXCEL_FUNCTIONS == {prefix + n for n in names - not_in_template}
    if flavor == "classic":
        conf = openpyxl.load_workbook(path)["xlwings.conf"]
        assert (conf["A1"].value, conf["B1"].value) == ("UDF Modules", "xlfactor.excel.udfs")
    else:
        assert "xlwings.conf" not in openpyxl.load_workbook(path).sheetnames


def test_data_reaches_python_through_counted_ranges_only(books):
    """Every reference to the Data sheet's rooms is bounded by TAKE(room, periods, columns): no blank area is sent."""
    path, book = books["classic"]
    rooms = {b.address() for k, b in book.sheets["Data"].blocks.items() if k.startswith("room_")}
    n = 0
    for _, ws, cell, text in _formulas(path):
        for room in rooms:
            plain = room.replace("'Data'", "Data")
            for hit in (room, plain):
                i = text.find(hit)
                while i >= 0:
                    before = PREFIXES.sub("", text[:i])
                    assert before.endswith(("TAKE(", "COUNT(")), f"{ws.title}!{cell.coordinate}: {text}"
                    n += 1
                    i = text.find(hit, i + 1)
    assert n > 12


def test_dynamic_array_metadata_and_cached_values(built):
    with zipfile.ZipFile(built["officejs"]) as z:
        assert "xl/metadata.xml" in z.namelist()
        sheets = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet"))
    assert 'cm="1"' in sheets and "_xldudf_CAPM_BETA(" in sheets and "_xludf." not in sheets


@pytest.mark.parametrize("flavor", FLAVORS)
def test_opens_with_cached_numbers_and_exact_spills(built, books, flavor):
    """No full recalculation on load (cells would show #NAME? until the functions connect); spills sized to results."""
    calc = re.search(r"<calcPr[^>]*/>", zipfile.ZipFile(built[flavor]).read("xl/workbook.xml").decode()).group(0)
    assert "fullCalcOnLoad" not in calc and 'calcId="191029"' in calc
    path, book = books[flavor]
    months = book.block("Factors", "months")
    ws = openpyxl.load_workbook(path, data_only=True)["Factors"]
    window = [ws.cell(r + 1, 1).value for r in range(months.r0, months.r0 + 700)]
    n = sum(v is not None for v in window)
    assert n == 645 == months.shape[0] and all(v is None for v in window[n:])
    vif = book.block("Factors", "vif")
    assert vif.shape == (1, 5) and ws.cell(vif.r0 + 1, vif.c1 + 2).value is None


def test_start_inputs_have_drop_downs(books):
    from xlfactor.workbook.template import CHOICES

    path, book = books["classic"]
    rules = {}
    for dv in openpyxl.load_workbook(path)["Start"].data_validations.dataValidation:
        for area in str(dv.sqref).split():
            from openpyxl.utils.cell import range_boundaries

            c0, r0, c1, r1 = range_boundaries(area)
            for r in range(r0, r1 + 1):
                for c in range(c0, c1 + 1):
                    rules[(r - 1, c - 1)] = (dv.type, (dv.formula1 or "").strip('"'))
    for key, choices in CHOICES.items():
        ref = book.block("Start", key)
        assert rules[(ref.r0, ref.c0)] == ("list", ",".join(choices)), key
    use = book.block("Start", "use")
    assert all(rules[(use.r0 + k, use.c0)] == ("list", "TRUE,FALSE") for k in range(use.shape[0]))
    for key in ("folds", "gap", "lags"):
        ref = book.block("Start", key)
        assert rules[(ref.r0, ref.c0)][0] == "whole"


def test_spills_do_not_overlap_and_growing_blocks_have_room(books):
    """Two results never share a cell; the blocks that grow with the data have nothing below or beside them."""
    _, book = books["classic"]
    areas = [(a.sheet.name, a) for _, a, _ in book.formulas]
    for sheet, r, c, values in book.plain:
        areas.append((sheet, book.sheets[sheet].ref(r, c, r + len(values) - 1, c + max(map(len, values)) - 1)))
    cells = {}
    for sheet, a in areas:
        for r in range(a.r0, a.r1 + 1):
            for c in range(a.c0, a.c1 + 1):
                assert (sheet, r, c) not in cells, f"{sheet}!{xl(r, c)} in two results"
                cells[(sheet, r, c)] = a
    for sheet, block in (("Factors", "factors"), ("Market model", "excess"), ("Risk", "model_loadings")):
        a = book.block(sheet, block)
        below = [k for k in book.sheets[sheet].values if k[0] > a.r1 and k[1] >= a.c0]
        assert not below, f"{sheet}!{block} cannot grow: {below[:3]}"


def xl(r, c):
    from xlsxwriter.utility import xl_rowcol_to_cell

    return xl_rowcol_to_cell(r, c)


def test_chart_series_point_at_blocks(books):
    path, book = books["preview"]
    wb = openpyxl.load_workbook(path)
    by_title = {
        title.split(":")[0] if title.startswith(("Growth", "Rolling")) else title: series
        for _, title, series in book.charts
    }  # these two say on the chart what the data show
    factors = ["Mkt-RF", "SMB", "HML", "Mom", "LowVol"]
    assert set(by_title) == {
        "CAPM expected excess return vs historical mean (% a year)",
        "Cross-validated error (summed over assets)",
        "Weights and risk shares by asset",
        "Portfolio variance share by factor and specific risk (%)",
        *[f"{n}: OLS, ridge, lasso" for n in factors],
        "Growth of 1 by model (cumulative excess return)",
        "Predicted vs realised volatility, out of sample (a year)",
        "Rolling market beta (window on Start)",
        "Exposures to the macro factors (betas per unit of factor)",
        "R2 per asset: k latent factors vs the named factors",
        "Scree: share of variance by principal component, k in use marked",
    }
    betas = book.block("Macro", "betas")
    assert [s["values"] for s in by_title["Exposures to the macro factors (betas per unit of factor)"]] == [
        betas.row(i).address() for i in range(3)
    ]
    cum, summary = book.block("Backtest", "bt_cumulative"), book.block("Backtest", "bt_summary")
    lines = by_title["Growth of 1 by model (cumulative excess return)"]
    assert [s["name"] for s in lines] == ["ols", "ridge", "lasso", "lasso_market_free"]
    assert [s["values"] for s in lines] == [cum.sheet.ref(cum.r0, j, cum.r1, j).address() for j in range(1, 5)]
    bars = by_title["Predicted vs realised volatility, out of sample (a year)"]
    labels = [summary.sheet.get(r, 0) for r in range(summary.r0, summary.r1 + 1)]
    assert [labels[summary.sheet.ref(0, 0).r0 + int(s["values"].split("$")[-1]) - 1 - summary.r0] for s in bars] == [
        "Predicted volatility (annualised, RMS)",
        "Realised volatility (annualised)",
    ]
    curve = book.block("Lambda", "curve")
    cv = by_title["Cross-validated error (summed over assets)"]
    assert cv[0]["categories"] == curve.sheet.ref(curve.r0, 0, curve.r1, 0).address()
    assert cv[3]["data_labels"]["custom"] == [{"value": "min"}, {"value": "1se"}]
    for i, name in enumerate(factors):  # OLS, ridge, lasso rows of the same factor
        series = by_title[f"{name}: OLS, ridge, lasso"]
        assert [s["values"] for s in series] == [
            book.block("Loadings", "ols").row(i + 1).address(),
            book.block("Loadings", "ridge").row(i).address(),
            book.block("Loadings", "lasso").row(i).address(),
        ]
    assert by_title["Weights and risk shares by asset"][0]["values"] == book.block("Risk", "weights").address()
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
                    assert all(v is not None for v in vals), f"{title}: {s[key]} has empty categories"


def test_all_thirty_portfolios_on_request(tmp_path):
    from xlfactor.workbook.dataset import french

    book = Template(data=french("all")).build(tmp_path / "all.xlsx", "preview")
    weights = book.block("Risk", "weights").values()[0]
    assert book.block("Market model", "capm").shape == (8, 30) and len(weights) == 30
    assert sum(weights) == pytest.approx(1.0) and min(weights) > 0


def test_number_formats_read_as_a_report(books):
    """Integers for counts, enough digits for small alphas and p-values, percentages for shares; E-notation
    for lambdas only (they span orders of magnitude)."""
    from xlfactor.workbook.template.sheets.lambda_ import LAMBDA_FORMAT

    path, book = books["classic"]
    wb = openpyxl.load_workbook(path)  # once: a load of the shipped book takes seconds
    ws = wb["Market model"]
    capm = book.block("Market model", "capm")
    fmt = lambda i: ws.cell(capm.r0 + 1 + i, capm.c0 + 1).number_format  # noqa: E731
    assert fmt(0) == "0.000%" and fmt(4).endswith("%") and fmt(6) == "0"  # alpha, R2, observations
    grs = book.block("Market model", "grs")
    assert "<0.0001" in ws.cell(grs.r0 + 1, grs.c0 + 2).number_format
    for sheet in ("Factors", "Market model", "Lambda", "Loadings", "Risk"):
        for row in wb[sheet].iter_rows():
            for cell in row:
                assert "E+" not in cell.number_format or cell.number_format == LAMBDA_FORMAT, (
                    f"{sheet}!{cell.coordinate}: {cell.number_format}"
                )


def test_live_anchors_do_not_depend_on_the_data_size(tmp_path):
    """Every formula of a live file sits at the same cell, with the same text, whatever the data's size (within one
    room): a user who pastes more rows, assets or factors into Data gets the workbook a build on them would give."""
    from tests.workbook import synthetic
    from xlfactor.workbook import dataset
    from xlfactor.workbook.template import Capacity

    room = Capacity(periods=500, assets=30, factors=8)
    texts = []
    for t, n, k in ((240, 8, 3), (420, 26, 7)):
        months, rf, f, r, _, fnames, anames = synthetic.make(t=t, n=n, k=k, seed=5)
        data = dataset.Dataset(months, rf, f, tuple(fnames), r, tuple(anames), "synthetic")
        path = tmp_path / f"live_{t}.xlsx"
        Template(data=data, capacity=room).build(path, "officejs")
        texts.append({(ws.title, cell.coordinate): text for _, ws, cell, text in _formulas(path)})
    small, large = texts
    moved = sorted(set(small) ^ set(large))
    assert not moved, f"formulas at cells that depend on the data's size: {moved[:5]}"
    changed = [key for key in small if small[key] != large[key]]
    assert not changed, f"formula texts that depend on the data's size: {changed[:3]}, e.g. {small[changed[0]]!r}"


@pytest.mark.parametrize("flavor", ["classic", "officejs"])
def test_live_files_keep_the_room_but_do_not_print_it(books, flavor):
    """The room kept for 20 factors is grouped and hidden (the + shows it), never a cell with something in it; the
    header says where the room is; the Start sheet's error messages (filled at run time) are never hidden."""
    path, book = books[flavor]
    wb = openpyxl.load_workbook(path)
    k = len(book.block("Factors", "corr").values())
    corr_room = book.block("Factors", "corr_room")
    ws = wb["Factors"]
    for r in range(corr_room.r0 + k + 1, corr_room.r1 + 1):  # the room's first row stays, a gap
        dim = ws.row_dimensions[r + 1]
        assert dim.hidden and dim.outlineLevel == 1, f"Factors row {r + 1}: room printed"
    first, last = corr_room.r0 + k + 2, corr_room.r1 + 2  # 1-based, the layout's gap after the room included
    assert f"rows {first}-{last}" in ws.oddHeader.left.text
    data = wb["Data"]
    assert any(d.hidden and d.outlineLevel == 1 for d in data.column_dimensions.values())
    for name, sheet in book.sheets.items():
        ws = wb[name]
        hidden_rows = {r - 1 for r, d in ws.row_dimensions.items() if d.hidden}
        written = {r for r0, _, r1, _ in sheet.areas for r in range(r0, r1 + 1)}
        assert not hidden_rows & (written | sheet.shown), f"{name}: rows with content hidden"
    errors = book.block("Start", "error_messages")
    assert not wb["Start"].row_dimensions[errors.r0 + 2].hidden


def test_wrapped_paragraphs_get_the_lines_they_print_on():
    """Start's column widths (67 + 4 x 14): LibreOffice prints the Backtest line (153 characters) on one line and
    wraps the Macro line after "GDP's" (151 characters; + " mimicking" would not fit): the estimate agrees (the old
    0.95 x characters / width gave the first two lines, one of them blank)."""
    from xlfactor.workbook.template.sheet import wrapped_lines

    widths = [67, 14, 14, 14, 14]
    one = (
        "Backtest: the whole procedure walked forward (estimate on the trailing window, allocate, hold), per risk "
        "model: realised vs predicted risk out of sample."
    )
    two = (
        "Macro: the assets' exposures to GDP growth, inflation and unemployment changes (not traded), their premia "
        "(two-pass with Shanken errors, GMM) and GDP's mimicking portfolio, per quarter of the window."
    )
    assert (wrapped_lines(one, widths), wrapped_lines(two, widths)) == (1, 2)
    assert wrapped_lines("mm " * 40, [67]) == 3 and wrapped_lines("ii " * 40, [67]) == 1  # glyph widths, not counts
