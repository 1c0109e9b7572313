"""The book: an XlsxWriter workbook, its sheets of the model, cell formats, charts and the calls' results."""

from __future__ import annotations

from pathlib import Path

import xlsxwriter

from .model import Call, Ref
from .sheet import Sheet
from .styles import STYLES, fixed_point


class Book:
    """One flavour's workbook being written; ``results`` (call text -> value) is shared by the flavours."""

    def __init__(self, path: Path, flavor: str, results: dict | None = None):
        self.flavor = flavor
        self.results = {} if results is None else results
        self.wb = xlsxwriter.Workbook(str(path))
        self.sheets: dict[str, Sheet] = {}
        self.formulas: list = []  # (block, area, function) of every xlfactor formula
        self.plain: list = []  # (sheet, row, col, values) of every Excel-native formula
        self.charts: list = []  # (sheet, title, [series]) for tests
        self._formats: dict = {}
        self.fmt = {name: self.wb.add_format(props) for name, props in STYLES.items()}

    def number(self, values=None, sig: int = 3, percent: bool = False, decimals: int | None = None):
        """A fixed-point format showing ``sig`` significant digits of the block's typical value (no E-notation)."""
        return self.num_format(fixed_point(values, sig, percent, decimals))

    def num_format(self, code: str):
        """The cell format of a number format code, made once per book."""
        if code not in self._formats:
            self._formats[code] = self.wb.add_format({"num_format": code})
        return self._formats[code]

    def evaluate(self, call: Call) -> list[list]:
        return call.values(self.results)

    def sheet(self, name: str) -> Sheet:
        s = Sheet(self, name, self.wb.add_worksheet(name))
        self.sheets[name] = s
        return s

    def block(self, sheet: str, name: str) -> Ref:
        return self.sheets[sheet].blocks[name]

    def chart(
        self,
        sheet: Sheet,
        kind: dict,
        title: str,
        series: list[dict],
        row: int,
        col: int,
        axes: dict,
        size=(620, 340),
        x_offset: int = 0,
    ):
        """A chart with a title, axis titles and (two series or more) the legend below; placed at (row, col), ``x_offset`` pixels right."""
        ch = self.wb.add_chart(kind)
        for s in series:
            ch.add_series(s)
        ch.set_title({"name": title, "name_font": {"size": 13}})
        assert all(axes.get(a, {}).get("name") for a in ("x", "y")), f"chart {title!r}: name both axes"
        for axis, opts in axes.items():  # 11 pt: 8.25 pt printed at the smallest scale (pages.SCALE)
            getattr(ch, f"set_{axis}_axis")(
                {
                    **opts,
                    "num_font": {"size": 11, **opts.get("num_font", {})},
                    "name_font": {"size": 11, **opts.get("name_font", {})},
                }
            )
        ch.set_size({"width": size[0], "height": size[1]})
        # one series: the title and axis titles say what it is; a legend would only repeat them
        ch.set_legend({"none": True} if len(series) == 1 else {"position": "bottom", "font": {"size": 11}})
        sheet.ws.insert_chart(row, col, ch, {"y_offset": 2, "x_offset": x_offset})  # top edge below a page break
        sheet._used(row + -(-size[1] // 20) - 1, col, row, col)  # rows of 20 px; its columns: at the page setup
        sheet.charts.append((row, col, size[0] + x_offset, size[1]))
        self.charts.append((sheet.name, title, series))
