"""The Statistical sheet: latent factors from the returns themselves beside the named ones.

How many latent factors (FACTOR_COUNT by each criterion, the criteria's values), the scree (PCA_EIGENVALUES) with
the k in use marked, each asset's R2 on the k latent factors vs on the named factors selected on Start
(LATENT_VS_NAMED), and whether the named factors span the latent ones (canonical correlations, each latent
factor's R2 on the named, the share of the latent variance they explain). Everything is on the Market model
sheet's excess returns over the sample window; k is chosen by the criterion on Start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ....core.options import NUM_FACTOR_CRITERIA
from ....core.statistical.count import KMAX_DEFAULT
from ..model import Call, Expr
from ..sheet import Layout

if TYPE_CHECKING:
    from ..build import Template
    from ..sheet import Sheet

TITLE = "Statistical"
KEY = "statistical"  # what later sheets find this sheet's blocks under
NEEDS = ("data", "factors", "market")  # the sheets whose blocks this one uses

CRITERIA_LABELS = {"ic_p1": "IC_p1", "ic_p2": "IC_p2", "pc_p1": "PC_p1", "pc_p2": "PC_p2", "er": "ER", "gr": "GR"}


def build(tpl: Template, s: Sheet, ctx: dict) -> dict:
    book = s.book
    data, factors, market = (ctx[key] for key in NEEDS)
    f, cap, d = book.fmt, tpl.capacity, tpl.data
    n = d.shape()[1]
    ex, fx = market["excess"], factors["factors"]
    crit = tpl.start_ref("criterion")
    pct1, num3 = book.number(decimals=1, percent=True), book.number(decimals=3)
    s.text(0, 0, "Statistical factors: latent factors from the returns themselves, beside the named ones", f["title"])
    s.text(
        1,
        0,
        "Principal components of the excess returns on the Market model sheet (blanks filled by EM); "
        "their number k by the criterion on Start.",
        f["note"],
    )
    lay = Layout(s, 3)
    count_head = lay.take("count_head", 2, len(NUM_FACTOR_CRITERIA) + 1, gap=0)
    count_rows = lay.take("count_rows", 2, len(NUM_FACTOR_CRITERIA) + 1)
    crit_head = lay.take("criteria_head", 2, len(NUM_FACTOR_CRITERIA) + 1, gap=0)
    crit_room = lay.take("criteria_room", KMAX_DEFAULT + 1, len(NUM_FACTOR_CRITERIA) + 1)
    span_head = lay.take("span_head", 3, 3, gap=0)
    span_room = lay.take("span_room", max(cap.factors, KMAX_DEFAULT), 3)
    r2_head = lay.take("r2_head", 2, n + 1, gap=0)
    r2_rows = lay.take("r2_rows", 3, n + 1)
    r2_chart = lay.take("r2_chart", 18, n + 1)
    # the two charts side by side while the R2 chart's bars fit half a page (pages.py); live files keep one layout
    # for any number of assets (pasted assets must find every formula where a build on them puts it)
    beside = n <= 24 and book.flavor == "preview"
    scree_chart = r2_chart if beside else lay.take("scree_chart", 19, 7)
    scree_head = lay.take("scree_head", 2, 8, gap=0)
    scree_r0 = lay.row  # the scree table, last on the sheet: one row per asset
    # how many: k by each criterion, the k in use
    s.heading(
        count_head.r0,
        0,
        "How many latent factors? k by criterion (Bai-Ng: IC, PC; Ahn-Horenstein: ER, GR)",
    )
    for j, c in enumerate(NUM_FACTOR_CRITERIA):
        s.text(count_head.r0 + 1, 1 + j, CRITERIA_LABELS[c], f["head"])
    s.text(count_rows.r0, 0, "k chosen (1..kmax)", f["label"])
    s.udf(count_rows.r0, 1, "FACTOR_COUNT", [ex, "", "", "", "", "chosen"], f["int"], block="chosen")
    s.text(count_rows.r0 + 1, 0, "k in use (Start)", f["label"])
    k = s.udf(count_rows.r0 + 1, 1, "FACTOR_COUNT", [ex, crit], f["int"], block="k")
    s.formula(count_rows.r0 + 1, 2, f'="by "&{crit.a1()}', f"by {tpl.inp.criterion}", f["note"])
    # blank, or the warning that the criteria rest on an EM fill of the blanks that did not converge
    s.udf(count_rows.r0 + 1, 3, "FACTOR_COUNT", [ex, "", "", "", "", "note"], f["note"], block="em_note")
    # the criteria's values
    s.heading(
        crit_head.r0,
        0,
        "Criteria, k = 1..kmax: Bai-Ng (2002) lowest wins, Ahn-Horenstein (2013) highest",
    )
    s.text(crit_head.r0 + 1, 0, "k", f["head"])
    for j, c in enumerate(NUM_FACTOR_CRITERIA):
        s.text(crit_head.r0 + 1, 1 + j, CRITERIA_LABELS[c], f["head"])
    crit_call = Call("FACTOR_COUNT", (ex, "", "", "", "", "values"))
    values = [list(r) for r in zip(*book.evaluate(crit_call), strict=True)]  # columns: k, then each criterion
    criteria = s.udf(
        crit_room.r0,
        0,
        "FACTOR_COUNT",
        list(crit_call.args),
        num3,
        block="criteria",
        col_formats=[f["int"]] + [book.number(col, sig=3) for col in values[1:]],
    )
    # R2 per asset: latent vs named
    s.heading(r2_head.r0, 0, "R2 per asset: on the k latent factors vs on the named factors selected on Start")
    s.array(r2_head.r0 + 1, 1, data["asset_names"], f["head"])
    names = s.ref(r2_head.r0 + 1, 1, r2_head.r0 + 1, n)
    for i, lab in enumerate(["R2, k latent", "R2, named", "Latent - named"]):
        s.text(r2_rows.r0 + i, 0, lab, f["label"])
    r2 = s.udf(r2_rows.r0, 1, "LATENT_VS_NAMED", [ex, fx, k], pct1, block="r2")
    rows = r2.values()
    s.array(
        r2_rows.r0 + 2,
        1,
        Expr(
            f"CHOOSEROWS({r2.a1()},1)-CHOOSEROWS({r2.a1()},2)", [[a - b for a, b in zip(rows[0], rows[1], strict=True)]]
        ),
        pct1,
    )
    book.chart(
        s,
        {"type": "column"},
        "R2 per asset: k latent factors vs the named factors",
        [
            {
                "name": "k latent factors",
                "categories": names.a1(),
                "values": r2.row(0).a1(),
                "fill": {"color": "#5A8AC6"},
            },
            {"name": "named factors", "categories": names.a1(), "values": r2.row(1).a1(), "fill": {"color": "#F4B183"}},
        ],
        r2_chart.r0,
        0,
        {
            "y": {"num_format": "0%", "name": "R2", "max": 1},
            "x": {"name": "asset", "label_position": "low", "num_font": {"rotation": -45}},
        },
        size=(440, 340) if beside else (min(900, max(620, 22 * n + 200)), 340),
    )
    # do the named factors span the latent ones?
    s.heading(span_head.r0, 0, "Do the named factors span the latent ones?")
    s.text(span_head.r0 + 1, 0, "Latent var. spanned", f["label"])
    s.udf(span_head.r0 + 1, 1, "LATENT_VS_NAMED", [ex, fx, k, "", "", "share"], pct1, block="latent_share")
    s.text(span_head.r0 + 1, 2, "1 = each latent factor is a mix of the named ones", f["note"])
    s.text(span_head.r0 + 2, 1, "Canon. r", f["head"])
    s.text(span_head.r0 + 2, 2, "R2 named", f["head"])
    s.array(
        span_room.r0,
        0,
        Expr(
            f'"pair / factor "&TAKE(CHOOSECOLS({criteria.a1()},1),{k.a1()})',
            [[f"pair / factor {i + 1}"] for i in range(int(k.value()))],
        ),
        f["label"],
    )
    s.udf(span_room.r0, 1, "LATENT_VS_NAMED", [ex, fx, k, "", "", "canonical"], num3, block="canonical")
    s.udf(span_room.r0, 2, "LATENT_VS_NAMED", [ex, fx, k, "", "", "latent_on_named"], pct1, block="latent_on_named")
    # the scree: the table last (one row per asset), its chart above it
    s.heading(scree_head.r0, 0, f"Scree: the variance of each principal component (per {d.period_word}) and its share")
    for j, h in enumerate(["PC", "Variance", "Share", "Cumul.", "", "k mark", "At k"]):
        if h:
            s.text(scree_head.r0 + 1, 1 + j, h, f["head"])
    scree_call = Call("PCA_EIGENVALUES", (ex, "", "", "", True))
    variances = [r[1] for r in book.evaluate(scree_call)]
    scree = s.udf(
        scree_r0,
        1,
        "PCA_EIGENVALUES",
        list(scree_call.args),
        block="scree",
        col_formats=[f["int"], book.number(variances, sig=3), pct1, pct1],
    )
    s.preview_rows = scree_r0 + 5  # the preview prints the scree table's first rows, as many as fill the page
    share = scree.values()
    kv = int(k.value())
    marker_x = s.array(scree_r0, 6, Expr(f"VSTACK({k.a1()},{k.a1()})", [[kv], [kv]]), f["int"])
    marker_y = s.array(
        scree_r0, 7, Expr(f"VSTACK(0,INDEX({scree.a1()},{k.a1()},3))", [[0.0], [share[kv - 1][2]]]), pct1
    )
    col = lambda j: s.ref(scree.r0, 1 + j, scree.r1, 1 + j)  # noqa: E731 - the chart reads the table's columns
    book.chart(
        s,
        {"type": "scatter", "subtype": "straight_with_markers"},
        "Scree: share of variance by principal component, k in use marked",
        [
            {
                "name": "share of total variance",
                "categories": col(0).a1(),
                "values": col(2).a1(),
                "marker": {"type": "circle", "size": 6},
                "line": {"color": "#5A8AC6"},
            },
            {
                "name": "k in use",
                "categories": marker_x.address(),
                "values": marker_y.address(),
                "marker": {"type": "diamond", "size": 9, "fill": {"color": "#C00000"}},
                "line": {"color": "#C00000", "dash_type": "dash"},
            },
        ],
        scree_chart.r0,
        0,
        {
            "y": {"num_format": "0%", "name": "share of total variance", "min": 0},
            "x": {
                "name": "principal component",
                "min": 0,
                "max": len(share) + 1,
                "major_unit": max(1, len(share) // 12),
            },
        },
        size=(360, 340) if beside else (620, 340),
        x_offset=450 if beside else 0,
    )
    # 12 assets on one page width at >= 90%: labels within 17 characters, the numbers' columns 7 (four 8.5), charts within; planned
    # at 96%, as LibreOffice prints columns a few percent wider than pages.column_points says
    s.set_column(0, 0, 17)
    s.set_column(1, max(n, 8), 7)
    s.set_column(1, 4, 8.5)  # the Bai-Ng PC values (0.000830) and the headers above them
    s.ws.freeze_panes(0, 1)
    s.preview_rows = scree_r0 + len(share)
    return {"k": k, "r2": r2, "scree": scree}
