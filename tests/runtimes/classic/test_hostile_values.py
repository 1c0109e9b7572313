"""Issue 23's hostile values through xlwings' classic call_udf (tests/hostile/battery.py): no silent wrong
number, no crash."""

from tests.hostile import battery


def test_hostile_values_give_clear_errors_or_checked_numbers():
    tally = battery.run(verbose=True)
    assert tally["inputs"] > 250
    assert not tally["crash"] and not tally["silent wrong"], (tally["crash"] + tally["silent wrong"])[:10]
