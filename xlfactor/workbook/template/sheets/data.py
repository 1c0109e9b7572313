"""The Data sheet: the periods, the risk-free rate, the factors and the asset returns (the only pasted numbers), with room to grow."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from xlsxwriter.utility import xl_col_to_name

from ..model import Expr
from ..sheet import GROUP

if TYPE_CHECKING:
    from ..build import Template
    from ..sheet import GROUP, Sheet

TITLE = "Data"
KEY = "data"  # what later sheets find this sheet's blocks under
NEEDS = ()  # the sheets whose blocks this one uses


FACTORS_HEAD = "Factors (excess returns)"  # the note above says the first is the market


def build(tpl: Template, s: Sheet, ctx: dict) -> dict:
    book = s.book
    f, d, cap = book.fmt, tpl.data, tpl.capacity
    t, n, k = d.shape()
    a0 = 3 + cap.factors  # first asset column: one blank column after the factors' room
    s.set_column(0, 0, 10)
    s.set_column(1, a0 + n, 9)
    s.text(0, 0, f"Data: {d.title}", f["title"])
    # notes across the columns a page shows at 75% (about 14 of these): the preview hides the room between
    # the factors and the assets, keeping one column as a gap
    used = max(1 + k, 1 + math.ceil(1.3 * len(FACTORS_HEAD) / 9))  # the last column the factors' block takes
    note_cols = range(used + 2, a0)
    # (a live file groups it: pages.py)
    across = a0 + min(n, 14 - (used + 2)) - 1 if used + 2 < 14 else 1 + k
    s.paragraph(
        1,
        0,
        across,
        "Paste your own data here: periods (YYYYMM or YYYYMMDD) down column A, the risk-free "
        f"rate in B, up to {cap.factors} factors from C (the first is the market's excess return), asset "
        f"total returns from {xl_col_to_name(a0)}, names in row 6. Every sheet follows."
        + (
            f" Columns {xl_col_to_name(note_cols[1])}-{xl_col_to_name(note_cols[-1])} (room for more factors) are "
            "grouped: the + above the column letters shows them."  # the room's first column stays, a gap
            if book.flavor != "preview" and len(note_cols) >= GROUP
            else ""
        ),
        "note",
        note_cols,
    )
    starts = [int(np.argmax(np.isfinite(d.factors[:, j]))) for j in range(k)]
    warmup = " ".join(
        f"{name} is blank until {d.periods[i]} (its warm-up); the default sample starts later."
        for name, i in zip(d.factor_names, starts, strict=True)
        if i > 0
    )
    notes = " ".join([*d.notes, warmup]).strip()
    if notes:
        s.paragraph(3, 0, across, notes, "note", note_cols)
    head, row0 = 5, 6
    last = row0 + cap.periods - 1
    cols = {"periods": (0, 0), "rf": (1, 1), "factors": (2, 1 + cap.factors), "assets": (a0, a0 + cap.assets - 1)}
    names = {key: s.ref(head, c0, head, c1) for key, (c0, c1) in cols.items()}
    room = {key: s.ref(row0, c0, last, c1) for key, (c0, c1) in {**cols, "market": (2, 2)}.items()}
    # sizes: what every formula reads of the data
    sizes = {}
    for j, (key, label, text, value) in enumerate(
        [
            ("n_periods", "Periods", f"=COUNT({room['periods'].a1()})", t),
            ("n_factors", "Factors", f"=COUNTA({names['factors'].a1()})", k),
            ("n_assets", "Assets", f"=COUNTA({names['assets'].a1()})", n),
        ]
    ):
        s.text(2, 2 * j, label, f["label"])
        sizes[key] = s.formula(2, 2 * j + 1, text, value, f["int"])
        s.blocks[key] = sizes[key]
    s.heading(head - 1, 0, "Period")
    s.heading(head - 1, 2, FACTORS_HEAD)
    s.heading(head - 1, a0, "Asset returns (total)")
    ret_fmt = book.number(d.returns, sig=2, decimals=4 if d.frequency == "monthly" else 5)
    for j, h in enumerate([d.period_header, "RF"]):
        s.text(head, j, h, f["head"])
    for j, h in enumerate(d.factor_names):
        s.text(head, 2 + j, h, f["head"])
    for j, h in enumerate(d.asset_names):
        s.text(head, a0 + j, h, f["head"])
    s.table(row0, 0, d.periods[:, None], f["period"])
    s.table(row0, 1, d.rf[:, None], ret_fmt)
    s.table(row0, 2, d.factors, ret_fmt)
    s.table(row0, a0, d.returns, ret_fmt)
    s.ws.freeze_panes(row0, 1)
    s.ws.repeat_rows(head)
    s.preview_rows = row0 + 5
    np_, nf, na = sizes["n_periods"], sizes["n_factors"], sizes["n_assets"]
    out = {
        "periods": tpl.take(room["periods"], np_, None, d.periods[:, None].astype(float)),
        "rf": tpl.take(room["rf"], np_, None, d.rf[:, None]),
        "factors": tpl.take(room["factors"], np_, nf, d.factors),
        "market": tpl.take(room["market"], np_, None, d.factors[:, :1]),
        "assets": tpl.take(room["assets"], np_, na, d.returns),
        "asset_names": Expr(f"TAKE({names['assets'].a1()},1,{na.a1()})", [list(d.asset_names)]),
        "factor_names": names["factors"],
        "market_name": s.ref(head, 2),
        **sizes,
    }
    s.blocks.update({f"room_{key}": ref for key, ref in room.items()})
    return out
