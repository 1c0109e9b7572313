"""The command line's shared option groups: the data a command reads, and the Start sheet's inputs that
``demo`` and ``workbook`` take alike (choices and defaults from ``xlfactor.core.options``)."""

from __future__ import annotations

import argparse
import datetime
import re
import sys
from collections.abc import Sequence
from typing import NoReturn

OUT = "xlfactor-output"  # where every command writes, unless --out says otherwise


class Parser(argparse.ArgumentParser):
    """argparse, with a bad command line answered in one line (argparse prints its whole usage first) and the
    same exit code 2."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: {message.rstrip('.')} ({self.prog} --help lists the options)", file=sys.stderr)
        self.exit(2)


def _core_says(check, text: str):
    """``check(value)`` on the number ``text`` reads as, with the core's message as argparse's (so that the command
    line and the Python API say the same words, and argparse names the option)."""
    from .errors import XLFactorError

    value: object = text
    for read in (int, float):
        try:
            value = read(text)
            break
        except ValueError:
            pass
    try:
        return check(value)
    except XLFactorError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def count(name: str, minimum: int = 0, maximum: int | None = None):
    """An argparse type: a whole number in [minimum, maximum], checked as the core checks ``name``."""
    from .core import _validation as v

    def parse(text: str) -> int:
        return _core_says(lambda x: v.check_nonneg_int(x, name, minimum=minimum, maximum=maximum), text)

    parse.__name__ = "whole number"  # argparse's word for a value it cannot convert
    return parse


def number(name: str, low: float | None = None, low_open: bool = False, high: float | None = None):
    """An argparse type: a finite number in range, checked as the core checks ``name``."""
    from .core import _validation as v

    def parse(text: str) -> float:
        return _core_says(lambda x: v.check_number(x, name, low=low, high=high, low_open=low_open), text)

    parse.__name__ = "number"
    return parse


def period(text: str) -> int:
    """A period as the data's first column holds it: YYYYMM (a month) or YYYYMMDD (a day); 2015-01, 2015/01 and
    2015-01-31 are read too. The month and day must exist."""
    m = re.fullmatch(r"\s*(\d{4})[-/]?(\d{2})(?:[-/]?(\d{2}))?\s*", text)
    try:
        if m is None:
            raise ValueError
        year, month, day = int(m[1]), int(m[2]), m[3]
        datetime.date(year, month, int(day or 1))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"a period is YYYYMM (a month, e.g. 201501 or 2015-01) or YYYYMMDD (a day, e.g. 20150131 or "
            f"2015-01-31); got {text!r}"
        ) from None
    return year * 100 + month if day is None else (year * 100 + month) * 100 + int(day)


def data_arguments(p: argparse.ArgumentParser) -> None:
    from .core import options

    p.add_argument(
        "--returns",
        metavar="FILE",
        help="your assets' total returns: CSV or XLSX, dates in the first column, one column per asset "
        "(decimals: 0.012 for 1.2%%); default: the shipped Ken French portfolios",
    )
    p.add_argument(
        "--factors",
        metavar="FILE|french",
        default="french",
        help="factor excess returns, same layout (the first factor is the market), or french for the "
        "shipped monthly factors (default)",
    )
    p.add_argument(
        "--rf",
        metavar="FILE|COLUMN",
        help="risk-free rate: a file (dates, one column) or a column of the factors file; default the "
        "shipped RF with --factors french, else 0 (returns already excess)",
    )
    order = p.add_mutually_exclusive_group()
    order.add_argument(
        "--dayfirst",
        dest="date_order",
        action="store_const",
        const="dayfirst",
        default="auto",
        help="read dates such as 01/02/1980 day first (1 February); by default the order is found "
        "from the file, and a file whose dates read both ways is refused",
    )
    order.add_argument(
        "--monthfirst",
        dest="date_order",
        action="store_const",
        const="monthfirst",
        help="read dates such as 01/02/1980 month first (2 January)",
    )
    p.add_argument(
        "--assets",
        choices=options.ASSET_SETS,
        default=options.DEFAULTS["assets"],
        help="which shipped portfolios are the assets (without --returns): industries, the 12 industry portfolios "
        "(default); all, those 12 and the 9 size/value and 9 size/momentum portfolios (30 assets)",
    )
    p.add_argument(
        "--low-vol-from",
        choices=options.LOW_VOL_SOURCES,
        default=options.DEFAULTS["low_vol_from"],
        help="portfolios the shipped LowVol factor is built from (default size_value: not the industries it explains)",
    )


def window_arguments(p, shipped_start: str) -> None:
    """--start and --end: the sample window (demo, workbook, backtest)."""
    p.add_argument(
        "--start",
        type=period,
        default=None,
        metavar="YYYYMM",
        help=f"first period of the window: YYYYMM for monthly data, YYYYMMDD for daily (2015-01 and 2015-01-31 "
        f"are read too); default {shipped_start}",
    )
    p.add_argument(
        "--end", type=period, default=None, metavar="YYYYMM", help="last period of the window (default: the last)"
    )


def cov_arguments(p) -> None:
    """The factor covariance: method and the options only some methods read (``options.COV_OPTION_USERS``)."""
    from .core import options

    D, users = options.DEFAULTS, options.COV_OPTION_USERS
    p.add_argument(
        "--cov",
        "--cov-method",
        dest="cov",
        choices=options.COV_METHODS,
        default=D["cov_method"],
        help=f"factor covariance: {options.describe('cov_method')}",
    )
    p.add_argument(
        "--halflife",
        type=number("halflife", low=0.0, low_open=True),
        default=None,
        metavar="PERIODS",
        help=f"{' and '.join(users['halflife'])} only: half-life of the weights, in periods (months or days; "
        f"default {D['halflife']:g}); refused with another --cov",
    )
    p.add_argument(
        "--corr-halflife",
        type=number("corr_halflife", low=0.0, low_open=True),
        default=D["corr_halflife"],
        metavar="PERIODS",
        help="barra only: half-life of the correlations, in periods (default: --halflife)",
    )
    p.add_argument(
        "--nw-lags",
        type=count("nw_lags"),
        default=None,
        metavar="PERIODS",
        help="sample and barra only: Newey-West lags of the factor covariance, in periods (default 0)",
    )
    p.add_argument(
        "--regime-halflife",
        type=number("regime_halflife", low=0.0, low_open=True),
        default=D["regime_halflife"],
        metavar="PERIODS",
        help="barra only: half-life of the volatility regime adjustment, in periods (default: none)",
    )
    p.add_argument(
        "--specific-shrink",
        type=number("specific_shrink", low=0.0),
        metavar="Q",
        default=D["specific_shrink"],
        help="Bayesian shrinkage of specific volatilities to their mean, USE4's q "
        f"(0.1 there; default {D['specific_shrink']:g})",
    )


def periods_per_year_argument(g) -> None:
    """--periods-per-year, as demo, workbook and backtest take it (the frequency warning names it)."""
    g.add_argument(
        "--periods-per-year",
        type=count("periods_per_year", minimum=1),
        default=None,
        metavar="N",
        help="periods a year, to annualise (default: 4 for quarterly data, 12 for monthly, 52 for weekly, 252 for daily)",
    )


def start_arguments(p: argparse.ArgumentParser) -> None:
    """The Start sheet's inputs, and where the workbooks go: one option group for demo and workbook."""
    from .core import options

    D = options.DEFAULTS
    g = p.add_argument_group("the Start sheet's inputs (a workbook opens with them)")
    window_arguments(g, "196307 on the shipped data, else the first period")
    periods_per_year_argument(g)
    g.add_argument(
        "--use-factors", default="", metavar="NAMES", help="factors to use, comma-separated names (default: all)"
    )
    cv_arguments(g, "cross-validation folds")
    g.add_argument(
        "--method",
        choices=options.CURVE_METHODS,
        default=D["curve_method"],
        help=f"the penalised method whose CV error curve the Lambda sheet shows and whose lambdas the demo prints: "
        f"{options.describe('curve_method')}",
    )
    g.add_argument(
        "--loadings",
        choices=options.LOADINGS,
        default=D["loadings"],
        help=f"loadings of the risk model: {options.describe('loadings')}",
    )
    g.add_argument("--standardize", action="store_true", help="penalise factors scaled to unit variance")
    g.add_argument(
        "--penalty-weights",
        default="",
        metavar="W1,W2,...",
        help="one penalty weight per factor, in the data's order (default 0,1,1,...: the market unpenalised)",
    )
    g.add_argument(
        "--lags",
        type=count("lags"),
        default=None,
        metavar="PERIODS",
        help="Newey-West lags of the t-stats, in periods (default: floor(4 (T/100)^(2/9)) for the window's T periods)",
    )
    cov_arguments(g)
    g.add_argument(
        "--risk",
        choices=options.ALLOC_METHODS,
        default=D["risk_method"],
        help=f"risk allocation method: {options.describe('risk_method')}",
    )
    g.add_argument(
        "--target-vol",
        type=number("target_vol", low=0.0, low_open=True),
        default=None,
        metavar="PCT",
        help=f"--risk targetvol only: the volatility to aim for, in %%/yr (10 for 10%% a year; default "
        f"{100 * D['target_vol']:g})",
    )
    g.add_argument(
        "--factor-budgets",
        default="",
        metavar="B1,B2,...",
        help="--risk factor only: risk budgets, one per factor in the data's order, relative (4,1,1,1,1: the market "
        "four times each other factor); default equal",
    )
    g.add_argument(
        "--bt-window",
        type=count("bt_window", minimum=2),
        default=None,
        metavar="PERIODS",
        help="backtest estimation window, in periods (default 20 quarters, 60 months, 104 weeks, 252 days)",
    )
    g.add_argument(
        "--bt-step",
        type=count("bt_step", minimum=1),
        default=None,
        metavar="PERIODS",
        help="backtest: periods between rebalances (default 4 quarters, 12 months, 13 weeks, 63 days)",
    )
    p.add_argument("--out", default=OUT, metavar="FOLDER", help=f"folder for the workbooks (default {OUT})")
    p.add_argument("--force", action="store_true", help="overwrite workbooks already in --out")


