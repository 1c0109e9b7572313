"""The JSON body of a custom-functions call, decoded once, its ranges of numbers straight to float arrays.

A 2,520 x 500 CV_LAMBDA call is a 12.7 MB body of 1.26 million numbers. Decoded by orjson, each number
becomes a Python float (0.13 s), which ``coerce`` then checks one by one and copies into an array
(0.08 s more): together more than the cross-validation itself takes. With simdjson (pysimdjson, when
installed: the ``server`` extra installs it) the body is parsed without making a Python object per cell,
and a range whose cells are all numbers is copied into a float array in one step (``as_buffer``); a row
holding blanks (JSON null) is read as Python values and converted by numpy, blank -> NaN. Anything else
in a range (text, logical values, error or data-type cells, nested lists) leaves the whole range as the
Python lists orjson would have made, for ``coerce`` to interpret cell by cell, with its messages.

So ``call`` returns what ``json.loads`` returns, except that an argument of two or more rows of equal
length, each cell a JSON number or null, is a 2-D float64 array (blanks NaN) instead of a list of rows;
``coerce`` reads both alike. (A range of one row stays a list: xlwings passes its row, or its one cell's
value, to the function.) When simdjson is missing or refuses the body (not JSON, not UTF-8, too deep, an integer beyond 64
bits, ...), orjson and then the standard library's json decode it and give the verdict.

This module does not import xlwings.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import numpy as np

try:  # a well-kept JSON parser that reads arrays of numbers into buffers without Python objects (about 4x orjson)
    import simdjson
except ImportError:  # pragma: no cover - orjson (or json) then, with Python objects per cell
    simdjson = None  # type: ignore[assignment]

try:  # the fastest JSON parser to Python objects: about 3x json
    import orjson
except ImportError:  # pragma: no cover - the stdlib's json then
    orjson = None  # type: ignore[assignment]

KEEP_PARSER_BYTES = 32 * 2**20  # a parser keeps buffers sized for the largest body it read: not beyond this
COUNT_BLOCK = 2**18  # bytes compared at a time in _brackets (the comparison's result stays in the CPU's cache)
_NUMBER_OR_BLANK = {float, int, type(None)}  # JSON numbers and null, as simdjson gives them in Python
_local = threading.local()  # one parser per thread: a simdjson parser serves one document at a time


class _Declined(Exception):
    """The fast path does not take this body: decode it the ordinary way."""


def plain(body: bytes) -> Any:
    """The JSON value of ``body`` (orjson, or json), or the one-line reason it is not JSON (a str in a tuple)."""
    if orjson is not None:
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass  # orjson refuses what json may accept (integers beyond 64 bits): ask json for its verdict
    try:
        return json.loads(body)
    except UnicodeDecodeError:
        return ("the request body is not UTF-8 text; Excel's xlwings client sends JSON.",)
    except RecursionError:
        return ("the request body nests too deeply to be a call; Excel's xlwings client sends a list of ranges.",)
    except ValueError as exc:
        return (f"the request body is not JSON ({getattr(exc, 'msg', exc)}); Excel's xlwings client sends JSON.",)


def call(body: bytes, fast: bool = True) -> Any:
    """The decoded body: ``json.loads``'s value, ranges of numbers as float arrays (module docstring); or the
    one-line reason it is not JSON (a str in a tuple). ``fast=False`` decodes it the ordinary way."""
    # a \u escape could hide a '[' from the count in _fast (checked for '\' first: a 1-byte search is a memchr)
    if not fast or simdjson is None or (b"\\" in body and b"\\u" in body):
        return plain(body)
    parser = getattr(_local, "parser", None) or simdjson.Parser()
    _local.parser = None  # taken; put back only after a clean decode (a failed one may leave it in use)
    try:
        data = _fast(parser, body)
    except Exception:  # _Declined, or simdjson refuses the body (its own errors): orjson and json give the verdict
        return plain(body)
    if len(body) <= KEEP_PARSER_BYTES:
        _local.parser = parser
    return data


def _fast(parser, body: bytes) -> Any:
    doc = parser.parse(body)
    if not isinstance(doc, simdjson.Object):
        raise _Declined
    keys = list(doc.keys())  # (items() would convert every value to Python objects)
    if len(set(keys)) != len(keys):
        raise _Declined  # a repeated key: json keeps the last one, simdjson's lookup finds the first
    data: dict[str, Any] = {}
    for key in keys:
        value = doc[key]
        if key == "args" and isinstance(value, simdjson.Array):
            data[key] = [_range(arg) for arg in value]
        else:
            data[key] = _python(value)
    if _brackets(body) != _arrays_in(data):
        raise _Declined  # a list nested inside a range (as_buffer flattens it): interpreted cell by cell
    return data


def _brackets(body: bytes) -> int:
    """How many '[' the body holds: ``body.count(b"[")``, with numpy's vectorised comparison (1.5 ms for the
    12.7 MB body of a 2,520 x 500 call; bytes.count 5 ms)."""
    view = np.frombuffer(body, dtype=np.uint8)
    return sum(int(np.count_nonzero(view[i : i + COUNT_BLOCK] == 0x5B)) for i in range(0, view.size, COUNT_BLOCK))


def _python(value) -> Any:
    """A simdjson value as the Python value json.loads gives."""
    if isinstance(value, simdjson.Array):
        return value.as_list()
    if isinstance(value, simdjson.Object):
        return value.as_dict()
    return value


def _range(arg) -> Any:
    """One argument: a float array when it is a block of two or more rows, each cell a number or blank; else as
    json."""
    if not isinstance(arg, simdjson.Array):
        return _python(arg)
    rows = [r for r in arg if isinstance(r, simdjson.Array)]
    if not rows or len(rows) != len(arg):  # not a list of rows
        return arg.as_list()
    width = len(rows[0])
    if len(rows) < 2 or any(len(r) != width for r in rows):
        return arg.as_list()  # one row (xlwings passes the row itself, a cell its value) or not a block: as json
    parts: list = []  # row by row (faster than the whole block at once, and a blank stops only its row)
    for r in rows:
        try:
            parts.append(r.as_buffer(of_type="d"))
            continue
        except (TypeError, ValueError):  # not numbers only: a blank, text, a logical value, an object, ...
            cells = r.as_list()
        if not set(map(type, cells)) <= _NUMBER_OR_BLANK:
            return arg.as_list()  # text, logical values, error or data-type cells: coerce reads them one by one
        parts.append(np.array(cells, dtype=float))  # None -> NaN
    flat = np.frombuffer(bytearray().join(parts), dtype=float)  # a bytearray: the array is writable
    if flat.size != len(rows) * width:
        return arg.as_list()  # lists nested in a row (as_buffer flattens them): coerce refuses those cells
    return flat.reshape(len(rows), width)


def _arrays_in(data) -> int:
    """How many '[' the JSON text of ``data`` holds: one per list (a float array: one, and one per row) and
    those inside strings. Equal to the body's count only if no list hides inside a range that became an
    array; sound because the body holds no \\u escape (a string's '[' is then a '[' in the body too)."""
    if isinstance(data, np.ndarray):
        return 1 + data.shape[0]
    if isinstance(data, list):
        return 1 + sum(_arrays_in(x) for x in data)
    if isinstance(data, dict):
        return sum(_arrays_in(k) + _arrays_in(v) for k, v in data.items())
    if isinstance(data, str):
        return data.count("[")
    return 0
