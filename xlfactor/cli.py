"""The ``xlfactor`` command."""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from ._files import atomic_paths, refuse_overwrite
from .cli_data import _check_options, _check_window, _dataset, _inputs, check_backtest_room
from .cli_options import (
    OUT,
    Parser,
    count,
    cov_arguments,
    cv_arguments,
    data_arguments,
    periods_per_year_argument,
    start_arguments,
    window_arguments,
)
from .errors import XLFactorError
from .workbook import FLAVORS

if TYPE_CHECKING:
    import pandas as pd

    from .workbook.dataset import Dataset

# numpy, pandas and the computing modules are imported by the commands that use them: `xlfactor --version`, `xlfactor
# serve` and `xlfactor lite` start without them (0.1 s to print the version, not 2-4 s).


def _print(title: str, frame: pd.DataFrame, fmt: str = "{:9.3f}") -> None:
    import pandas as pd

    print(f"\n{title}")
    with pd.option_context("display.width", 200, "display.max_columns", 40):
        print(frame.to_string(float_format=fmt.format))


class Steps:
    """Progress of numbered steps: each step's line ends with how long it took."""

    def __init__(self):
        self.t = None

    def start(self, step: int, total: int, message: str) -> None:
        self.finish()
        print(f"[{step}/{total}] {message} ...", end="", flush=True)
        self.t = time.perf_counter()

    def finish(self) -> None:
        if self.t is not None:
            print(f" {time.perf_counter() - self.t:.2f} s", flush=True)
        self.t = None


