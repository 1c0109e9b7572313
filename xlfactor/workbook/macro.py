"""The macro example of the demo and the Macro sheet: the assets' exposures to GDP growth, inflation and
unemployment changes, their risk premia (two-pass with plain and Shanken errors, and GMM), and GDP's mimicking
portfolio, on the quarters of the sample window (Start's first and last period) that the monthly (or quarterly)
data share with statsmodels' macrodata (1959Q2-2009Q3).

Monthly total returns and the risk-free rate are compounded to quarters (``core.frequency.compound``; quarterly ones
are taken as they are), excess returns
are their difference; the cross-section has an intercept (the zero-beta excess return), since macro factors are not
returns and nothing ties the premia to a zero intercept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core import frequency, mimicking, premia
from ..data.macro import MACRO_FACTORS, load_macro, macro_labels
from ..errors import XLFactorError
from ..excel import memo
from .dataset import Dataset

MIN_QUARTERS = 20  # fewer shared quarters than this: the example is left out (too few for 3 premia and a J test)


@dataclass(frozen=True)
class MacroExample:
    labels: np.ndarray  # (Q,) YYYYMM of each shared quarter's last month
    excess: np.ndarray  # (Q, N) quarterly excess returns of the assets
    macro: np.ndarray  # (Q, 3) GDP growth, inflation, unemployment change
    asset_names: tuple
    plain: premia.PremiaResult
    shanken: premia.PremiaResult
    gmm: premia.PremiaResult | None  # None: GMM cannot run on these quarters (``gmm_note`` says why)
    mimic: mimicking.MimickingResult  # GDP on the assets' quarterly excess returns
    gmm_note: str = ""

    @property
    def factor_names(self) -> tuple:
        return MACRO_FACTORS


def quarterly_excess(data: Dataset, labels: np.ndarray, start: int | None = None, end: int | None = None) -> np.ndarray:
    """The assets' compounded total returns minus the compounded risk-free rate, one row per label (NaN: no data),
    from the months ``start``-``end`` (YYYYMM, inclusive; default all)."""
    keep = (data.periods >= (start or data.periods[0])) & (data.periods <= (end or data.periods[-1]))
    q = frequency.compound(np.column_stack([data.returns, data.rf])[keep], data.periods[keep], "quarter")
    i, j = frequency.align(q.labels, labels, "the data's quarters", "the macro quarters")
    out = np.full((labels.size, data.returns.shape[1]), np.nan)
    out[j] = q.returns[i, :-1] - q.returns[i, -1:]
    return out


def shared_quarters(data: Dataset) -> int:
    """How many macro quarters the data cover completely (0 for data that are neither monthly nor quarterly)."""
    if data.frequency != "monthly":
        return 0
    labels = macro_labels(load_macro()).to_numpy()
    try:
        q = frequency.compound(data.returns[:, :1], data.periods, "quarter")
    except ValueError:  # gaps or labels that are not months: no quarters
        return 0
    return int(np.isin(q.labels, labels).sum())


def macro_example(data: Dataset, start: int | None = None, end: int | None = None) -> MacroExample | None:
    """The example on the quarters of ``start``-``end`` (YYYYMM, default all) the data share with the macro series;
    None if the data share fewer than ``MIN_QUARTERS`` with it or the window holds fewer."""
    if shared_quarters(data) < MIN_QUARTERS or data.returns.shape[1] < len(MACRO_FACTORS) + 2:
        return None
    m = load_macro()
    labels = macro_labels(m).to_numpy()
    y = quarterly_excess(data, labels, start, end)
    keep = np.isfinite(y).all(axis=1)
    if keep.sum() < MIN_QUARTERS:
        return None
    y, x, labels = y[keep], m.to_numpy()[keep], labels[keep]
    try:
        gmm, note = memo.gmm(y, x, intercept=True, factor_names=MACRO_FACTORS), ""  # once for every flavour
    except XLFactorError as exc:  # too few quarters for the moments, or a flat objective
        gmm, note = None, str(exc)
    return MacroExample(
        labels=labels,
        excess=y,
        macro=x,
        asset_names=tuple(data.asset_names),
        plain=premia.two_pass(y, x, intercept=True, se="plain", factor_names=MACRO_FACTORS),
        shanken=premia.two_pass(y, x, intercept=True, se="shanken", factor_names=MACRO_FACTORS),
        gmm=gmm,
        mimic=mimicking.mimicking(x[:, 0], y),
        gmm_note=note,
    )


def report(ex: MacroExample) -> list[str]:
    """The demo's lines: premia in % per quarter with t-stats by method, the tests, GDP's mimicking portfolio."""
    names = ("zero-beta", *ex.factor_names)
    lines = [
        f"Macro factors (quarterly, {ex.labels[0]} to {ex.labels[-1]}, {ex.labels.size} quarters; not traded): "
        "premia in % per quarter (t-stat)",
        f"  {'':22s}" + "".join(f"{n:>18s}" for n in names),
    ]
    for label, res in (("two-pass, plain", ex.plain), ("two-pass, Shanken", ex.shanken), ("GMM (robust)", ex.gmm)):
        if res is None:
            lines.append(f"  {label:22s}left out: {ex.gmm_note}")
            continue
        lines.append(
            f"  {label:22s}"
            + "".join(f"{100 * p:10.3f} ({t:5.2f})" for p, t in zip(res.premia, res.tstat, strict=True))
        )
    p, s, g = ex.plain, ex.shanken, ex.gmm
    gmm_j = "" if g is None else f", GMM J({g.j_df}) = {g.j_stat:.2f} (p {g.j_pvalue:.3f})"
    lines.append(
        f"  Shanken factor 1 + c = {s.shanken_factor:.3f}; pricing errors: two-pass J({s.j_df}) = "
        f"{p.j_stat:.2f} (p {p.j_pvalue:.3f}) plain, {s.j_stat:.2f} (p {s.j_pvalue:.3f}) with Shanken's correction"
        f"{gmm_j}; cross-sectional R2 {s.r2:.2f}"
    )
    top = np.argsort(-np.abs(ex.shanken.betas[:, 0]))[:3]
    lines.append("  Largest GDP betas: " + ", ".join(f"{ex.asset_names[i]} {ex.shanken.betas[i, 0]:.2f}" for i in top))
    lines.append(
        f"  GDP's mimicking portfolio of the assets: tracking correlation {ex.mimic.tracking_corr:.2f} over "
        f"{ex.mimic.nobs} quarters (a traded factor: use its returns like any other)"
    )
    return lines
