"""The Loadings sheet: OLS, ridge and lasso loadings at the chosen lambdas, charted factor by factor."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..model import Expr
from ..sheet import Layout
from ..styles import DIVERGING
from .lambda_ import LAMBDA_FORMAT

if TYPE_CHECKING:
    from ..build import Template
    from ..sheet import Sheet

TITLE = "Loadings"
KEY = "loadings"  # what later sheets find this sheet's blocks under
NEEDS = ("data", "factors", "market", "lambda")  # the sheets whose blocks this one uses


def build(tpl: Template, s: Sheet, ctx: dict) -> dict:
    book = s.book
    data, factors, market, lam = (ctx[key] for key in NEEDS)
    f, cap, d = book.fmt, tpl.capacity, tpl.data
    n, k = d.shape()[1], factors["k"]
    ex, fx = market["excess"], factors["factors"]
    s.text(0, 0, "Loadings: OLS, ridge and lasso at the chosen lambdas", f["title"])
    s.set_column(0, 0, 14)
    s.set_column(1, n, 9)
    s.paragraph(
        1,
        0,
        min(n, 10),
        f"Factor rows x asset columns (room for {cap.factors} factors). Colours: red negative, white "
        "zero, blue positive; lasso zeros are factors the penalty dropped. Charts: the three side by "
        "side, one chart per factor.",
        "note",
    )
    pen = [0.0, tpl.start_ref("standardize"), False, factors["weights"]]
    lay = Layout(s, 3)
    blocks = {}
    num = book.number(decimals=3)
    for key, title in (("ols", "OLS (alpha first)"), ("ridge", "Ridge"), ("lasso", "Lasso")):
        head = lay.take(f"{key}_head", 2, n + 1, gap=0)
        s.heading(head.r0, 0, title)
        if key != "ols":
            s.text(head.r0, 2, "lambda", f["label"])
            s.formula(head.r0, 3, f"={lam[key].cell().a1()}", lam[key].value(), book.num_format(LAMBDA_FORMAT))
            if not lam["penalised"]:
                s.text(head.r0, 4, "= OLS: no factor penalised (see the Lambda sheet)", f["note"])
        s.array(head.r0 + 1, 1, data["asset_names"], f["head"])
        room = lay.take(key, cap.factors + (key == "ols"), n + 1)
        if key == "ols":
            s.array(
                room.r0,
                0,
                Expr(f'VSTACK("alpha",{factors["names_col"].a1()})', [["alpha"], *factors["names_col"].values()]),
                f["label"],
            )
            blocks[key] = s.udf(
                room.r0,
                1,
                "OLS_LOADINGS",
                [ex, fx],
                num,
                block=key,
                row_formats=[book.number(decimals=3, percent=True)] + [num] * k,
            )
        elif not lam["penalised"]:  # lambda has no effect: the OLS loadings without the alpha row
            s.array(room.r0, 0, factors["names_col"], f["label"])
            ols = blocks["ols"]
            blocks[key] = s.blocks[key] = s.array(room.r0, 1, Expr(f"DROP({ols.a1()},1)", ols.values()[1:]), num)
        else:
            s.array(room.r0, 0, factors["names_col"], f["label"])
            fn = "RIDGE_LOADINGS" if key == "ridge" else "LASSO_LOADINGS"
            blocks[key] = s.udf(room.r0, 1, fn, [ex, fx, lam[key], *pen], num, block=key)
        s.ws.conditional_format(
            room.r0 + (key == "ols"),
            1,
            room.r1,
            room.c1,
            dict(DIVERGING),
        )
    cats = s.ref(blocks["ols"].r0 - 1, 1, blocks["ols"].r0 - 1, n)
    across = 3 if n <= 24 else 1  # side by side while their bars stay wide enough to read
    width = 330 if across > 1 else min(900, 24 * n + 160)  # three within a page printed at the smallest scale
    names = tpl.inp.selected(d.factor_names)
    step = 18  # rows a chart of 340 px takes, and a gap
    charts = lay.take("charts", step * -(-k // across), n + 1)  # below the blocks
    s.heading(charts.r0 - 1, 0, "OLS vs ridge vs lasso, factor by factor")
    for i in range(k):
        series = [
            {
                "name": title,
                "categories": cats.a1(),
                "values": blocks[key].row(i + (key == "ols")).a1(),
                "fill": {"color": colour},
                "gap": 60,
            }
            for key, title, colour in (
                ("ols", "OLS", "#A6A6A6"),
                ("ridge", "ridge", "#5A8AC6"),
                ("lasso", "lasso", "#C00000"),
            )
        ]
        book.chart(
            s,
            {"type": "column"},
            f"{names[i]}: OLS, ridge, lasso",
            series,
            charts.r0 + step * (i // across),
            0,
            {
                "y": {"name": f"loading on {names[i]}", "num_format": "0.00"},
                "x": {"name": "asset", "label_position": "low", "num_font": {"rotation": -45}},
            },
            size=(width, 340),
            x_offset=(width + 10) * (i % across),
        )
    s.ws.freeze_panes(0, 1)
    return blocks
