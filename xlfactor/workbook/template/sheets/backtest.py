"""The Backtest sheet: the procedure walked forward, out of sample, per risk model."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

import numpy as np
from xlsxwriter.utility import xl_col_to_name

from ....core.backtest import STATS
from ....core.options import BACKTEST_MODELS
from ..inputs import udf_takes
from ..model import Expr
from ..sheet import Layout
from ..styles import nice_axis

if TYPE_CHECKING:
    from ..build import Template
    from ..model import Ref
    from ..sheet import Sheet

TITLE = "Backtest"
KEY = "backtest"  # what later sheets find this sheet's blocks under
NEEDS = ("data", "factors", "market", "risk")  # the sheets whose blocks this one uses


COINCIDE = 0.02  # models whose growth paths stay within 2% of the chart's range (a line's width) overlap


def serial(period: int, frequency: str) -> float:
    """Excel's date serial of a period YYYYMM (its first day) or YYYYMMDD."""
    p = int(period)
    day = (
        datetime.date(p // 100, p % 100, 1)
        if frequency == "monthly"
        else datetime.date(p // 10000, p // 100 % 100, p % 100)
    )
    return float((day - datetime.date(1899, 12, 30)).days)


def calendar(s: Sheet, r: int, c: int, periods: Expr, frequency: str, block: str, header: str) -> Ref:
    """A column of dates, headed ``header``, beside a column of periods (charts need dates for a date axis)."""
    p = periods.a1()
    text = (
        f"DATE(INT({p}/100),MOD({p},100),1)"
        if frequency == "monthly"
        else f"DATE(INT({p}/10000),MOD(INT({p}/100),100),MOD({p},100))"
    )
    values = [[serial(row[0], frequency)] for row in periods.values()]
    s.text(r - 1, c, header, s.book.fmt["head_wrap"])
    out = s.array(r, c, Expr(text, values), s.book.num_format("yyyy-mm" if frequency == "monthly" else "yyyy-mm-dd"))
    s.blocks[block] = out
    return out


def date_axis(periods_per_year: int, rows: int) -> dict:
    """A date axis labelled by year, about eight labels across (``rows`` periods, ``periods_per_year`` a year)."""
    years = max(1, round(rows / periods_per_year / 8))
    return {
        "name": "date",
        "date_axis": True,
        "num_format": "yyyy",
        "major_unit": years,
        "major_unit_type": "years",
        "label_position": "low",
    }


def fitted(axis: dict, values: np.ndarray, fixed: bool) -> dict:
    """A value axis; ``fixed`` (the preview, printed by LibreOffice): its range fitted to the data, round ticks."""
    if fixed:
        axis = {**axis, **nice_axis(float(np.nanmin(values)), float(np.nanmax(values)), floor=0.0)}
    return axis


def build(tpl: Template, s: Sheet, ctx: dict) -> dict:
    book = s.book
    data, factors, market, risk_blocks = (ctx[key] for key in NEEDS)
    f, d = book.fmt, tpl.data
    ex, fx, months = market["excess"], factors["factors"], factors["months"]
    models = BACKTEST_MODELS
    s.text(0, 0, "Backtest: the procedure walked forward, out of sample", f["title"])
    s.set_column(0, 0, 44)
    s.set_column(1, len(models) + 3 + d.shape()[1], 10)
    s.set_column(1, len(models), 17)  # model names as headers
    s.paragraph(
        1,
        0,
        len(models),
        "At each rebalance: estimate on the trailing window only (lambda by CV inside it), build "
        "B F B' + D, allocate (method on Start; erc when it is factor, whose search is too slow to "
        "repeat at every rebalance), hold to the next. Window and rebalancing on Start.",
        "note",
    )
    s.paragraph(
        2,
        0,
        len(models),
        f"Models: ols; ridge and lasso with every factor penalised; lasso_market_free = the market "
        f"unpenalised. Excess returns per {d.period_word}, annualised with the periods a year on Start.",
        "note",
    )
    lay = Layout(s, 4)
    head = lay.take("summary_head", 1, gap=0)
    summary_room = lay.take("summary", len(STATS) + 1, len(models) + 1)
    charts = lay.take("charts", 19, 8)  # two charts side by side
    beta_head = lay.take("beta_head", 2, gap=0)
    beta_charts = lay.take("beta_chart", 19, 16)
    series_head = lay.take("window_head", 3, len(models) + 1, gap=0)
    r0 = lay.row  # the series, last on the sheet: they grow with the periods
    window, step = tpl.start_ref("bt_window"), tpl.start_ref("bt_step")
    method = tpl.start_ref("risk_method")
    alloc = Expr(
        f'IF({method.a1()}="factor","erc",{method.a1()})',
        [["erc" if tpl.inp.risk_method.lower() == "factor" else tpl.inp.risk_method]],
    )
    common = [window, step, "", alloc]
    tail = [
        0.0,
        months,
        tpl.start_ref("periods_per_year"),
        tpl.start_ref("folds"),
        tpl.start_ref("scheme"),
        tpl.start_ref("rule"),
        tpl.only_for(("budget",), risk_blocks["budgets"]),
        tpl.only_for(("targetvol",), tpl.start_ref("target_vol_period")),
        tpl.start_ref("cov_method"),
        tpl.cov_option("halflife"),
        *(
            [tpl.cov_option(key) for key in ("corr_halflife", "nw_lags", "regime_halflife")]
            + [tpl.start_ref("specific_shrink")]
            if udf_takes("BACKTEST", "specific_shrink") and udf_takes("FACTOR_COV", "nw_lags")
            else []
        ),
    ]
    s.heading(
        head.r0,
        0,
        "Out-of-sample statistics by risk model (bias statistic 1 = risk forecasts right; "
        "inside the band they are, above it too low)",
    )
    pct, num3 = book.number(decimals=2, percent=True), book.number(decimals=3)
    row_formats = [f["head"]] + [
        pct
        if key in ("return", "volatility", "predicted_vol", "outside", "turnover", "turnover_year", "rc_dispersion")
        else f["int"]
        if key in ("periods", "rebalances")
        else num3
        for key, _ in STATS
    ]
    summary = s.udf(
        summary_room.r0, 0, "BACKTEST", [ex, fx, *common, "summary", *tail], block="bt_summary", row_formats=row_formats
    )
    s.heading(
        series_head.r0,
        0,
        "Growth by model and rolling betas, out of sample (BACKTEST's predicted_vol: ex-ante volatilities)",
    )
    m_ = len(models)
    for c, label in (
        (0, "Growth of 1 (cumulative excess return)"),
        (2 + m_, "Rolling market beta at each rebalance, by asset"),
    ):
        s.text(series_head.r0 + 1, c, label, f["label"])
    # each column says what it holds: the growth's periods and the window ends, as periods and as dates
    period, digits = d.period_word.capitalize(), "YYYYMM" if d.frequency == "monthly" else "YYYYMMDD"
    s.text(series_head.r0 + 2, 0, f"{period} ({digits})", f["head"])
    s.ws.set_row(series_head.r0 + 2, 30)  # two lines: the narrow date columns' headers wrap
    s.heights[series_head.r0 + 2] = 30.0
    for j, m in enumerate(models):
        s.text(series_head.r0 + 2, 1 + j, m, f["head"])
    cum = s.udf(
        r0,
        0,
        "BACKTEST",
        [ex, fx, *common, "cumulative", *tail],
        block="bt_cumulative",
        col_formats=[f["period"]] + [num3] * len(models),
    )
    n_rows = cum.r1 - cum.r0 + 1
    first = Expr(f"CHOOSECOLS({cum.a1()},1)", [row[:1] for row in cum.values()])  # follows the spill
    colours = ["#A6A6A6", "#5A8AC6", "#C00000", "#70AD47"]
    dates = calendar(s, cum.r0, 1 + m_, first, d.frequency, "bt_dates", f"{period} (date)")
    growth = np.array([r[1:] for r in cum.values()], dtype=float)
    spread = float(np.nanmax(np.abs(growth - growth[:, :1])))
    same = spread < COINCIDE * float(np.nanmax(growth) - np.nanmin(growth))
    title = "Growth of 1 by model (cumulative excess return)"
    book.chart(
        s,
        {"type": "line"},
        title + (f": the {len(models)} lines overlap (within {spread:.2f})" if same else ""),
        [
            {
                "name": m,
                "categories": dates.address(),
                "values": s.ref(cum.r0, 1 + j, cum.r0 + n_rows - 1, 1 + j).a1(),
                "line": {"color": colours[j % 4], "width": 1.25, **({"dash_type": "dash"} if same and j else {})},
            }
            for j, m in enumerate(models)
        ],
        charts.r0,
        0,
        {
            "y": fitted({"name": "growth of 1", "num_format": "0.0"}, growth, book.flavor == "preview"),
            "x": date_axis(d.periods_per_year, n_rows),
        },
        size=(620, 360),
    )
    real = s.ref(summary.r0 + 2, 1, summary.r0 + 2, len(models))  # Realised volatility row
    pred_row = s.ref(summary.r0 + 3, 1, summary.r0 + 3, len(models))
    cats = s.ref(summary.r0, 1, summary.r0, len(models))
    book.chart(
        s,
        {"type": "column"},
        "Predicted vs realised volatility, out of sample (a year)",
        [
            {"name": "predicted", "categories": cats.a1(), "values": pred_row.a1(), "fill": {"color": "#5A8AC6"}},
            {"name": "realised", "categories": cats.a1(), "values": real.a1(), "fill": {"color": "#F4B183"}},
        ],
        charts.r0,
        0,
        {
            "y": {"name": "volatility a year", "num_format": "0%", "min": 0},
            "x": {"name": "risk model", "label_position": "low"},
        },
        size=(400, 360),
        x_offset=630,
    )
    # rolling market beta of every asset: the path of the estimate the backtest re-makes at each rebalance
    s.heading(beta_head.r0, 0, "Rolling market beta of each asset (CAPM on the trailing window, at each rebalance)")
    n = d.shape()[1]
    # the window-end dates left of the betas, so that every anchor is the same for any number of assets
    b0 = 3 + m_  # ROLLING_BETA's first column (the window-end periods), after the two date columns
    first_col, last_col = xl_col_to_name(b0 + 1), xl_col_to_name(b0 + n)
    s.text(
        beta_head.r0 + 1,
        0,
        f"Every asset's path is in the table at the bottom of the sheet (columns {first_col} "
        f"to {last_col}); to chart another asset, point a series of the chart at its column.",
        f["note"],
    )
    beta = s.udf(
        r0,
        b0,
        "ROLLING_BETA",
        [ex, factors["market"], window, step, 0.0, months],
        block="rolling_beta",
        col_formats=[f["period"]] + [num3] * d.shape()[1],
    )
    s.text(series_head.r0 + 2, b0, f"Rebalance ({d.period_word})", f["head_wrap"])
    s.array(series_head.r0 + 2, b0 + 1, data["asset_names"], f["head"])
    b_rows = beta.r1 - beta.r0 + 1
    shown = min(n, 6)
    ends = calendar(
        s,
        beta.r0,
        b0 - 1,
        Expr(f"CHOOSECOLS({beta.a1()},1)", [row[:1] for row in beta.values()]),
        d.frequency,
        "beta_dates",
        "Rebalance (date)",
    )
    book.chart(
        s,
        {"type": "line"},
        f"Rolling market beta (window on Start): first {shown} of {n} assets"
        + ("" if shown == n else f"; all in columns {first_col}-{last_col}"),
        [
            {
                "name": d.asset_names[j],
                "categories": ends.address(),
                "values": s.ref(beta.r0, beta.c0 + 1 + j, beta.r0 + b_rows - 1, beta.c0 + 1 + j).a1(),
            }
            for j in range(shown)
        ],
        beta_charts.r0,
        0,
        {
            "y": {"name": "beta", "num_format": "0.00"},
            "x": {
                **date_axis(d.periods_per_year, b_rows * (tpl.inp.bt_step or 1)),
                "name": "rebalance (end of the trailing window)",
            },
        },
        size=(760, 360),
    )
    s.ws.freeze_panes(0, 1)
    s.preview_rows = r0 + 5
    return {}
