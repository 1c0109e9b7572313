"""The Start sheet: the inputs (yellow cells), the factor table, how the sheets link, the asset risk budgets."""

from __future__ import annotations

from typing import TYPE_CHECKING

from xlsxwriter.utility import xl_rowcol_to_cell

from ....core.options import describe
from ..inputs import CHOICES, FLAGS, WHOLE_NUMBERS, udf_takes
from ..model import Expr
from ..sheet import Layout

if TYPE_CHECKING:
    from ..build import Template
    from ..sheet import Sheet

TITLE = "Start"
KEY = "start"  # what later sheets find this sheet's blocks under
NEEDS = ("data",)  # the sheets whose blocks this one uses


def count_true(a1: str) -> str:
    """How many cells of a range are TRUE or 1: a typed 1 selects a factor as TRUE does (COUNTIF tells them apart)."""
    return f"(COUNTIF({a1},TRUE)+COUNTIF({a1},1))"


def build(tpl: Template, s: Sheet, ctx: dict) -> dict:
    data = ctx["data"]
    f, inp, d, cap = s.book.fmt, tpl.inp, tpl.data, tpl.capacity
    assert inp.use_factors is not None and inp.factor_budgets is not None and inp.penalty_weights is not None
    assert inp.asset_budgets is not None  # resolved (Inputs.resolve)
    _t, n, k = d.shape()
    s.set_column(0, 0, 3)
    s.set_column(1, 1, 50)
    s.set_column(2, 2, 14)
    s.set_column(3, 5, 14)
    s.text(0, 1, "xlfactor: the factor-model procedure", f["title"])
    s.paragraph(
        1, 1, 5, "The whole procedure as linked sheets: change a yellow input and every later sheet follows.", "note"
    )
    lay = Layout(s, 3)
    head = lay.take("inputs_head", 2, gap=0)
    s.heading(head.r0, 1, "Inputs")
    s.paragraph(
        head.r0 + 1,
        1,
        5,
        "Periods as on the Data sheet ("
        f"{'YYYYMM: 196307 = July 1963' if d.frequency == 'monthly' else 'YYYYMMDD'}). "
        "Sample end: the last pasted row unless typed.",
        "note",
    )
    periods = data["periods"].a1()
    rows = [
        ("start", "Sample start", inp.start),
        ("end", "Sample end", inp.end),
        (
            "periods_per_year",
            f"Periods a year, to annualise ({d.cadence} data: {d.periods_per_year})",
            inp.periods_per_year,
        ),
        ("folds", "Cross-validation folds", inp.folds),
        ("scheme", f"CV scheme: {describe('scheme', default=False)}", inp.scheme),
        ("gap", f"CV gap: {d.period_word}s purged around each test block", inp.gap),
        ("rule", f"Lambda rule: {describe('rule', default=False)}", inp.rule),
        ("lags", "Newey-West lags for t-stats", inp.lags),
        ("method", f"Lambda method charted on Lambda: {describe('curve_method', default=False)}", inp.method),
        ("cov_method", f"Factor covariance: {describe('cov_method', default=False)}", inp.cov_method),
        ("halflife", f"EWMA half-life ({d.period_word}s)", inp.halflife),
        *(
            [
                ("nw_lags", "Factor covariance: Newey-West lags (sample, barra)", inp.nw_lags),
                ("corr_halflife", f"barra: correlation half-life ({d.period_word}s; blank: EWMA's)", inp.corr_halflife),
                (
                    "regime_halflife",
                    f"barra: volatility regime half-life ({d.period_word}s; blank: off)",
                    inp.regime_halflife,
                ),
                ("specific_shrink", "Specific risk shrinkage to the mean, q (USE4: 0.1)", inp.specific_shrink),
            ]
            if udf_takes("FACTOR_COV", "nw_lags")
            else []
        ),
        ("risk_method", f"Risk allocation: {describe('risk_method', default=False)}", inp.risk_method),
        ("loadings", f"Risk model loadings: {describe('loadings', default=False)}", inp.loadings),
        ("standardize", "Penalise standardised factors (TRUE/FALSE)", bool(inp.standardize)),
        ("target_vol", "Target volatility, % a year (risk allocation targetvol)", inp.target_vol),
        ("criterion", "Number of latent factors by (Statistical sheet)", inp.criterion),
        ("bt_window", f"Backtest: estimation window ({d.period_word}s)", inp.bt_window),
        ("bt_step", f"Backtest: {d.period_word}s between rebalances", inp.bt_step),
    ]
    s.set_column(1, 1, max(50, max(len(label) for _, label, _ in rows) + 2))  # labels list choices from the registry
    for key, label, value in rows:
        ref = lay.take(key, 1, col=2, gap=0)
        r, c = ref.r0, ref.c0
        s.text(r, 1, label)
        fmt = f["flag"] if key in FLAGS else f["input_pct"] if key == "target_vol" else f["input"]
        if key == "end" and tpl.inputs.end is None:
            s.array(r, c, Expr(f"MAX({periods})", [[value]]), fmt)  # follows pasted rows
        else:
            s.put(r, c, value, fmt)
        if key in FLAGS:
            s.ws.data_validation(
                r,
                c,
                r,
                c,
                {
                    "validate": "list",
                    "source": ["TRUE", "FALSE"],
                    "error_title": "xlfactor",
                    "error_message": "TRUE or FALSE.",
                },
            )
        elif key in CHOICES:
            s.ws.data_validation(
                r,
                c,
                r,
                c,
                {
                    "validate": "list",
                    "source": list(CHOICES[key]),
                    "error_title": "xlfactor",
                    "error_message": f"Choose one of {', '.join(CHOICES[key])}.",
                },
            )
        elif key in WHOLE_NUMBERS:
            s.ws.data_validation(
                r,
                c,
                r,
                c,
                {
                    "validate": "integer",
                    "criteria": ">=",
                    "value": WHOLE_NUMBERS[key],
                    "error_title": "xlfactor",
                    "error_message": f"Enter a whole number >= {WHOLE_NUMBERS[key]}.",
                },
            )
    tv, ppy = s.blocks["target_vol"], s.blocks["periods_per_year"]
    s.blocks["target_vol_period"] = s.formula(
        tv.r0, 3, f"={tv.a1()}/SQRT({ppy.a1()})", inp.target_vol_period, s.book.number(decimals=3, percent=True)
    )
    s.text(tv.r0, 4, f"per {d.period_word}: used by formulas", f["note"])
    lay.row += 1
    # the factor table: one row per factor of the Data sheet (names linked), room for cap.factors
    head = lay.take("factor_head", 1, gap=0)
    for j, h in enumerate(["Factor (from Data)", "Use", "Order", "Risk budget", "Penalty weight"]):
        s.text(head.r0, 1 + j, h, f["head"])
    table = lay.take("factor_table", cap.factors, 5, col=1)
    r0 = table.r0
    nf = data["n_factors"].a1()
    names_row = data["factor_names"]
    order = 0
    for i in range(cap.factors if s.book.flavor != "preview" else k):  # the preview prints the factors there are
        r = r0 + i
        here = i < k
        s.formula(r, 1, f'=IF({i + 1}<={nf},INDEX({names_row.a1()},{i + 1}),"")', d.factor_names[i] if here else "")
        use = inp.use_factors[i] if here else True
        s.put(r, 2, bool(use), f["flag"])
        order += int(here and use)
        cell = xl_rowcol_to_cell(r, 2)
        first = xl_rowcol_to_cell(r0, 2, row_abs=True, col_abs=True)
        s.formula(
            r,
            3,
            f'=IF(AND({cell},{i + 1}<={nf}),{count_true(f"{first}:{cell}")},"")',
            order if here and use else "",
            f["int"],
        )
        s.put(r, 4, inp.factor_budgets[i] if here else 1.0, f["input"])
        s.put(r, 5, inp.penalty_weights[i] if here else 1.0, f["input"])
    s.ws.data_validation(
        r0,
        2,
        r0 + cap.factors - 1,
        2,
        {
            "validate": "list",
            "source": ["TRUE", "FALSE"],
            "error_title": "xlfactor",
            "error_message": "TRUE to use the factor, FALSE to leave it out.",
        },
    )
    # rows beyond the Data sheet's factors are greyed out until a factor is pasted there
    s.ws.conditional_format(
        r0, 1, r0 + cap.factors - 1, 5, {"type": "formula", "criteria": f"=ROW()-{r0}>{nf}", "format": f["grey"]}
    )
    s.blocks.update(
        {
            "factor_names": s.ref(r0, 1, r0 + cap.factors - 1, 1),
            "use": s.ref(r0, 2, r0 + cap.factors - 1, 2),
            "factor_budgets": s.ref(r0, 4, r0 + cap.factors - 1, 4),
            "penalty_weights": s.ref(r0, 5, r0 + cap.factors - 1, 5),
        }
    )
    note = lay.take("factor_note", 1)
    s.paragraph(
        note.r0,
        1,
        5,
        "Risk budgets: allocation 'factor'. Penalty weight 0: unpenalised (the market, see README). Grey rows: room.",
        "note",
    )
    err = lay.take("errors", 8)
    s.heading(err.r0, 1, "When a result shows #VALUE! or #NUM!")
    s.paragraph(
        err.r0 + 1,
        1,
        5,
        "Classic Excel: the messages of the latest failed functions, newest first "
        "(recalculate with F9). Server and Lite: hover over the error cell.",
        "note",
    )
    s.udf(err.r0 + 2, 1, "XLFACTOR_ERROR", [], f["note"], block="error_messages")
    s.shown.update(range(err.r0, err.r1 + 1))  # the messages fill at run time: a live file never hides their room
    notes = [
        (
            "How the sheets link",
            [
                "Data: periods, risk-free rate, factors and asset returns (the only pasted numbers).",
                "Factors: the selected factors over the sample window; correlations, VIF, condition number.",
                "Market model: CAPM alpha, beta, t-stats, R2 per asset; systematic/specific split; CAPM expected returns.",
                "Lambda: the cross-validation error curve and the chosen penalties (lasso and ridge).",
                "Loadings: OLS, ridge and lasso loadings at the chosen lambdas, compared asset by asset.",
                "Risk: factor covariance, specific variances, weights and risk contributions.",
                (
                    "Backtest: the whole procedure walked forward (estimate on the trailing window, allocate, hold), "
                    "per risk model: realised vs predicted risk out of sample."
                ),
                (
                    "Macro: the assets' exposures to GDP growth, inflation and unemployment changes (not traded), their "
                    "premia (two-pass with Shanken errors, GMM) and GDP's mimicking portfolio, per quarter of the window."
                ),
                (
                    "Statistical: latent factors (principal components of the excess returns): how many, the scree, "
                    "R2 on them vs on the named factors, canonical correlations."
                ),
            ],
        ),
        (
            "Connect the functions",
            [
                (
                    "Classic Excel (Windows): pip install . in the xlfactor folder; xlwings addin install; keep the xlwings.conf sheet "
                    "(UDF Modules = xlfactor.excel.udfs); save as .xlsm; xlwings tab > Import Functions."
                ),
                (
                    'xlwings Server: pip install ".[server]" in the xlfactor folder; run xlfactor serve; load its manifest in Excel '
                    "(use the officejs flavour of this workbook)."
                ),
                (
                    "xlwings Lite: run xlfactor lite; paste its main.py (which carries xlfactor) and requirements.txt "
                    "(xlwings, numpy, scipy) into the Lite editor's tabs (use the officejs flavour of this workbook)."
                ),
                "Penalty scales differ: ridge ||y-a-Xb||^2 + lambda*||b||^2; lasso 1/(2n)*||y-a-Xb||^2 + lambda*|b|_1.",
                "Needs Excel 365 (dynamic arrays, TAKE, FILTER).",
            ],
        ),
    ]
    for head_text, lines in notes:
        block = lay.take(head_text, len(lines) + 1)
        s.heading(block.r0, 1, head_text)
        for i, line in enumerate(lines):
            s.paragraph(block.r0 + 1 + i, 1, 5, line)
    # asset risk budgets: one row per asset of the Data sheet, last on the sheet (the list grows down)
    bh = lay.take("budget_head", 2, gap=0)
    s.heading(bh.r0, 1, "Asset risk budgets (risk allocation 'budget'; blank = 1)")
    s.text(bh.r0 + 1, 1, "Asset (from Data)", f["head"])
    s.text(bh.r0 + 1, 2, "Risk budget", f["head"])
    r0 = lay.row
    names = s.array(r0, 1, Expr(f"TRANSPOSE({data['asset_names'].a1()})", [[a] for a in d.asset_names]))
    for j in range(n):
        s.put(r0 + j, 2, inp.asset_budgets[j], f["input"])
    s.blocks["asset_names"] = names
    s.blocks["asset_budgets"] = s.ref(r0, 2, r0 + cap.assets - 1, 2)
    s.preview_rows = r0 + n  # the full list
    s.breakable = set(range(r0 + 4, r0 + n - 3))  # a long list may continue on the next page
    return {}
