"""The spreadsheet model: ranges, spills, Excel expressions and xlfactor calls, each with its value.

A ``Ref`` is a rectangle of a sheet; a ``Spill`` is a dynamic-array result referred to by its spill
(``ANCHORARRAY``, Excel's ``B5#``); an ``Expr`` is Excel text with the value the spec computes for it; a
``Call`` is an xlfactor function call whose value comes from the Python function it names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from xlsxwriter.utility import xl_rowcol_to_cell

from ...excel import udfs

if TYPE_CHECKING:
    from .sheet import Sheet


@dataclass(frozen=True)
class Ref:
    """A rectangular range (0-based, inclusive) on a sheet of the model."""

    sheet: Sheet
    r0: int
    c0: int
    r1: int
    c1: int

    def a1(self) -> str:
        first = xl_rowcol_to_cell(self.r0, self.c0, row_abs=True, col_abs=True)
        last = xl_rowcol_to_cell(self.r1, self.c1, row_abs=True, col_abs=True)
        corner = first if (self.r0, self.c0) == (self.r1, self.c1) else f"{first}:{last}"
        return f"'{self.sheet.name}'!{corner}"

    def address(self) -> str:
        """The range itself (charts, tests), also for a spill."""
        return Ref.a1(self)

    def values(self) -> list[list]:
        return [[self.sheet.get(r, c) for c in range(self.c0, self.c1 + 1)] for r in range(self.r0, self.r1 + 1)]

    def value(self):
        return self.sheet.get(self.r0, self.c0)

    def cell(self, i: int = 0, j: int = 0) -> Ref:
        return self.sheet.ref(self.r0 + i, self.c0 + j)

    def row(self, i: int) -> Ref:
        return Ref(self.sheet, self.r0 + i, self.c0, self.r0 + i, self.c1)

    @property
    def shape(self) -> tuple[int, int]:
        return self.r1 - self.r0 + 1, self.c1 - self.c0 + 1


@dataclass(frozen=True)
class Spill(Ref):
    """The result of a dynamic-array formula, referred to by its spill (``B5#``), so references follow it."""

    grid: list = field(default=None, compare=False, repr=False)  # type: ignore[arg-type]  # always given: rows of values

    def a1(self) -> str:
        return f"ANCHORARRAY({Ref(self.sheet, self.r0, self.c0, self.r0, self.c0).a1()})"

    def values(self) -> list[list]:
        return self.grid

    def value(self):
        return self.grid[0][0]


@dataclass(frozen=True)
class Expr:
    """An Excel expression (text without '=') and the value the spec computes for it."""

    text: str
    result: list

    def a1(self) -> str:
        return self.text

    def values(self) -> list[list]:
        return self.result


@dataclass(frozen=True)
class Call:
    """A call of an xlfactor function, possibly nested in another's arguments."""

    name: str
    args: tuple

    def text(self, flavor: str) -> str:
        stored = self.name if flavor == "classic" else f"_xldudf_{self.name}"
        return f"{stored}({','.join(literal(a, flavor) for a in self.args)})"

    def values(self, results: dict | None = None) -> list[list]:
        """The result; with ``results`` (call text -> result, one Template's), computed once per call."""
        key = self.text("classic")
        if results is None or key not in results:
            py = getattr(udfs, self.name.lower())
            out = py(
                *[
                    a.values(results) if isinstance(a, Call) else a.values() if isinstance(a, (Ref, Expr)) else a
                    for a in self.args
                ]
            )
            out = [[out]] if isinstance(out, str) or not isinstance(out, list) else out
            if results is None:
                return out
            results[key] = out
        return results[key]


def literal(arg, flavor: str) -> str:
    if isinstance(arg, Call):
        return arg.text(flavor)
    if isinstance(arg, (Ref, Expr)):
        return arg.a1()
    if isinstance(arg, bool):
        return "TRUE" if arg else "FALSE"
    if isinstance(arg, str):
        return f'"{arg}"'
    if arg is None:
        return ""
    return repr(float(arg))


def grid(values) -> list[list]:
    """A value, a row or a 2-D table as a list of rows (numpy arrays as floats, NaN as a blank)."""
    if isinstance(values, np.ndarray):
        a = np.atleast_2d(values)
        return [[None if isinstance(x, float) and np.isnan(x) else x for x in row] for row in a.tolist()]
    if not isinstance(values, (list, tuple)):
        return [[values]]
    return [list(r) if isinstance(r, (list, tuple)) else [r] for r in values]