def demo(args: argparse.Namespace) -> int:
    """The template's whole procedure on the shipped data, printed, and the workbooks written."""
    import pandas as pd

    from .workbook import procedure
    from .workbook.template import FILE_NAMES, build_all

    _check_options(args)
    data = _dataset(args)
    inputs = _inputs(args, data)
    _check_window(data, inputs)
    refuse_overwrite([Path(args.out) / name for name in FILE_NAMES.values()], args.force, "--force")  # before work
    t0 = time.perf_counter()
    steps = Steps()
    print(f"xlfactor {__version__}: the factor-model procedure on {data.title}")
    for note in data.notes:
        print(f"  {note}")
    res = procedure.run(inputs, steps.start, data)
    steps.finish()
    n, ann = len(res.months), res.periods_per_year  # the resolved inputs' (procedure.run)
    print(
        f"\nSample {res.months[0]} to {res.months[-1]} ({n} {data.period_word}s); {len(res.asset_names)} assets; "
        f"factors: {', '.join(res.factor_names)}. Returns in excess of the risk-free rate; annualised with "
        f"{ann} {data.period_word}s a year."
    )
    capm = res.table("capm")
    shown = pd.DataFrame(
        {
            "alpha %/yr": 100 * ann * capm["alpha"],
            "t(alpha)": capm["t(alpha)"],
            "beta": capm["beta"],
            "t(beta)": capm["t(beta)"],
            "R2": capm["R2"],
            "CAPM E[R-rf] %/yr": 100 * ann * capm["CAPM E[R]"],
            "mean excess %/yr": 100 * ann * capm["mean"],
        }
    )
    _print(f"Market model (Newey-West t-stats, {res.inputs.lags} lags)", shown, "{:8.2f}")
    g = res.grs
    print(
        f"GRS test of zero alphas under the selected factors: F({g.df_num}, {g.df_den}) = {g.statistic:.3f}, "
        f"p = {g.pvalue:.4f}"
    )
    col = res.collinearity
    print(
        f"Collinearity: largest VIF {col.vif.max():.2f}, condition number {col.condition_number:.2f}"
        + (" (high: loadings unstable)" if col.vif.max() > 10 or col.condition_number > 30 else " (fine)")
    )
    if res.method_cv is None:
        print("\nLambda: none to choose (no factor penalised); the lasso and ridge loadings below are OLS's.")
    else:
        print(
            f"\nLambda by {inputs.folds}-fold {inputs.scheme} cross-validation (gap {inputs.gap}), pooled over assets:"
        )
        print(f"  {inputs.method}: min {res.lambda_min:.3e}, 1se {res.lambda_1se:.3e}")
        print(
            f"  used ({inputs.rule}): lasso {res.lambda_lasso:.3e}, ridge {res.lambda_ridge:.3e}"
            "   (different objectives, different scales)"
        )
    _print("Lasso loadings (factor rows x asset columns; 0 = dropped)", res.table("lasso"))
    _print("Ridge loadings", res.table("ridge"))
    al = res.allocation
    _print(
        f"Risk allocation ({inputs.risk_method}, {inputs.method} factor model), long-only: weights and shares of risk",
        res.table("weights") * 100,
        "{:8.2f}%",
    )
    _print("Shares of portfolio variance by factor", res.table("factor_risk") * 100, "{:8.2f}%")
    print("(Shares add up to 100%; a negative share is a factor whose covariance with the others offsets risk.)")
    if al.note:  # the core numbers the factors; name them
        named = re.sub(r"factor (\d+)", lambda m: res.factor_names[int(m.group(1)) - 1], al.note)
        print(f"Note ({inputs.risk_method}): {named}")
    predicted, realised = res.volatility(ann)
    print(
        f"Portfolio volatility, {inputs.loadings} factor model: predicted {100 * predicted:.2f}%/yr, realised "
        f"{100 * realised:.2f}%/yr in sample (ratio {predicted / realised:.3f})"
        + ("" if al.feasible is None else f"; factor budgets {'reached' if al.feasible else 'not reachable long-only'}")
    )
    bt = res.backtest
    st = bt.stats
    done = res.inputs  # resolved: the defaults that depend on the data filled in
    print(
        f"\nWalk-forward backtest ({done.bt_window}-{data.period_word} windows, rebalanced every {done.bt_step} "
        f"{data.period_word}s; "
        f"the Backtest sheet; xlfactor backtest for more): out-of-sample volatility a year, realised / predicted; "
        "bias statistic (1 = forecasts right) with its 95% bands: normal, kurtosis-adjusted, block bootstrap"
    )
    for i, m in enumerate(bt.models):
        print(
            f"  {m:18s} {100 * st['volatility'][i]:6.2f}%/yr / {100 * st['predicted_vol'][i]:6.2f}%/yr   bias "
            f"{st['bias'][i]:.3f} (normal {st['bias_low'][i]:.3f}-{st['bias_high'][i]:.3f}, kurtosis "
            f"{st['bias_kurt_low'][i]:.3f}-{st['bias_kurt_high'][i]:.3f}, bootstrap "
            f"{st['bias_boot_low'][i]:.3f}-{st['bias_boot_high'][i]:.3f})"
        )
    _print_macro(data, done.start, done.end)
    t1 = time.perf_counter()
    print(f"\nWriting the workbooks into {args.out}:", flush=True)
    started: set[str] = set()

    def progress(message: str) -> None:  # by workbook: its sheets, then its saving (each a few seconds)
        name, _, what = message.partition(": ")
        if name not in started or what == "saving":
            started.add(name)
            what = what if what == "saving" else "computing and writing the sheets"
            print(f"  {name}: {what} ... ({time.perf_counter() - t1:.1f} s)", flush=True)

    paths = build_all(Path(args.out), inputs, force=args.force, data=data, progress=progress)
    print(f"\nWorkbooks written in {time.perf_counter() - t1:.1f} s ({time.perf_counter() - t0:.1f} s in all):")
    for p in paths:
        print(f"  {p}")
    return 0


def _print_macro(data: Dataset, start: int | None, end: int | None) -> None:
    """The macro example (the Macro sheet) when the data are monthly and share enough quarters with macrodata."""
    from .workbook import macro

    ex = macro.macro_example(data, start, end)
    print(
        "\n" + "\n".join(macro.report(ex))
        if ex
        else f"\nMacro factors: the data share fewer than {macro.MIN_QUARTERS} quarters with statsmodels' macrodata "
        "(1959Q2-2009Q3; monthly data, or quarterly data dated at each quarter's end, without gaps); example left out."
    )


NO_PENALTY_WORKBOOK = (
    "Note: no factor is penalised (one factor, the market, unpenalised by default): ridge and lasso are OLS and the "
    "Lambda sheet says so instead of cross-validating; pass --penalty-weights 1 (or more factors) for a lambda."
)


def workbook(args: argparse.Namespace) -> int:
    """Write the template workbooks (all flavours) for the shipped data or the user's files."""
    from .workbook.template import FILE_NAMES, build_all

    t0 = time.perf_counter()  # options a method does not read are kept: Start's cells hold them for another choice
    data = _dataset(args)
    t, n, k = data.shape()
    names = ", ".join(data.factor_names[:8]) + (", ..." if k > 8 else "")
    print(f"{data.title}: {t} periods, {n} assets, {k} factors ({names})", flush=True)
    inputs = _inputs(args, data)
    _check_window(data, inputs)
    done = inputs.resolve(data)
    if not any(float(w) > 0 for w in done.selected(done.penalty_weights)):
        print(NO_PENALTY_WORKBOOK, flush=True)
    flavors = FLAVORS if args.flavor == "all" else (args.flavor,)
    refuse_overwrite([Path(args.out) / FILE_NAMES[fl] for fl in flavors], args.force, "--force")  # before the work
    progress = lambda message: print(f"  {message} ... ({time.perf_counter() - t0:.1f} s)", flush=True)  # noqa: E731
    for p in build_all(Path(args.out), inputs, force=args.force, data=data, flavors=flavors, progress=progress):
        print(p)
    return 0


