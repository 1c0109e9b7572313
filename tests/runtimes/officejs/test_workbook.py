"""The Office.js template (stored _xldudf_ names) evaluated with `formulas` through xlwings' Office.js path.

The engine's evaluation costs by cells, so each runtime evaluates the shipped workbook and one of the two of
another shape: this one the pasted workbook (324 x 22 x 6, grown from 300 x 20 x 5), the classic suite the
360 x 45 x 7 data set from CSV files (the flavours differ in the functions' stored names only).
"""

from tests.workbook import roundtrip


def test_officejs_template_evaluates_to_the_core(tmp_path):
    roundtrip.shipped("officejs", roundtrip.build_shipped("officejs", tmp_path))


def test_officejs_template_follows_pasted_rows_assets_and_factors(tmp_path):
    roundtrip.pasted("officejs", tmp_path)
