"""The Backtest sheet: the procedure walked forward, out of sample, per risk model."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ....core.backtest import STATS
from ....core.options import BACKTEST_MODELS
from ..model import Expr
from ..sheet import Layout

if TYPE_CHECKING:
    from ..build import Template
    from ..sheet import Sheet

TITLE = "Backtest"
KEY = "backtest"  # what later sheets find this sheet's blocks under
NEEDS = ('data', 'factors', 'market', 'risk')  # the sheets whose blocks this one uses


def build(tpl: Template, s: Sheet, ctx: dict) -> dict:
    book = s.book
    data, factors, market, risk_blocks = (ctx[key] for key in NEEDS)
    f, d = book.fmt, tpl.data
    ex, fx, months = market["excess"], factors["factors"], factors["months"]
    models = BACKTEST_MODELS
    s.text(0, 0, "Backtest: the procedure walked forward, out of sample", f["title"])
    s.text(1, 0, "At each rebalance: estimate on the trailing window only (lambda by CV inside it), build "
                 "B F B' + D, allocate (method on Start; erc when it is factor, whose search is too slow to "
                 "repeat at every rebalance), hold to the next. Window and rebalancing on Start.", f["note"])
    s.text(2, 0, f"Models: ols; ridge and lasso with every factor penalised; lasso_market_free = the market "
                 f"unpenalised. Excess returns per {d.period_word}, annualised with the periods a year on Start.",
           f["note"])
    lay = Layout(s, 4)
    head = lay.take("summary_head", 1, gap=0)
    summary_room = lay.take("summary", len(STATS) + 1, len(models) + 1)
    charts = lay.take("charts", 21, 16)
    beta_head = lay.take("beta_head", 2, gap=0)
    beta_charts = lay.take("beta_chart", 21, 16)
    series_head = lay.take("window_head", 3, len(models) + 1, gap=0)
    r0 = lay.row  # the series, last on the sheet: they grow with the periods
    window, step = tpl.start_ref("bt_window"), tpl.start_ref("bt_step")
    method = tpl.start_ref("risk_method")
    alloc = Expr(f'IF({method.a1()}="factor","erc",{method.a1()})',
                 [["erc" if tpl.inp.risk_method.lower() == "factor" else tpl.inp.risk_method]])
    common = [window, step, "", alloc]
    tail = [0.0, months, tpl.start_ref("periods_per_year"), tpl.start_ref("folds"), tpl.start_ref("scheme"),
            tpl.start_ref("rule"), risk_blocks["budgets"], tpl.start_ref("target_vol_period"),
            tpl.start_ref("cov_method"), tpl.start_ref("halflife")]
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
    return {}