def backtest(args: argparse.Namespace) -> int:
    """Walk-forward backtest of every risk model on the shipped data (or the user's files): table and chart."""
    import numpy as np
    import pandas as pd

    from . import frames
    from .core import options

    D = options.DEFAULTS
    _check_options(args)
    data = _dataset(args)
    out = Path(args.out)
    targets = [out / "backtest.csv"] + ([] if args.no_chart else [out / "backtest.png"])
    refuse_overwrite(targets, args.force, "--force")  # before the work
    start = args.start or data.default_start or int(data.periods[0])
    keep = (data.periods >= start) & (data.periods <= (args.end or data.periods[-1]))
    if not keep.any():
        raise XLFactorError(f"no period lies between --start {start} and --end {args.end}.")
    periods = pd.Index(data.periods[keep], name="period")
    y = pd.DataFrame(data.returns[keep] - data.rf[keep, None], index=periods, columns=list(data.asset_names))
    x = pd.DataFrame(data.factors[keep], index=periods, columns=list(data.factor_names))
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    span = f"the window {periods[0]} to {periods[-1]}"
    check_backtest_room(len(y), args.window, args.step, span, data.period_word, ("--window", "--step"))
    t0 = time.perf_counter()
    print(
        f"xlfactor {__version__}: walk-forward backtest on {data.title}: {len(y)} {data.period_word}s from {start}, "
        f"{y.shape[1]} assets, factors {', '.join(x.columns)}; {args.window}-{data.period_word} windows, rebalanced "
        f"every {args.step}, lambda by {args.folds}-fold {args.scheme} CV in each window, {args.alloc} weights "
        f"({args.engine} engine)",
        flush=True,
    )

    def progress(done, total, what):
        print(f"[{done}/{total}] {what} ... ({time.perf_counter() - t0:.1f} s)", flush=True)

    ann = args.periods_per_year or data.periods_per_year  # annualisation: the table, backtest.csv, the chart

    res = frames.backtest(
        y,
        x,
        args.window,
        step=args.step,
        models=models,
        alloc=args.alloc,
        folds=args.folds,
        scheme=args.scheme,
        gap=args.gap,
        rule=args.rule,
        cov_method=args.cov,
        halflife=args.halflife or (D["halflife"] if args.cov in options.COV_OPTION_USERS["halflife"] else None),
        corr_halflife=args.corr_halflife,
        nw_lags=args.nw_lags or 0,
        regime_halflife=args.regime_halflife,
        specific_shrink=args.specific_shrink,
        periods_per_year=ann,
        engine=args.engine,
        scheduler=args.scheduler,
        progress=progress,
    )
    summary = res["summary"]
    pct = [i for i in summary.index if "annualised" in i or "dispersion" in i or "Turnover" in i or "outside" in i]
    shown = summary.copy().astype(object)
    for label in summary.index:
        shown.loc[label] = [
            "n/a"  # e.g. the dispersion on each holding period's realised covariance needs --step 2 or more
            if not np.isfinite(v)
            else f"{100 * v:.2f}%"
            if label in pct
            else f"{v:.0f}"
            if label in ("Periods out of sample", "Rebalances")
            else f"{v:.3f}"
            for v in summary.loc[label]
        ]
    if any("dispersion" in i and not np.isfinite(summary.loc[i]).any() for i in summary.index):
        print(
            "Risk-contribution dispersion: n/a with --step 1 (measured on each holding period's realised "
            "covariance, which needs 2 periods or more)."
        )
    print(f"\nOut of sample, {res['returns'].index[0]} to {res['returns'].index[-1]} (excess returns):")
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(shown.to_string())
    print(
        "Bias statistic: std of return / predicted volatility; 1 = forecasts right. The normal band assumes normal "
        "returns; with fat tails read the kurtosis-adjusted band and the block-bootstrap interval: above them the "
        "forecasts are too low."
    )
    # one header row, each name with its unit (Excel reads it as is)
    table = pd.concat(
        [
            res["returns"].add_suffix(f" return (decimal per {data.period_word})"),
            (100 * ann**0.5 * res["predicted_vol"]).add_suffix(" predicted vol (%/yr)"),
            res["cumulative"].add_suffix(" cumulative (growth of 1)"),
        ],
        axis=1,
    )
    table.index.name = "period"
    with atomic_paths(targets) as temps:
        table.to_csv(temps[0])
        if not args.no_chart:
            _chart(res, data, temps[1], ann)
    print(f"\nWritten ({time.perf_counter() - t0:.1f} s):")
    for p in targets:
        print(f"  {p}")
    return 0


