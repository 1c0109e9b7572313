"""The Office.js template (stored _xldudf_ names) evaluated with `formulas` through xlwings' Office.js path."""

from tests.workbook import roundtrip


def test_officejs_template_evaluates_to_the_core(tmp_path):
    counts = roundtrip.shipped("officejs", "officejs", tmp_path)
    assert counts["udf_cells"] > 10_000 and counts["plain_formulas"] > 200


def test_officejs_template_on_data_of_another_shape(tmp_path):
    counts = roundtrip.other_shape("officejs", "officejs", tmp_path)
    assert counts["udf_cells"] > 60_000


def test_officejs_template_follows_pasted_rows_assets_and_factors(tmp_path):
    counts = roundtrip.pasted("officejs", "officejs", tmp_path)
    assert counts["udf_cells"] > 10_000 and counts["plain_formulas"] > 200