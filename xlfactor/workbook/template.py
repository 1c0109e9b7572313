"""The template workbook: the whole factor-model procedure as linked sheets, built from one spec.

Sheets: Start (inputs), Data (the periods, risk-free rate, factors and asset returns: the only pasted
numbers), Factors, Market model, Lambda, Loadings, Risk. Every result is a formula on the sheets before it;
the cached value of every formula is computed here by calling the Python function the formula names, so
the file shows numbers and charts before any recalculation.

Any shape of data: the Data sheet counts its periods, factors and assets (COUNT/COUNTA of the month column
and the header row), every formula reads ``TAKE(<room>, periods, columns)`` of it, so only the cells in use
reach Python, and every later block refers to the results before it by their spill (``ANCHORARRAY``, Excel's
``B5#``), so pasting rows, assets or factors is followed everywhere without editing a formula. The Data
sheet has room for ``Capacity`` periods, assets and factors; the factor tables leave room for
``Capacity.factors`` rows. Each sheet is laid out by a ``Layout`` of named blocks; formulas, charts, notes
and tests refer to blocks by name.

Flavours from the one spec: ``classic`` (plain function names and an ``xlwings.conf`` sheet), ``officejs``
(``_xldudf_NAME``, as Excel stores Office.js custom functions, for xlwings Server and Lite) and ``values``
(values instead of formulas, one page a sheet, for LibreOffice previews).
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from .._files import atomic_paths, refuse_overwrite
from ..core.options import CHOICES as OPTION_CHOICES
from ..core.backtest import STATS
from ..core.options import BACKTEST_MODELS, DEFAULTS, market_first_weights
from ..errors import XLFactorError
from ..excel import udfs
from .dataset import MAX_FACTORS, Dataset, french

FLAVORS = ("classic", "officejs", "values")
FILE_NAMES = {"classic": "xlfactor_classic.xlsx", "officejs": "xlfactor_officejs.xlsx", "values": "xlfactor_preview.xlsx"}
BUILD_DATE = datetime.datetime(2026, 1, 1)
EXCEL_365_CALC_ID = 191029  # calcId that Excel 2019 and 365 write
CHOICES = {**{k: OPTION_CHOICES[k] for k in ("scheme", "rule", "loadings", "cov_method", "risk_method")},
           "method": ("lasso", "ridge")}  # the Start sheet's text inputs (the lambda method charted: lasso or ridge)
FLAGS = ("standardize",)  # TRUE/FALSE inputs
WHOLE_NUMBERS = {"folds": 2, "gap": 0, "lags": 0, "bt_window": 10, "bt_step": 1}  # input: smallest allowed value
CV_ROWS = 100  # the lambda grid's length (CV_CURVE rows)
COLOURS = ["#1F3864", "#5A8AC6", "#A9D08E", "#F4B183", "#C00000", "#7F7F7F", "#FFC000", "#70AD47"]


def count_true(a1: str) -> str:
    """How many cells of a range are TRUE or 1: a typed 1 selects a factor as TRUE does (COUNTIF tells them apart)."""
    return f"(COUNTIF({a1},TRUE)+COUNTIF({a1},1))"


@dataclass(frozen=True)
class Capacity:
    """Room on the Data sheet (periods, assets, factors) and in the factor tables (factors)."""

    periods: int = 20_000
    assets: int = 500
    factors: int = MAX_FACTORS

    @classmethod
    def for_data(cls, data: Dataset) -> "Capacity":
        t, n, k = data.shape()
        return cls(periods=max(cls.periods, 2 * t), assets=max(cls.assets, 2 * n), factors=max(MAX_FACTORS, k))


@dataclass(frozen=True)
class Inputs:
    """The Start sheet's inputs. ``None`` means: from the data (window = all periods from the data's default
    start, every factor, the market unpenalised, budgets 1)."""

    start: int | None = None
    end: int | None = None  # None: the last period; the cell is =MAX(periods), so pasted rows enter the window
    use_factors: tuple[bool, ...] | None = None
    folds: int = DEFAULTS["folds"]
    scheme: str = DEFAULTS["scheme"]
    gap: int = DEFAULTS["gap"]
    rule: str = DEFAULTS["rule"]
    method: str = "lasso"  # penalty whose CV curve is charted: lasso or ridge
    lags: int = DEFAULTS["lags"]
    cov_method: str = DEFAULTS["cov_method"]
    halflife: float = DEFAULTS["halflife"]
    risk_method: str = DEFAULTS["risk_method"]
    loadings: str = DEFAULTS["loadings"]  # which loadings feed the risk model: ols, ridge or lasso
    standardize: bool = DEFAULTS["standardize"]
    penalty_weights: tuple[float, ...] | None = None  # per factor of the data; default market 0, others 1
    target_vol: float | None = None  # risk method targetvol: volatility per period; default 10% a year
    factor_budgets: tuple[float, ...] | None = None
    asset_budgets: tuple[float, ...] | None = None
    bt_window: int | None = None  # backtest: estimation window; default 60 months (252 days)
    bt_step: int | None = None  # backtest: periods between rebalances; default 12 months (63 days): a quick recalculation

    def resolve(self, data: Dataset) -> "Inputs":
        """Every input given: per-factor and per-asset tuples of the data's length, the window in periods."""
        t, n, k = data.shape()

        def sized(values, default, what, length):
            values = tuple(default if values is None else values)
            if len(values) != length:
                raise XLFactorError(f"{what} has {len(values)} values but the data has {length}; give one per "
                                    f"{'factor' if length == k else 'asset'}.")
            return values

        return replace(
            self,
            start=int(data.default_start or data.periods[0]) if self.start is None else int(self.start),
            end=int(data.periods[-1]) if self.end is None else int(self.end),
            use_factors=tuple(bool(u) for u in sized(self.use_factors, (True,) * k, "use_factors", k)),
            penalty_weights=tuple(float(w) for w in sized(self.penalty_weights, market_first_weights(k),
                                                          "penalty_weights", k)),
            factor_budgets=tuple(float(b) for b in sized(self.factor_budgets, (1.0,) * k, "factor_budgets", k)),
            asset_budgets=tuple(float(b) for b in sized(self.asset_budgets, (1.0,) * n, "asset_budgets", n)),
            target_vol=round(0.10 / data.periods_per_year ** 0.5, 6) if self.target_vol is None else self.target_vol,
            bt_window=(60 if data.frequency == "monthly" else 252) if self.bt_window is None else int(self.bt_window),
            bt_step=(12 if data.frequency == "monthly" else 63) if self.bt_step is None else int(self.bt_step),
        )

    def selected(self, values) -> list:
        return [v for v, u in zip(values, self.use_factors) if u]


# --- a small model of the workbook: cells with values, formulas with cached values -----------------------------


@dataclass(frozen=True)
class Ref:
    """A rectangular range (0-based, inclusive) on a sheet of the model."""

    sheet: "Sheet"
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

    def cell(self, i: int = 0, j: int = 0) -> "Ref":
        return self.sheet.ref(self.r0 + i, self.c0 + j)

    def row(self, i: int) -> "Ref":
        return Ref(self.sheet, self.r0 + i, self.c0, self.r0 + i, self.c1)

    @property
    def shape(self) -> tuple[int, int]:
        return self.r1 - self.r0 + 1, self.c1 - self.c0 + 1


@dataclass(frozen=True)
class Spill(Ref):
    """The result of a dynamic-array formula, referred to by its spill (``B5#``), so references follow it."""

    grid: list = field(default=None, compare=False, repr=False)  # the result, rows of values

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
        return f"{stored}({','.join(_literal(a, flavor) for a in self.args)})"

    def values(self, results: dict | None = None) -> list[list]:
        """The result; with ``results`` (call text -> result, one Template's), computed once per call."""
        key = self.text("classic")
        if results is None or key not in results:
            py = getattr(udfs, self.name.lower())
            out = py(*[a.values(results) if isinstance(a, Call) else a.values() if isinstance(a, (Ref, Expr)) else a
                       for a in self.args])
            out = [[out]] if isinstance(out, str) or not isinstance(out, list) else out
            if results is None:
                return out
            results[key] = out
        return results[key]


def _literal(arg, flavor: str) -> str:
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


def _grid(values) -> list[list]:
    """A value, a row or a 2-D table as a list of rows (numpy arrays as floats, NaN as a blank)."""
    if isinstance(values, np.ndarray):
        a = np.atleast_2d(values)
        return [[None if isinstance(x, float) and np.isnan(x) else x for x in row] for row in a.tolist()]
    if not isinstance(values, (list, tuple)):
        return [[values]]
    return [list(r) if isinstance(r, (list, tuple)) else [r] for r in values]


