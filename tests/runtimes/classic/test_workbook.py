"""The classic template evaluated with `formulas`, its functions dispatched through xlwings' classic call_udf."""

from tests.workbook import roundtrip


def test_classic_template_evaluates_to_the_core(tmp_path):
    counts = roundtrip.run("classic", "classic", tmp_path)
    assert counts["udf_cells"] > 20_000 and counts["plain_formulas"] > 200
