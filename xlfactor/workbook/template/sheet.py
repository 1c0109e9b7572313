"""A sheet of the model (cells, formulas and spills with their values) and its layout of named blocks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from xlsxwriter.utility import xl_rowcol_to_cell

from ...errors import XLFactorError
from .model import Call, Expr, Ref, Spill, grid

if TYPE_CHECKING:
    from .book import Book

GROUP = 3  # live files: runs of this many empty rows or columns are room, grouped and hidden; shorter runs are gaps


# The advance width of each printable ASCII character (32-126) in digit widths: DejaVu Sans, the font LibreOffice
# prints Calibri with (Calibri's own ratios are within a few percent); a column's width counts digits.
_WIDTHS = (
    "0.5 0.63 0.72 1.32 1 1.49 1.23 0.43 0.61 0.61 0.79 1.32 0.5 0.57 0.5 0.53 1 1 1 1 1 1 1 1 1 1 0.53 "
    "0.53 1.32 1.32 1.32 0.83 1.57 1.08 1.08 1.1 1.21 0.99 0.9 1.22 1.18 0.46 0.46 1.03 0.88 1.36 1.18 "
    "1.24 0.95 1.24 1.09 1 0.96 1.15 1.08 1.55 1.08 0.96 1.08 0.61 0.53 0.61 1.32 0.79 0.79 0.96 1 0.86 1 "
    "0.97 0.55 1 1 0.44 0.44 0.91 0.44 1.53 1 0.96 1 1 0.65 0.82 0.62 1 0.93 1.29 0.93 0.93 0.83 1 0.53 1 "
    "1.32"
)
GLYPHS = dict(zip(map(chr, range(32, 127)), map(float, _WIDTHS.split()), strict=True))
PADDING = 1.0  # digit widths a wrapped cell loses to its margins (LibreOffice: about 3.5 points a side)


def wrapped_lines(text: str, widths: list[float]) -> int:
    """The lines ``text`` takes wrapped at word boundaries across columns of ``widths`` (characters): each word
    measured glyph by glyph (GLYPHS), the columns' width in digits as printed (7 points a digit, + 5 a column)."""
    room = sum(w + 5 / 7 for w in widths) - PADDING
    lines, line = 1, 0.0
    for word in text.split(" "):
        size = sum(GLYPHS.get(ch, 1.0) for ch in word)
        if line and line + GLYPHS[" "] + size > room:
            lines, line = lines + 1, size
        else:
            line += (GLYPHS[" "] if line else 0.0) + size
    return lines