def _chart(res: dict, data, path: Path, periods_per_year: float) -> None:
    """Cumulative excess returns over time, and predicted vs realised volatility per model."""
    import pandas as pd

    try:
        import matplotlib
    except ImportError:
        raise XLFactorError(
            'the chart needs matplotlib: pip install ".[plot]" in the xlfactor folder, or pass --no-chart.'
        ) from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cum, st = res["cumulative"], res["summary"]
    fmt = "%Y%m" if data.frequency == "monthly" else "%Y%m%d"
    when = pd.to_datetime(cum.index.astype(str), format=fmt)
    fig, axes = plt.subplot_mosaic(
        [["cum", "bars"], ["ratio", "ratio"]],
        figsize=(13, 8.5),
        gridspec_kw={"width_ratios": [3, 2], "height_ratios": [5, 3.5]},
    )
    a1, a2, a3 = axes["cum"], axes["bars"], axes["ratio"]
    n = len(res["returns"])
    span = min(3 * int(periods_per_year), max(2, n // 2))  # three years, or half a shorter test: never an empty panel
    years = "" if span == 3 * int(periods_per_year) else f"; 3 years are more than half the {n} out of sample"
    real_roll = res["returns"].rolling(span).std()
    pred_roll = (res["predicted_vol"] ** 2).rolling(span).mean() ** 0.5
    for m in cum.columns:
        a3.plot(when, real_roll[m] / pred_roll[m], label=m, linewidth=1.0)
    a3.axhline(1.0, color="black", linewidth=0.8)
    a3.set_title(f"Realised / predicted volatility over trailing {span} periods (above 1: risk under-predicted{years})")
    a3.set_xlabel("period")
    a3.set_ylabel("ratio")
    a3.legend(ncol=4, fontsize=8)
    a3.grid(alpha=0.3)
    for m in cum.columns:
        a1.plot(when, cum[m], label=m, linewidth=1.2)
    a1.set_yscale("log")
    a1.set_title(
        "Cumulative excess return (growth of 1, log scale; the models' portfolios nearly coincide)"
        if (cum.max(axis=1) / cum.min(axis=1)).max() < 1.05
        else "Cumulative excess return (growth of 1, log scale)",
        fontsize=10,
    )
    a1.set_xlabel("period")
    a1.set_ylabel("growth of 1")
    a1.legend()
    a1.grid(alpha=0.3)
    models = list(st.columns)
    pos = range(len(models))
    pred = st.loc["Predicted volatility (annualised, RMS)"] * 100
    real = st.loc["Realised volatility (annualised)"] * 100
    a2.bar([p - 0.2 for p in pos], pred, width=0.4, label="predicted")
    a2.bar([p + 0.2 for p in pos], real, width=0.4, label="realised")
    for p, m in zip(pos, models, strict=True):
        a2.annotate(
            f"bias {st.loc['Bias statistic (1 = forecasts right)', m]:.2f}",
            (p, max(pred[m], real[m])),
            ha="center",
            va="bottom",
            fontsize=8,
        )
    a2.set_xticks(list(pos), [m.replace("_", "_\n") for m in models])  # long names on two lines, not rotated
    a2.set_ylim(0, 1.15 * max(pred.max(), real.max()))  # room for the bias labels
    a2.set_title("Predicted vs realised volatility, out of sample")
    a2.set_ylabel("volatility, % a year")
    a2.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)  # below the bars, not on them
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)


def serve(args: argparse.Namespace) -> int:
    """Run xlwings Server with xlfactor's functions on this machine."""
    from importlib.util import find_spec

    from .excel import runtimes

    if find_spec("xlwings_server") is None or find_spec("uvicorn") is None:  # importing would switch xlwings' mode
        print('xlfactor serve needs xlwings Server: pip install ".[server]" in the xlfactor folder', file=sys.stderr)
        return 2
    runtimes.serve(
        Path(args.dir),
        host=args.host,
        port=args.port,
        run=not args.print_only,
        force=args.force,
        workers=args.workers,
        cli=True,
    )
    return 0


