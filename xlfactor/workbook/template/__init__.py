"""The template workbook: the whole factor-model procedure as linked sheets, built from one spec.

Sheets: Start (inputs), Data (the periods, risk-free rate, factors and asset returns: the only pasted
numbers), Factors, Market model, Lambda, Loadings, Risk, Backtest, Macro (macro-economic factors). Every result is a formula on the sheets
before it; the cached value of every formula is computed here by calling the Python function the formula
names, so the file shows numbers and charts before any recalculation.

Any shape of data: the Data sheet counts its periods, factors and assets (COUNT/COUNTA of the month column
and the header row), every formula reads ``TAKE(<room>, periods, columns)`` of it, so only the cells in use
reach Python, and every later block refers to the results before it by their spill (``ANCHORARRAY``, Excel's
``B5#``), so pasting rows, assets or factors is followed everywhere without editing a formula. The Data
sheet has room for ``Capacity`` periods, assets and factors; the factor tables leave room for
``Capacity.factors`` rows. Each sheet is laid out by a ``Layout`` of named blocks; formulas, charts, notes
and tests refer to blocks by name.

Flavours from the one spec: ``classic`` (plain function names and an ``xlwings.conf`` sheet), ``officejs``
(``_xldudf_NAME``, as Excel stores Office.js custom functions, for xlwings Server and Lite) and ``preview``
(values instead of formulas, for LibreOffice previews).

The package
-----------
- ``model``: the spreadsheet model's values: ``Ref`` (a range), ``Spill`` (a dynamic-array result),
  ``Expr`` (Excel text and its value), ``Call`` (an xlfactor function call, evaluated in Python).
- ``sheet``: ``Sheet`` (cells, formulas and spills written with their cached values) and ``Layout``
  (named blocks placed down a sheet).
- ``book``: ``Book`` (the XlsxWriter workbook, its sheets, formats and charts); ``styles``: the cell
  styles and number formats.
- ``inputs``: ``Inputs`` (the Start sheet's inputs) and ``Capacity`` (the room kept for data).
- ``sheets/``: one builder module per sheet.
- ``build``: ``SHEETS`` (the list of builders), ``Template`` (runs them), the page setup, ``build_all``.

How to add a sheet
------------------
1. Write ``sheets/<topic>.py`` with ``TITLE`` (the tab's name), ``KEY`` (the name later sheets find its
   blocks under), ``NEEDS`` (the keys of the sheets whose blocks it uses, e.g. ``("data", "factors",
   "market")``) and ``build(tpl, s, ctx) -> dict``: ``s`` is its empty ``Sheet``, ``ctx[key]`` the dict
   each needed sheet returned (e.g. ``ctx["market"]["excess"]``, the excess returns' spill;
   ``ctx["factors"]["factors"]``, the selected factors'), ``tpl.start_ref("rule")`` a Start input,
   ``tpl.inp``/``tpl.data``/``tpl.capacity`` the resolved inputs, the data and the room. Place blocks
   with ``Layout(s, 3).take(name, rows, cols)``; write results with ``s.udf(row, col, "FUNCTION",
   [args...], fmt, block="name")`` (the value is computed by the Python function, cached in the file);
   chart with ``s.book.chart``. Return the blocks later sheets may use.
2. Add the module to ``SHEETS`` in ``build.py`` where its tab should appear (one line).
3. Name the functions it uses in tests/workbook/test_template.py's expectations if they are new to the
   template, and regenerate the committed workbooks: ``xlfactor workbook --force``.
"""

from .book import Book
from .build import (
    BUILD_DATE,
    EXCEL_365_CALC_ID,
    FILE_NAMES,
    FLAVORS,
    SHEETS,
    Template,
    build_all,
    build_order,
)
from .inputs import CHOICES, FLAGS, WHOLE_NUMBERS, Capacity, Inputs
from .model import Call, Expr, Ref, Spill
from .sheet import Layout, Sheet
from .sheets.lambda_ import CV_ROWS
from .styles import COLOURS

__all__ = [
    "BUILD_DATE",
    "CHOICES",
    "COLOURS",
    "CV_ROWS",
    "EXCEL_365_CALC_ID",
    "FILE_NAMES",
    "FLAGS",
    "FLAVORS",
    "SHEETS",
    "WHOLE_NUMBERS",
    "Book",
    "Call",
    "Capacity",
    "Expr",
    "Inputs",
    "Layout",
    "Ref",
    "Sheet",
    "Spill",
    "Template",
    "build_all",
    "build_order",
]
