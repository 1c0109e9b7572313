"""The Market model sheet: CAPM regressions, the variance split, CAPM expected returns, the GRS test."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..model import Call, Expr
from ..sheet import Layout

if TYPE_CHECKING:
    from ..build import Template
    from ..sheet import Sheet

TITLE = "Market model"
KEY = "market"  # what later sheets find this sheet's blocks under
NEEDS = ("data", "factors")  # the sheets whose blocks this one uses


def build(tpl: Template, s: Sheet, ctx: dict) -> dict:
    book = s.book
    data, factors = (ctx[key] for key in NEEDS)
    f, d = book.fmt, tpl.data
    n = d.shape()[1]
    s.text(0, 0, "Market model: CAPM regressions of each asset's excess return on the market's", f["title"])
    s.text(
        1,
        0,
        f"Per {d.period_word} unless marked a year; t-stats use Newey-West errors with the lags set on Start. "
        "Systematic + specific variance = total variance.",
        f["note"],
    )
    lay = Layout(s, 3)
    head = lay.take("asset_head", 1, n + 1, gap=0)
    capm_rows = lay.take("capm", 10, n + 1)  # CAPM_BETA's 8 rows, then alpha and residual volatility a year
    r2_rows = lay.take("r2", 5, n + 1)  # a heading, then 4 rows
    er_rows = lay.take("er", 5, n + 1)  # a heading, CAPM_ER's 2 rows per period, the 2 a year
    grs = lay.take("grs", 3, 3)
    chart_band = lay.take("chart", 20, n + 1)  # the chart sits between the tables and the window
    window = lay.take("window_head", 2, n + 1, gap=0)
    excess_r0 = lay.row  # the return window, last on the sheet: it grows down with the periods
    s.array(head.r0, 1, data["asset_names"], f["head"])
    names = s.ref(head.r0, 1, head.r0, n)
    window_args = [data["periods"], tpl.start_ref("start"), tpl.start_ref("end")]
    excess = s.udf(
        excess_r0,
        1,
        "EXCESS_RETURNS",
        [Call("SAMPLE_WINDOW", (data["assets"], *window_args)), factors["rf"]],
        book.number(decimals=4),
        block="excess",
    )
    s.udf(excess_r0, 0, "SAMPLE_WINDOW", [data["periods"], *window_args], f["period"], block="excess_months")
    s.heading(window.r0, 0, "Excess returns over the window (every later sheet uses this block)")
    s.text(window.r0 + 1, 0, d.period_header, f["head"])
    s.array(window.r0 + 1, 1, data["asset_names"], f["head"])
    mkt = factors["market"]
    pw, ppy, a_year = d.period_word, tpl.start_ref("periods_per_year"), tpl.inp.periods_per_year
    assert a_year is not None  # resolved (Inputs.resolve)
    labels = [
        f"alpha (per {pw})",
        "beta",
        "t(alpha)",
        "t(beta)",
        "R2",
        f"residual volatility (per {pw})",
        "observations",
        "Blume beta (2/3 b + 1/3)",
        "alpha (% a year)",
        "residual volatility (% a year)",
    ]
    for i, lab in enumerate(labels):
        s.text(capm_rows.r0 + i, 0, lab, f["label"])
    pct1, pct2, num3 = (
        book.number(decimals=1, percent=True),
        book.number(decimals=2, percent=True),
        book.number(decimals=3),
    )
    capm = s.udf(
        capm_rows.r0,
        1,
        "CAPM_BETA",
        [excess, mkt, None, True, tpl.start_ref("lags")],
        block="capm",
        row_formats=[book.number(decimals=3, percent=True), num3, f["tstat"], f["tstat"], pct1, pct2, f["int"], num3],
    )
    rows = capm.values()
    s.array(capm_rows.r0 + 8, 1, Expr(f"CHOOSEROWS({capm.a1()},1)*{ppy.a1()}", [[v * a_year for v in rows[0]]]), pct2)
    s.array(
        capm_rows.r0 + 9,
        1,
        Expr(f"CHOOSEROWS({capm.a1()},6)*SQRT({ppy.a1()})", [[v * a_year**0.5 for v in rows[5]]]),
        pct1,
    )
    s.heading(r2_rows.r0, 0, f"Selected factors: R2 and variance split (per {pw}, decimal)")
    for i, lab in enumerate(["R2", "total variance", "systematic variance", "specific variance"]):
        s.text(r2_rows.r0 + 1 + i, 0, lab, f["label"])
    var_fmt = book.number(np.nanvar(d.returns, axis=0), sig=3)
    s.udf(
        r2_rows.r0 + 1,
        1,
        "FACTOR_R2",
        [excess, factors["factors"], None, True],
        block="r2",
        row_formats=[pct1, var_fmt, var_fmt, var_fmt],
    )
    s.heading(er_rows.r0, 0, "CAPM expected excess return vs history")
    for i, lab in enumerate(
        [
            f"CAPM E[R-rf], per {pw}",
            f"historical mean, per {pw}",  # within column A
            "CAPM E[R-rf], % a year",
            "historical mean, % a year",
        ]
    ):
        s.text(er_rows.r0 + 1 + i, 0, lab, f["label"])
    er = s.udf(er_rows.r0 + 1, 1, "CAPM_ER", [excess, mkt], pct2, block="er")
    er_year = s.array(
        er_rows.r0 + 3, 1, Expr(f"{er.a1()}*{ppy.a1()}", [[v * a_year for v in r] for r in er.values()]), pct2
    )
    s.heading(grs.r0, 0, "GRS test of alpha = 0")
    s.text(grs.r0 + 1, 0, "F statistic, p-value", f["label"])
    s.udf(grs.r0 + 1, 1, "GRS_TEST", [excess, factors["factors"]], block="grs", col_formats=[f["tstat"], f["pvalue"]])
    s.text(grs.r0 + 2, 0, "A p-value below 0.05 says the selected factors leave significant alphas.", f["note"])
    book.chart(
        s,
        {"type": "column"},
        "CAPM expected excess return vs historical mean (% a year)",
        [
            {
                "name": "CAPM E[R-rf]",
                "categories": names.a1(),
                "values": er_year.row(0).a1(),
                "fill": {"color": "#5A8AC6"},
            },
            {
                "name": "historical mean",
                "categories": names.a1(),
                "values": er_year.row(1).a1(),
                "fill": {"color": "#F4B183"},
            },
        ],
        chart_band.r0,
        0,
        {
            "y": {"num_format": "0%", "name": "excess return, % a year"},
            "x": {"name": "asset", "label_position": "low", "num_font": {"rotation": -45}},
        },
        size=(min(900, max(620, 22 * n + 200)), 380),
    )
    s.set_column(0, 0, 27)
    s.set_column(1, n, 9)
    s.ws.freeze_panes(0, 1)
    s.preview_rows = excess_r0 + 5
    return {"excess": excess, "names": names}