@dataclass
class Sheet:
    book: Book
    name: str
    ws: Any  # an XlsxWriter Worksheet (XlsxWriter ships no type information)
    values: dict = field(default_factory=dict)
    blocks: dict = field(default_factory=dict)  # name -> Ref: the layout, for references, charts and tests
    spills: list = field(default_factory=list)  # every dynamic-array result (its values are on the Spill)
    extent: list = field(default_factory=lambda: [0, 0])  # last row, column used (for print areas)
    areas: list = field(default_factory=list)  # (r0, c0, r1, c1) of everything written: what a page must show
    widths: dict = field(default_factory=dict)  # column -> width in characters (set_column)
    heights: dict = field(default_factory=dict)  # row -> height in points, where not the default 15
    charts: list = field(default_factory=list)  # (row, col, width px, height px) of each chart
    headings: list = field(default_factory=list)  # (row, col, text), written by write_headings
    breakable: set = field(default_factory=set)  # rows inside a long list a page may also start at
    shown: set = field(default_factory=set)  # empty rows a live file never hides (results that fill at run time)
    preview_rows: int | None = None  # the preview prints at least this many rows (a long table cut: more fill its page)

    def ref(self, r0, c0, r1=None, c1=None) -> Ref:
        return Ref(self, r0, c0, r0 if r1 is None else r1, c0 if c1 is None else c1)

    def get(self, r: int, c: int):
        """The value of a cell: a constant or formula written here, or a cell of a spilled result."""
        if (r, c) in self.values:
            return self.values[(r, c)]
        for s in self.spills:
            if s.r0 <= r <= s.r1 and s.c0 <= c <= s.c1:
                return s.grid[r - s.r0][c - s.c0]
        return None

    def _used(self, r, c, r0=None, c0=None):
        """Cells up to (r, c) are used; from (r0, c0) (default the same cell) they hold something to print."""
        self.extent[0], self.extent[1] = max(self.extent[0], r), max(self.extent[1], c)
        self.areas.append((r if r0 is None else r0, c if c0 is None else c0, r, c))

    def set_column(self, c0: int, c1: int, width: float) -> None:
        """Columns c0..c1 ``width`` characters wide (remembered for the page setup)."""
        self.ws.set_column(c0, c1, width)
        self.widths.update(dict.fromkeys(range(c0, c1 + 1), width))

    def put(self, r, c, value, fmt=None) -> Ref:
        """A constant: text, number or logical value."""
        self.values[(r, c)] = value
        self._used(r, c)
        if value is None or value == "":
            if fmt is not None:
                self.ws.write_blank(r, c, None, fmt)
        elif isinstance(value, (bool, np.bool_)):
            self.ws.write_boolean(r, c, bool(value), fmt)
        elif isinstance(value, (int, float, np.integer, np.floating)):
            if np.isfinite(value):
                self.ws.write_number(r, c, float(value), fmt)
            elif fmt is not None:
                self.ws.write_blank(r, c, None, fmt)
        else:
            self.ws.write_string(r, c, str(value), fmt)
        return self.ref(r, c)

    def paragraph(self, r: int, c0: int, c1: int, text: str, style: str = "text", room: range = range(0)) -> Ref:
        """Text wrapped across columns c0..c1 of row r, the row made tall enough for its lines; ``room``: columns
        between that the preview hides (empty room for growth), not counted in its width nor kept for it."""
        self.values[(r, c0)] = text
        for a, b in ((c0, min(c1, room.start - 1) if room else c1), (room.stop, c1) if room else (1, 0)):
            if a <= b:
                self._used(r, b, r, a)
        # the preview hides the room, a live file groups it when it is a run of GROUP or more (pages.py)
        hide = set(room) if self.book.flavor == "preview" or len(room) >= GROUP else set()
        lines = wrapped_lines(text, [self.widths.get(c, 8.43) for c in range(c0, c1 + 1) if c not in hide])
        self.ws.merge_range(r, c0, r, c1, text, self.book.fmt[f"{style}_wrap"])
        if lines > 1:
            self.ws.set_row(r, 15 * lines)
            self.heights[r] = 15.0 * lines
        return self.ref(r, c0)

    def heading(self, r: int, c: int, text: str) -> Ref:
        """A section heading, underlined across the columns its text takes (written when the widths are known)."""
        self.values[(r, c)] = text
        self.headings.append((r, c, text))
        self._used(r, c)
        return self.ref(r, c)

    def write_headings(self) -> None:
        """Write the headings, each merged over as many columns as its text takes (12 pt bold: 1.3 widths a letter)."""
        for r, c, text in self.headings:
            c1, chars = c, self.widths.get(c, 8.43)
            while chars < 1.3 * len(text):
                c1 += 1
                chars += self.widths.get(c1, 8.43)
            occupied = [k for k in self.values if k[0] == r and c < k[1] <= c1]
            c1 = min([c1, *[k[1] - 1 for k in occupied]])  # up to the next cell written on the row
            self._used(r, c1, r, c)
            if c1 == c:
                self.ws.write_string(r, c, text, self.book.fmt["h2"])
            else:
                self.ws.merge_range(r, c, r, c1, text, self.book.fmt["h2"])

    def text(self, r, c, value, fmt=None) -> Ref:
        return self.put(r, c, value, fmt or self.book.fmt["text"])

    def table(self, r0, c0, array, fmt=None) -> Ref:
        """Numbers (NaN left blank); not kept in ``values``: the data reach formulas as ``Expr`` values."""
        a = np.asarray(array, dtype=float)
        write = self.ws.write_number
        for i, row in enumerate(a.tolist()):
            for j, x in enumerate(row):
                if x == x:
                    write(r0 + i, c0 + j, x, fmt)
        self._used(r0 + a.shape[0] - 1, c0 + a.shape[1] - 1, r0, c0)
        return self.ref(r0, c0, r0 + a.shape[0] - 1, c0 + a.shape[1] - 1)

    def formula(self, r, c, text: str, value, fmt=None) -> Ref:
        """An ordinary one-cell Excel formula (functions every Excel has); ``value`` is its result."""
        self.values[(r, c)] = value
        self._used(r, c)
        self.book.plain.append((self.name, r, c, [[value]]))
        if self.book.flavor == "preview":
            return self.put(r, c, value, fmt)
        self.ws.write_formula(r, c, text, fmt, "" if value is None else value)
        return self.ref(r, c)

    def _spill(self, r, c, text: str, result: list[list], fmt, row_formats=None, col_formats=None) -> Spill:
        """A dynamic-array formula at (r, c) whose result (cached) is ``result``; formats by row or column."""
        rows, cols = len(result), max(len(x) for x in result)

        def cell_fmt(i, j):
            return row_formats[i] if row_formats else col_formats[j] if col_formats else fmt

        clean = [
            [None if (isinstance(x, str) and x == "") or (isinstance(x, float) and x != x) else x for x in row]
            + [None] * (cols - len(row))
            for row in result
        ]
        area = Spill(self, r, c, r + rows - 1, c + cols - 1, grid=clean)
        if self.book.flavor != "preview":  # the formula first: XlsxWriter caches 0 in the whole area
            first = "" if clean[0][0] is None else clean[0][0]
            self.ws.write_dynamic_array_formula(r, c, area.r1, area.c1, f"={text}", cell_fmt(0, 0), first)
        plain = self.book.fmt["plain"]
        for i, row in enumerate(clean):
            for j, x in enumerate(row):
                if self.book.flavor == "preview" or (i, j) != (0, 0):
                    f = cell_fmt(i, j) or plain
                    if type(x) is float:  # the common case, fast
                        self.ws.write_number(r + i, c + j, x, f)
                    else:
                        self.put(r + i, c + j, x, f)
        self.spills.append(area)
        self._used(area.r1, area.c1, area.r0, area.c0)
        return area

    def array(self, r, c, expr: Expr, fmt=None) -> Spill:
        """An Excel formula (TAKE, FILTER, ...) spilling from (r, c)."""
        area = self._spill(r, c, expr.text, grid(expr.result), fmt)
        self.book.plain.append((self.name, r, c, grid(expr.result)))
        return area

    def udf(
        self, r, c, name: str, args: list, fmt=None, block: str | None = None, row_formats=None, col_formats=None
    ) -> Spill:
        """An xlfactor function spilling from (r, c); ``block`` names it for the layout and the tests."""
        call = Call(name, tuple(args))
        try:
            result = self.book.evaluate(call)
        except XLFactorError as exc:
            raise XLFactorError(f"template formula on {self.name}!{xl_rowcol_to_cell(r, c)} fails: {exc}") from None
        area = self._spill(
            r, c, call.text(self.book.flavor), result, fmt or self.book.fmt["plain"], row_formats, col_formats
        )
        self.book.formulas.append((block or name.lower(), area, name))
        if block:
            self.blocks[block] = area
        return area


class Layout:
    """Places named blocks down a sheet: a block is its rows of room (results may be shorter), then a gap."""

    def __init__(self, sheet: Sheet, row: int = 0):
        self.sheet, self.row = sheet, row

    def take(self, name: str, rows: int, cols: int = 1, col: int = 0, gap: int = 1) -> Ref:
        ref = self.sheet.ref(self.row, col, self.row + rows - 1, col + cols - 1)
        self.sheet.blocks[name] = ref
        self.row += rows + gap
        return ref
