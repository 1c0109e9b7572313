"""The Factors sheet: the sample window, factor correlations, VIF and condition number."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..model import Expr
from ..sheet import Layout
from ..styles import DIVERGING

if TYPE_CHECKING:
    from ..build import Template
    from ..sheet import Sheet

TITLE = "Factors"
KEY = "factors"  # what later sheets find this sheet's blocks under
NEEDS = ("data",)  # the sheets whose blocks this one uses


def build(tpl: Template, s: Sheet, ctx: dict) -> dict:
    book = s.book
    data = ctx["data"]
    f, inp, cap, d = book.fmt, tpl.inp, tpl.capacity, tpl.data
    use = np.array(inp.use_factors)
    k_sel = int(use.sum())
    s.text(0, 0, "Factors over the sample window: correlation, VIF, condition number", f["title"])
    s.text(
        1,
        0,
        "The window and the factor selection come from the Start sheet; the CAPM market is the Data "
        "sheet's first factor, selected or not.",
        f["note"],
    )
    lay = Layout(s, 3)
    corr_head = lay.take("corr_head", 2, gap=0)
    corr_room = lay.take("corr_room", cap.factors, cap.factors + 1)
    diag = lay.take("diagnostics", 4)
    window = lay.take("window_head", 2, 3 + cap.factors, gap=0)
    win_r0 = lay.row  # the window, last on the sheet: it grows down with the periods
    names_row = tpl.selected("factor_names", d.factor_names, row=True)
    names_col = tpl.selected("factor_names", d.factor_names)
    window_args = [data["periods"], tpl.start_ref("start"), tpl.start_ref("end")]
    use_now = Expr(f"TAKE({tpl.start_ref('use').a1()},{data['n_factors'].a1()})", [[u] for u in use])
    ret = book.number(decimals=4)
    win = {
        "months": s.udf(win_r0, 0, "SAMPLE_WINDOW", [data["periods"], *window_args], f["period"], block="months"),
        "rf": s.udf(win_r0, 1, "SAMPLE_WINDOW", [data["rf"], *window_args], book.number(decimals=5), block="rf"),
        "market": s.udf(win_r0, 2, "SAMPLE_WINDOW", [data["market"], *window_args], ret, block="market"),
        "factors": s.udf(win_r0, 3, "SAMPLE_WINDOW", [data["factors"], *window_args, use_now], ret, block="factors"),
    }
    s.heading(window.r0, 0, "Sample window (every later sheet uses these blocks)")
    for j, h in enumerate([d.period_header, "RF"]):
        s.text(window.r0 + 1, j, h, f["head"])
    # the CAPM's market: the Data sheet's first factor, whether selected or not (its name heads a column after)
    s.text(window.r0 + 1, 2, "CAPM market", f["head"])
    s.array(window.r0 + 1, 3, names_row, f["head"])
    s.heading(corr_head.r0, 0, f"Correlation (room for {cap.factors} factors)")
    s.array(corr_head.r0 + 1, 1, names_row, f["head"])
    s.array(corr_room.r0, 0, names_col, f["label"])
    s.udf(corr_room.r0, 1, "FACTOR_CORR", [win["factors"]], book.number(decimals=3), block="corr")
    s.ws.conditional_format(
        corr_room.r0,
        1,
        corr_room.r1,
        corr_room.c1,
        {**DIVERGING, "min_type": "num", "min_value": -1, "max_type": "num", "max_value": 1},
    )
    s.text(diag.r0, 0, "VIF", f["label"])
    vif = s.udf(diag.r0, 1, "FACTOR_VIF", [win["factors"]], book.number(decimals=2), block="vif")
    s.text(diag.r0 + 1, 0, "Condition number", f["label"])
    cond = s.udf(diag.r0 + 1, 1, "FACTOR_COND", [win["factors"]], book.number(decimals=1), block="cond")
    vif_values = [x for x in vif.values()[0] if isinstance(x, float)]
    high = max(vif_values) > 10 or cond.value() > 30
    warn = (
        "Warning: high collinearity (VIF above 10 or condition number above 30): loadings are unstable; "
        "consider ridge or dropping a factor."
    )
    fine = "No harmful collinearity: every VIF <= 10 and condition number <= 30."
    s.formula(
        diag.r0 + 2,
        0,
        f'=IF(OR(COUNTIF({vif.a1()},">10")>0,{cond.cell().a1()}>30),"{warn}","{fine}")',
        warn if high else fine,
        f["warn"] if high else f["note"],
    )
    s.text(diag.r0 + 3, 0, "Penalty weight", f["label"])
    weights = s.array(
        diag.r0 + 3, 1, tpl.selected("penalty_weights", inp.penalty_weights, row=True), book.number(decimals=2)
    )
    s.set_column(0, 0, 16)
    s.set_column(1, 3 + k_sel, 11)
    s.set_column(2, 2, 15)
    s.ws.freeze_panes(0, 1)
    s.preview_rows = win_r0 + 5
    return {**win, "names_row": names_row, "names_col": names_col, "weights": weights, "k": k_sel}
