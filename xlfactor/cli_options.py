"""The command line's shared option groups: the data a command reads, and the Start sheet's inputs that
``demo`` and ``workbook`` take alike (choices and defaults from ``xlfactor.core.options``)."""

from __future__ import annotations

import argparse

OUT = "xlfactor-output"  # where every command writes, unless --out says otherwise


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
        help=f"shipped data: {options.describe('assets')} (the 12 industries; all: the 30 portfolios, adding "
        "size/value and size/momentum)",
    )
    p.add_argument(
        "--low-vol-from",
        choices=options.LOW_VOL_SOURCES,
        default=options.DEFAULTS["low_vol_from"],
        help="portfolios the shipped LowVol factor is built from (default size_value: not the industries it explains)",
    )


def start_arguments(p: argparse.ArgumentParser) -> None:
    """The Start sheet's inputs, and where the workbooks go: one option group for demo and workbook."""
    from .core import options

    D = options.DEFAULTS
    g = p.add_argument_group("the Start sheet's inputs (a workbook opens with them)")
    g.add_argument(
        "--start",
        type=int,
        default=None,
        help="first period of the window, YYYYMM or YYYYMMDD (default: 196307 on the shipped data, else the first)",
    )
    g.add_argument("--end", type=int, default=None, help="last period of the window (default: the last)")
    g.add_argument(
        "--periods-per-year",
        type=int,
        default=None,
        help="periods a year, to annualise (default: 12 for monthly data, 252 for daily)",
    )
    g.add_argument("--use-factors", default="", help="factors to use, comma-separated names (default: all)")
    g.add_argument("--folds", type=int, default=D["folds"], help=f"cross-validation folds (default {D['folds']})")
    g.add_argument("--scheme", choices=options.SCHEMES, default=D["scheme"], help=f"CV scheme (default {D['scheme']})")
    g.add_argument(
        "--gap", type=int, default=D["gap"], help=f"periods purged around each test fold (default {D['gap']})"
    )
    g.add_argument("--rule", choices=options.RULES, default=D["rule"], help=f"lambda rule (default {D['rule']})")
    g.add_argument(
        "--method",
        choices=options.CURVE_METHODS,
        default=D["curve_method"],
        help=f"lambda method whose CV curve is shown (default {D['curve_method']})",
    )
    g.add_argument(
        "--loadings",
        choices=options.LOADINGS,
        default=D["loadings"],
        help=f"loadings of the risk model (default {D['loadings']})",
    )
    g.add_argument("--standardize", action="store_true", help="penalise factors scaled to unit variance")
    g.add_argument(
        "--penalty-weights",
        default="",
        help="one penalty weight per factor, in the data's order (default 0,1,1,...: the market unpenalised)",
    )
    g.add_argument(
        "--lags",
        type=int,
        default=None,
        help="Newey-West lags for t-stats (default: floor(4 (T/100)^(2/9)) for the window's T periods)",
    )
    g.add_argument(
        "--cov",
        choices=options.COV_METHODS,
        default=D["cov_method"],
        help=f"factor covariance (default {D['cov_method']})",
    )
    g.add_argument(
        "--halflife", type=float, default=D["halflife"], help=f"EWMA half-life in periods (default {D['halflife']:g})"
    )
    g.add_argument(
        "--risk",
        choices=options.ALLOC_METHODS,
        default=D["risk_method"],
        help=f"risk allocation method (default {D['risk_method']})",
    )
    g.add_argument(
        "--target-vol",
        type=float,
        default=100 * D["target_vol"],
        help=f"risk method targetvol: the volatility to aim for, in percent a year (default {100 * D['target_vol']:g})",
    )
    g.add_argument(
        "--factor-budgets", default="", help="factor risk budgets for --risk factor, one per factor, e.g. 4,1,1,1,1"
    )
    g.add_argument(
        "--bt-window",
        type=int,
        default=None,
        help="backtest estimation window in periods (default 60 months, 252 days)",
    )
    g.add_argument(
        "--bt-step", type=int, default=None, help="backtest: periods between rebalances (default 12 months, 63 days)"
    )
    p.add_argument("--out", default=OUT, help=f"folder for the workbooks (default {OUT})")
    p.add_argument("--force", action="store_true", help="overwrite workbooks already in --out")
