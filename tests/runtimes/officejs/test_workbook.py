"""The Office.js template (stored _xldudf_ names) evaluated with `formulas` through xlwings' Office.js path."""

from tests.workbook import roundtrip


def test_officejs_template_evaluates_to_the_core(tmp_path):
    counts = roundtrip.run("officejs", "officejs", tmp_path)
    assert counts["udf_cells"] > 20_000 and counts["plain_formulas"] > 200
