"""The Office.js template (stored _xldudf_ names) evaluated with `formulas` through xlwings' Office.js path."""

from tests.workbook import roundtrip


def test_officejs_template_evaluates_to_the_core(tmp_path):
    roundtrip.shipped("officejs", tmp_path)


def test_officejs_template_on_data_of_another_shape(tmp_path):
    roundtrip.other_shape("officejs", tmp_path)


def test_officejs_template_follows_pasted_rows_assets_and_factors(tmp_path):
    roundtrip.pasted("officejs", tmp_path)