@dataclass
class Sheet:
    book: "Book"
    name: str
    ws: object
    values: dict = field(default_factory=dict)
    blocks: dict = field(default_factory=dict)  # name -> Ref: the layout, for references, charts and tests
    spills: list = field(default_factory=list)  # every dynamic-array result (its values are on the Spill)
    extent: list = field(default_factory=lambda: [0, 0])  # last row, column used (for print areas)
    preview_rows: int | None = None  # the values flavour prints this many rows (long tables cut)

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

    def _used(self, r, c):
        self.extent[0], self.extent[1] = max(self.extent[0], r), max(self.extent[1], c)

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
        self._used(r0 + a.shape[0] - 1, c0 + a.shape[1] - 1)
        return self.ref(r0, c0, r0 + a.shape[0] - 1, c0 + a.shape[1] - 1)

    def formula(self, r, c, text: str, value, fmt=None) -> Ref:
        """An ordinary one-cell Excel formula (functions every Excel has); ``value`` is its result."""
        self.values[(r, c)] = value
        self._used(r, c)
        self.book.plain.append((self.name, r, c, [[value]]))
        if self.book.flavor == "values":
            return self.put(r, c, value, fmt)
        self.ws.write_formula(r, c, text, fmt, "" if value is None else value)
        return self.ref(r, c)

    def _spill(self, r, c, text: str, result: list[list], fmt, row_formats=None, col_formats=None) -> Spill:
        """A dynamic-array formula at (r, c) whose result (cached) is ``result``; formats by row or column."""
        rows, cols = len(result), max(len(x) for x in result)
        cell_fmt = lambda i, j: row_formats[i] if row_formats else col_formats[j] if col_formats else fmt  # noqa: E731
        clean = [[None if (isinstance(x, str) and x == "") or (isinstance(x, float) and x != x) else x
                  for x in row] + [None] * (cols - len(row)) for row in result]
        area = Spill(self, r, c, r + rows - 1, c + cols - 1, grid=clean)
        if self.book.flavor != "values":  # the formula first: XlsxWriter caches 0 in the whole area
            first = "" if clean[0][0] is None else clean[0][0]
            self.ws.write_dynamic_array_formula(r, c, area.r1, area.c1, f"={text}", cell_fmt(0, 0), first)
        plain = self.book.fmt["plain"]
        for i, row in enumerate(clean):
            for j, x in enumerate(row):
                if self.book.flavor == "values" or (i, j) != (0, 0):
                    f = cell_fmt(i, j) or plain
                    if type(x) is float:  # the common case, fast
                        self.ws.write_number(r + i, c + j, x, f)
                    else:
                        self.put(r + i, c + j, x, f)
        self.spills.append(area)
        self._used(area.r1, area.c1)
        return area

    def array(self, r, c, expr: Expr, fmt=None) -> Spill:
        """An Excel formula (TAKE, FILTER, ...) spilling from (r, c)."""
        area = self._spill(r, c, expr.text, _grid(expr.result), fmt)
        self.book.plain.append((self.name, r, c, _grid(expr.result)))
        return area

    def udf(self, r, c, name: str, args: list, fmt=None, block: str | None = None, row_formats=None,
            col_formats=None) -> Spill:
        """An xlfactor function spilling from (r, c); ``block`` names it for the layout and the tests."""
        call = Call(name, tuple(args))
        try:
            result = self.book.evaluate(call)
        except XLFactorError as exc:
            raise XLFactorError(f"template formula on {self.name}!{xl_rowcol_to_cell(r, c)} fails: {exc}") from None
        area = self._spill(r, c, call.text(self.book.flavor), result, fmt or self.book.fmt["plain"], row_formats,
                           col_formats)
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


