"""The Lambda sheet: the cross-validation error curve and the chosen penalties."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from xlsxwriter.utility import xl_rowcol_to_cell

from ....core.options import describe
from ..model import Call
from ..sheet import Layout
from ..styles import nice_axis

if TYPE_CHECKING:
    from ..build import Template
    from ..sheet import Sheet

TITLE = "Lambda"
KEY = "lambda"  # what later sheets find this sheet's blocks under
NEEDS = ("factors", "market")  # the sheets whose blocks this one uses
LAMBDA_FORMAT = "0.00E+00"  # lambdas span orders of magnitude: scientific
CV_ROWS = 100  # the lambda grid's length (CV_CURVE rows)
PROGRESS = "Lambda (cross-validation)"  # what the build reports before the sheet
NO_PENALTY = (
    "No factor is penalised (every selected factor's penalty weight on Start is 0; by default the market, so a "
    "model of the market alone): the penalised fit equals OLS and lambda has no effect, so there is no lambda to "
    "cross-validate. The ridge and lasso lambdas are 0 and the Loadings sheet's ridge and lasso are OLS's "
    "(as xlfactor demo prints). To cross-validate, give a factor a penalty weight above 0 (xlfactor workbook "
    "--penalty-weights 1) and rebuild the workbook."
)


def penalised(tpl: Template) -> bool:
    """Whether Start's inputs, as built, penalise any selected factor (else ridge and lasso are OLS)."""
    return any(float(w) > 0 for w in tpl.inp.selected(tpl.inp.penalty_weights))


def axes(curve: np.ndarray, err_format: str, fixed: bool) -> dict:
    """The error chart's axes; ``fixed``: scaled to the curve (lambda's range, error +- 1 SE with a margin).

    The live workbooks leave the scale to Excel, which follows recalculated data (and leaves 0 out of a
    narrow range); the preview, printed by LibreOffice (whose automatic scale starts at 0), is fixed.
    """
    x = {"log_base": 10, "name": "lambda (log scale)", "num_format": "0.0E+0", "label_position": "low"}
    y = {"name": "summed MSE", "num_format": err_format}
    if fixed:
        low, high = np.nanmin(curve[:, 1] - curve[:, 2]), np.nanmax(curve[:, 1] + curve[:, 2])
        x.update(min=float(np.nanmin(curve[:, 0])), max=float(np.nanmax(curve[:, 0])))
        y.update(nice_axis(float(low), float(high)))
    return {"x": x, "y": y}


