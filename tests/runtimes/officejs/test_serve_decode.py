"""`xlfactor serve` decodes ranges of numbers straight to float arrays (excel/decode.py): every answer is the one
the plain JSON decoding gives, byte for byte, whatever the cells hold."""

import datetime as dt
import json
import os

import numpy as np
import pytest
import xlwings as xw
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.excel import cases, fuzz, hostile
from tests.excel.fuzz import OFFICE_ERROR, cell_ranges
from xlfactor.excel import decode, runtimes, udfs

pytestmark = pytest.mark.skipif(decode.simdjson is None, reason="pysimdjson not installed: no fast path to compare")


@pytest.fixture(scope="module", autouse=True)
def _settings():
    mp = pytest.MonkeyPatch()
    for key, value in runtimes.server_settings().items():
        mp.setenv(key, os.environ.get(key, value))
    yield
    mp.undo()


def body(name, wire) -> bytes:
    """A call as Excel's Office.js client sends it, arguments as given (missing ones null)."""
    n_params = len(getattr(udfs, name).__xlfunc__["args"])
    call = {
        "client": "Office.js",
        "func_name": name,
        "args": wire + [None] * (n_params - len(wire)),
        "caller_address": "[Book1]Sheet1!B2",
        "version": xw.__version__,
        "runtime": "1.4",
    }
    return json.dumps(call, default=str).encode()  # a date cell as its text, which is what a text cell sends


def payload(name, args) -> bytes:
    """A call of the test cases' cell form (cases.ERROR for an error cell)."""
    return body(
        name, [None if a is None else [[OFFICE_ERROR if x == cases.ERROR else x for x in r] for r in a] for a in args]
    )


def both(body: bytes):
    from xlfactor.excel import server

    return server.answer(body, fast=True), server.answer(body, fast=False)


def arrays(call: bytes) -> int:
    return sum(isinstance(a, np.ndarray) for a in decode.call(call)["args"])


def test_the_bad_input_battery_answers_alike():
    """Every mutation of every valid call (text, logical values, error cells, blanks, huge numbers, ragged ranges,
    wrong counts ...) and the valid calls themselves: the same status and the same bytes either way."""
    bad = hostile.build()[::3]  # a third of the battery (every kind of mutation, most functions): the whole takes 30 s
    bodies = [payload(c.func, c.args) for c in cases.build_cases()] + [payload(b.func, b.args) for b in bad]
    decoded_as_arrays = 0
    for call in bodies:
        fast, plain = both(call)
        assert fast == plain, (call[:300], fast[:2], plain[:2])
        decoded_as_arrays += arrays(call)
    assert len(bodies) > 400 and decoded_as_arrays > 2 * len(bodies)  # the fast path was taken, mostly


@settings(max_examples=max(fuzz.EXAMPLES // 3, 20), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fuzzed_calls_answer_alike(data):
    name = data.draw(st.sampled_from(sorted(udfs.__all__)))
    n_params = len(getattr(udfs, name).__xlfunc__["args"])
    fast, plain = both(body(name, [data.draw(cell_ranges(com=False)) for _ in range(n_params)]))
    assert fast == plain


R = [[0.01, 0.02], [0.03, -0.01], [0.0, 0.015], [0.02, 0.01], [-0.01, 0.0], [0.04, 0.03], [0.01, 0.02]]
M = [[0.011], [0.02], [0.004], [0.015], [-0.012], [0.03], [0.01]]


@pytest.mark.parametrize(
    ("what", "returns", "market", "rest"),
    [
        ("numbers only", R, M, []),
        ("whole numbers (JSON integers)", [[1, 2], *R[1:]], M, []),
        ("blanks", [[None, 0.02], *R[1:3], [None, None], *R[4:]], M, []),
        ("a blank last row (beyond the data)", [*R, [None, None]], [*M, [None]], []),
        ("a blank last column (beyond the data)", [[*r, None] for r in R], M, []),
        ("a logical value", [[True, 0.02], *R[1:]], M, []),
        ("text", [["0.01", 0.02], *R[1:]], M, []),
        ("an error cell", [[cases.ERROR, 0.02], *R[1:]], M, []),
        ("data-type cells", [[{"type": "Double", "basicValue": 0.01}, 0.02], *R[1:]], M, []),
        ("a date as text", [[dt.date(2020, 1, 31), 0.02], *R[1:]], M, []),
        ("a list in a cell", [[[0.01], 0.02], *R[1:]], M, []),
        ("a list of two in a cell", [[[0.01, 0.0], 0.02], *R[1:]], M, []),
        ("ragged", [R[0], [0.03], *R[2:]], M, []),
        ("a blank range as rf", R, M, [[[None]] * 7]),
        ("a column of rf", R, M, [[[0.001]] * 7]),
        ("a block given to a scalar argument", R, M, [None, [[1.0, 2.0], [3.0, 4.0]]]),
        ("a huge number", [[1e300, 0.02], *R[1:]], M, []),
    ],
)
def test_cells_of_every_kind_answer_alike(what, returns, market, rest):
    """CAPM_BETA on hand-made ranges: each kind of cell goes the same way with and without the fast path."""
    fast, plain = both(payload("capm_beta", [returns, market, *rest]))
    assert fast == plain, what


def test_a_list_hidden_in_a_range_is_read_cell_by_cell():
    """[[0.01], 0.02] flattens to two numbers in a row of two: counted, so the range stays lists and is refused."""
    call = payload("capm_beta", [[[[0.01], 0.02], *R[1:]], M])
    assert arrays(call) == 0
    status, content, _ = both(call)[0]
    assert status == 400 and b"returns row 1, column 1 is list" in content