def lite(args: argparse.Namespace) -> int:
    """Write main.py and requirements.txt for xlwings Lite."""
    from .excel import runtimes

    paths = runtimes.write_lite_files(Path(args.out), force=args.force, cli=True)
    print("xlwings Lite: in Excel, open the xlwings Lite add-in and paste")
    for path in paths:
        print(f"  {path}  into the {path.name} tab")
    print("main.py carries xlfactor itself; requirements.txt names xlwings, numpy and scipy (from Pyodide).")
    print("Restart Lite once so the requirements install; =CAPM_BETA(...) and the others are then available.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from .core import options

    D = options.DEFAULTS
    parser = Parser(prog="xlfactor", description="Factor models for spreadsheets.")
    parser.add_argument("--version", action="version", version=f"xlfactor {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser(
        "demo", help="run the template's procedure (shipped data or --returns FILE); print it; write the workbooks"
    )
    data_arguments(p)
    start_arguments(p)
    p.set_defaults(func=demo)

    p = sub.add_parser(
        "workbook",
        help="write the template workbooks for the shipped data or your files "
        "(--returns FILE --factors FILE|french [--rf FILE|COLUMN]), with the Start "
        "sheet's inputs as given",
    )
    data_arguments(p)
    start_arguments(p)
    p.add_argument(
        "--flavor",
        choices=["all", *FLAVORS],
        default="all",
        help="which workbook: classic Excel, officejs (xlwings Server and Lite), preview (values only, "
        "for reading and printing); default all three",
    )
    p.set_defaults(func=workbook)

    p = sub.add_parser(
        "backtest",
        help="walk-forward backtest of the risk models (ols, ridge, lasso, lasso with the "
        "market free): a table, backtest.csv and backtest.png",
    )
    data_arguments(p)
    window_arguments(p, "196307 on the shipped data, else the first period")
    p.add_argument(
        "--window",
        type=count("window", minimum=2),
        default=60,
        metavar="PERIODS",
        help="estimation window, in periods (default 60)",
    )
    p.add_argument(
        "--step",
        type=count("step", minimum=1),
        default=1,
        metavar="PERIODS",
        help="periods between rebalances (default 1)",
    )
    p.add_argument(
        "--models",
        default=",".join(options.BACKTEST_MODELS),
        metavar="NAMES",
        help=f"risk models, comma-separated (default {','.join(options.BACKTEST_MODELS)}; on request "
        f"{','.join(options.BACKTEST_LATENT)}: latent factors, k chosen in each window)",
    )
    p.add_argument(
        "--alloc",
        choices=options.PLAIN_ALLOC_METHODS,
        default=D["risk_method"],
        help=f"allocation at each rebalance (default {D['risk_method']})",
    )
    cv_arguments(p, "CV folds inside each window")
    cov_arguments(p)
    periods_per_year_argument(p)
    p.add_argument(
        "--engine",
        choices=options.ENGINES,
        default=D["engine"],
        help='where the windows run: here (default) or on a Dask cluster (pip install ".[dask]" in the xlfactor folder)',
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (default with --engine dask: a local cluster)",
    )
    p.add_argument("--no-chart", action="store_true", help="skip backtest.png (no matplotlib needed)")
    p.add_argument("--out", default=OUT, help=f"folder for backtest.csv and backtest.png (default {OUT})")
    p.add_argument("--force", action="store_true", help="overwrite backtest.csv and backtest.png")
    p.set_defaults(func=backtest)

    p = sub.add_parser("serve", help="run xlwings Server with xlfactor's functions on 127.0.0.1")
    p.add_argument("--dir", default="xlfactor-server", help="server project folder (created; default xlfactor-server)")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1; another needs an auth provider, XLWINGS_AUTH_PROVIDERS)",
    )
    p.add_argument(
        "--workers",
        type=int,  # checked by runtimes.serve, in the same words
        default=1,
        help="server processes (default 1); each runs calls in threads, so slow calls do not block fast ones",
    )
    p.add_argument("--port", type=count("port", minimum=1, maximum=65535), default=8000, help="port (default 8000)")
    p.add_argument("--print-only", action="store_true", help="write the project and print the instructions, do not run")
    p.add_argument("--force", action="store_true", help="overwrite project files that differ from xlfactor's")
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
    except OSError as exc:  # the file system said no: one line, not a traceback
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"xlfactor: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
