"""The preview's labels, units and charts read without guessing: shares as percentages, one meaning per header in
a row, charts whose titles and axis titles say what and in which unit (no legend repeating a lone series)."""

import re
import zipfile
from collections import Counter

import openpyxl
import pytest

from xlfactor.data.macro import MACRO_FACTORS
from xlfactor.workbook.template import Template
from xlfactor.workbook.template.sheets.macro import TESTS

HEAD_FILL = "FFD9E1F2"  # styles.FORMATS["head"]'s background


@pytest.fixture(scope="module")
def preview(tmp_path_factory):
    path = tmp_path_factory.mktemp("labels") / "preview.xlsx"
    return path, Template().build(path, "preview")


def test_backtest_shares_of_portfolios_are_percentages(preview):
    path, book = preview
    ws = openpyxl.load_workbook(path)["Backtest"]
    summary = book.block("Backtest", "bt_summary")
    rows = {ws.cell(r + 1, 1).value: r + 1 for r in range(summary.r0, summary.r1 + 1)}
    for label in ("Test portfolios outside their kurtosis-adjusted band", "Realised volatility (annualised)"):
        formats = {ws.cell(rows[label], c + 1).number_format for c in range(summary.c0 + 1, summary.c1 + 1)}
        assert formats and all(f.endswith("%") for f in formats), (label, formats)


def test_headers_in_a_row_say_different_things(preview):
    path, _ = preview
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        by_row: dict[int, list] = {}
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.fill.fgColor.rgb == HEAD_FILL:
                    by_row.setdefault(cell.row, []).append(cell.value)
        for r, heads in by_row.items():
            twice = [h for h, k in Counter(heads).items() if k > 1]
            assert not twice, f"{ws.title} row {r}: headers {twice} more than once"
    heads = {c.value for row in wb["Backtest"].iter_rows() for c in row if c.fill.fgColor.rgb == HEAD_FILL}
    assert {"Month (YYYYMM)", "Month (date)", "Rebalance (date)", "Rebalance (month)"} <= heads


def _charts(path) -> dict[str, str]:
    """Each chart's XML by its title."""
    with zipfile.ZipFile(path) as z:
        xml = [z.read(n).decode() for n in z.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n)]
    return {re.search(r"<a:t>([^<]*)</a:t>", x).group(1): x for x in xml}


def test_charts_name_their_units_and_legend_only_several_series(preview):
    path, _ = preview
    charts = _charts(path)
    for title, xml in charts.items():
        series = xml.count("<c:ser>")
        assert ("<c:legend>" in xml) == (series > 1), f"{title}: {series} series, legend {'<c:legend>' in xml}"
    risk = charts["Portfolio variance share by factor and specific risk (%)"]
    axis_titles = re.findall(r"<a:t>([^<]*)</a:t>", risk)[1:]
    assert sorted(axis_titles) == ["share of variance (%)", "source of risk"], axis_titles


def test_macro_names_shankens_factor_and_where_it_is_not_used(preview):
    _, book = preview
    s = book.sheets["Macro"]
    k = len(MACRO_FACTORS)
    gmm = book.block("Macro", "premia_2")
    assert s.get(gmm.r0 + k + 3, len(TESTS)) == "Shanken 1+c"
    texts = [v for v in s.values.values() if isinstance(v, str)]
    assert "1 + c" not in texts
    assert any("the plain and GMM errors do not use it" in t for t in texts)