class Book:
    def __init__(self, path: Path, flavor: str, results: dict | None = None):
        self.flavor = flavor
        self.results = {} if results is None else results
        self.wb = xlsxwriter.Workbook(str(path))
        self.sheets: dict[str, Sheet] = {}
        self.formulas: list = []  # (block, area, function) of every xlfactor formula
        self.plain: list = []  # (sheet, row, col, values) of every Excel-native formula
        self.charts: list = []  # (sheet, title, [series]) for tests
        self._formats: dict = {}
        wb = self.wb
        self.fmt = {
            "title": wb.add_format({"bold": True, "font_size": 16, "font_color": "#1F3864"}),
            "h2": wb.add_format({"bold": True, "font_size": 12, "font_color": "#1F3864", "bottom": 1}),
            "head": wb.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1, "align": "center"}),
            "label": wb.add_format({"bold": True}),
            "text": wb.add_format({"text_wrap": False}),
            "note": wb.add_format({"italic": True, "font_color": "#595959"}),
            "input": wb.add_format({"bg_color": "#FFF2CC", "border": 1, "bold": True}),
            # a logical input; the number format makes viewers that store TRUE as 1 (LibreOffice) show TRUE too
            "flag": wb.add_format({"bg_color": "#FFF2CC", "border": 1, "bold": True, "align": "center",
                                   "num_format": '"TRUE";"TRUE";"FALSE"'}),
            "period": wb.add_format({"num_format": "0", "align": "left"}),
            "int": wb.add_format({"num_format": "0"}),
            "pvalue": wb.add_format({"num_format": '[<0.0001]"<0.0001";0.0000'}),
            "tstat": wb.add_format({"num_format": "0.00"}),
            "plain": wb.add_format({}),
            "warn": wb.add_format({"bold": True, "font_color": "#9C0006", "bg_color": "#FFC7CE"}),
            "grey": wb.add_format({"font_color": "#A6A6A6", "bg_color": "#F2F2F2"}),
        }

    def number(self, values=None, sig: int = 3, percent: bool = False, decimals: int | None = None):
        """A fixed-point format showing ``sig`` significant digits of the block's typical value (no E-notation)."""
        if decimals is None:
            a = np.abs(np.asarray([x for x in np.ravel(np.asarray(values, dtype=object))
                                   if isinstance(x, (int, float)) and not isinstance(x, bool) and np.isfinite(x)
                                   and x != 0], dtype=float)) * (100 if percent else 1)
            typical = float(np.median(a)) if a.size else 1.0
            decimals = int(min(8, max(0, sig - 1 - math.floor(math.log10(typical)))))
        code = ("0" + ("." + "0" * decimals if decimals else "")) + ("%" if percent else "")
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

    def chart(self, sheet: Sheet, kind: dict, title: str, series: list[dict], row: int, col: int, axes: dict,
              size=(620, 340)):
        """A chart with a title, axis titles and the legend below; placed at (row, col)."""
        ch = self.wb.add_chart(kind)
        for s in series:
            ch.add_series(s)
        ch.set_title({"name": title, "name_font": {"size": 12}})
        assert all(axes.get(a, {}).get("name") for a in ("x", "y")), f"chart {title!r}: name both axes"
        for axis, opts in axes.items():
            getattr(ch, f"set_{axis}_axis")(opts)
        ch.set_size({"width": size[0], "height": size[1]})
        ch.set_legend({"position": "bottom"})
        sheet.ws.insert_chart(row, col, ch)
        sheet._used(row + size[1] // 20, col + size[0] // 64)
        self.charts.append((sheet.name, title, series))


# --- the spec ------------------------------------------------------------------------------------------------------


@dataclass
class Template:
    """Builds the workbook for one data set and one set of inputs; ``build`` writes one flavour."""

    inputs: Inputs = field(default_factory=Inputs)
    data: Dataset | None = None
    capacity: Capacity | None = None

    def __post_init__(self):
        self._results: dict = {}  # every function's result, shared by the flavours
        self.data = self.data or french()
        self.capacity = self.capacity or Capacity.for_data(self.data)
        t, n, k = self.data.shape()
        cap = self.capacity
        if t > cap.periods or n > cap.assets or k > cap.factors:
            raise XLFactorError(f"the data ({t} periods, {n} assets, {k} factors) exceed the template's room "
                                f"({cap.periods}, {cap.assets}, {cap.factors}).")
        self.inp = self.inputs.resolve(self.data)

    def build(self, path: Path, flavor: str = "classic", progress=None) -> Book:
        """Write one flavour; ``progress(message)`` is called before each sheet and before saving."""
        if flavor not in FLAVORS:
            raise ValueError(f"flavor must be one of {', '.join(FLAVORS)}; got {flavor!r}")
        say = progress or (lambda message: None)
        book = Book(Path(path), flavor, self._results)
        self.book = book
        start = book.sheet("Start")
        say("Data")
        data = self._data(book)
        self._start(start, data)
        say("Factors")
        factors = self._factors(book, data)
        say("Market model")
        market = self._market_model(book, data, factors)
        say("Lambda (cross-validation)")
        lam = self._lambda(book, factors, market)
        say("Loadings")
        loadings = self._loadings(book, data, factors, market, lam)
        say("Risk")
        risk_blocks = self._risk(book, data, factors, market, loadings)
        say("Backtest")
        self._backtest(book, data, factors, market, risk_blocks)
        self._pages(book)
        say("saving")
        if flavor == "classic":
            conf = book.sheet("xlwings.conf")
            conf.put(0, 0, "UDF Modules")
            conf.put(0, 1, "xlfactor.excel.udfs")
            conf.ws.set_column(0, 1, 24)
        # Open with the cached numbers: no full recalculation on load (XlsxWriter's default), and the calculation
        # engine id of Excel 365, so that Excel does not recalculate a file it takes for an older version's.
        book.wb.calc_on_load = False
        book.wb.calc_id = EXCEL_365_CALC_ID
        book.wb.set_properties({"title": "xlfactor template", "subject": self.data.title,
                                "comments": f"flavour {flavor}", "created": BUILD_DATE})  # fixed: rebuilds are identical
        book.wb.close()
        return book

    # references into the Data and Start sheets ------------------------------------------------------------------
    def start_ref(self, key: str) -> Ref:
        return self.book.block("Start", key)

    @staticmethod
    def _take(block: Ref, rows: Ref, cols: Ref | None, values) -> Expr:
        """TAKE(room, rows[, cols]): the used part of a block with room to grow."""
        args = rows.a1() + ("" if cols is None else f",{cols.a1()}")
        return Expr(f"TAKE({block.a1()},{args})", _grid(values))

    # Data ---------------------------------------------------------------------------------------------------------
    def _data(self, book: Book) -> dict:
        s, f, d, cap = book.sheet("Data"), book.fmt, self.data, self.capacity
        t, n, k = d.shape()
        s.text(0, 0, f"Data: {d.title}", f["title"])
        s.text(1, 0, "Paste your own data here: periods (YYYYMM or YYYYMMDD) down column A, the risk-free rate in B, "
                     f"up to {cap.factors} factors from C (the first is the market's excess return), asset total "
                     f"returns from {xl_col_to_name(3 + cap.factors)}, names in row 6. Every sheet follows.", f["note"])
        for i, line in enumerate(d.notes[:2]):
            s.text(3 + i, 0, line, f["note"])
        head, row0 = 5, 6
        last = row0 + cap.periods - 1
        a0 = 3 + cap.factors  # first asset column: one blank column after the factors' room
        cols = {"periods": (0, 0), "rf": (1, 1), "factors": (2, 1 + cap.factors), "assets": (a0, a0 + cap.assets - 1)}
        names = {key: s.ref(head, c0, head, c1) for key, (c0, c1) in cols.items()}
        room = {key: s.ref(row0, c0, last, c1) for key, (c0, c1) in {**cols, "market": (2, 2)}.items()}
        # sizes: what every formula reads of the data
        sizes = {}
        for j, (key, label, text, value) in enumerate([
                ("n_periods", "Periods", f"=COUNT({room['periods'].a1()})", t),
                ("n_factors", "Factors", f"=COUNTA({names['factors'].a1()})", k),
                ("n_assets", "Assets", f"=COUNTA({names['assets'].a1()})", n)]):
            s.text(2, 2 * j, label, f["label"])
            sizes[key] = s.formula(2, 2 * j + 1, text, value, f["int"])
            s.blocks[key] = sizes[key]
        s.text(head - 1, 0, "Period", f["h2"])
        s.text(head - 1, 2, "Factors (excess returns; the first is the market)", f["h2"])
        s.text(head - 1, a0, "Asset returns (total)", f["h2"])
        ret_fmt = book.number(d.returns, sig=2, decimals=4 if d.frequency == "monthly" else 5)
        for j, h in enumerate(["Month" if d.frequency == "monthly" else "Date", "RF"]):
            s.text(head, j, h, f["head"])
        for j, h in enumerate(d.factor_names):
            s.text(head, 2 + j, h, f["head"])
        for j, h in enumerate(d.asset_names):
            s.text(head, a0 + j, h, f["head"])
        s.table(row0, 0, d.periods[:, None], f["period"])
        s.table(row0, 1, d.rf[:, None], ret_fmt)
        s.table(row0, 2, d.factors, ret_fmt)
        s.table(row0, a0, d.returns, ret_fmt)
        s.ws.freeze_panes(row0, 1)
        s.ws.set_column(0, 0, 10)
        s.ws.set_column(1, a0 + n, 9)
        s.ws.repeat_rows(head)
        s.preview_rows = row0 + 30
        np_, nf, na = sizes["n_periods"], sizes["n_factors"], sizes["n_assets"]
        out = {
            "periods": self._take(room["periods"], np_, None, d.periods[:, None].astype(float)),
            "rf": self._take(room["rf"], np_, None, d.rf[:, None]),
            "factors": self._take(room["factors"], np_, nf, d.factors),
            "market": self._take(room["market"], np_, None, d.factors[:, :1]),
            "assets": self._take(room["assets"], np_, na, d.returns),
            "asset_names": Expr(f"TAKE({names['assets'].a1()},1,{na.a1()})", [list(d.asset_names)]),
            "factor_names": names["factors"],
            "market_name": s.ref(head, 2),
            **sizes,
        }
        s.blocks.update({f"room_{key}": ref for key, ref in room.items()})
        return out

    # Start -----------------------------------------------------------------------------------------------------
    def _start(self, s: Sheet, data: dict) -> None:
        f, inp, d, cap = self.book.fmt, self.inp, self.data, self.capacity
        t, n, k = d.shape()
        s.ws.set_column(0, 0, 3)
        s.ws.set_column(1, 1, 50)
        s.ws.set_column(2, 2, 14)
        s.ws.set_column(3, 5, 14)
        s.text(0, 1, "xlfactor: the factor-model procedure", f["title"])
        s.text(1, 1, "Select factors, regress over a history, choose lambda by time-ordered cross-validation, "
                     "compute loadings, allocate risk. Change a yellow input: every later sheet follows.", f["note"])
        lay = Layout(s, 3)
        head = lay.take("inputs_head", 2, gap=0)
        s.text(head.r0, 1, "Inputs", f["h2"])
        s.text(head.r0 + 1, 1, f"Periods as on the Data sheet ({'YYYYMM, e.g. 196307 = July 1963' if d.frequency == 'monthly' else 'YYYYMMDD'}). "
                     "The sample end follows pasted rows until you type a period.", f["note"])
        periods = data["periods"].a1()
        rows = [
            ("start", "Sample start", inp.start), ("end", "Sample end", inp.end),
            ("folds", "Cross-validation folds", inp.folds),
            ("scheme", "CV scheme: blocked, walkforward or kfold", inp.scheme),
            ("gap", f"CV gap: {d.period_word}s purged around each test block", inp.gap),
            ("rule", "Lambda rule: min, 1se or 1se_paired", inp.rule),
            ("lags", "Newey-West lags for t-stats", inp.lags),
            ("method", "Lambda method charted on Lambda: lasso or ridge", inp.method),
            ("cov_method", "Factor covariance: sample, ewma or ledoitwolf", inp.cov_method),
            ("halflife", f"EWMA half-life ({d.period_word}s)", inp.halflife),
            ("risk_method", "Risk allocation (erc, budget, factor, minvar, ...)", inp.risk_method),
            ("loadings", "Risk model loadings: ols, ridge or lasso", inp.loadings),
            ("standardize", "Penalise standardised factors (TRUE/FALSE)", bool(inp.standardize)),
            ("target_vol", f"Target volatility per {d.period_word} (for targetvol)", inp.target_vol),
            ("bt_window", f"Backtest: estimation window ({d.period_word}s)", inp.bt_window),
            ("bt_step", f"Backtest: {d.period_word}s between rebalances", inp.bt_step),
        ]
        for key, label, value in rows:
            ref = lay.take(key, 1, col=2, gap=0)
            r, c = ref.r0, ref.c0
            s.text(r, 1, label)
            fmt = f["flag"] if key in FLAGS else f["input"]
            if key == "end" and self.inputs.end is None:
                s.array(r, c, Expr(f"MAX({periods})", [[value]]), fmt)  # follows pasted rows
            else:
                s.put(r, c, value, fmt)
            if key in FLAGS:
                s.ws.data_validation(r, c, r, c, {"validate": "list", "source": ["TRUE", "FALSE"],
                                                  "error_title": "xlfactor", "error_message": "TRUE or FALSE."})
            elif key in CHOICES:
                s.ws.data_validation(r, c, r, c, {
                    "validate": "list", "source": list(CHOICES[key]), "error_title": "xlfactor",
                    "error_message": f"Choose one of {', '.join(CHOICES[key])}."})
            elif key in WHOLE_NUMBERS:
                s.ws.data_validation(r, c, r, c, {
                    "validate": "integer", "criteria": ">=", "value": WHOLE_NUMBERS[key], "error_title": "xlfactor",
                    "error_message": f"Enter a whole number >= {WHOLE_NUMBERS[key]}."})
        lay.row += 1
        # the factor table: one row per factor of the Data sheet (names linked), room for cap.factors
        head = lay.take("factor_head", 1, gap=0)
        for j, h in enumerate(["Factor (from Data)", "Use", "Order", "Risk budget", "Penalty weight"]):
            s.text(head.r0, 1 + j, h, f["head"])
        table = lay.take("factor_table", cap.factors, 5, col=1)
        r0 = table.r0
        nf = data["n_factors"].a1()
        names_row = data["factor_names"]
        order = 0
        for i in range(cap.factors):
            r = r0 + i
            here = i < k
            s.formula(r, 1, f'=IF({i + 1}<={nf},INDEX({names_row.a1()},{i + 1}),"")', d.factor_names[i] if here else "")
            use = inp.use_factors[i] if here else True
            s.put(r, 2, bool(use), f["flag"])
            order += int(here and use)
            cell = xl_rowcol_to_cell(r, 2)
            first = xl_rowcol_to_cell(r0, 2, row_abs=True, col_abs=True)
            s.formula(r, 3, f'=IF(AND({cell},{i + 1}<={nf}),{count_true(f"{first}:{cell}")},"")',
                      order if here and use else "", f["int"])
            s.put(r, 4, inp.factor_budgets[i] if here else 1.0, f["input"])
            s.put(r, 5, inp.penalty_weights[i] if here else 1.0, f["input"])
        s.ws.data_validation(r0, 2, r0 + cap.factors - 1, 2, {
            "validate": "list", "source": ["TRUE", "FALSE"], "error_title": "xlfactor",
            "error_message": "TRUE to use the factor, FALSE to leave it out."})
        # rows beyond the Data sheet's factors are greyed out until a factor is pasted there
        s.ws.conditional_format(r0, 1, r0 + cap.factors - 1, 5, {
            "type": "formula", "criteria": f"=ROW()-{r0}>{nf}", "format": f["grey"]})
        s.blocks.update({"factor_names": s.ref(r0, 1, r0 + cap.factors - 1, 1),
                         "use": s.ref(r0, 2, r0 + cap.factors - 1, 2),
                         "factor_budgets": s.ref(r0, 4, r0 + cap.factors - 1, 4),
                         "penalty_weights": s.ref(r0, 5, r0 + cap.factors - 1, 5)})
        note = lay.take("factor_note", 1)
        s.text(note.r0, 1, "Risk budgets: allocation 'factor' (shares of systematic risk). Penalty weight 0 = "
                           "unpenalised (the market, by default: see README, Defaults). Grey rows wait for more "
                           "factors on the Data sheet.", f["note"])
        notes = [
            ("How the sheets link", [
                "Data: periods, risk-free rate, factors and asset returns (the only pasted numbers).",
                "Factors: the selected factors over the sample window; correlations, VIF, condition number.",
                "Market model: CAPM alpha, beta, t-stats, R2 per asset; systematic/specific split; CAPM expected returns.",
                "Lambda: the cross-validation error curve and the chosen penalties (lasso and ridge).",
                "Loadings: OLS, ridge and lasso loadings at the chosen lambdas, compared asset by asset.",
                "Risk: factor covariance, specific variances, weights and risk contributions.",
                "Backtest: the whole procedure walked forward (estimate on the trailing window, allocate, hold), "
                "per risk model: realised vs predicted risk out of sample.",
            ]),
            ("Connect the functions", [
                "Classic Excel (Windows): pip install xlfactor; xlwings addin install; keep the xlwings.conf sheet "
                "(UDF Modules = xlfactor.excel.udfs); save as .xlsm; xlwings tab > Import Functions.",
                "xlwings Server: pip install \"xlfactor[server]\"; run xlfactor serve; load its manifest in Excel "
                "(use the officejs flavour of this workbook).",
                "xlwings Lite: run xlfactor lite; paste its main.py (which carries xlfactor) and requirements.txt "
                "(xlwings, numpy, scipy) into the Lite editor's tabs (use the officejs flavour of this workbook).",
                "Penalty scales differ: ridge ||y-a-Xb||^2 + lambda*||b||^2; lasso 1/(2n)*||y-a-Xb||^2 + lambda*|b|_1.",
                "Needs Excel 365 (dynamic arrays, TAKE, FILTER).",
            ]),
        ]
        for head_text, lines in notes:
            block = lay.take(head_text, len(lines) + 1)
            s.text(block.r0, 1, head_text, f["h2"])
            for i, line in enumerate(lines):
                s.text(block.r0 + 1 + i, 1, line)
        err = lay.take("errors", 8)
        s.text(err.r0, 1, "When a result shows #VALUE! or #NUM!", f["h2"])
        s.text(err.r0 + 1, 1, "Classic Excel: the messages of the latest failed functions, newest first (recalculate "
                              "with F9). Server and Lite: hover over the error cell.", f["note"])
        s.udf(err.r0 + 2, 1, "XLFACTOR_ERROR", [], f["note"], block="error_messages")
        # asset risk budgets: one row per asset of the Data sheet, last on the sheet (the list grows down)
        bh = lay.take("budget_head", 2, gap=0)
        s.text(bh.r0, 1, "Asset risk budgets (risk allocation 'budget'; blank = 1)", f["h2"])
        s.text(bh.r0 + 1, 1, "Asset (from Data)", f["head"])
        s.text(bh.r0 + 1, 2, "Risk budget", f["head"])
        r0 = lay.row
        names = s.array(r0, 1, Expr(f"TRANSPOSE({data['asset_names'].a1()})", [[a] for a in d.asset_names]))
        for j in range(n):
            s.put(r0 + j, 2, inp.asset_budgets[j], f["input"])
        s.blocks["asset_names"] = names
        s.blocks["asset_budgets"] = s.ref(r0, 2, r0 + cap.assets - 1, 2)
        s.preview_rows = r0 + min(n, 12)
        s._used(0, 12)  # the notes run over the columns to the right

    # Factors -------------------------------------------------------------------------------------------------------
    def _selected(self, block: str, values, row: bool = False) -> Expr:
        """The entries of a Start factor column for the selected factors (FILTER by Use), as a column or a row."""
        data = self.book.sheets["Data"].blocks["n_factors"]
        text = (f"FILTER(TAKE({self.start_ref(block).a1()},{data.a1()}),"
                f"TAKE({self.start_ref('use').a1()},{data.a1()}))")
        chosen = self.inp.selected(values)
        return Expr(f"TOROW({text})", [chosen]) if row else Expr(text, [[v] for v in chosen])

    def _factors(self, book: Book, data: dict) -> dict:
        s, f, inp, cap, d = book.sheet("Factors"), book.fmt, self.inp, self.capacity, self.data
        use = np.array(inp.use_factors)
        k_sel = int(use.sum())
        s.text(0, 0, "Factors over the sample window: correlation, VIF, condition number", f["title"])
        s.text(1, 0, "The window and the factor selection come from the Start sheet.", f["note"])
        lay = Layout(s, 3)
        corr_head = lay.take("corr_head", 2, gap=0)
        corr_room = lay.take("corr_room", cap.factors, cap.factors + 1)
        diag = lay.take("diagnostics", 4)
        window = lay.take("window_head", 2, 3 + cap.factors, gap=0)
        win_r0 = lay.row  # the window, last on the sheet: it grows down with the periods
        names_row = self._selected("factor_names", d.factor_names, row=True)
        names_col = self._selected("factor_names", d.factor_names)
        window_args = [data["periods"], self.start_ref("start"), self.start_ref("end")]
        use_now = Expr(f"TAKE({self.start_ref('use').a1()},{data['n_factors'].a1()})", [[u] for u in use])
        ret = book.number(decimals=4)
        win = {
            "months": s.udf(win_r0, 0, "SAMPLE_WINDOW", [data["periods"], *window_args], f["period"], block="months"),
            "rf": s.udf(win_r0, 1, "SAMPLE_WINDOW", [data["rf"], *window_args], book.number(decimals=5), block="rf"),
            "market": s.udf(win_r0, 2, "SAMPLE_WINDOW", [data["market"], *window_args], ret, block="market"),
            "factors": s.udf(win_r0, 3, "SAMPLE_WINDOW", [data["factors"], *window_args, use_now], ret,
                             block="factors"),
        }
        s.text(window.r0, 0, "Sample window (every later sheet uses these blocks)", f["h2"])
        for j, h in enumerate(["Month" if d.frequency == "monthly" else "Date", "RF"]):
            s.text(window.r0 + 1, j, h, f["head"])
        s.formula(window.r0 + 1, 2, f"=\"Market: \"&{data['market_name'].a1()}", f"Market: {d.factor_names[0]}",
                  f["head"])
        s.array(window.r0 + 1, 3, names_row, f["head"])
        s.text(corr_head.r0, 0, f"Correlation (room for {cap.factors} factors)", f["h2"])
        s.array(corr_head.r0 + 1, 1, names_row, f["head"])
        s.array(corr_room.r0, 0, names_col, f["label"])
        s.udf(corr_room.r0, 1, "FACTOR_CORR", [win["factors"]], book.number(decimals=3), block="corr")
        s.ws.conditional_format(corr_room.r0, 1, corr_room.r1, corr_room.c1, {
            "type": "3_color_scale", "min_color": "#F8696B", "mid_type": "num", "mid_value": 0, "mid_color": "#FFFFFF",
            "max_color": "#5A8AC6", "min_type": "num", "min_value": -1, "max_type": "num", "max_value": 1})
        s.text(diag.r0, 0, "VIF", f["label"])
        vif = s.udf(diag.r0, 1, "FACTOR_VIF", [win["factors"]], book.number(decimals=2), block="vif")
        s.text(diag.r0 + 1, 0, "Condition number", f["label"])
        cond = s.udf(diag.r0 + 1, 1, "FACTOR_COND", [win["factors"]], book.number(decimals=1), block="cond")
        vif_values = [x for x in vif.values()[0] if isinstance(x, float)]
        high = max(vif_values) > 10 or cond.value() > 30
        warn = ("Warning: high collinearity (VIF above 10 or condition number above 30): loadings are unstable; "
                "consider ridge or dropping a factor.")
        fine = "No harmful collinearity: every VIF <= 10 and condition number <= 30."
        s.formula(diag.r0 + 2, 0, f'=IF(OR(COUNTIF({vif.a1()},">10")>0,{cond.cell().a1()}>30),"{warn}","{fine}")',
                  warn if high else fine, f["warn"] if high else f["note"])
        s.text(diag.r0 + 3, 0, "Penalty weight", f["label"])
        weights = s.array(diag.r0 + 3, 1, self._selected("penalty_weights", inp.penalty_weights, row=True),
                          book.number(decimals=2))
        s.ws.set_column(0, 0, 16)
        s.ws.set_column(1, 3 + k_sel, 11)
        s.ws.set_column(2, 2, 15)
        s.ws.freeze_panes(0, 1)
        s.preview_rows = win_r0 + 15
        return {**win, "names_row": names_row, "names_col": names_col, "weights": weights, "k": k_sel}

    # Market model ------------------------------------------------------------------------------------------------
    def _market_model(self, book: Book, data: dict, factors: dict) -> dict:
        s, f, d = book.sheet("Market model"), book.fmt, self.data
        n = d.shape()[1]
        s.text(0, 0, "Market model: CAPM regressions of each asset's excess return on the market's", f["title"])
        s.text(1, 0, f"Per {d.period_word}; t-stats use Newey-West errors with the lags set on Start. "
                     "Systematic + specific variance = total variance.", f["note"])
        lay = Layout(s, 3)
        head = lay.take("asset_head", 1, n + 1, gap=0)
        capm_rows = lay.take("capm", 8, n + 1)
        r2_rows = lay.take("r2", 5, n + 1)  # a heading, then 4 rows
        er_rows = lay.take("er", 3, n + 1)
        grs = lay.take("grs", 3, 3)
        chart_band = lay.take("chart", 20, n + 1)  # the chart sits between the tables and the window
        window = lay.take("window_head", 2, n + 1, gap=0)
        excess_r0 = lay.row  # the return window, last on the sheet: it grows down with the periods
        s.array(head.r0, 1, data["asset_names"], f["head"])
        names = s.ref(head.r0, 1, head.r0, n)
        window_args = [data["periods"], self.start_ref("start"), self.start_ref("end")]
        excess = s.udf(excess_r0, 1, "EXCESS_RETURNS", [Call("SAMPLE_WINDOW", (data["assets"], *window_args)),
                                                       factors["rf"]], book.number(decimals=4), block="excess")
        s.udf(excess_r0, 0, "SAMPLE_WINDOW", [data["periods"], *window_args], f["period"], block="excess_months")
        s.text(window.r0, 0, "Excess returns over the window (every later sheet uses this block)", f["h2"])
        s.text(window.r0 + 1, 0, "Month" if d.frequency == "monthly" else "Date", f["head"])
        s.array(window.r0 + 1, 1, data["asset_names"], f["head"])
        mkt = factors["market"]
        labels = ["alpha (per period)", "beta", "t(alpha)", "t(beta)", "R2", "residual volatility", "observations",
                  "Blume beta (2/3 b + 1/3)"]
        for i, lab in enumerate(labels):
            s.text(capm_rows.r0 + i, 0, lab, f["label"])
        pct1, pct2, num3 = (book.number(decimals=1, percent=True), book.number(decimals=2, percent=True),
                            book.number(decimals=3))
        s.udf(capm_rows.r0, 1, "CAPM_BETA", [excess, mkt, None, True, self.start_ref("lags")], block="capm",
              row_formats=[book.number(decimals=3, percent=True), num3, f["tstat"], f["tstat"], pct1, pct2, f["int"],
                           num3])
        s.text(r2_rows.r0, 0, "Selected factors: R2 and variance split (per period)", f["h2"])
        for i, lab in enumerate(["R2", "total variance", "systematic variance", "specific variance"]):
            s.text(r2_rows.r0 + 1 + i, 0, lab, f["label"])
        var_fmt = book.number(np.nanvar(d.returns, axis=0), sig=3)
        s.udf(r2_rows.r0 + 1, 1, "FACTOR_R2", [excess, factors["factors"], None, True], block="r2",
              row_formats=[pct1, var_fmt, var_fmt, var_fmt])
        s.text(er_rows.r0, 0, "CAPM expected excess return vs history (per period)", f["h2"])
        s.text(er_rows.r0 + 1, 0, "CAPM E[R-rf] (alpha = 0)", f["label"])
        s.text(er_rows.r0 + 2, 0, "historical mean", f["label"])
        er = s.udf(er_rows.r0 + 1, 1, "CAPM_ER", [excess, mkt], pct2, block="er")
        s.text(grs.r0, 0, "GRS test of alpha = 0", f["h2"])
        s.text(grs.r0 + 1, 0, "F statistic, p-value", f["label"])
        s.udf(grs.r0 + 1, 1, "GRS_TEST", [excess, factors["factors"]], block="grs",
              col_formats=[f["tstat"], f["pvalue"]])
        s.text(grs.r0 + 2, 0, "A p-value below 0.05 says the selected factors leave significant alphas.", f["note"])
        book.chart(s, {"type": "column"}, "CAPM expected excess return vs historical mean (per period)", [
            {"name": "CAPM E[R-rf]", "categories": names.a1(), "values": er.row(0).a1(), "fill": {"color": "#5A8AC6"}},
            {"name": "historical mean", "categories": names.a1(), "values": er.row(1).a1(),
             "fill": {"color": "#F4B183"}},
        ], chart_band.r0, 0, {"y": {"num_format": "0.0%", "name": "excess return per period"},
                      "x": {"name": "asset", "label_position": "low", "num_font": {"rotation": -45}}},
            size=(max(620, 22 * n + 200), 380))
        s.ws.set_column(0, 0, 30)
        s.ws.set_column(1, n, 10)
        s.ws.freeze_panes(0, 1)
        s.preview_rows = excess_r0 + 12
        return {"excess": excess, "names": names}

    # Lambda --------------------------------------------------------------------------------------------------------
    def _lambda(self, book: Book, factors: dict, market: dict) -> dict:
        s, f = book.sheet("Lambda"), book.fmt
        s.text(0, 0, "Lambda: time-ordered cross-validation (one lambda pooled over all assets)", f["title"])
        s.text(1, 0, "Lasso objective 1/(2n)||y-a-Xb||^2 + lambda|b|_1; ridge ||y-a-Xb||^2 + lambda||b||^2 "
                     "(different scales). Folds, scheme, gap and rule come from Start.", f["note"])
        ex, fx = market["excess"], factors["factors"]
        cvopt = [self.start_ref("folds"), self.start_ref("scheme")]
        gap, rule = self.start_ref("gap"), self.start_ref("rule")
        method = self.start_ref("method")
        lay = Layout(s, 3)
        chosen = lay.take("chosen", 4, 6)
        pen = [0.0, self.start_ref("standardize"), factors["weights"]]  # rf (already excess), standardize, weights
        rows = [("lambda_min", "Lambda method on Start, rule min", [method, *cvopt, "min"]),
                ("lambda_1se", "Lambda method on Start, rule 1se", [method, *cvopt, "1se"]),
                ("lasso", "Lasso lambda used (rule on Start)", ["lasso", *cvopt, rule]),
                ("ridge", "Ridge lambda used (rule on Start)", ["ridge", *cvopt, rule])]
        out = {}
        curve_call = Call("CV_CURVE", (ex, fx, method, *cvopt, gap, "", *pen))
        cv_vals = np.array(book.evaluate(curve_call), dtype=float)
        lam_fmt = book.number([cv_vals[:, 0].min()], sig=2)  # enough digits for the smallest lambda of the grid
        for i, (key, label, opts) in enumerate(rows):
            s.text(chosen.r0 + i, 0, label, f["label"])
            out[key] = s.udf(chosen.r0 + i, 2, "CV_LAMBDA", [ex, fx, *opts, gap, True, *pen], lam_fmt, block=key)
        note = lay.take("curve_note", 1)
        s.text(note.r0, 0, "Error curve of the lambda method on Start (lasso or ridge). Error = squared error "
                           "summed over the assets, averaged over the folds; SE = its standard error over folds.",
               f["note"])
        head = lay.take("curve_head", 1, 6, gap=0)
        heads = ["lambda", "summed MSE (mean of folds)", "standard error", "non-zero loadings per asset",
                 "error + 1 SE", "error - 1 SE"]
        for j, h in enumerate(heads):
            s.text(head.r0, j, h, f["head"])
        cur = lay.take("curve", CV_ROWS, 6)
        err_fmt = book.number(cv_vals[:, 1], sig=4)
        s.udf(cur.r0, 0, "CV_CURVE", list(curve_call.args), block="curve",
              col_formats=[lam_fmt, err_fmt, err_fmt, book.number(decimals=2)])
        n_rows = len(cv_vals)
        for i in range(n_rows):
            r = cur.r0 + i
            b, c = xl_rowcol_to_cell(r, 1), xl_rowcol_to_cell(r, 2)
            s.formula(r, 4, f"={b}+{c}", cv_vals[i, 1] + cv_vals[i, 2], err_fmt)
            s.formula(r, 5, f"={b}-{c}", cv_vals[i, 1] - cv_vals[i, 2], err_fmt)
        lam_col, mean_col = s.ref(cur.r0, 0, cur.r0 + n_rows - 1, 0), s.ref(cur.r0, 1, cur.r0 + n_rows - 1, 1)
        s.text(chosen.r0, 4, "error at it", f["label"])
        s.text(chosen.r0 + 1, 4, "error at it", f["label"])
        for i, key in enumerate(("lambda_min", "lambda_1se")):
            k = int(np.flatnonzero(cv_vals[:, 0] == out[key].value())[0])
            s.formula(chosen.r0 + i, 5, f"=INDEX({mean_col.a1()},MATCH({out[key].cell().a1()},{lam_col.a1()},0))",
                      cv_vals[k, 1], err_fmt)
        book.chart(s, {"type": "scatter", "subtype": "straight"}, "Cross-validated error (summed over assets)", [
            {"name": "error", "categories": lam_col.a1(), "values": mean_col.a1(), "line": {"color": "#1F3864"}},
            {"name": "error + 1 SE", "categories": lam_col.a1(), "values": s.ref(cur.r0, 4, cur.r1, 4).a1(),
             "line": {"color": "#8EA9DB", "dash_type": "dash"}},
            {"name": "error - 1 SE", "categories": lam_col.a1(), "values": s.ref(cur.r0, 5, cur.r1, 5).a1(),
             "line": {"color": "#8EA9DB", "dash_type": "dash"}},
            {"name": "chosen: min, 1se", "categories": s.ref(chosen.r0, 2, chosen.r0 + 1, 2).a1(),
             "values": s.ref(chosen.r0, 5, chosen.r0 + 1, 5).a1(), "line": {"none": True},
             "marker": {"type": "diamond", "size": 9, "fill": {"color": "#C00000"}, "border": {"color": "#C00000"}},
             "data_labels": {"custom": [{"value": "min"}, {"value": "1se"}], "position": "above",
                             "font": {"bold": True, "color": "#C00000"}}},
        ], chosen.r0 + 5, 7, {"x": {"log_base": 10, "name": "lambda (log scale)", "num_format": "0.0E+0",
                                    "label_position": "low"},
                              "y": {"name": "summed MSE", "num_format": err_fmt.num_format}},
            size=(760, 440))
        s.ws.set_column(0, 0, 34)
        s.ws.set_column(1, 1, 28)
        s.ws.set_column(2, 2, 15)
        s.ws.set_column(3, 3, 25)
        s.ws.set_column(4, 5, 13)
        s.preview_rows = chosen.r0 + 32
        return {"lasso": out["lasso"], "ridge": out["ridge"]}

    # Loadings ------------------------------------------------------------------------------------------------------
    def _loadings(self, book: Book, data: dict, factors: dict, market: dict, lam: dict) -> dict:
        s, f, cap, d = book.sheet("Loadings"), book.fmt, self.capacity, self.data
        n, k = d.shape()[1], factors["k"]
        ex, fx = market["excess"], factors["factors"]
        s.text(0, 0, "Loadings: OLS, ridge and lasso at the chosen lambdas", f["title"])
        s.text(1, 0, f"Factor rows x asset columns (room for {cap.factors} factors). Colours: red negative, white "
                     "zero, blue positive; lasso zeros are factors the penalty dropped. Charts: the three side by "
                     "side, one chart per factor.", f["note"])
        pen = [0.0, self.start_ref("standardize"), False, factors["weights"]]
        lay = Layout(s, 3)
        blocks = {}
        num = book.number(decimals=3)
        for key, title in (("ols", "OLS (alpha first)"), ("ridge", "Ridge"), ("lasso", "Lasso")):
            head = lay.take(f"{key}_head", 2, n + 1, gap=0)
            s.text(head.r0, 0, title, f["h2"])
            if key != "ols":
                s.text(head.r0, 2, "lambda", f["label"])
                s.formula(head.r0, 3, f"={lam[key].cell().a1()}", lam[key].value(), book.number(decimals=6))
            s.array(head.r0 + 1, 1, data["asset_names"], f["head"])
            room = lay.take(key, cap.factors + (key == "ols"), n + 1)
            if key == "ols":
                s.array(room.r0, 0, Expr(f'VSTACK("alpha",{factors["names_col"].a1()})',
                                         [["alpha"], *factors["names_col"].values()]), f["label"])
                blocks[key] = s.udf(room.r0, 1, "OLS_LOADINGS", [ex, fx], num, block=key,
                                    row_formats=[book.number(decimals=3, percent=True)] + [num] * k)
            else:
                s.array(room.r0, 0, factors["names_col"], f["label"])
                fn = "RIDGE_LOADINGS" if key == "ridge" else "LASSO_LOADINGS"
                blocks[key] = s.udf(room.r0, 1, fn, [ex, fx, lam[key], *pen], num, block=key)
            s.ws.conditional_format(room.r0 + (key == "ols"), 1, room.r1, room.c1, {
                "type": "3_color_scale", "min_color": "#F8696B", "mid_type": "num", "mid_value": 0,
                "mid_color": "#FFFFFF", "max_color": "#5A8AC6"})
        cats = s.ref(blocks["ols"].r0 - 1, 1, blocks["ols"].r0 - 1, n)
        width = max(560, 24 * n + 160)
        names = self.inp.selected(d.factor_names)
        charts = lay.take("charts", 20 * ((k + 1) // 2), n + 1)  # below the blocks, two a row
        s.text(charts.r0 - 1, 0, "OLS vs ridge vs lasso, factor by factor", f["h2"])
        for i in range(k):
            series = [{"name": title, "categories": cats.a1(), "values": blocks[key].row(i + (key == "ols")).a1(),
                       "fill": {"color": colour}, "gap": 80}
                      for key, title, colour in (("ols", "OLS", "#A6A6A6"), ("ridge", "ridge", "#5A8AC6"),
                                                 ("lasso", "lasso", "#C00000"))]
            book.chart(s, {"type": "column"}, f"{names[i]} loadings: OLS vs ridge vs lasso", series,
                       charts.r0 + 20 * (i // 2), (i % 2) * (width // 64 + 2),
                       {"y": {"name": f"loading on {names[i]}", "num_format": "0.00"},
                        "x": {"name": "asset", "label_position": "low", "num_font": {"rotation": -45}}},
                       size=(width, 380))
        s.ws.set_column(0, 0, 14)
        s.ws.set_column(1, n, 9)
        s.ws.freeze_panes(0, 1)
        return blocks

    # Risk ------------------------------------------------------------------------------------------------------------
    def _risk(self, book: Book, data: dict, factors: dict, market: dict, loadings: dict) -> None:
        s, f, inp, cap, d = book.sheet("Risk"), book.fmt, self.inp, self.capacity, self.data
        n = d.shape()[1]
        ex, fx = market["excess"], factors["factors"]
        pct1 = book.number(decimals=1, percent=True)
        s.text(0, 0, "Risk allocation with the penalised factor model", f["title"])
        lay = Layout(s, 3)
        cov_head = lay.take("cov_head", 2, gap=0)
        cov_room = lay.take("cov_room", cap.factors, cap.factors + 1)
        asset_head = lay.take("asset_head", 1, n + 1, gap=0)
        per_asset = lay.take("allocation", 4, n + 1)
        shares = lay.take("factor_share_room", cap.factors + 2, 2)  # heading, factors, specific; charts beside
        model_head = lay.take("model_head", 2, n + 1, gap=0)
        lr0 = lay.row  # the risk model's loadings, last on the sheet: they grow with factors and assets
        s.text(1, 0, f"Asset covariance = B F B' + D: loadings B chosen on Start (rows {lr0 + 1} on), factor "
                     "covariance F (method on Start), specific variances D. Weights are long-only and sum to 1.",
               f["note"])
        # the risk model's loadings
        choice = self.start_ref("loadings").a1()
        ols, ridge, lasso = (loadings[m].a1() for m in ("ols", "ridge", "lasso"))
        chosen = {"ols": loadings["ols"].values()[1:], "ridge": loadings["ridge"].values(),
                  "lasso": loadings["lasso"].values()}[inp.loadings.lower()]
        s.text(model_head.r0, 0, "Risk model loadings: OLS, ridge or lasso as chosen on Start, from the Loadings sheet",
               f["h2"])
        s.array(model_head.r0 + 1, 1, data["asset_names"], f["head"])
        s.array(lr0, 0, factors["names_col"], f["label"])
        model = s.array(lr0, 1, Expr(f'IF({choice}="ols",DROP({ols},1),IF({choice}="ridge",{ridge},{lasso}))', chosen),
                        book.number(decimals=3))
        s.blocks["model_loadings"] = model
        # factor covariance
        s.text(cov_head.r0, 0, f"Factor covariance (per period; room for {cap.factors} factors)", f["h2"])
        s.array(cov_head.r0 + 1, 1, factors["names_row"], f["head"])
        s.array(cov_room.r0, 0, factors["names_col"], f["label"])
        cov_call = Call("FACTOR_COV", (fx, self.start_ref("cov_method"), self.start_ref("halflife")))
        cov = s.udf(cov_room.r0, 1, "FACTOR_COV", list(cov_call.args), book.number(book.evaluate(cov_call), sig=3),
                    block="cov")
        # per asset: specific variance, budgets, weights, risk shares
        s.array(asset_head.r0, 1, data["asset_names"], f["head"])
        names = s.ref(asset_head.r0, 1, asset_head.r0, n)
        r0 = per_asset.r0
        for i, lab in enumerate(["Specific variance", "Budgets in use", "Weights", "Risk share by asset"]):
            s.text(r0 + i, 0, lab, f["label"])
        spec_call = Call("SPECIFIC_VAR", (ex, fx, model))
        spec = s.udf(r0, 1, "SPECIFIC_VAR", list(spec_call.args), book.number(book.evaluate(spec_call), sig=3),
                     block="specific_var")
        risk = self.start_ref("risk_method")
        room = self.book.sheets["Start"].blocks["asset_budgets"].a1()
        n_assets = data["n_assets"].a1()
        asset_budgets = f'TOROW(IF(TAKE({room},{n_assets})="",1,TAKE({room},{n_assets})))'
        factor_budgets = self._selected("factor_budgets", inp.factor_budgets, row=True)
        in_use = factor_budgets.result if inp.risk_method.lower() == "factor" else [list(inp.asset_budgets)]
        budgets = s.array(r0 + 1, 1, Expr(f'IF({risk.a1()}="factor",{factor_budgets.text},{asset_budgets})', in_use),
                          book.number(decimals=2))
        weights = s.udf(r0 + 2, 1, "RISK_ALLOC", [model, cov, spec, risk, budgets, self.start_ref("target_vol")],
                        pct1, block="weights")
        by_asset = s.udf(r0 + 3, 1, "RISK_CONTRIB", [weights, model, cov, spec], pct1, block="risk_by_asset")
        # by factor
        s.text(shares.r0, 0, "Risk share by factor", f["h2"])
        s.array(shares.r0 + 1, 0, Expr(f'VSTACK({factors["names_col"].a1()},"Specific")',
                                       [*factors["names_col"].values(), ["Specific"]]), f["label"])
        by_factor = s.udf(shares.r0 + 1, 1, "RISK_CONTRIB", [weights, model, cov, spec, "factor"], pct1,
                          block="risk_by_factor")
        width = max(600, 22 * n + 200)
        book.chart(s, {"type": "column"}, "Weights and risk shares by asset", [
            {"name": "weight", "categories": names.a1(), "values": weights.address(), "fill": {"color": "#5A8AC6"}},
            {"name": "risk share", "categories": names.a1(), "values": by_asset.address(), "fill": {"color": "#F4B183"}},
        ], shares.r0, 3, {"y": {"num_format": "0%", "name": "share"},
                          "x": {"name": "asset", "label_position": "low", "num_font": {"rotation": -45}}},
            size=(width, 380))
        book.chart(s, {"type": "bar"}, "Risk share by factor and specific risk", [
            {"name": "share of variance", "categories": s.ref(by_factor.r0, 0, by_factor.r1, 0).a1(),
             "values": by_factor.address(), "fill": {"color": "#1F3864"}, "data_labels": {"value": True, "num_format": "0%"}},
        ], shares.r0, 3 + width // 72 + 1, {"x": {"num_format": "0%", "name": "share of variance"},
                                            "y": {"name": "factor", "reverse": True, "label_position": "low"}},
            size=(480, 380))
        s.ws.set_column(0, 0, 20)
        s.ws.set_column(1, n, 10)
        s.ws.freeze_panes(0, 1)
        return {"budgets": budgets}

    # Backtest ---------------------------------------------------------------------------------------------------------
    def _backtest(self, book: Book, data: dict, factors: dict, market: dict, risk_blocks: dict) -> None:
        s, f, d = book.sheet("Backtest"), book.fmt, self.data
        ex, fx, months = market["excess"], factors["factors"], factors["months"]
        models = BACKTEST_MODELS
        s.text(0, 0, "Backtest: the procedure walked forward, out of sample", f["title"])
        s.text(1, 0, "At each rebalance: estimate on the trailing window only (lambda by CV inside it), build "
                     "B F B' + D, allocate (method on Start; erc when it is factor, whose search is too slow to "
                     "repeat at every rebalance), hold to the next. Window and rebalancing on Start.", f["note"])
        s.text(2, 0, f"Models: ols; ridge and lasso with every factor penalised; lasso_market_free = the market "
                     f"unpenalised. Excess returns per {d.period_word}, annualised with {d.periods_per_year} a year.",
               f["note"])
        lay = Layout(s, 4)
        head = lay.take("summary_head", 1, gap=0)
        summary_room = lay.take("summary", len(STATS) + 1, len(models) + 1)
        charts = lay.take("charts", 21, 16)
        beta_head = lay.take("beta_head", 2, gap=0)
        beta_charts = lay.take("beta_chart", 21, 16)
        series_head = lay.take("window_head", 3, len(models) + 1, gap=0)
        r0 = lay.row  # the series, last on the sheet: they grow with the periods
        window, step = self.start_ref("bt_window"), self.start_ref("bt_step")
        method = self.start_ref("risk_method")
        alloc = Expr(f'IF({method.a1()}="factor","erc",{method.a1()})',
                     [["erc" if self.inp.risk_method.lower() == "factor" else self.inp.risk_method]])
        common = [window, step, "", alloc]
        tail = [0.0, months, float(d.periods_per_year), self.start_ref("folds"), self.start_ref("scheme"),
                self.start_ref("rule"), risk_blocks["budgets"], self.start_ref("target_vol"),
                self.start_ref("cov_method"), self.start_ref("halflife")]
        s.text(head.r0, 0, "Out-of-sample statistics by risk model (bias statistic 1 = risk forecasts right; "
                           "inside the band they are, above it too low)", f["h2"])
        pct, num3 = book.number(decimals=2, percent=True), book.number(decimals=3)
        row_formats = [f["head"]] + [pct if key in ("return", "volatility", "predicted_vol", "turnover", "turnover_year",
                                                     "rc_dispersion") else f["int"] if key in ("periods", "rebalances")
                                      else num3 for key, _ in STATS]
        summary = s.udf(summary_room.r0, 0, "BACKTEST", [ex, fx, *common, "summary", *tail], block="bt_summary",
                        row_formats=row_formats)
        s.text(series_head.r0, 0, "Out-of-sample growth by model (each period with the weights held in it), and the "
                                  "rolling betas (BACKTEST output predicted_vol gives the ex-ante volatilities)", f["h2"])
        m_ = len(models)
        for c, label in ((0, "Growth of 1 (cumulative excess return)"),
                         (2 + m_, "Rolling market beta at each rebalance, by asset")):
            s.text(series_head.r0 + 1, c, label, f["label"])
        s.text(series_head.r0 + 2, 0, "Month" if d.frequency == "monthly" else "Date", f["head"])
        for j, m in enumerate(models):
            s.text(series_head.r0 + 2, 1 + j, m, f["head"])
        cum = s.udf(r0, 0, "BACKTEST", [ex, fx, *common, "cumulative", *tail], block="bt_cumulative",
                    col_formats=[f["period"]] + [num3] * len(models))
        n_rows = cum.r1 - cum.r0 + 1
        dates = s.ref(cum.r0, 0, cum.r1, 0)
        colours = ["#A6A6A6", "#5A8AC6", "#C00000", "#70AD47"]
        book.chart(s, {"type": "line"}, "Cumulative excess return of each model's portfolio (growth of 1)", [
            {"name": m, "categories": dates.a1(), "values": s.ref(cum.r0, 1 + j, cum.r0 + n_rows - 1, 1 + j).a1(),
             "line": {"color": colours[j % 4], "width": 1.25}} for j, m in enumerate(models)],
            charts.r0, 0, {"y": {"name": "growth of 1", "log_base": 10, "num_format": "0.0"},
                           "x": {"name": "period", "label_position": "low", "interval_unit": max(1, n_rows // 8),
                                 "num_font": {"rotation": -45}}}, size=(720, 400))
        real = s.ref(summary.r0 + 2, 1, summary.r0 + 2, len(models))  # Realised volatility row
        pred_row = s.ref(summary.r0 + 3, 1, summary.r0 + 3, len(models))
        cats = s.ref(summary.r0, 1, summary.r0, len(models))
        book.chart(s, {"type": "column"}, "Predicted vs realised volatility, out of sample (a year)", [
            {"name": "predicted", "categories": cats.a1(), "values": pred_row.a1(), "fill": {"color": "#5A8AC6"}},
            {"name": "realised", "categories": cats.a1(), "values": real.a1(), "fill": {"color": "#F4B183"}},
        ], charts.r0, 5, {"y": {"name": "volatility a year", "num_format": "0%", "min": 0},
                           "x": {"name": "risk model", "label_position": "low"}}, size=(520, 400))
        # rolling market beta of every asset: the path of the estimate the backtest re-makes at each rebalance
        s.text(beta_head.r0, 0, "Rolling market beta of each asset (CAPM on the trailing window, at each rebalance)",
               f["h2"])
        s.text(beta_head.r0 + 1, 0, "Every asset's path is in the table at the bottom of the sheet, right of the "
                                    "growth series.", f["note"])
        beta = s.udf(r0, 2 + len(models), "ROLLING_BETA", [ex, factors["market"], window, step, 0.0, months],
                     block="rolling_beta", col_formats=[f["period"]] + [num3] * d.shape()[1])
        s.text(series_head.r0 + 2, 2 + len(models), "Window end", f["head"])
        s.array(series_head.r0 + 2, 3 + len(models), data["asset_names"], f["head"])
        b_rows = beta.r1 - beta.r0 + 1
        shown = min(d.shape()[1], 6)
        book.chart(s, {"type": "line"}, f"Rolling market beta (window on Start), first {shown} assets", [
            {"name": d.asset_names[j], "categories": s.ref(beta.r0, beta.c0, beta.r0 + b_rows - 1, beta.c0).a1(),
             "values": s.ref(beta.r0, beta.c0 + 1 + j, beta.r0 + b_rows - 1, beta.c0 + 1 + j).a1()}
            for j in range(shown)],
            beta_charts.r0, 0, {"y": {"name": "beta", "num_format": "0.00"},
                                "x": {"name": "window end", "label_position": "low",
                                      "interval_unit": max(1, b_rows // 8), "num_font": {"rotation": -45}}},
            size=(720, 400))
        s.ws.set_column(0, 0, 44)
        s.ws.set_column(1, len(models) + 2 + d.shape()[1], 10)
        s.ws.set_column(1, len(models), 17)  # model names as headers
        s.ws.freeze_panes(0, 1)
        s.preview_rows = r0 + 12

    # pages ------------------------------------------------------------------------------------------------------------
    def _pages(self, book: Book) -> None:
        """Landscape pages one wide with the labels repeated; the values flavour prints one page a sheet."""
        for sheet in book.sheets.values():
            ws = sheet.ws
            ws.set_landscape()
            ws.set_paper(9)  # A4
            last_row, last_col = sheet.extent
            if book.flavor == "values":
                rows = min(last_row, sheet.preview_rows or last_row)
                ws.fit_to_pages(1, 1)
                ws.print_area(0, 0, rows, min(last_col, 40))
            else:
                ws.fit_to_pages(1, 0)
                ws.print_area(0, 0, last_row, last_col)
                ws.repeat_columns(0)
                breaks = [sheet.blocks[b].r0 for b in ("window_head", "charts", "model_head") if b in sheet.blocks]
                if breaks:  # the long tables start on a page of their own: the summaries are not cut mid-way
                    ws.set_h_pagebreaks(breaks)


def build_all(folder: Path, inputs: Inputs | None = None, force: bool = False, data: Dataset | None = None,
              capacity: Capacity | None = None, flavors=FLAVORS, progress=None) -> list[Path]:
    """Write the flavours into ``folder``, atomically; refuses to overwrite unless ``force``.

    Existing files are checked before any work; each flavour is written to a temporary file beside
    its target and all are renamed into place at the end, so a failure leaves the old files.
    ``progress(message)`` hears of each flavour's sheets.
    """
    unknown = [fl for fl in flavors if fl not in FLAVORS]
    if unknown or not flavors:
        raise XLFactorError(f"flavours are {', '.join(FLAVORS)}; got {', '.join(unknown) or 'none'}.")
    paths = [Path(folder) / FILE_NAMES[fl] for fl in flavors]
    refuse_overwrite(paths, force)
    template = Template(inputs or Inputs(), data, capacity)
    say = progress or (lambda message: None)
    with atomic_paths(paths) as temps:
        for flavor, tmp in zip(flavors, temps):
            template.build(tmp, flavor, lambda message, fl=flavor: say(f"{FILE_NAMES[fl]}: {message}"))
    return paths


__all__ = ["Inputs", "Template", "Capacity", "Layout", "build_all", "FLAVORS", "FILE_NAMES"]
