"""The template workbook: the whole factor-model procedure as linked sheets, built from one spec.

Sheets: Start (inputs and instructions), Data (the shipped Ken French data and a low-volatility factor),
Factors, Market model, Lambda, Loadings, Risk. Every result cell is a formula referring to the
sheets before it; the cached value of every formula (whole spills) is computed here by calling the
same Python function the formula names, so the file shows numbers and charts before any recalculation.

Flavours from the one spec:
- ``classic``: plain function names (``CAPM_BETA(...)``) and an ``xlwings.conf`` sheet naming the UDF module;
- ``officejs``: the names Excel stores for Office.js custom functions without a namespace
  (``_xldudf_CAPM_BETA(...)``), for xlwings Server and xlwings Lite;
- ``values``: the same sheets with values instead of formulas, for previews (LibreOffice cannot
  evaluate Python functions).

Spilled results are written as dynamic-array formulas over the largest area they can fill (e.g. every
month of the data), so that changing an input never cuts a spill short; cells beyond the actual result
stay empty, and the functions ignore trailing blank rows and columns of their inputs.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from ..core.options import CHOICES as OPTION_CHOICES
from ..core.options import DEFAULTS, market_first_weights
from ..core.factors import LOW_VOL_RULE
from .._files import atomic_paths, refuse_overwrite
from ..data import load_french
from ..errors import XLFactorError
from ..excel import udfs

FLAVORS = ("classic", "officejs", "values")
FACTOR_NAMES = ("Mkt-RF", "SMB", "HML", "Mom", "LowVol")
BUILD_DATE = datetime.datetime(2026, 1, 1)
EXCEL_365_CALC_ID = 191029  # calcId that Excel 2019 and 365 write
# Drop-down choices of the Start sheet's text inputs (the functions accept any case)
CHOICES = {**{k: OPTION_CHOICES[k] for k in ("scheme", "rule", "loadings", "cov_method", "risk_method")},
           "method": ("lasso", "ridge")}  # the Start sheet's text inputs (the lambda method charted: lasso or ridge)
FLAGS = ("standardize",)  # TRUE/FALSE inputs
WHOLE_NUMBERS = {"folds": 2, "gap": 0, "lags": 0}  # input: smallest allowed value


def count_true(a1: str) -> str:
    """How many cells of a range are TRUE or 1: a typed 1 selects a factor as TRUE does (COUNTIF tells them apart)."""
    return f"(COUNTIF({a1},TRUE)+COUNTIF({a1},1))"
FILE_NAMES = {"classic": "xlfactor_classic.xlsx", "officejs": "xlfactor_officejs.xlsx", "values": "xlfactor_preview.xlsx"}


@dataclass(frozen=True)
class Inputs:
    """The Start sheet's inputs; the defaults are the template's."""

    start: int = 196307
    end: int = 201703
    use_factors: tuple[bool, ...] = (True, True, True, True, True)
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
    penalty_weights: tuple[float, ...] = tuple(market_first_weights(5))  # per factor of FACTOR_NAMES
    low_vol_from: str = DEFAULTS["low_vol_from"]  # the portfolios LowVol is built from: size_value or industries
    target_vol: float | None = None  # risk method targetvol: volatility per month
    factor_budgets: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0, 1.0)
    assets: str = "industries"  # or "all": the 12 industries plus the 18 size/value and size/momentum portfolios
    asset_budgets: tuple[float, ...] | None = None  # default: 1 per asset

    def budgets(self, n_assets: int) -> tuple[float, ...]:
        return self.asset_budgets if self.asset_budgets is not None else (1.0,) * n_assets


# Where each input lives on the Start sheet (0-based row, column): tests and the CLI set inputs by name.
START_CELLS = {
    "start": (5, 2), "end": (6, 2), "folds": (16, 2), "scheme": (17, 2), "gap": (18, 2), "rule": (19, 2),
    "lags": (20, 2), "method": (21, 2), "cov_method": (22, 2), "halflife": (23, 2), "risk_method": (24, 2),
    "loadings": (25, 2), "standardize": (26, 2), "target_vol": (27, 2),
}
FACTOR_ROW0 = 9  # factor rows 9..13: B name, C use, D order, E factor risk budget, F penalty weight
BUDGET_ROW = 29  # asset names on row 29, budgets on row 30, from column C
DATA_ROW0 = 5  # first data row on the Data sheet
RISK_LOADINGS_ROW = 38  # the risk model's loadings on the Risk sheet, below the charts
WINDOW_ROW0 = 19  # first row of the window blocks on the Factors and Market model sheets
PREVIEW_AREA = {"Start": (48, 16), "Data": (40, 20), "Factors": (40, 8), "Market model": (40, 28),
                "Lambda": (40, 18), "Loadings": (30, 26), "Risk": (44, 22)}  # last row, column printed


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

    def values(self) -> list[list]:
        v = self.sheet.values
        return [[v.get((r, c)) for c in range(self.c0, self.c1 + 1)] for r in range(self.r0, self.r1 + 1)]

    def value(self):
        return self.sheet.values.get((self.r0, self.c0))


@dataclass
class Sheet:
    book: "Book"
    name: str
    ws: object
    values: dict = field(default_factory=dict)

    def ref(self, r0, c0, r1=None, c1=None) -> Ref:
        return Ref(self, r0, c0, r0 if r1 is None else r1, c0 if c1 is None else c1)

    def put(self, r, c, value, fmt=None) -> Ref:
        """A constant: text, number or logical value."""
        self.values[(r, c)] = value
        if value is None:
            pass
        elif isinstance(value, bool):
            self.ws.write_boolean(r, c, value, fmt)
        elif isinstance(value, (int, float, np.integer, np.floating)):
            if np.isfinite(value):
                self.ws.write_number(r, c, float(value), fmt)
        else:
            self.ws.write_string(r, c, str(value), fmt)
        return self.ref(r, c)

    def text(self, r, c, value, fmt=None) -> Ref:
        return self.put(r, c, value, fmt or self.book.fmt["text"])

    def table(self, r0, c0, array, fmt=None) -> Ref:
        a = np.asarray(array, dtype=float)
        for i, row in enumerate(a):
            for j, x in enumerate(row):
                self.put(r0 + i, c0 + j, None if np.isnan(x) else float(x), fmt)
        return self.ref(r0, c0, r0 + a.shape[0] - 1, c0 + a.shape[1] - 1)

    def formula(self, r, c, text: str, value, fmt=None) -> Ref:
        """An ordinary Excel formula; ``value`` is its result, computed by the spec."""
        self.values[(r, c)] = value
        self.book.plain.append((self.name, r, c, value))
        if self.book.flavor == "values":
            return self.put(r, c, value, fmt)
        self.ws.write_formula(r, c, text, fmt, "" if value is None else value)
        return self.ref(r, c)

    def udf(self, r, c, name: str, args: list, rows: int, cols: int, fmt=None) -> Ref:
        """An xlfactor function spilling from (r, c) over at most rows x cols cells; returns that area."""
        py = getattr(udfs, name.lower())
        try:
            result = py(*[a.values() if isinstance(a, Ref) else a for a in args])
        except XLFactorError as exc:
            raise XLFactorError(f"template formula on {self.name}!{xl_rowcol_to_cell(r, c)} fails: {exc}") from None
        if len(result) > rows or len(result[0]) > cols:
            raise RuntimeError(f"{name} on {self.name} returns {len(result)}x{len(result[0])}, more than {rows}x{cols}")
        area = self.ref(r, c, r + rows - 1, c + cols - 1)
        self.book.formulas.append((area, name, len(result), len(result[0])))
        for i, row in enumerate(result):
            for j, x in enumerate(row):
                self.values[(r + i, c + j)] = None if x == "" else x
        if self.book.flavor == "values":
            for i, row in enumerate(result):
                for j, x in enumerate(row):
                    self.put(r + i, c + j, None if x == "" else x, fmt)
            return area
        stored = name if self.book.flavor == "classic" else f"_xldudf_{name}"
        text = f"={stored}({','.join(_literal(a) for a in args)})"
        first = result[0][0]
        fmt = fmt or self.book.fmt["plain"]
        self.ws.write_dynamic_array_formula(area.r0, area.c0, area.r1, area.c1, text, fmt, first)
        for i in range(rows):  # XlsxWriter caches 0 in every other cell of the area: cache the result, blank beyond
            for j in range(cols):
                x = result[i][j] if i < len(result) and j < len(result[0]) else ""
                if (i, j) == (0, 0):
                    continue
                if x == "":
                    self.ws.write_blank(r + i, c + j, None, fmt)
                elif isinstance(x, str):
                    self.ws.write_string(r + i, c + j, x, fmt)
                else:
                    self.ws.write_number(r + i, c + j, float(x), fmt)
        return area


def _literal(arg) -> str:
    if isinstance(arg, Ref):
        return arg.a1()
    if isinstance(arg, bool):
        return "TRUE" if arg else "FALSE"
    if isinstance(arg, str):
        return f'"{arg}"'
    if arg is None:
        return ""
    return repr(float(arg))


class Book:
    def __init__(self, path: Path, flavor: str):
        self.flavor = flavor
        self.wb = xlsxwriter.Workbook(str(path))
        self.sheets: dict[str, Sheet] = {}
        self.formulas: list = []  # (area, function, result rows, result cols) of every xlfactor formula
        self.plain: list = []  # (sheet, row, col, value) of every ordinary Excel formula
        self.charts: list = []  # (sheet, title, [series ranges]) for tests
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
            "month": wb.add_format({"num_format": "0"}),
            "ret": wb.add_format({"num_format": "0.0000"}),
            "num": wb.add_format({"num_format": "0.000"}),
            "pct": wb.add_format({"num_format": "0.0%"}),
            "sci": wb.add_format({"num_format": "0.000E+00"}),
            "int": wb.add_format({"num_format": "0"}),
            "plain": wb.add_format({}),
            "warn": wb.add_format({"bold": True, "font_color": "#9C0006", "bg_color": "#FFC7CE"}),
        }

    def sheet(self, name: str) -> Sheet:
        s = Sheet(self, name, self.wb.add_worksheet(name))
        self.sheets[name] = s
        return s

    def chart(self, sheet: Sheet, kind: dict, title: str, series: list[dict], cell: str, axes: dict | None = None,
              size=(620, 340)):
        ch = self.wb.add_chart(kind)
        for s in series:
            ch.add_series(s)
        ch.set_title({"name": title})
        for axis, opts in (axes or {}).items():
            getattr(ch, f"set_{axis}_axis")(opts)
        ch.set_size({"width": size[0], "height": size[1]})
        ch.set_legend({"position": "bottom"})
        sheet.ws.insert_chart(cell, ch)
        self.charts.append((sheet.name, title, series))


# --- the spec ------------------------------------------------------------------------------------------------------


@dataclass
class Template:
    """Builds the workbook for one set of inputs; ``build`` writes one flavour."""

    inputs: Inputs = field(default_factory=Inputs)

    def build(self, path: Path, flavor: str = "classic") -> Book:
        if flavor not in FLAVORS:
            raise ValueError(f"flavor must be one of {', '.join(FLAVORS)}; got {flavor!r}")
        book = Book(Path(path), flavor)
        d = load_french()
        assets = d.industries if self.inputs.assets == "industries" else d.portfolios
        self.n_assets = assets.shape[1]
        start = self._start(book, assets.columns)
        data = self._data(book, d, assets)
        factors = self._factors(book, start, data)
        market = self._market_model(book, start, data, factors, assets.columns)
        lam = self._lambda(book, start, factors, market)
        loadings = self._loadings(book, start, factors, market, lam)
        self._risk(book, start, factors, market, loadings)
        if flavor == "values":  # one landscape page per sheet, for previews
            for sheet in book.sheets.values():
                sheet.ws.set_landscape()
                sheet.ws.fit_to_pages(1, 1)
                sheet.ws.print_area(0, 0, PREVIEW_AREA.get(sheet.name, (44, 30))[0],
                                    PREVIEW_AREA.get(sheet.name, (44, 30))[1])
        if flavor == "classic":
            conf = book.sheet("xlwings.conf")
            conf.put(0, 0, "UDF Modules")
            conf.put(0, 1, "xlfactor.excel.udfs")
            conf.ws.set_column(0, 1, 24)
        # Open with the cached numbers: no full recalculation on load (XlsxWriter's default), and the calculation
        # engine id of Excel 365, so that Excel does not recalculate a file it takes for an older version's.
        # Until the functions are connected every result keeps its cached value; see README "What you see".
        book.wb.calc_on_load = False
        book.wb.calc_id = EXCEL_365_CALC_ID
        book.wb.set_properties({"title": "xlfactor template", "subject": "Factor models on Ken French data",
                                "comments": f"flavour {flavor}", "created": BUILD_DATE})  # fixed: rebuilds are identical
        book.wb.close()
        return book

    # Start -----------------------------------------------------------------------------------------------------
    def _start(self, book: Book, asset_names) -> Sheet:
        s, f, inp = book.sheet("Start"), book.fmt, self.inputs
        s.ws.set_column(0, 0, 3)
        s.ws.set_column(1, 1, 44)
        s.ws.set_column(2, 2, 14)
        s.ws.set_column(3, 5, 13)
        s.text(0, 1, "xlfactor: the factor-model procedure on real data", f["title"])
        s.text(1, 1, "Select factors, regress over a history, choose lambda by time-ordered cross-validation, "
                     "compute loadings, allocate risk. Change a yellow input: every later sheet follows.", f["note"])
        s.text(3, 1, "Inputs", f["h2"])
        s.text(4, 1, "Periods are months written as YYYYMM (e.g. 196307 = July 1963).", f["note"])
        rows = [
            ("start", "Sample start (YYYYMM)", inp.start), ("end", "Sample end (YYYYMM)", inp.end),
            ("folds", "Cross-validation folds", inp.folds),
            ("scheme", "CV scheme: blocked, walkforward or kfold", inp.scheme),
            ("gap", "CV gap: months purged around each test block", inp.gap),
            ("rule", "Lambda rule: min, 1se or 1se_paired", inp.rule),
            ("lags", "Newey-West lags for t-stats", inp.lags),
            ("method", "Lambda method (CV chart, risk model): lasso or ridge", inp.method),
            ("cov_method", "Factor covariance: sample, ewma or ledoitwolf", inp.cov_method),
            ("halflife", "EWMA half-life (months)", inp.halflife),
            ("risk_method", "Risk allocation (erc, budget, factor, minvar, ...)", inp.risk_method),
            ("loadings", "Risk model loadings: ols, ridge or lasso", inp.loadings),
            ("standardize", "Penalise standardised factors (TRUE/FALSE)", bool(inp.standardize)),
            ("target_vol", "Target volatility per month (for targetvol)",
             round(0.10 / 12 ** 0.5, 6) if inp.target_vol is None else inp.target_vol),
        ]
        for key, label, value in rows:
            r, c = START_CELLS[key]
            s.text(r, 1, label)
            s.put(r, c, value, f["flag"] if key in FLAGS else f["input"])
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
        s.text(FACTOR_ROW0 - 1, 1, "Factor", f["head"])
        s.text(FACTOR_ROW0 - 1, 2, "Use", f["head"])
        s.text(FACTOR_ROW0 - 1, 3, "Order", f["head"])
        s.text(FACTOR_ROW0 - 1, 4, "Risk budget", f["head"])
        s.text(FACTOR_ROW0 - 1, 5, "Penalty weight", f["head"])
        order = 0
        for k, name in enumerate(FACTOR_NAMES):
            r = FACTOR_ROW0 + k
            s.text(r, 1, name)
            s.put(r, 2, bool(inp.use_factors[k]), f["flag"])
            s.ws.data_validation(r, 2, r, 2, {"validate": "list", "source": ["TRUE", "FALSE"], "error_title": "xlfactor",
                                              "error_message": "TRUE to use the factor, FALSE to leave it out."})
            order += int(inp.use_factors[k])
            use = xl_rowcol_to_cell(r, 2)
            s.formula(r, 3, f"=IF({use},{count_true(f'$C${FACTOR_ROW0 + 1}:{use}')},\"\")",
                      order if inp.use_factors[k] else "", f["int"])
            s.put(r, 4, inp.factor_budgets[k], f["input"])
            s.put(r, 5, inp.penalty_weights[k], f["input"])
        s.text(15, 1, "Risk budgets: allocation 'factor' (shares of systematic risk). Penalty weight 0 = unpenalised "
                      "(the market, by default: see README, Defaults).", f["note"])
        s.text(BUDGET_ROW - 1, 1, "Asset risk budgets (risk allocation 'budget')", f["h2"])
        budgets = inp.budgets(len(asset_names))
        for j, name in enumerate(asset_names):
            s.text(BUDGET_ROW, 2 + j, name, f["head"])
            s.put(BUDGET_ROW + 1, 2 + j, budgets[j], f["input"])
        notes = [
            ("How the sheets link", [
                "Data: the shipped monthly Ken French factors and portfolios (the only pasted numbers).",
                "Factors: the selected factors over the sample window; correlations, VIF, condition number.",
                "Market model: CAPM alpha, beta, t-stats, R2 per asset; systematic/specific split; CAPM expected returns.",
                "Lambda: the cross-validation error curve and the chosen penalties (lasso and ridge).",
                "Loadings: OLS, ridge and lasso loadings at the chosen lambdas.",
                "Risk: factor covariance, specific variances, weights and risk contributions.",
            ]),
            ("Connect the functions", [
                "Classic Excel (Windows): pip install xlfactor; xlwings addin install; keep the xlwings.conf sheet "
                "(UDF Modules = xlfactor.excel.udfs); save as .xlsm; xlwings tab > Import Functions.",
                "xlwings Server: pip install \"xlfactor[server]\"; run xlfactor serve; load its manifest in Excel "
                "(use the officejs flavour of this workbook).",
                "xlwings Lite: run xlfactor lite; paste its main.py (which carries xlfactor) and requirements.txt "
                "(xlwings, numpy, scipy) into the Lite editor's tabs (use the officejs flavour of this workbook).",
                "Penalty scales differ: ridge ||y-a-Xb||^2 + lambda*||b||^2; lasso 1/(2n)*||y-a-Xb||^2 + lambda*|b|_1.",
            ]),
        ]
        r = BUDGET_ROW + 3
        for head, lines in notes:
            s.text(r, 1, head, f["h2"])
            for line in lines:
                r += 1
                s.text(r, 1, line)
            r += 2
        s.text(r, 1, "When a result shows #VALUE! or #NUM!", f["h2"])
        s.text(r + 1, 1, "Classic Excel: the messages of the latest failed functions, newest first (recalculate "
                         "with F9). Server and Lite: hover over the error cell.", f["note"])
        # one cell: with several messages it spills down over the empty rows below (Excel 365)
        s.udf(r + 2, 1, "XLFACTOR_ERROR", [], 1, 1, f["note"])
        return s

    def start_ref(self, book: Book, key: str) -> Ref:
        return book.sheets["Start"].ref(*START_CELLS[key])

    # Data ---------------------------------------------------------------------------------------------------------
    def _data(self, book: Book, d, assets) -> dict:
        s, f = book.sheet("Data"), book.fmt
        s.text(0, 0, "Data: monthly Ken French factors and portfolios, 1949-01 to 2017-03 (decimal returns)", f["title"])
        s.text(1, 0, "Source: Kenneth R. French Data Library, as shipped by linearmodels (see xlfactor/data/"
                     "PROVENANCE.md). Portfolio returns are total returns; factors are excess returns.", f["note"])
        source = ("the 9 size/value portfolios (apart from the industries it explains)"
                  if self.inputs.low_vol_from == "size_value" else "the 12 industries")
        s.text(2, 0, LOW_VOL_RULE.format(n=2 if self.inputs.low_vol_from == "size_value" else 4, window=36)
               + f" Built from {source}.", f["note"])
        s.text(3, 0, "Market = Mkt-RF + RF, the market's total return.", f["note"])
        months = np.array([p.year * 100 + p.month for p in d.factors.index], dtype=float)
        cols = [("Month", months[:, None], f["month"]), ("RF", d.rf.to_numpy()[:, None], f["ret"]),
                ("factors", d.factor_table(self.inputs.low_vol_from).to_numpy(), f["ret"]), ("Market", d.market.to_numpy()[:, None], f["ret"]),
                ("assets", assets.to_numpy(), f["ret"])]
        heads = ["Month", "RF", *FACTOR_NAMES, "Market", *assets.columns]
        for j, h in enumerate(heads):
            s.text(DATA_ROW0 - 1, j, h, f["head"])
        out, c = {}, 0
        for key, values, fmt in cols:
            out[key] = s.table(DATA_ROW0, c, values, fmt)
            c += values.shape[1]
        out["asset_names"] = s.ref(DATA_ROW0 - 1, 8, DATA_ROW0 - 1, 8 + assets.shape[1] - 1)
        s.ws.freeze_panes(DATA_ROW0, 1)
        s.ws.set_column(0, 0, 9)
        self.n_months = len(months)
        return out

    # Factors -------------------------------------------------------------------------------------------------------
    def _factors(self, book: Book, start: Sheet, data: dict) -> dict:
        s, f, inp = book.sheet("Factors"), book.fmt, self.inputs
        s.text(0, 0, "Factors over the sample window: correlation, VIF, condition number", f["title"])
        s.text(1, 0, "The window and the factor selection come from the Start sheet.", f["note"])
        window = [self.start_ref(book, "start"), self.start_ref(book, "end")]
        use = start.ref(FACTOR_ROW0, 2, FACTOR_ROW0 + 4, 2)
        order = start.ref(FACTOR_ROW0, 3, FACTOR_ROW0 + 4, 3)
        names_all = start.ref(FACTOR_ROW0, 1, FACTOR_ROW0 + 4, 1)
        selected = [n for n, u in zip(FACTOR_NAMES, inp.use_factors) if u]
        # names of the selected factors, in order (ordinary formulas)
        names = []
        for k in range(5):
            value = selected[k] if k < len(selected) else ""
            text = f'=IFERROR(INDEX({names_all.a1()},MATCH({k + 1},{order.a1()},0)),"")'
            names.append((text, value))
        w0 = WINDOW_ROW0
        s.text(w0 - 2, 0, "Sample window (every later sheet uses these blocks)", f["h2"])
        for j, h in enumerate(["Month", "RF"]):
            s.text(w0 - 1, j, h, f["head"])
        for k, (text, value) in enumerate(names):
            s.formula(w0 - 1, 2 + k, text, value, f["head"])
        s.text(w0 - 1, 7, "Market", f["head"])
        n = self.n_months
        month_col = book.sheets["Data"].ref(DATA_ROW0, 0, DATA_ROW0 + n - 1, 0)
        out = {
            "months": s.udf(w0, 0, "SAMPLE_WINDOW", [month_col, month_col, *window], n, 1, f["month"]),
            "rf": s.udf(w0, 1, "SAMPLE_WINDOW", [data["RF"], month_col, *window], n, 1, f["ret"]),
            "factors": s.udf(w0, 2, "SAMPLE_WINDOW", [data["factors"], month_col, *window, use], n, 5, f["ret"]),
            "market": s.udf(w0, 7, "SAMPLE_WINDOW", [data["Market"], month_col, *window], n, 1, f["ret"]),
            "names": s.ref(w0 - 1, 2, w0 - 1, 6),
        }
        # diagnostics
        s.text(3, 0, "Correlation", f["h2"])
        for k, (text, value) in enumerate(names):
            s.formula(4, 1 + k, text, value, f["head"])
            s.formula(5 + k, 0, text, value, f["label"])
        s.udf(5, 1, "FACTOR_CORR", [out["factors"]], 5, 5, f["num"])
        s.text(11, 0, "VIF", f["label"])
        vif = s.udf(11, 1, "FACTOR_VIF", [out["factors"]], 1, 5, f["num"])
        s.text(12, 0, "Condition number", f["label"])
        cond = s.udf(12, 1, "FACTOR_COND", [out["factors"]], 1, 1, f["num"])
        vif_values = [x for x in vif.values()[0] if isinstance(x, float)]
        high = max(vif_values) > 10 or cond.value() > 30
        s.formula(13, 0, f'=IF(OR(COUNTIF({vif.a1()},">10")>0,{cond.a1()}>30),"Warning: high collinearity (VIF above 10 '
                         f'or condition number above 30): loadings are unstable; consider ridge or dropping a factor.",'
                         f'"No harmful collinearity: every VIF <= 10 and condition number <= 30.")',
                  "Warning: high collinearity (VIF above 10 or condition number above 30): loadings are unstable; "
                  "consider ridge or dropping a factor." if high else
                  "No harmful collinearity: every VIF <= 10 and condition number <= 30.", f["warn"] if high else f["note"])
        s.ws.conditional_format(5, 1, 9, 5, {"type": "3_color_scale", "min_color": "#F8696B", "mid_type": "num",
                                             "mid_value": 0, "mid_color": "#FFFFFF", "max_color": "#5A8AC6",
                                             "min_type": "num", "min_value": -1, "max_type": "num", "max_value": 1})
        # penalty weights of the selected factors, in their order (the penalised functions take them)
        s.text(15, 0, "Penalty weight", f["label"])
        weights_all = start.ref(FACTOR_ROW0, 5, FACTOR_ROW0 + 4, 5)
        chosen = [w for w, u in zip(inp.penalty_weights, inp.use_factors) if u]
        for k in range(5):
            s.formula(15, 1 + k, f'=IFERROR(INDEX({weights_all.a1()},MATCH({k + 1},{order.a1()},0)),"")',
                      chosen[k] if k < len(chosen) else "", f["num"])
        out["weights"] = s.ref(15, 1, 15, 5)
        s.ws.set_column(0, 0, 16)
        s.ws.set_column(1, 7, 11)
        s.ws.freeze_panes(WINDOW_ROW0, 0)
        return out

    # Market model ------------------------------------------------------------------------------------------------
    def _market_model(self, book: Book, start: Sheet, data: dict, factors: dict, asset_names) -> dict:
        s, f = book.sheet("Market model"), book.fmt
        n_a, n = self.n_assets, self.n_months
        s.text(0, 0, "Market model: CAPM regressions of each asset's excess return on the market's", f["title"])
        s.text(1, 0, "Per month; t-stats use Newey-West errors with the lags set on Start. "
                     "Systematic + specific variance = total variance.", f["note"])
        names = data["asset_names"]
        w0 = WINDOW_ROW0 + 12
        window = [self.start_ref(book, "start"), self.start_ref(book, "end")]
        month_col = book.sheets["Data"].ref(DATA_ROW0, 0, DATA_ROW0 + n - 1, 0)
        s.text(w0 - 2, 0, "Asset returns over the window: total (left) and excess of RF (right)", f["h2"])
        for j, name in enumerate(asset_names):
            s.formula(w0 - 1, 1 + j, f"={names.sheet.ref(names.r0, names.c0 + j).a1()}", name, f["head"])
            s.formula(w0 - 1, 2 + n_a + j, f"={names.sheet.ref(names.r0, names.c0 + j).a1()}", name, f["head"])
        total = s.udf(w0, 1, "SAMPLE_WINDOW", [data["assets"], month_col, *window], n, n_a, f["ret"])
        excess = s.udf(w0, 2 + n_a, "EXCESS_RETURNS", [total, factors["rf"]], n, n_a, f["ret"])
        for j, name in enumerate(asset_names):
            s.formula(3, 1 + j, f"={names.sheet.ref(names.r0, names.c0 + j).a1()}", name, f["head"])
        labels = ["alpha (per month)", "beta", "t(alpha)", "t(beta)", "R2", "residual volatility", "observations",
                  "Blume beta (2/3 b + 1/3)"]
        for i, lab in enumerate(labels):
            s.text(4 + i, 0, lab, f["label"])
        s.udf(4, 1, "CAPM_BETA", [total, factors["market"], factors["rf"], True, self.start_ref(book, "lags")],
              8, n_a, f["num"])
        s.text(12, 0, "Selected factors: R2 and variance split", f["h2"])
        for i, lab in enumerate(["R2", "total variance", "systematic variance", "specific variance"]):
            s.text(13 + i, 0, lab, f["label"])
        s.udf(13, 1, "FACTOR_R2", [total, factors["factors"], factors["rf"], True], 4, n_a, f["sci"])
        s.text(18, 0, "CAPM expected return vs history (per month)", f["h2"])
        s.text(19, 0, "CAPM E[R] (alpha = 0)", f["label"])
        s.text(20, 0, "historical mean", f["label"])
        s.udf(19, 1, "CAPM_ER", [total, factors["market"], factors["rf"]], 2, n_a, f["ret"])
        s.text(22, 0, "GRS test, alpha = 0 (F, p)", f["label"])
        s.udf(22, 1, "GRS_TEST", [excess, factors["factors"]], 1, 2, f["num"])
        s.text(23, 0, "A p-value below 0.05 says the selected factors leave significant alphas.", f["note"])
        header = s.ref(3, 1, 3, n_a)
        book.chart(s, {"type": "column"}, "CAPM expected return vs historical mean (per month)", [
            {"name": "CAPM E[R]", "categories": header.a1(), "values": s.ref(19, 1, 19, n_a).a1(),
             "fill": {"color": "#5A8AC6"}},
            {"name": "historical mean", "categories": header.a1(), "values": s.ref(20, 1, 20, n_a).a1(),
             "fill": {"color": "#F4B183"}},
        ], xl_rowcol_to_cell(2, n_a + 2), {"y": {"num_format": "0.0%"}})
        s.ws.set_column(0, 0, 24)
        s.ws.set_column(1, 2 * n_a + 2, 10)
        return {"total": total, "excess": excess, "names": header}

    # Lambda --------------------------------------------------------------------------------------------------------
    def _lambda(self, book: Book, start: Sheet, factors: dict, market: dict) -> dict:
        s, f, inp = book.sheet("Lambda"), book.fmt, self.inputs
        s.text(0, 0, "Lambda: time-ordered cross-validation (one lambda pooled over all assets)", f["title"])
        s.text(8, 0, "Error curve of the lambda method on Start (lasso or ridge):", f["note"])
        s.text(1, 0, "Lasso objective 1/(2n)||y-a-Xb||^2 + lambda|b|_1; ridge ||y-a-Xb||^2 + lambda||b||^2 "
                     "(different scales). Folds, scheme, gap and rule come from Start.", f["note"])
        ex, fx = market["excess"], factors["factors"]
        cvopt = [self.start_ref(book, "folds"), self.start_ref(book, "scheme")]
        gap, rule = self.start_ref(book, "gap"), self.start_ref(book, "rule")
        method = self.start_ref(book, "method")
        rows = ["Lambda method on Start, rule min", "Lambda method on Start, rule 1se",
                "Lasso lambda used (rule on Start)", "Ridge lambda used (rule on Start)"]
        for i, lab in enumerate(rows):
            s.text(3 + i, 0, lab, f["label"])
        pen = [0.0, self.start_ref(book, "standardize"), factors["weights"]]  # rf (already excess), standardize, weights
        lmin = s.udf(3, 2, "CV_LAMBDA", [ex, fx, method, *cvopt, "min", gap, True, *pen], 1, 1, f["sci"])
        l1se = s.udf(4, 2, "CV_LAMBDA", [ex, fx, method, *cvopt, "1se", gap, True, *pen], 1, 1, f["sci"])
        lasso = s.udf(5, 2, "CV_LAMBDA", [ex, fx, "lasso", *cvopt, rule, gap, True, *pen], 1, 1, f["sci"])
        ridge = s.udf(6, 2, "CV_LAMBDA", [ex, fx, "ridge", *cvopt, rule, gap, True, *pen], 1, 1, f["sci"])
        heads = ["lambda", "mean error", "std error", "non-zero loadings", "mean + 1 SE", "mean - 1 SE"]
        for j, h in enumerate(heads):
            s.text(9, j, h, f["head"])
        curve = s.udf(10, 0, "CV_CURVE", [ex, fx, method, *cvopt, gap, "", *pen], 100, 4, f["sci"])
        cv_vals = np.array(curve.values(), dtype=float)
        for i in range(100):
            r = 10 + i
            b, c = xl_rowcol_to_cell(r, 1), xl_rowcol_to_cell(r, 2)
            s.formula(r, 4, f"={b}+{c}", cv_vals[i, 1] + cv_vals[i, 2], f["sci"])
            s.formula(r, 5, f"={b}-{c}", cv_vals[i, 1] - cv_vals[i, 2], f["sci"])
        lam_col, mean_col = s.ref(10, 0, 109, 0), s.ref(10, 1, 109, 1)
        s.text(3, 4, "mean error at it", f["label"])
        for i, ref in enumerate((lmin, l1se)):
            k = int(np.flatnonzero(cv_vals[:, 0] == ref.value())[0])
            s.formula(3 + i, 5, f"=INDEX({mean_col.a1()},MATCH({ref.a1()},{lam_col.a1()},0))", cv_vals[k, 1], f["sci"])
        book.chart(s, {"type": "scatter", "subtype": "straight"}, "Cross-validated error (pooled over assets)", [
            {"name": "mean error", "categories": lam_col.a1(), "values": mean_col.a1(), "line": {"color": "#1F3864"}},
            {"name": "mean + 1 SE", "categories": lam_col.a1(), "values": s.ref(10, 4, 109, 4).a1(),
             "line": {"color": "#8EA9DB", "dash_type": "dash"}},
            {"name": "mean - 1 SE", "categories": lam_col.a1(), "values": s.ref(10, 5, 109, 5).a1(),
             "line": {"color": "#8EA9DB", "dash_type": "dash"}},
            {"name": "chosen: min, 1se", "categories": s.ref(3, 2, 4, 2).a1(), "values": s.ref(3, 5, 4, 5).a1(),
             "line": {"none": True}, "marker": {"type": "diamond", "size": 9, "fill": {"color": "#C00000"}}},
        ], "H9", {"x": {"log_base": 10, "name": "lambda of the method on Start (log scale)", "num_format": "0.0E+00"},
                  "y": {"name": "mean squared error", "num_format": "0.0E+00"}}, size=(720, 420))
        s.ws.set_column(0, 0, 34)
        s.ws.set_column(1, 5, 13)
        return {"lasso": lasso, "ridge": ridge}

    # Loadings ------------------------------------------------------------------------------------------------------
    def _loadings(self, book: Book, start: Sheet, factors: dict, market: dict, lam: dict) -> dict:
        s, f = book.sheet("Loadings"), book.fmt
        n_a = self.n_assets
        ex, fx = market["excess"], factors["factors"]
        s.text(0, 0, "Loadings: OLS, ridge and lasso at the chosen lambdas", f["title"])
        s.text(1, 0, "Factor rows x asset columns. Colours: red negative, white zero, blue positive; lasso "
                     "zeros are factors the penalty dropped.", f["note"])
        names = factors["names"]
        # rf 0 (the returns are already excess), standardize, intercept FALSE, the selected factors' penalty weights
        pen = [0.0, self.start_ref(book, "standardize"), False, factors["weights"]]
        blocks = {}
        for key, (r0, title) in {"ols": (3, "OLS (alpha first)"), "ridge": (12, "Ridge"), "lasso": (20, "Lasso")}.items():
            s.text(r0, 0, title, f["h2"])
            for j in range(n_a):
                src = market["names"].sheet.ref(market["names"].r0, market["names"].c0 + j)
                s.formula(r0 + 1, 1 + j, f"={src.a1()}", src.value(), f["head"])
            first = r0 + 2
            if key == "ols":
                s.text(first, 0, "alpha", f["label"])
                first += 1
            for k in range(5):
                ref = names.sheet.ref(names.r0, names.c0 + k)
                s.formula(first + k, 0, f"={ref.a1()}", ref.value(), f["label"])
            if key == "ols":
                blocks[key] = s.udf(r0 + 2, 1, "OLS_LOADINGS", [ex, fx], 6, n_a, f["num"])
            elif key == "ridge":
                blocks[key] = s.udf(first, 1, "RIDGE_LOADINGS", [ex, fx, lam["ridge"], *pen], 5, n_a, f["num"])
            else:
                blocks[key] = s.udf(first, 1, "LASSO_LOADINGS", [ex, fx, lam["lasso"], *pen], 5, n_a, f["num"])
            b = blocks[key]
            s.ws.conditional_format(b.r0, b.c0, b.r1, b.c1, {
                "type": "3_color_scale", "min_color": "#F8696B", "mid_type": "num", "mid_value": 0,
                "mid_color": "#FFFFFF", "max_color": "#5A8AC6"})
        s.text(11, 0, "Ridge lambda", f["label"])
        s.formula(11, 1, f"={lam['ridge'].a1()}", lam["ridge"].value(), f["sci"])
        s.text(19, 0, "Lasso lambda", f["label"])
        s.formula(19, 1, f"={lam['lasso'].a1()}", lam["lasso"].value(), f["sci"])
        lasso = blocks["lasso"]
        cats = s.ref(21, 1, 21, n_a)
        colours = ["#1F3864", "#5A8AC6", "#A9D08E", "#F4B183", "#C00000"]
        series = [{"name": s.ref(lasso.r0 + k, 0).a1(), "categories": cats.a1(),
                   "values": s.ref(lasso.r0 + k, 1, lasso.r0 + k, n_a).a1(), "fill": {"color": colours[k]}}
                  for k in range(5)]
        book.chart(s, {"type": "column"}, "Lasso loadings by asset", series, xl_rowcol_to_cell(2, n_a + 2),
                   size=(720, 420))
        s.ws.set_column(0, 0, 14)
        s.ws.set_column(1, n_a, 9)
        return {"lasso": lasso, "ridge": blocks["ridge"], "ols": s.ref(blocks["ols"].r0 + 1, 1, blocks["ols"].r1, n_a)}

    # Risk ------------------------------------------------------------------------------------------------------------
    def _risk(self, book: Book, start: Sheet, factors: dict, market: dict, loadings: dict) -> None:
        s, f, inp = book.sheet("Risk"), book.fmt, self.inputs
        n_a = self.n_assets
        ex, fx = market["excess"], factors["factors"]
        names = factors["names"]
        s.text(0, 0, "Risk allocation with the penalised factor model", f["title"])
        s.text(1, 0, f"Asset covariance = B F B' + D: loadings B chosen on Start (rows {RISK_LOADINGS_ROW + 1}-"
                     f"{RISK_LOADINGS_ROW + 5}), factor covariance F (method on Start), specific variances D. "
                     "Weights are long-only and sum to 1.", f["note"])
        choice, n_sel = self.start_ref(book, "loadings"), sum(bool(u) for u in inp.use_factors)
        s.text(RISK_LOADINGS_ROW - 1, 0, "Risk model loadings: OLS, ridge or lasso as chosen on Start, from the Loadings sheet",
               f["h2"])
        for k in range(5):
            ref = names.sheet.ref(names.r0, names.c0 + k)
            s.formula(RISK_LOADINGS_ROW + k, 0, f"={ref.a1()}", ref.value(), f["label"])
            for j in range(n_a):
                cells_ = {m: loadings[m].sheet.ref(loadings[m].r0 + k, loadings[m].c0 + j) for m in ("ols", "lasso", "ridge")}
                value = cells_[inp.loadings.lower()].value() if k < n_sel else None
                o, r, l = cells_["ols"].a1(), cells_["ridge"].a1(), cells_["lasso"].a1()
                s.formula(RISK_LOADINGS_ROW + k, 1 + j,
                          f'=IF({choice.a1()}="ols",IF({o}="","",{o}),IF({choice.a1()}="ridge",IF({r}="","",{r}),'
                          f'IF({l}="","",{l})))', value, f["num"])
        model_loadings = s.ref(RISK_LOADINGS_ROW, 1, RISK_LOADINGS_ROW + 4, n_a)  # the loadings the risk model uses
        s.text(3, 0, "Factor covariance", f["h2"])
        for k in range(5):
            ref = names.sheet.ref(names.r0, names.c0 + k)
            s.formula(4, 1 + k, f"={ref.a1()}", ref.value(), f["head"])
            s.formula(5 + k, 0, f"={ref.a1()}", ref.value(), f["label"])
        cov = s.udf(5, 1, "FACTOR_COV", [fx, self.start_ref(book, "cov_method"), self.start_ref(book, "halflife")],
                    5, 5, f["sci"])
        for j in range(n_a):
            src = market["names"].sheet.ref(market["names"].r0, market["names"].c0 + j)
            s.formula(11, 1 + j, f"={src.a1()}", src.value(), f["head"])
        s.text(12, 0, "Specific variance", f["label"])
        spec = s.udf(12, 1, "SPECIFIC_VAR", [ex, fx, model_loadings], 1, n_a, f["sci"])
        s.text(13, 0, "Budgets in use", f["label"])
        risk_ref = self.start_ref(book, "risk_method")
        order = start.ref(FACTOR_ROW0, 3, FACTOR_ROW0 + 4, 3)
        fb = start.ref(FACTOR_ROW0, 4, FACTOR_ROW0 + 4, 4)
        selected_budgets = [b for b, u in zip(inp.factor_budgets, inp.use_factors) if u]
        asset_budgets = inp.budgets(n_a)
        for j in range(n_a):
            ab = start.ref(BUDGET_ROW + 1, 2 + j)
            if inp.risk_method.lower() == "factor":
                value = selected_budgets[j] if j < len(selected_budgets) else ""
            else:
                value = asset_budgets[j]
            s.formula(13, 1 + j, f'=IF({risk_ref.a1()}="factor",IFERROR(INDEX({fb.a1()},MATCH({j + 1},{order.a1()},0)),""),'
                                 f"{ab.a1()})", value, f["num"])
        budgets = s.ref(13, 1, 13, n_a)
        s.text(14, 0, "Weights", f["label"])
        weights = s.udf(14, 1, "RISK_ALLOC", [model_loadings, cov, spec, risk_ref, budgets,
                                              self.start_ref(book, "target_vol")], 1, n_a, f["pct"])
        s.text(15, 0, "Risk share by asset", f["label"])
        by_asset = s.udf(15, 1, "RISK_CONTRIB", [weights, model_loadings, cov, spec], 1, n_a, f["pct"])
        s.text(17, 0, "Risk share by factor", f["h2"])
        count = count_true(start.ref(FACTOR_ROW0, 2, FACTOR_ROW0 + 4, 2).a1())
        for k in range(6):
            ref = names.sheet.ref(names.r0, names.c0 + min(k, 4))
            value = ref.value() if k < n_sel else ("Specific" if k == n_sel else "")
            s.formula(18 + k, 0, f'=IF({k + 1}<={count},{ref.a1() if k < 5 else chr(34) * 2},'
                                 f'IF({k + 1}={count}+1,"Specific",""))', value, f["label"])
        by_factor = s.udf(18, 1, "RISK_CONTRIB", [weights, model_loadings, cov, spec, "factor"], 6, 1, f["pct"])
        cats = s.ref(11, 1, 11, n_a)
        book.chart(s, {"type": "column"}, "Weights and risk shares by asset", [
            {"name": "weight", "categories": cats.a1(), "values": weights.a1(), "fill": {"color": "#5A8AC6"}},
            {"name": "risk share", "categories": cats.a1(), "values": by_asset.a1(), "fill": {"color": "#F4B183"}},
        ], xl_rowcol_to_cell(17, 3), {"y": {"num_format": "0%"}}, size=(640, 360))
        book.chart(s, {"type": "bar"}, "Risk share by factor and specific risk", [
            {"name": "share of variance", "categories": s.ref(18, 0, 23, 0).a1(), "values": by_factor.a1(),
             "fill": {"color": "#1F3864"}},
        ], xl_rowcol_to_cell(17, 13), {"x": {"num_format": "0%"}}, size=(520, 360))
        s.ws.set_column(0, 0, 18)
        s.ws.set_column(1, n_a, 10)


def build_all(folder: Path, inputs: Inputs | None = None, force: bool = False) -> list[Path]:
    """Write the three flavours into ``folder``, atomically; refuses to overwrite unless ``force``.

    Existing files are checked before any work; each flavour is written to a temporary file beside
    its target and all three are renamed into place at the end, so a failure leaves the old files.
    """
    paths = [Path(folder) / FILE_NAMES[fl] for fl in FLAVORS]
    refuse_overwrite(paths, force)
    template = Template(inputs or Inputs())
    with atomic_paths(paths) as temps:
        for flavor, tmp in zip(FLAVORS, temps):
            template.build(tmp, flavor)
    return paths


__all__ = ["Inputs", "Template", "build_all", "FLAVORS", "FILE_NAMES", "START_CELLS"]
