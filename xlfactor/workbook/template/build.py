"""The orchestra: the list of sheet builders, the ``Template`` that runs them, page setup, ``build_all``."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path

from ..._files import atomic_paths, refuse_overwrite
from ...core.options import COV_OPTION_USERS
from ...errors import XLFactorError
from .. import FILE_NAMES, FLAVORS
from ..dataset import Dataset, french
from . import pages
from .book import Book
from .inputs import Capacity, Inputs
from .model import Expr, Ref, grid
from .sheets import backtest, data, factors, lambda_, loadings, macro, market, risk, start, statistical

# The sheets, in the workbook's order. Each is a module with TITLE, KEY, NEEDS and build(tpl, sheet, ctx);
# a sheet is built as soon as the sheets it NEEDS are (Start, first in the book, after Data).
SHEETS = (start, data, factors, market, lambda_, loadings, risk, backtest, macro, statistical)
BUILD_DATE = datetime.datetime(2026, 1, 1)
EXCEL_365_CALC_ID = 191029  # calcId that Excel 2019 and 365 write


def build_order(sheets=SHEETS) -> list:
    """The sheet modules in an order where each comes after the sheets it needs (stable: the list's order)."""
    done: list = []
    todo = list(sheets)
    while todo:
        ready = next((m for m in todo if set(m.NEEDS) <= {d.KEY for d in done}), None)
        if ready is None:
            raise ValueError(f"sheets {', '.join(m.TITLE for m in todo)} need sheets that are not in the list")
        done.append(ready)
        todo.remove(ready)
    return done


@dataclass
class Template:
    """Builds the workbook for one data set and one set of inputs; ``build`` writes one flavour."""

    inputs: Inputs = field(default_factory=Inputs)
    # None: the shipped data and the room it needs; __post_init__ resolves both, so every reader sees a value
    data: Dataset = None  # type: ignore[assignment]  # accepts None, resolved in __post_init__
    capacity: Capacity = None  # type: ignore[assignment]  # accepts None, resolved in __post_init__

    def __post_init__(self):
        self._results: dict = {}  # every function's result, shared by the flavours
        self.data = self.data or french()
        self.capacity = self.capacity or Capacity.for_data(self.data)
        t, n, k = self.data.shape()
        cap = self.capacity
        if t > cap.periods or n > cap.assets or k > cap.factors:
            raise XLFactorError(
                f"the data ({t} periods, {n} assets, {k} factors) exceed the template's room "
                f"({cap.periods}, {cap.assets}, {cap.factors})."
            )
        self.inp = self.inputs.resolve(self.data)

    def build(self, path: Path, flavor: str = "classic", progress=None) -> Book:
        """Write one flavour; ``progress(message)`` is called before each sheet and before saving."""
        if flavor not in FLAVORS:
            raise ValueError(f"flavor must be one of {', '.join(FLAVORS)}; got {flavor!r}")
        say = progress or (lambda message: None)
        book = Book(Path(path), flavor, self._results)
        self.book = book
        sheets = {m.KEY: book.sheet(m.TITLE) for m in SHEETS}  # the book's order
        ctx: dict = {}
        for m in build_order():
            say(getattr(m, "PROGRESS", m.TITLE))
            ctx[m.KEY] = m.build(self, sheets[m.KEY], ctx)
        pages.setup(book)
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
        book.wb.set_properties(
            {
                "title": "xlfactor template",
                "subject": self.data.title,
                "comments": f"flavour {flavor}",
                "created": BUILD_DATE,
            }
        )  # fixed: rebuilds are identical
        book.wb.close()
        return book

    # references into the Data and Start sheets, for the sheet builders ---------------------------------------
    def start_ref(self, key: str) -> Ref:
        """A named input of the Start sheet."""
        return self.book.block("Start", key)

    def only_for(self, methods: tuple[str, ...], arg: Ref | Expr, selector: str = "risk_method") -> Expr:
        """``arg`` when Start's ``selector`` (the risk method; the covariance method) is one of ``methods``, else
        "" (an omitted argument; an empty slot ``,,`` would read as 0): a function refuses an argument its method
        ignores (``risk.allocate``, ``risk.check_cov_used``), so a formula passes one only where it is read."""
        method = self.start_ref(selector).a1()
        cond = "OR(" + ",".join(f'{method}="{m}"' for m in methods) + ")"
        chosen = str(getattr(self.inp, selector)).lower()
        return Expr(f'IF({cond},{arg.a1()},"")', arg.values() if chosen in methods else [[""]])

    def cov_option(self, name: str) -> Expr:
        """Start's factor-covariance option ``name`` (halflife, corr_halflife, nw_lags, regime_halflife), passed
        only when the chosen cov_method reads it (``options.COV_OPTION_USERS``): the cells stay filled when the
        drop-down changes the method."""
        return self.only_for(COV_OPTION_USERS[name], self.start_ref(name), "cov_method")

    @staticmethod
    def take(block: Ref, rows: Ref, cols: Ref | None, values) -> Expr:
        """TAKE(room, rows[, cols]): the used part of a block with room to grow."""
        args = rows.a1() + ("" if cols is None else f",{cols.a1()}")
        return Expr(f"TAKE({block.a1()},{args})", grid(values))

    def selected(self, block: str, values, row: bool = False) -> Expr:
        """The entries of a Start factor column for the selected factors (FILTER by Use), as a column or a row."""
        data = self.book.block("Data", "n_factors")
        text = f"FILTER(TAKE({self.start_ref(block).a1()},{data.a1()}),TAKE({self.start_ref('use').a1()},{data.a1()}))"
        chosen = self.inp.selected(values)
        return Expr(f"TOROW({text})", [chosen]) if row else Expr(text, [[v] for v in chosen])


def build_all(
    folder: Path,
    inputs: Inputs | None = None,
    force: bool = False,
    data: Dataset | None = None,
    capacity: Capacity | None = None,
    flavors=FLAVORS,
    progress=None,
) -> list[Path]:
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
    template = Template(inputs or Inputs(), data, capacity)  # type: ignore[arg-type]  # None: resolved there
    say = progress or (lambda message: None)
    with atomic_paths(paths) as temps:
        for flavor, tmp in zip(flavors, temps, strict=True):
            template.build(tmp, flavor, lambda message, fl=flavor: say(f"{FILE_NAMES[fl]}: {message}"))
    return paths
