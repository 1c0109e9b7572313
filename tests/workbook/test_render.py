"""The preview rendered with LibreOffice reads as a printed report: legible pages, no empty bands, charts shown.

Both the shipped data and a data set of another shape (1,000 business days x 20 assets x 7 factors, synthetic:
daily where the shipped data are monthly, more assets and factors than its 12 and 5; four years of days fill every
sheet, the backtest's one-year windows every quarter a dozen times, as 2,000 days did at twice the build's cost).
Every page's words are measured with ``pdftotext -bbox`` (tests/workbook/legibility.py): no page's median
word height under 8 pt, no page more than half empty, the text spanning most of the page's width. The PNGs
of the last run are kept in previews/shipped/ and previews/other/ (one per page) for a person to look at.
"""

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tests.workbook import legibility, synthetic
from xlfactor.workbook.template import Template

ROOT = Path(__file__).resolve().parents[2]
PREVIEWS = ROOT / "previews"
CHART_SHEETS = {"Market model", "Lambda", "Loadings", "Risk", "Backtest", "Macro"}
SMALLEST = 8.0  # points: the median word height of every page
EMPTIEST = 0.5  # share of a page's bands with no ink


@pytest.fixture(scope="module", params=["shipped", "other"])
def rendered(request, tmp_path_factory):
    found = legibility.tools()
    if not found:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice or poppler-utils missing: .ci/run installs them")
        pytest.skip("LibreOffice (libreoffice-calc-nogui) and poppler-utils are not installed")
    tmp = tmp_path_factory.mktemp(request.param)
    template = Template() if request.param == "shipped" else Template(data=synthetic.daily(t=1000, k=7))
    book = template.build(tmp / "xlfactor_preview.xlsx", "preview")
    pdf = legibility.render(tmp / "xlfactor_preview.xlsx", found[0], tmp)
    pages = legibility.pages(pdf, tmp)
    folder = PREVIEWS / request.param
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(folder / "page")], check=True, timeout=120)
    return book, pages, tmp


def test_every_page_is_legible_and_filled(rendered):
    book, pages, _ = rendered
    report = [
        f"p{p.number} {p.footer!r}: height {p.median_height:.1f} pt, {p.empty:.0%} empty, width {p.text_width:.0%}"
        for p in pages
    ]
    assert all(p.median_height >= SMALLEST for p in pages), report
    # a sheet that only says why it does not apply to these data (Macro on daily data: a title and a note) is exempt
    notes_only = {name for name, sheet in book.sheets.items() if sheet.extent[0] <= 2}
    assert all(p.empty <= EMPTIEST for p in pages if not any(name in p.footer for name in notes_only)), report
    assert all(p.text_width >= 0.6 for p in pages), report  # the page's width filled, not its left 42%
    assert {name for name in book.sheets if any(name in p.footer for p in pages)} == set(book.sheets), report


def test_every_chart_sheet_shows_its_charts(rendered):
    book, pages, tmp = rendered
    images = sorted(tmp.glob("measure-*.ppm"))
    for name in CHART_SHEETS - {name for name, sheet in book.sheets.items() if sheet.extent[0] <= 2}:
        coloured = [
            ((img.max(axis=2) - img.min(axis=2)) > 60).mean()  # chart fills; tables are grey and pale
            for p, img in zip(pages, map(legibility._ppm, images), strict=True)
            if name in p.footer
        ]
        assert max(coloured) > 0.0006, f"sheet {name}: no chart visible ({max(coloured):.4%} coloured pixels)"


def test_measures_tell_legible_from_shrunk_pages(tmp_path):
    """The measure itself: a sheet fitted to one page (the old print setup) reads under 8 pt and half empty."""
    found = legibility.tools()
    if not found:
        pytest.skip("LibreOffice and poppler-utils are not installed")
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(tmp_path / "shrunk.xlsx"))
    ws = wb.add_worksheet("Shrunk")
    for r in range(130):
        for c in range(19):
            ws.write_number(r, c, float(np.round(np.sin(r * c), 3)))
    ws.set_landscape()
    ws.fit_to_pages(1, 1)
    wb.close()
    [page] = legibility.pages(legibility.render(tmp_path / "shrunk.xlsx", found[0], tmp_path), tmp_path)
    assert page.median_height < SMALLEST and page.text_width < 0.6
