"""The Risk sheet: factor covariance, specific variances, weights and risk contributions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..inputs import udf_takes
from ..model import Call, Expr
from ..sheet import Layout

if TYPE_CHECKING:
    from ..build import Template
    from ..sheet import Sheet

TITLE = "Risk"
KEY = "risk"  # what later sheets find this sheet's blocks under
NEEDS = ("data", "factors", "market", "loadings")  # the sheets whose blocks this one uses


def build(tpl: Template, s: Sheet, ctx: dict) -> dict:
    book = s.book
    data, factors, market, loadings = (ctx[key] for key in NEEDS)
    f, inp, cap, d = book.fmt, tpl.inp, tpl.capacity, tpl.data
    assert inp.asset_budgets is not None  # resolved (Inputs.resolve)
    n = d.shape()[1]
    ex, fx = market["excess"], factors["factors"]
    pct1 = book.number(decimals=1, percent=True)
    s.text(0, 0, "Risk allocation with the penalised factor model", f["title"])
    s.set_column(0, 0, 20)  # 12 assets print on one page at 75%: labels within 20 characters
    s.set_column(1, n, 10)
    lay = Layout(s, 3)
    cov_head = lay.take("cov_head", 2, gap=0)
    cov_room = lay.take("cov_room", cap.factors, cap.factors + 1)
    asset_head = lay.take("asset_head", 1, n + 1, gap=0)
    per_asset = lay.take("allocation", 5, n + 1)
    shares = lay.take("factor_share_room", max(cap.factors + 2, 41), 2)  # heading, factors, specific; charts beside
    model_head = lay.take("model_head", 2, n + 1, gap=0)
    lr0 = lay.row  # the risk model's loadings, last on the sheet: they grow with factors and assets
    s.paragraph(
        1,
        0,
        min(n, 10),
        "Asset covariance = B F B' + D: loadings B chosen on Start (the table at the bottom of this sheet), "
        "factor covariance F (method on Start), specific variances D, per period. Weights are long-only and "
        "sum to 1.",
        "note",
    )
    # the risk model's loadings
    choice = tpl.start_ref("loadings").a1()
    ols, ridge, lasso = (loadings[m].a1() for m in ("ols", "ridge", "lasso"))
    chosen = {
        "ols": loadings["ols"].values()[1:],
        "ridge": loadings["ridge"].values(),
        "lasso": loadings["lasso"].values(),
    }[inp.loadings.lower()]
    s.heading(model_head.r0, 0, "Risk model loadings: OLS, ridge or lasso as chosen on Start, from the Loadings sheet")
    s.array(model_head.r0 + 1, 1, data["asset_names"], f["head"])
    s.array(lr0, 0, factors["names_col"], f["label"])
    model = s.array(
        lr0,
        1,
        Expr(f'IF({choice}="ols",DROP({ols},1),IF({choice}="ridge",{ridge},{lasso}))', chosen),
        book.number(decimals=3),
    )
    s.blocks["model_loadings"] = model
    # factor covariance
    s.heading(cov_head.r0, 0, f"Factor covariance (per {d.period_word}, decimal; room for {cap.factors} factors)")
    s.array(cov_head.r0 + 1, 1, factors["names_row"], f["head"])
    s.array(cov_room.r0, 0, factors["names_col"], f["label"])
    barra = udf_takes("FACTOR_COV", "nw_lags")  # the Barra-style options on Start, when the functions take them
    cov_call = Call(
        "FACTOR_COV",
        (
            fx,
            tpl.start_ref("cov_method"),
            tpl.cov_option("halflife"),
            *([tpl.cov_option(key) for key in ("corr_halflife", "nw_lags", "regime_halflife")] if barra else []),
        ),
    )
    cov = s.udf(
        cov_room.r0, 1, "FACTOR_COV", list(cov_call.args), book.number(book.evaluate(cov_call), sig=3), block="cov"
    )
    # per asset: specific variance, budgets, weights, risk shares
    s.array(asset_head.r0, 1, data["asset_names"], f["head"])
    names = s.ref(asset_head.r0, 1, asset_head.r0, n)
    r0 = per_asset.r0
    for i, lab in enumerate(
        [f"Specific var./{d.period_word}", "Budgets in use", "Weights", "Risk share by asset", "Specific vol, %/year"]
    ):
        s.text(r0 + i, 0, lab, f["label"])
    spec_call = Call(
        "SPECIFIC_VAR",
        (ex, fx, model, *(["", tpl.start_ref("specific_shrink")] if udf_takes("SPECIFIC_VAR", "shrink") else [])),
    )
    spec = s.udf(
        r0, 1, "SPECIFIC_VAR", list(spec_call.args), book.number(book.evaluate(spec_call), sig=3), block="specific_var"
    )
    risk = tpl.start_ref("risk_method")
    room = book.block("Start", "asset_budgets").a1()
    n_assets = data["n_assets"].a1()
    asset_budgets = f'TOROW(IF(TAKE({room},{n_assets})="",1,TAKE({room},{n_assets})))'
    factor_budgets = tpl.selected("factor_budgets", inp.factor_budgets, row=True)
    in_use = factor_budgets.result if inp.risk_method.lower() == "factor" else [list(inp.asset_budgets)]
    budgets = s.array(
        r0 + 1,
        1,
        Expr(f'IF({risk.a1()}="factor",{factor_budgets.text},{asset_budgets})', in_use),
        book.number(decimals=2),
    )
    weights = s.udf(
        r0 + 2,
        1,
        "RISK_ALLOC",
        [
            model,
            cov,
            spec,
            risk,
            tpl.only_for(("budget", "factor"), budgets),
            tpl.only_for(("targetvol",), tpl.start_ref("target_vol_period")),
        ],
        pct1,
        block="weights",
    )
    by_asset = s.udf(r0 + 3, 1, "RISK_CONTRIB", [weights, model, cov, spec], pct1, block="risk_by_asset")
    ppy = tpl.start_ref("periods_per_year")
    s.array(
        r0 + 4,
        1,
        Expr(f"SQRT({spec.a1()}*{ppy.a1()})", [[(v * inp.periods_per_year) ** 0.5 for v in spec.values()[0]]]),
        pct1,
    )
    # by factor
    s.heading(shares.r0, 0, "Risk share by factor")
    s.array(
        shares.r0 + 1,
        0,
        Expr(f'VSTACK({factors["names_col"].a1()},"Specific")', [*factors["names_col"].values(), ["Specific"]]),
        f["label"],
    )
    by_factor = s.udf(
        shares.r0 + 1, 1, "RISK_CONTRIB", [weights, model, cov, spec, "factor"], pct1, block="risk_by_factor"
    )
    width = min(760, max(600, 22 * n + 200))  # within a printed page beside the table
    book.chart(
        s,
        {"type": "column"},
        "Weights and risk shares by asset",
        [
            {"name": "weight", "categories": names.a1(), "values": weights.address(), "fill": {"color": "#5A8AC6"}},
            {
                "name": "risk share",
                "categories": names.a1(),
                "values": by_asset.address(),
                "fill": {"color": "#F4B183"},
            },
        ],
        shares.r0,
        3,
        {
            "y": {"num_format": "0%", "name": "share"},
            "x": {"name": "asset", "label_position": "low", "num_font": {"rotation": -45}},
        },
        size=(width, 380),
    )
    book.chart(
        s,
        {"type": "bar"},
        "Portfolio variance share by factor and specific risk (%)",
        [
            {
                "name": "share of portfolio variance",
                "categories": s.ref(by_factor.r0, 0, by_factor.r1, 0).a1(),
                "values": by_factor.address(),
                "fill": {"color": "#1F3864"},
                "data_labels": {"value": True, "num_format": "0%"},
            },
        ],
        shares.r0 + 21,
        3,
        {
            "x": {"num_format": "0%", "name": "share of variance (%)"},
            "y": {"name": "source of risk", "reverse": True, "label_position": "low"},
        },
        size=(480, 380),
    )
    s.ws.freeze_panes(0, 1)
    return {"budgets": budgets}
