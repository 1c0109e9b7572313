"""The workbook's styles: named cell formats and number formats sized to the numbers they show."""

from __future__ import annotations

import math

import numpy as np

STYLES = {
    "title": {"bold": True, "font_size": 16, "font_color": "#1F3864"},
    "h2": {"bold": True, "font_size": 12, "font_color": "#1F3864", "bottom": 1},
    "head": {"bold": True, "bg_color": "#D9E1F2", "border": 1, "align": "center"},
    "head_wrap": {"bold": True, "bg_color": "#D9E1F2", "border": 1, "align": "center", "text_wrap": True},
    "label": {"bold": True},
    "text": {"text_wrap": False},
    "note": {"italic": True, "font_color": "#595959"},
    "input": {"bg_color": "#FFF2CC", "border": 1, "bold": True},
    "input_pct": {"bg_color": "#FFF2CC", "border": 1, "bold": True, "num_format": "0.0%"},
    # a logical input; the number format makes viewers that store TRUE as 1 (LibreOffice) show TRUE too
    "flag": {
        "bg_color": "#FFF2CC",
        "border": 1,
        "bold": True,
        "align": "center",
        "num_format": '"TRUE";"TRUE";"FALSE"',
    },
    "period": {"num_format": "0", "align": "left", "indent": 1},  # clear of a right-aligned date beside it
    "int": {"num_format": "0"},
    "pvalue": {"num_format": '[<0.0001]"<0.0001";0.0000'},
    "tstat": {"num_format": "0.00"},
    "plain": {},
    "text_wrap": {"text_wrap": True, "valign": "top"},
    "note_wrap": {"italic": True, "font_color": "#595959", "text_wrap": True, "valign": "top"},
    "warn": {"bold": True, "font_color": "#9C0006", "bg_color": "#FFC7CE"},
    "grey": {"font_color": "#A6A6A6", "bg_color": "#F2F2F2"},
}
# red (negative) - white (0) - blue (positive) conditional format of loadings and correlations
DIVERGING = {
    "type": "3_color_scale",
    "min_color": "#F8696B",
    "mid_type": "num",
    "mid_value": 0,
    "mid_color": "#FFFFFF",
    "max_color": "#5A8AC6",
}
COLOURS = ["#1F3864", "#5A8AC6", "#A9D08E", "#F4B183", "#C00000", "#7F7F7F", "#FFC000", "#70AD47"]


def fixed_point(values=None, sig: int = 3, percent: bool = False, decimals: int | None = None) -> str:
    """A fixed-point number format showing ``sig`` significant digits of the typical (median) value of ``values``.

    >>> fixed_point([0.0123, 0.02], sig=2), fixed_point(decimals=1, percent=True)
    ('0.000', '0.0%')
    """
    if decimals is None:
        a = np.abs(
            np.asarray(
                [
                    x
                    for x in np.ravel(np.asarray(values, dtype=object))
                    if isinstance(x, (int, float)) and not isinstance(x, bool) and np.isfinite(x) and x != 0
                ],
                dtype=float,
            )
        ) * (100 if percent else 1)
        typical = float(np.median(a)) if a.size else 1.0
        decimals = int(min(8, max(0, sig - 1 - math.floor(math.log10(typical)))))
    return ("0" + ("." + "0" * decimals if decimals else "")) + ("%" if percent else "")


def nice_axis(low: float, high: float, ticks: int = 5, floor: float | None = None) -> dict:
    """A value axis's ``min``, ``max`` and ``major_unit`` around [low, high]: a round step (1, 2 or 5 x 10^k)
    giving about ``ticks`` intervals, the bounds on multiples of it, never below ``floor``."""
    span = (high - low) or abs(high) or 1.0
    raw = span / ticks
    step = min(
        (m * 10.0 ** np.floor(np.log10(raw)) for m in (1, 2, 5, 10)), key=lambda s: abs(s - raw) if s >= raw else np.inf
    )
    lo, hi = np.floor(low / step) * step, np.ceil(high / step) * step
    if floor is not None:
        lo = max(lo, floor)
    digits = max(0, 1 - int(np.floor(np.log10(step))))  # no float noise in the bounds (0.013, not 0.0130000001)
    return {
        "min": round(float(lo), digits),
        "max": round(float(hi if hi > lo else lo + step), digits),
        "major_unit": round(float(step), digits),
    }
