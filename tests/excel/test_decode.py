"""excel/decode.py: a call's body decoded as json decodes it, ranges of numbers as float arrays."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xlfactor.excel import decode

pytestmark = pytest.mark.skipif(decode.simdjson is None, reason="pysimdjson not installed: no fast path")


def as_json(value):
    """A decoded value with its arrays back as the lists of rows they came from (NaN -> None)."""
    if isinstance(value, np.ndarray):
        return [[None if x != x else x for x in r] for r in value.tolist()]
    if isinstance(value, list):
        return [as_json(x) for x in value]
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    return value


def same(a, b) -> bool:
    """Equal as JSON values, numbers compared as floats (an array holds 1 as 1.0)."""
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) | isinstance(b, bool):
        return float(a) == float(b) or (a != a and b != b)  # NaN: json reads the (non-JSON) NaN token
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def call_of(*args) -> bytes:
    return json.dumps({"func_name": "cv_lambda", "args": list(args), "caller_address": "[Book1]Sheet1!B2"}).encode()


def test_a_block_of_numbers_becomes_a_float_array():
    rows = [[0.1, 2, -3e-5], [None, 0.0, 1e300], [4.5, None, None]]
    got = decode.call(call_of(rows, [[1.5]], [[1.0, 2.0]], None, "lasso"))
    block = got["args"][0]
    assert isinstance(block, np.ndarray) and block.dtype == np.float64 and block.flags.writeable
    np.testing.assert_array_equal(block, np.array(rows, dtype=float))  # None -> NaN
    assert got["args"][1:] == [[[1.5]], [[1.0, 2.0]], None, "lasso"]  # one cell, one row: as xlwings expects them
    assert got["caller_address"] == "[Book1]Sheet1!B2"


@pytest.mark.parametrize(
    "cell",
    [True, False, "0.5", "", "[x]", {"type": "Double", "basicValue": 0.5}, {"type": "Error", "basicValue": "#N/A"}],
)
def test_a_block_with_any_other_cell_stays_lists(cell):
    rows = [[0.1, 0.2], [0.3, cell], [None, 0.4]]
    body = call_of(rows, [[1.0], [2.0]])
    got = decode.call(body)
    assert got["args"][0] == rows and type(got["args"][0][1][1]) is type(cell)  # for coerce to read cell by cell
    assert isinstance(got["args"][1], np.ndarray)


@pytest.mark.parametrize("nested", [[0.2], [0.2, 0.3], [], [[0.2]]])
def test_a_list_inside_a_range_leaves_that_range_lists(nested):
    """simdjson's as_buffer flattens nested lists: a range holding one is never an array (coerce refuses it)."""
    rows = [[0.1, nested], [0.3, 0.4]]
    body = call_of(rows, [[1.0], [2.0]])
    got = decode.call(body)
    assert got["args"][0] == rows and same(as_json(got), json.loads(body))
    if len(nested) != 1:  # (a nested list of one is found by the count of '[': the body is then json's)
        assert isinstance(got["args"][1], np.ndarray)  # the other ranges still come as arrays


@pytest.mark.parametrize(
    "body",
    [
        b'{"args": [[[1.0, 2.0], [3.0, 4.0]]], "a\\u005b": 1}',  # an escaped '['
        b'{"args": [[[1.0, [2.0]], [3.0, 4.0]]], "a\\u005b": 1}',  # ... would make up for a nested list in the count
        b'{"args": [[[1.0, 2.0], [3.0, 4.0]]], "args": [[[5.0, 6.0], [7.0, 8.0]]]}',  # json keeps the last
        b'{"func_name": "a", "func_name": "cv_lambda", "args": []}',
        b'{"args": [[[1.0, 2.0], [3.0, 123456789012345678901234567890]]]}',  # beyond 64 bits: json's int
        b'{"args": [[[1.0, 2.0], [3.0, 1e400]]]}',  # json reads infinity
        b'{"args": [[[1.0, 2.0], [3.0, NaN]]]}',  # not JSON, but json reads it
        b"[1, 2]",
        b"3",
    ],
)
def test_what_simdjson_does_not_take_is_decoded_by_json(body):
    got = decode.call(body)
    assert same(as_json(got), json.loads(body))
    assert not any(isinstance(a, np.ndarray) for a in (got.get("args", []) if isinstance(got, dict) else []))


@pytest.mark.parametrize(
    "body",
    [b"{not json", b'{"args": [[["\xff"]]]}', b"[" * 100_000 + b"]" * 100_000, b""],
    ids=["not-json", "not-utf8", "deep", "empty"],
)
def test_what_simdjson_refuses_gets_json_s_verdict(body):
    """The reason the body is not JSON (a str in a tuple), or, for what json reads (100,000 nested lists), its value."""
    got, want = decode.call(body), decode.plain(body)
    assert type(got) is type(want) and (got == want if isinstance(want, tuple) else len(got) == len(want) == 1)


@pytest.mark.parametrize("where", ["first", "last"])
def test_a_nested_list_of_one_far_into_a_large_body_is_found(where):
    """The count of '[' (numpy, block by block) covers the whole body: a one-cell list in the last block of a body
    larger than a block leaves its range lists, as in the first."""
    rng = np.random.default_rng(0)
    rows = rng.normal(0, 0.05, (2000, 40)).round(6).tolist()
    at = 0 if where == "first" else -1
    rows[at][-1] = [rows[at][-1]]
    body = call_of(rows, [[1.0], [2.0]])
    assert len(body) > 2 * decode.COUNT_BLOCK and decode._brackets(body) == body.count(b"[")
    got = decode.call(body)
    assert got["args"][0] == rows and same(as_json(got), json.loads(body))


def test_the_parser_is_used_again_after_a_refused_body():
    good = call_of([[1.0, 2.0], [3.0, 4.0]])
    for body in (b"{not json", good, b'{"args": [[[1, [2]], [3, 4]]]}', good, good):
        decode.call(body)
    assert isinstance(decode.call(good)["args"][0], np.ndarray)


def test_fast_false_is_json():
    body = call_of([[1.0, 2.0], [3.0, 4.0]])
    assert decode.call(body, fast=False) == json.loads(body)


cells = st.one_of(
    st.none(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(-(2**70), 2**70),
    st.booleans(),
    st.text(max_size=4),
    st.just({"type": "Double", "basicValue": 1.5}),
)
json_values = st.recursive(cells, lambda inner: st.lists(inner, max_size=4), max_leaves=20)
blocks = st.integers(1, 4).flatmap(lambda w: st.lists(st.lists(cells, min_size=w, max_size=w), min_size=1, max_size=5))


@settings(max_examples=300, deadline=None)
@given(args=st.lists(st.one_of(blocks, json_values), max_size=4), extra=st.dictionaries(st.text(max_size=3), cells))
def test_any_body_decodes_to_what_json_gives(args, extra):
    body = json.dumps({**extra, "args": args}).encode()
    got = decode.call(body)
    assert same(as_json(got), json.loads(body))
    for arg, raw in zip(got["args"], args, strict=True):
        if isinstance(arg, np.ndarray):  # only blocks of two or more rows of numbers and blanks
            assert len(raw) >= 2 and all(type(x) in (int, float, type(None)) for row in raw for x in row), raw