def build(tpl: Template, s: Sheet, ctx: dict) -> dict:
    book = s.book
    factors, market = (ctx[key] for key in NEEDS)
    f = book.fmt
    s.text(0, 0, "Lambda: time-ordered cross-validation (one lambda pooled over all assets)", f["title"])
    s.text(
        1,
        0,
        "Lasso objective 1/(2n)||y-a-Xb||^2 + lambda|b|_1; ridge ||y-a-Xb||^2 + lambda||b||^2 "
        "(different scales). Folds, scheme, gap and rule come from Start.",
        f["note"],
    )
    if not penalised(tpl):
        return ols_only(s)
    ex, fx = market["excess"], factors["factors"]
    cvopt = [tpl.start_ref("folds"), tpl.start_ref("scheme")]
    gap, rule = tpl.start_ref("gap"), tpl.start_ref("rule")
    method = tpl.start_ref("method")
    lay = Layout(s, 3)
    chosen = lay.take("chosen", 4, 6)
    chart = lay.take("chart", 19, 6)  # the error curve, between the chosen lambdas and the table
    pen = [0.0, tpl.start_ref("standardize"), factors["weights"]]  # rf (already excess), standardize, weights
    rows = [
        ("lambda_min", "Lambda method on Start, rule min", [method, *cvopt, "min"]),
        ("lambda_1se", "Lambda method on Start, rule 1se", [method, *cvopt, "1se"]),
        ("lasso", "Lasso lambda used (rule on Start)", ["lasso", *cvopt, rule]),
        ("ridge", "Ridge lambda used (rule on Start)", ["ridge", *cvopt, rule]),
    ]
    out = {}
    curve_call = Call("CV_CURVE", (ex, fx, method, *cvopt, gap, "", *pen))
    cv_vals = np.array(book.evaluate(curve_call), dtype=float)
    lam_fmt = book.num_format(LAMBDA_FORMAT)
    for i, (key, label, opts) in enumerate(rows):
        s.text(chosen.r0 + i, 0, label, f["label"])
        out[key] = s.udf(chosen.r0 + i, 2, "CV_LAMBDA", [ex, fx, *opts, gap, True, *pen], lam_fmt, block=key)
    note = lay.take("curve_note", 1)
    curve = describe("curve_method", default=False)
    s.text(
        note.r0,
        0,
        f"Error curve of the lambda method on Start ({curve}). Error = squared error "
        "summed over the assets, averaged over the folds; SE = its standard error over folds.",
        f["note"],
    )
    head = lay.take("curve_head", 1, 6, gap=0)
    heads = [
        "lambda",
        "summed MSE (mean of folds)",
        "standard error",
        "non-zero loadings per asset",
        "error + 1 SE",
        "error - 1 SE",
    ]
    for j, h in enumerate(heads):
        s.text(head.r0, j, h, f["head"])
    cur = lay.take("curve", CV_ROWS, 6)
    err_fmt = book.number(cv_vals[:, 1], sig=4)
    s.udf(
        cur.r0,
        0,
        "CV_CURVE",
        list(curve_call.args),
        block="curve",
        col_formats=[lam_fmt, err_fmt, err_fmt, book.number(decimals=2)],
    )
    n_rows = len(cv_vals)
    for i in range(n_rows):
        r = cur.r0 + i
        b, c = xl_rowcol_to_cell(r, 1), xl_rowcol_to_cell(r, 2)
        s.formula(r, 4, f"={b}+{c}", cv_vals[i, 1] + cv_vals[i, 2], err_fmt)
        s.formula(r, 5, f"={b}-{c}", cv_vals[i, 1] - cv_vals[i, 2], err_fmt)
    lam_col, mean_col = s.ref(cur.r0, 0, cur.r0 + n_rows - 1, 0), s.ref(cur.r0, 1, cur.r0 + n_rows - 1, 1)
    s.text(chosen.r0, 4, "error at it", f["label"])
    s.text(chosen.r0 + 1, 4, "error at it", f["label"])
    for i, key in enumerate(("lambda_min", "lambda_1se")):
        k = int(np.flatnonzero(cv_vals[:, 0] == out[key].value())[0])
        s.formula(
            chosen.r0 + i,
            5,
            f"=INDEX({mean_col.a1()},MATCH({out[key].cell().a1()},{lam_col.a1()},0))",
            cv_vals[k, 1],
            err_fmt,
        )
    book.chart(
        s,
        {"type": "scatter", "subtype": "straight"},
        "Cross-validated error (summed over assets)",
        [
            {"name": "error", "categories": lam_col.a1(), "values": mean_col.a1(), "line": {"color": "#1F3864"}},
            {
                "name": "error + 1 SE",
                "categories": lam_col.a1(),
                "values": s.ref(cur.r0, 4, cur.r1, 4).a1(),
                "line": {"color": "#8EA9DB", "dash_type": "dash"},
            },
            {
                "name": "error - 1 SE",
                "categories": lam_col.a1(),
                "values": s.ref(cur.r0, 5, cur.r1, 5).a1(),
                "line": {"color": "#8EA9DB", "dash_type": "dash"},
            },
            {
                "name": "chosen: min, 1se",
                "categories": s.ref(chosen.r0, 2, chosen.r0 + 1, 2).a1(),
                "values": s.ref(chosen.r0, 5, chosen.r0 + 1, 5).a1(),
                "line": {"none": True},
                "marker": {"type": "diamond", "size": 9, "fill": {"color": "#C00000"}, "border": {"color": "#C00000"}},
                "data_labels": {
                    "custom": [{"value": "min"}, {"value": "1se"}],
                    "position": "above",
                    "font": {"bold": True, "color": "#C00000"},
                },
            },
        ],
        chart.r0,
        0,
        axes(cv_vals, err_fmt.num_format, fixed=book.flavor == "preview"),
        size=(900, 380),
    )
    s.set_column(0, 0, 34)
    s.set_column(1, 1, 28)
    s.set_column(2, 2, 15)
    s.set_column(3, 3, 25)
    s.set_column(4, 5, 13)
    s.preview_rows = cur.r0 + 5
    return {"lasso": out["lasso"], "ridge": out["ridge"], "penalised": True}


def ols_only(s: Sheet) -> dict:
    """The sheet when no factor is penalised: what that means, and lambdas 0 for the Loadings sheet."""
    f = s.book.fmt
    s.set_column(0, 0, 34)
    s.set_column(1, 5, 15)
    s.paragraph(3, 0, 5, NO_PENALTY, "note")
    lam_fmt = s.book.num_format(LAMBDA_FORMAT)
    out: dict = {"penalised": False}
    for i, key in enumerate(("lasso", "ridge")):
        s.text(5 + i, 0, f"{key.capitalize()} lambda (no effect)", f["label"])
        out[key] = s.blocks[key] = s.put(5 + i, 2, 0.0, lam_fmt)
    s.preview_rows = 8
    return out