# --- warnings: inputs that are legal but look like a mistake (one line on stderr; the command goes on) -------------

# nominal periods a year; the data's cadence (workbook.dataset.cadence) reads dates slower than monthly as quarterly,
# so semiannual and annual ones are named here for the warning (annualised with 4 a year otherwise, unquestioned)
FREQUENCIES = (("daily", 252), ("weekly", 52), ("monthly", 12), ("quarterly", 4), ("semiannual", 2), ("annual", 1))
TOLERANCE = 1.5  # --periods-per-year within this factor of the detected frequency's count is not questioned


def warn(message: str | None) -> None:
    if message:
        print(f"xlfactor: warning: {message}", file=sys.stderr, flush=True)


def swap_warning(returns: Sequence[str], factors: Sequence[str] | None, returns_file, factors_file) -> str | None:
    """More factors than assets: legal (a few assets on many factors), but the usual sign of swapped files."""
    if factors is None or len(factors) <= len(returns):
        return None
    return (
        f"{len(factors)} factors for {len(returns)} assets: did you swap --returns {returns_file} and "
        f"--factors {factors_file}?"
    )


def detected_frequency(periods, frequency: str) -> tuple[str, int, float]:
    """The data's frequency read from their dates (YYYYMM when ``frequency`` is monthly, else YYYYMMDD): the
    nearest (on a log scale) of daily, weekly, monthly, quarterly, semiannual and annual to the periods counted per
    year, its nominal count, and the count."""
    import numpy as np

    p = np.asarray(periods, dtype=np.int64)
    if frequency == "monthly":
        years = p // 100 + (p % 100 - 1) / 12
    else:
        days = np.array([datetime.date(int(x) // 10000, int(x) // 100 % 100, int(x) % 100).toordinal() for x in p])
        years = days / 365.25
    span = float(years[-1] - years[0]) if len(p) > 1 else 0.0
    per_year = (len(p) - 1) / span if span > 0 else float(FREQUENCIES[0][1])
    name, nominal = min(FREQUENCIES, key=lambda fq: abs(np.log(per_year / fq[1])))
    return name, nominal, per_year


def periods_warning(given: int | None, periods, frequency: str, default: int | None = None) -> str | None:
    """--periods-per-year more than TOLERANCE times off the data's frequency: a warning naming it (not a refusal:
    the user may have a reason, e.g. another market's trading days). Without --periods-per-year, the default
    (``default``, the data's: 4 quarterly, 12 monthly, 52 weekly, 252 daily; without it 12 for monthly dates, 252 for daily) is
    questioned the same way: e.g. quarterly data in daily dates."""
    name, nominal, per_year = detected_frequency(periods, frequency)
    used = (default or (12 if frequency == "monthly" else 252)) if given is None else given
    if max(used / nominal, nominal / used) <= TOLERANCE:
        return None
    said = (
        f"--periods-per-year {given}" if given is not None else f"annualising with {used} periods a year (the default)"
    )
    return (
        f"{said} but the data are {name} ({nominal} a year; their dates hold {per_year:.0f} a year): annualised "
        f"means come out {used / nominal:.3g} times and volatilities {(used / nominal) ** 0.5:.3g} times their "
        f"values at {nominal} a year; pass --periods-per-year {nominal} unless you mean it."
    )


def cv_arguments(g, folds: str) -> None:
    """The cross-validation options (folds, scheme, gap, rule), as demo, workbook and backtest take them;
    ``folds`` says what the folds are (in the help)."""
    from .core import options

    D = options.DEFAULTS
    g.add_argument(
        "--folds",
        type=count("folds", minimum=2, maximum=options.MAX_FOLDS),
        default=D["folds"],
        help=f"{folds}, 2 to {options.MAX_FOLDS} (default {D['folds']})",
    )
    g.add_argument(
        "--scheme", choices=options.SCHEMES, default=D["scheme"], help=f"CV scheme: {options.describe('scheme')}"
    )
    g.add_argument(
        "--gap",
        type=count("gap"),
        default=D["gap"],
        metavar="PERIODS",
        help=f"periods purged around each test fold (default {D['gap']})",
    )
    g.add_argument("--rule", choices=options.RULES, default=D["rule"], help=f"lambda rule: {options.describe('rule')}")
