"""The ``xlfactor`` command."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from . import __version__, frames
from .data import load_french
from .errors import XLFactorError


def _window(df, start: str | None, end: str | None):
    return df.loc[start:end]


def demo(args: argparse.Namespace) -> int:
    """CAPM and risk split of the shipped industry portfolios, printed as tables."""
    data = load_french()
    rets = _window(data.industries, args.start, args.end)
    market = _window(data.market, args.start, args.end)
    rf = _window(data.rf, args.start, args.end)
    if rets.empty:
        raise XLFactorError(f"the window {args.start} to {args.end} holds no months; the data runs 1949-01 to 2017-03.")
    first, last = rets.index[0], rets.index[-1]
    se = f"Newey-West ({args.lags} lags)" if args.lags is not None else "classic"
    print(f"xlfactor {__version__}: market model of the 12 Ken French industry portfolios")
    print(f"Monthly excess returns {first} to {last} ({len(rets)} months); t-stats {se}.\n")

    table = frames.capm(rets, market, rf=rf, lags=args.lags)
    ann = args.periods_per_year
    shown = pd.DataFrame(
        {
            "alpha %/yr": 100 * ann * table["alpha"],
            "t(alpha)": table["t(alpha)"],
            "beta": table["beta"],
            "t(beta)": table["t(beta)"],
            "R2": table["R2"],
            "vol %/yr": 100 * (ann**0.5) * table["total vol"],
            "systematic": 100 * (ann**0.5) * table["systematic vol"],
            "specific": 100 * (ann**0.5) * table["specific vol"],
            "mean %/yr": 100 * ann * table["mean"],
            "CAPM E[R]": 100 * ann * table["CAPM E[R]"],
        }
    )
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(shown.to_string(float_format=lambda x: f"{x:8.2f}"))
    print("\nvol, systematic and specific: annualised volatility (%); systematic^2 + specific^2 = vol^2.")
    print("CAPM E[R]: rf + beta x mean market premium (alpha imposed to 0), next to the historical mean.")

    excess = rets.sub(rf, axis=0)
    g = frames.grs(excess, (market - rf).rename("Mkt-RF"))
    verdict = "rejects" if g["p-value"] < 0.05 else "does not reject"
    print(
        f"\nGRS test that all 12 alphas are zero: F({int(g['df1'])}, {int(g['df2'])}) = {g['GRS F']:.3f}, "
        f"p = {g['p-value']:.4f}; at 5% the data {verdict} alpha = 0."
    )
    return 0


def serve(args: argparse.Namespace) -> int:
    """Run xlwings Server with xlfactor's functions on this machine."""
    from .excel import runtimes

    from importlib.util import find_spec

    if find_spec("xlwings_server") is None or find_spec("uvicorn") is None:  # importing would switch xlwings' mode
        print("xlfactor serve needs xlwings Server: pip install \"xlfactor[server]\"", file=sys.stderr)
        return 2
    runtimes.serve(Path(args.dir), host=args.host, port=args.port, run=not args.print_only)
    return 0


def lite(args: argparse.Namespace) -> int:
    """Write main.py and requirements.txt for xlwings Lite."""
    from .excel import runtimes

    try:
        paths = runtimes.write_lite_files(Path(args.out), force=args.force)
    except FileExistsError as exc:
        print(f"xlfactor: {exc}", file=sys.stderr)
        return 2
    print("xlwings Lite: in Excel, open the xlwings Lite add-in and paste")
    for path in paths:
        print(f"  {path}  into the {path.name} tab")
    print("then restart Lite once so the requirements install; =CAPM_BETA(...) and the others are then available.")
    return 0


def _lags(text: str) -> int | None:
    if text.lower() == "none":
        return None
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0 or 'none', got {text!r}")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="xlfactor", description="Factor models for spreadsheets.")
    parser.add_argument("--version", action="version", version=f"xlfactor {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="run the factor-model procedure on the shipped Ken French data")
    p.add_argument("--start", default=None, help="first month of the window, YYYY-MM (default: 1949-01)")
    p.add_argument("--end", default=None, help="last month of the window, YYYY-MM (default: 2017-03)")
    p.add_argument("--lags", type=_lags, default=6,
                   help="Newey-West lags for t-stats (default 6); 0 = White errors, 'none' = classic OLS errors")
    p.add_argument("--periods-per-year", type=int, default=12, help="for annualising (default 12)")
    p.set_defaults(func=demo)

    p = sub.add_parser("serve", help="run xlwings Server with xlfactor's functions on 127.0.0.1")
    p.add_argument("--dir", default="xlfactor-server", help="server project folder (created; default xlfactor-server)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--print-only", action="store_true", help="write the project and print the instructions, do not run")
    p.set_defaults(func=serve)

    p = sub.add_parser("lite", help="write main.py and requirements.txt to paste into xlwings Lite")
    p.add_argument("--out", default="xlfactor-lite", help="output folder (default xlfactor-lite)")
    p.add_argument("--force", action="store_true", help="overwrite existing files")
    p.set_defaults(func=lite)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except XLFactorError as exc:
        print(f"xlfactor: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
