"""Printed pages: a legible scale that fills the page width, page breaks at block boundaries, no empty bands.

Every sheet prints on A4 landscape at a scale chosen from its width: the scale that fills the page width,
kept between ``SCALE`` (75%: Calibri 11 prints at 8.25 pt; wider sheets continue on pages to the right, the
labels in column A repeated). Long sheets break into pages before a block (a table, a chart) rather than
inside one. The preview (values only, to read and print) hides the room kept for growth (runs of empty rows
and columns, one kept as a gap) and prints the first rows of long tables, saying in the footer how many
more the file holds. The live files keep that room (pasted factors and assets spill into it) but do not print
it: runs of ``GROUP`` or more empty rows or columns are grouped and collapsed (Excel's outline: the + in the
margin shows them), and the footer says which rows and columns hold the room. Rows a sheet marks ``shown``
(the Start sheet's error messages, filled at run time) are never hidden.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from xlsxwriter.utility import xl_col_to_name

from .book import Book
from .sheet import GROUP, Sheet

A4 = 9  # XlsxWriter's paper code
PAGE = (842.0, 595.0)  # A4 landscape, points
MARGIN, HEADER = 0.4, 0.2  # inches: page margins, header and footer margins
SCALE = (75, 130)  # print scale bounds, %: at 75% Calibri 11 prints at 8.25 pt
ROW = 15.0  # default row height, points
DEFAULT_WIDTH = 8.43  # Excel's default column width, characters

FILL = 0.95  # share of a page planned full (rows LibreOffice makes taller for their fonts: titles)


@dataclass(frozen=True)
class Plan:
    """How one sheet prints."""

    scale: int
    last_row: int
    last_col: int
    breaks: tuple[int, ...]  # rows that start a page
    hidden_rows: tuple[int, ...]
    hidden_cols: tuple[int, ...]
    wide: bool  # more than one page wide
    cut_cols: int  # columns the preview leaves out (it prints one page wide)


def column_points(width: float) -> float:
    """A column's printed width in points at 100%, as LibreOffice prints it: 7 points a character + 5.

    Excel prints 7 pixels a character + 5 (0.75 points a pixel); LibreOffice prints columns a third wider
    (measured: a column 11 wide is 82 points at 100%, from pdftotext's word boxes), so a page planned for
    LibreOffice also fits Excel.
    """
    return float(int(width * 7 + 5) if width >= 1 else int(width * 12 + 0.5))


def _empty_runs(used: set[int], last: int) -> list[int]:
    """Indexes 0..last in runs of two or more unused ones, all but the first of each run (kept as a gap)."""
    hidden, run = [], 0
    for i in range(last + 1):
        run = 0 if i in used else run + 1
        if run >= 2:
            hidden.append(i)
    return hidden


def runs(indexes) -> list[tuple[int, int]]:
    """Consecutive indexes as (first, last) runs."""
    out: list[list[int]] = []
    for i in sorted(indexes):
        if out and out[-1][1] == i - 1:
            out[-1][1] = i
        else:
            out.append([i, i])
    return [(a, b) for a, b in out]


def _room(hidden: list[int]) -> list[int]:
    """The indexes of runs of at least ``GROUP``: the room a live file groups (shorter runs are gaps it prints)."""
    return [i for a, b in runs(hidden) if b - a + 1 >= GROUP for i in range(a, b + 1)]


def chart_columns(sheet: Sheet) -> int:
    """The last column a chart reaches (sized in pixels; anchored to cells, it spans the columns it spans in Excel)."""
    last = 0
    for _, col, width, _ in sheet.charts:
        c, points = col, 0.0
        while points < width:  # column_points: Excel's pixels
            points += column_points(sheet.widths.get(c, DEFAULT_WIDTH))
            c += 1
        last = max(last, c - 1)
    return last


def plan(sheet: Sheet, preview: bool) -> Plan:
    """The page setup of ``sheet``: scale, print area, page breaks, hidden room."""
    last_row, last_col = sheet.extent[0], max(sheet.extent[1], chart_columns(sheet))
    cut_table = preview and sheet.preview_rows is not None and sheet.preview_rows < last_row
    if preview and sheet.preview_rows:
        last_row = min(last_row, sheet.preview_rows)
    rows_used = {r for r0, _, r1, _ in sheet.areas for r in range(r0, r1 + 1)}
    cols_used = {c for _, c0, _, c1 in sheet.areas for c in range(c0, min(c1, last_col) + 1)}
    hidden_rows = _empty_runs(rows_used | (set() if preview else sheet.shown), last_row)
    hidden_cols = _empty_runs(cols_used, last_col)
    if not preview:  # live files: only the room, grouped
        hidden_rows, hidden_cols = _room(hidden_rows), _room(hidden_cols)
    printable_w = PAGE[0] - 2 * 72 * MARGIN
    widths = [
        0.0 if c in hidden_cols else column_points(sheet.widths.get(c, DEFAULT_WIDTH)) for c in range(last_col + 1)
    ]
    cut = 0
    if preview:  # one page wide: the columns beyond are left out (the footer says so)
        fits = sum(1 for edge in itertools.accumulate(widths) if edge <= printable_w * 100 / SCALE[0])
        cut, last_col = last_col + 1 - fits, fits - 1
        widths = widths[:fits]
    width = sum(widths)
    scale = int(max(SCALE[0], min(SCALE[1], 100 * printable_w / width)))
    page = FILL * (PAGE[1] - 2 * 72 * (MARGIN + HEADER)) * 100 / scale  # points of rows a page holds
    height = lambda r: 0.0 if r in hidden_rows else sheet.heights.get(r, ROW)  # noqa: E731
    cuts = breaks(sheet, page, last_row, height, rows_used, cut_table)
    if cut_table:  # the preview prints the first rows of a long table: as many as fill its last page
        room = page - sum(height(r) for r in range((cuts or [0])[-1], last_row + 1))
        last_row = min(sheet.extent[0], last_row + max(0, int(room // ROW)))
    return Plan(
        scale,
        last_row,
        last_col,
        tuple(cuts),
        tuple(hidden_rows),
        tuple(hidden_cols),
        width * scale / 100 > printable_w + 1,
        cut,
    )


def breaks(sheet: Sheet, page: float, last_row: int, height, used: set[int], grows: bool = False) -> list[int]:
    """Rows to start pages at: where a group of rows starts after an empty row (so a heading stays with its
    table or chart), as few pages as hold ``page`` points each, and of those the split whose shortest page
    is longest, so that no page is a short remainder (``grows``: the last page will be filled).
    """
    inside = {r for row, _, _, h in sheet.charts for r in range(row + 1, row + -(-h // 20))}
    starts = sorted(
        r
        for r in used | sheet.breakable
        if (r - 1 not in used or r in sheet.breakable) and 0 < r <= last_row and r not in inside
    )
    cum = list(itertools.accumulate((height(r) for r in range(last_row + 1)), initial=0.0))
    edges = [0, *starts, last_row + 1]
    length = lambda i, j: cum[edges[j]] - cum[edges[i]]  # noqa: E731  (points from edge i to edge j)
    # best[p][j]: the longest shortest page of p pages ending at edge j (-1: not possible within ``page``)
    n, best, back = len(edges), [[-1.0] * len(edges)], [[0] * len(edges)]
    best[0][0] = float("inf")
    while best[-1][-1] < 0 and len(best) < n:
        row, arg = [-1.0] * n, [0] * n
        for j in range(1, n):
            for i in range(j - 1, -1, -1):
                if length(i, j) > page and i < j - 1:
                    break
                shortest = min(best[-1][i], page if grows and j == n - 1 else length(i, j))
                if best[-1][i] >= 0 and shortest > row[j]:
                    row[j], arg[j] = shortest, i
        best.append(row)
        back.append(arg)
    out, j = [], n - 1
    for p in range(len(best) - 1, 0, -1):
        j = back[p][j]
        out.append(edges[j])
    return sorted(r for r in out if r > 0)


def setup(book: Book) -> None:
    """Print every sheet of ``book`` as ``plan`` says."""
    preview = book.flavor == "preview"
    for sheet in book.sheets.values():
        sheet.write_headings()
        p = plan(sheet, preview)
        ws = sheet.ws
        ws.set_landscape()
        ws.set_paper(A4)
        ws.set_margins(left=MARGIN, right=MARGIN, top=MARGIN + HEADER, bottom=MARGIN + HEADER)
        ws.set_print_scale(p.scale)
        ws.print_area(0, 0, p.last_row, p.last_col)
        if p.wide:
            ws.repeat_columns(0)
        if p.breaks:
            ws.set_h_pagebreaks(list(p.breaks))
        group = {} if preview else {"level": 1}  # live files: an outline group, collapsed
        for r in p.hidden_rows:
            ws.set_row(r, sheet.heights.get(r), None, {"hidden": True, **group})
        for c in p.hidden_cols:
            ws.set_column(c, c, sheet.widths.get(c, DEFAULT_WIDTH), None, {"hidden": True, **group})
        if not preview:  # the + that shows a group sits on the row (column) after it
            for _, b in runs(p.hidden_rows):
                ws.set_row(b + 1, sheet.heights.get(b + 1), None, {"collapsed": True})
            for _, b in runs(p.hidden_cols):
                ws.set_column(b + 1, b + 1, sheet.widths.get(b + 1, DEFAULT_WIDTH), None, {"collapsed": True})
        note = footnote(sheet, p, preview)
        if note and not preview:  # the room's note above the page: the footer's middle holds the sheet's name
            ws.set_header(f"&L&9{note}", {"margin": HEADER})
        ws.set_footer(
            f"{'&L&9' + note if preview and note else ''}&C&9{sheet.name}&R&9Page &P of &N", {"margin": HEADER}
        )


def footnote(sheet: Sheet, p: Plan, preview: bool) -> str:
    """What the preview leaves out (in its footer), or where a live file keeps its hidden room (in its header)."""
    if preview:
        more = sheet.extent[0] - p.last_row
        left_out = [f"{more} more rows" if more > 0 else "", f"{p.cut_cols} more columns" if p.cut_cols else ""]
        left = " and ".join(x for x in left_out if x)
        return f"Continued in the file: {left} than printed." if left else ""
    where = [
        f"{'rows' if kind == 'r' else 'columns'} " + ", ".join(f"{name(a)}-{name(b)}" for a, b in runs(hidden))
        for kind, hidden, name in (
            ("r", p.hidden_rows, lambda i: str(i + 1)),
            ("c", p.hidden_cols, xl_col_to_name),
        )
        if hidden
    ]
    return (
        f"&L&9Room for more data, not printed: {' and '.join(where)} (the + in the margin shows them)." if where else ""
    )
