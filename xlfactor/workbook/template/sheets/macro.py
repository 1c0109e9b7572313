"""The Macro sheet: the assets' exposures to GDP growth, inflation and unemployment changes (non-traded factors),
their risk premia (two-pass with plain and Shanken errors, and GMM) and GDP's mimicking portfolio, per quarter.

The macro series (statsmodels' macrodata, 1959Q2-2009Q3) are pasted at the bottom; the Data sheet's monthly
(or quarterly) returns and risk-free rate over Start's sample window are compounded to those quarters by
COMPOUND_RETURNS (quarterly ones are taken as they are), so a new window on Start moves every estimate here. Data
that are neither monthly nor quarterly (quarters labelled by their last month), or share fewer than
``macro.MIN_QUARTERS`` quarters with the series, get a note instead of the formulas.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ....data.macro import MACRO_FACTORS, load_macro, macro_labels
from ... import macro as example
from ..model import Call, Expr, grid
from ..sheet import Layout

if TYPE_CHECKING:
    from ..build import Template
    from ..sheet import Sheet

TITLE = "Macro"
KEY = "macro"  # what later sheets find this sheet's blocks under
NEEDS = ("data",)  # the sheets whose blocks this one uses
METHODS = (
    ("Two-pass, plain errors (betas taken as known)", "twopass", "plain"),
    ("Two-pass, Shanken (1992) errors (betas estimated)", "twopass", "shanken"),
    ("GMM, two-step, robust errors", "gmm", ""),
)
TESTS = ("J", "df", "p-value", "R2 (CS)", "Shanken 1+c")  # the last: Shanken's factor, applied to his errors only
PAGE_COLS = 12  # notes wrap within the first columns: a printed page (27 + 12 x 9 characters at 75-80%)


def build(tpl: Template, s: Sheet, ctx: dict) -> dict:
    book, data, d = s.book, ctx["data"], tpl.data
    assert d is not None  # Template fills it in
    f = book.fmt
    n = d.shape()[1]
    k = len(MACRO_FACTORS)
    s.set_column(0, 0, 27)
    s.set_column(1, n + 4, 9)
    s.set_column(len(TESTS), len(TESTS), 12)  # the tests' last header, "Shanken 1+c"
    s.text(
        0, 0, "Macro factors: exposures to GDP growth, inflation and unemployment changes, and their premia", f["title"]
    )
    ex = example.macro_example(d, tpl.inp.start, tpl.inp.end)
    if ex is None:
        s.paragraph(
            1,
            0,
            max(n, 8),
            f"Needs monthly data, or quarterly data dated at each quarter's end, without gaps, whose sample window "
            f"(on Start) shares at least "
            f"{example.MIN_QUARTERS} quarters with the macro series (1959Q2-2009Q3), and at least {k + 2} "
            "assets; these data do not.",
            "note",
        )
        return {}
    s.paragraph(
        1,
        0,
        min(n, PAGE_COLS),
        "Per quarter, decimal: the macro series (statsmodels' macrodata, pasted at the bottom) are "
        "not returns, so their premia come from the cross-section of the assets, with an intercept (the "
        "zero-beta rate). Returns: the Data sheet's over Start's sample window, "
        + ("quarterly as they are." if d.cadence == "quarterly" else "compounded to quarters."),
        "note",
    )
    m = load_macro()
    lay = Layout(s, 3)
    head = lay.take("asset_head", 1, n + 1, gap=0)
    betas = lay.take("betas", k, n + 1)
    blocks = [lay.take(f"premia_{i}", k + 5, 6) for i in range(len(METHODS))]
    note = lay.take("tests_note", 1, n + 1)
    mimic = lay.take("mimic_head", 5, n + 1)
    chart_band = lay.take("chart", 20, n + 1)
    table = lay.take("macro_head", 2, n + 5, gap=0)
    r0, q = lay.row, len(m)

    # the pasted macro series and the quarterly returns over Start's window
    s.heading(
        table.r0,
        0,
        "Macro series (pasted) and the Data sheet's returns over Start's window compounded to their quarters",
    )
    for j, h in enumerate(["Quarter (YYYYMM)", *MACRO_FACTORS, "RF"]):
        s.text(table.r0 + 1, j, h, f["head"])
    s.array(table.r0 + 1, k + 2, data["asset_names"], f["head"])
    labels = macro_labels(m).to_numpy()
    s.table(r0, 0, labels[:, None], f["period"])
    rate = book.number(decimals=4)
    macro_ref = s.table(r0, 1, m.to_numpy(), rate)
    label_col = Expr(s.ref(r0, 0, r0 + q - 1, 0).a1(), grid(labels[:, None].astype(float)))
    macro = Expr(macro_ref.a1(), grid(m.to_numpy()))
    gdp = Expr(s.ref(r0, 1, r0 + q - 1, 1).a1(), grid(m.to_numpy()[:, :1]))
    window = [data["periods"], tpl.start_ref("start"), tpl.start_ref("end")]
    months = Call("SAMPLE_WINDOW", (data["periods"], *window))
    rf_q = s.udf(
        r0,
        k + 1,
        "COMPOUND_RETURNS",
        [Call("SAMPLE_WINDOW", (data["rf"], *window)), months, "quarter", label_col],
        rate,
        block="rf_q",
    )
    assets_q = s.udf(
        r0,
        k + 2,
        "COMPOUND_RETURNS",
        [Call("SAMPLE_WINDOW", (data["assets"], *window)), months, "quarter", label_col],
        rate,
        block="returns_q",
    )

    # betas, premia and tests by method (results inside a block are not named: pages break at named block tops)
    s.array(head.r0, 1, data["asset_names"], f["head"])
    common = [assets_q, macro]
    for i, name in enumerate(MACRO_FACTORS):
        s.text(betas.r0 + i, 0, f"beta on {name}", f["label"])
    s.udf(
        betas.r0,
        1,
        "RISK_PREMIA",
        [*common, "twopass", "shanken", True, "", "betas", rf_q],
        book.number(decimals=2),
        block="betas",
    )
    pct2 = book.number(decimals=2, percent=True)
    for (title, method, se), block in zip(METHODS, blocks, strict=True):
        # efficient GMM's weights are unreliable when the moments approach the periods: say how many
        moments = f" ({n * (k + 1) + k} moments on {ex.labels.size} quarters)" if method == "gmm" else ""
        s.heading(block.r0, 0, title + moments)
        if method == "gmm" and ex.gmm is None:  # in Excel the formulas would show the error: say it here
            s.paragraph(block.r0 + 1, 0, min(n, PAGE_COLS), f"Left out on this window: {ex.gmm_note}", "note")
            continue
        for j, h in enumerate(["premium", "std error", "t-stat"]):
            s.text(block.r0 + 1, 1 + j, h, f["head"])
        for i, lab in enumerate(("zero-beta rate", *MACRO_FACTORS)):
            s.text(block.r0 + 2 + i, 0, lab, f["label"])
        s.udf(
            block.r0 + 2,
            1,
            "RISK_PREMIA",
            [*common, method, se, True, "", "premia", rf_q],
            col_formats=[pct2, pct2, f["tstat"]],
        )
        tests_row = block.r0 + k + 4
        for j, h in enumerate(TESTS):
            s.text(tests_row - 1, 1 + j, h, f["head"])
        s.text(tests_row, 0, "pricing errors: joint test", f["label"])
        s.udf(
            tests_row,
            1,
            "RISK_PREMIA",
            [*common, method, se, True, "", "tests", rf_q],
            col_formats=[f["tstat"], f["int"], f["pvalue"], book.number(decimals=2), book.number(decimals=3)],
        )
    s.paragraph(
        note.r0,
        0,
        min(n, PAGE_COLS),
        "Premium: per quarter per unit of beta. J: the pricing errors' joint test on df degrees "
        "of freedom; R2 (CS): the cross-sectional R2 of mean returns; Shanken 1+c = 1 + lambda' Sf^-1 lambda at "
        "each method's premia, the factor Shanken's errors scale the betas' part by: the plain and GMM errors do "
        "not use it (shown for comparison). Robust errors without lags.",
        "note",
    )

    # GDP's mimicking portfolio
    s.heading(mimic.r0, 0, "GDP's mimicking portfolio of the assets (OLS on their quarterly excess returns)")
    s.array(mimic.r0 + 1, 1, data["asset_names"], f["head"])
    s.text(mimic.r0 + 2, 0, "weight", f["label"])
    s.udf(mimic.r0 + 2, 1, "MIMICKING_PORTFOLIO", [gdp, assets_q, "weights", rf_q], book.number(decimals=3))
    for j, h in enumerate(["corr", "R2", "quarters"]):
        s.text(mimic.r0 + 3, 1 + j, h, f["head"])
    s.text(mimic.r0 + 4, 0, "tracking correlation, R2", f["label"])
    s.udf(
        mimic.r0 + 4,
        1,
        "MIMICKING_PORTFOLIO",
        [gdp, assets_q, "stats", rf_q],
        col_formats=[book.number(decimals=2), book.number(decimals=2), f["int"]],
    )

    names = s.ref(head.r0, 1, head.r0, n)
    beta_block = s.blocks["betas"]
    book.chart(
        s,
        {"type": "column"},
        "Exposures to the macro factors (betas per unit of factor)",
        [
            {"name": name, "categories": names.a1(), "values": beta_block.row(i).a1()}
            for i, name in enumerate(MACRO_FACTORS)
        ],
        chart_band.r0,
        0,
        {"y": {"name": "beta"}, "x": {"name": "asset", "label_position": "low", "num_font": {"rotation": -45}}},
        size=(min(900, max(620, 22 * n + 200)), 380),
    )
    s.ws.freeze_panes(0, 1)
    s.preview_rows = r0 + 12
    return {"returns_q": assets_q, "rf_q": rf_q}
