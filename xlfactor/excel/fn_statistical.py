"""Excel functions for statistical (latent) factor models: factors from the returns themselves.

PCA_FACTORS (latent factor returns), PCA_LOADINGS (each asset's loadings on them, in the returns' units),
PCA_EIGENVALUES (the scree: variances and shares), PCA_R2 (each asset's R2 on k latent factors), FACTOR_COUNT
(how many: Bai-Ng and Ahn-Horenstein) and LATENT_VS_NAMED (latent beside named factors: R2, canonical
correlations, variance shares). Blanks in the returns are missing values, filled by the EM estimate
(``core.statistical.pca``). Layout as everywhere: periods down rows, assets across columns, loadings factor rows
x asset columns, so the latent risk model is the chain RISK_ALLOC(PCA_LOADINGS(r), FACTOR_COV(PCA_FACTORS(r)),
SPECIFIC_VAR(r, PCA_FACTORS(r), PCA_LOADINGS(r))), the same model as ``statistical.latent_risk_model``.
"""

from __future__ import annotations

import numpy as np

from ..core import options
from ..core.statistical import count
from . import coerce as cells
from . import helptext as doc
from . import memo
from .decorate import udf

COUNT_OUTPUTS = ("k", "chosen", "values", "note")
COMPARE_OUTPUTS = ("r2", "canonical", "latent_on_named", "named_on_latent", "share")


def _returns(returns, rf) -> np.ndarray:
    y, r = cells.periods([(returns, "returns")], rf)
    return y - r[:, None]


def _standardize(value) -> bool:
    return cells.flag(value, "standardize", options.DEFAULTS["pca_standardize"])


def _k(value, y: np.ndarray, standardize: bool) -> int:
    """k as given, or the number FACTOR_COUNT chooses by the default criterion."""
    k = cells.count(value, "k", None, minimum=1)
    if k is None:
        return memo.factor_count(y, standardize=standardize).chosen[options.DEFAULTS["criterion"]]
    return k


def _fit(returns, k, rf, standardize, exact=None):
    y = _returns(returns, rf)
    std = _standardize(standardize)
    return memo.pca(y, _k(k, y, std), standardize=std, exact=exact)


@udf(returns=doc.RETURNS_PCA, k=doc.K_LATENT, rf=doc.RF, standardize=doc.PCA_STANDARDIZE)
def pca_factors(returns, k=None, rf=None, standardize=None):
    """Latent factor returns: the principal components of the returns, one column per factor, a row per period."""
    return cells.block(_fit(returns, k, rf, standardize).factors)


@udf(returns=doc.RETURNS_PCA, k=doc.K_LATENT, rf=doc.RF, standardize=doc.PCA_STANDARDIZE)
def pca_loadings(returns, k=None, rf=None, standardize=None):
    """Each asset's loadings on the latent factors (factor rows x asset columns), in the returns' units."""
    fit = _fit(returns, k, rf, standardize)
    return cells.block((fit.loadings * fit.scale[:, None]).T)


@udf(
    returns=doc.RETURNS_PCA,
    k=(
        "Only with blanks in the returns: the factors the EM estimate fills them with; blank: as FACTOR_COUNT (its "
        "kmax)."
    ),
    rf=doc.RF,
    standardize=doc.PCA_STANDARDIZE,
    shares="TRUE for four columns: component number, variance, share of the total variance, cumulative share.",
)
def pca_eigenvalues(returns, k=None, rf=None, standardize=None, shares=None):
    """Variances of all the principal components (eigenvalues, largest first), one row each: the scree."""
    y = _returns(returns, rf)
    std = _standardize(standardize)
    fill = cells.count(k, "k", None, minimum=1)
    as_count = fill is None  # FACTOR_COUNT's fill, its last one if it did not converge (FACTOR_COUNT's "note")
    if fill is None:
        fill = count.check_kmax(None, y.shape[0], y.shape[1], True) if not np.isfinite(y).all() else 1
    fit = memo.pca(y, fill, standardize=std, exact=True, strict=not as_count)
    m = min(y.shape[0] - 1, y.shape[1])  # components of a demeaned panel
    if not cells.flag(shares, "shares"):
        return cells.column(fit.eigenvalues[:m])
    return cells.block(
        np.column_stack([np.arange(1, m + 1), fit.eigenvalues[:m], fit.explained[:m], np.cumsum(fit.explained[:m])])
    )


@udf(returns=doc.RETURNS_PCA, k=doc.K_LATENT, rf=doc.RF, standardize=doc.PCA_STANDARDIZE)
def pca_r2(returns, k=None, rf=None, standardize=None):
    """Share of each asset's variance the k latent factors explain (R2, on its observed rows): one row."""
    return cells.row(_fit(returns, k, rf, standardize).r2)


def count_note(res) -> str:
    """FACTOR_COUNT's "note": blank, or the warning that the criteria rest on an EM fill that did not converge."""
    if res.em_converged:
        return ""
    return (
        f"Warning: the EM fill of the blanks did not converge (last relative change {res.em_change:.2g}); the "
        "criteria are those of its last fill: lower kmax or fill the gaps."
    )


@udf(
    returns=doc.RETURNS_PCA,
    criterion=doc.CRITERION,
    kmax=doc.KMAX,
    rf=doc.RF,
    standardize=doc.PCA_STANDARDIZE,
    output=(
        "k (default: the number by criterion), chosen (a row: the number by each criterion, "
        f"{', '.join(options.NUM_FACTOR_CRITERIA)}), values (a row per k = 1..kmax: k, then each criterion) or "
        "note (blank, or a warning: the EM fill of blanks did not converge)."
    ),
)
def factor_count(returns, criterion=None, kmax=None, rf=None, standardize=None, output=None):
    """How many latent factors the returns have: Bai-Ng (2002) and Ahn-Horenstein (2013) criteria."""
    y = _returns(returns, rf)
    crit = cells.option(criterion, options.NUM_FACTOR_CRITERIA, "criterion", options.DEFAULTS["criterion"])
    res = memo.factor_count(y, cells.count(kmax, "kmax", None, minimum=1), standardize=_standardize(standardize))
    out = cells.option(output, COUNT_OUTPUTS, "output", "k")
    if out == "k":
        return [[res.chosen[crit]]]
    if out == "chosen":
        return cells.row([res.chosen[c] for c in res.criteria])
    if out == "note":
        return [[count_note(res)]]
    return cells.block(np.column_stack([res.ks, res.values.T]))


@udf(
    returns=doc.RETURNS_PCA,
    factors=doc.FACTORS,
    k=doc.K_LATENT,
    rf=doc.RF,
    standardize=doc.PCA_STANDARDIZE,
    output=(
        "r2 (default: a row of R2 on the k latent factors, then one on the named), canonical (correlations, a "
        "column), latent_on_named or named_on_latent (each factor's R2 on the other set) or share (see above)."
    ),
)
def latent_vs_named(returns, factors, k=None, rf=None, standardize=None, output=None):
    """Latent factors beside named ones: R2 per asset on each, canonical correlations, share of latent variance the named explain."""
    y, x = cells.returns_and_factors(returns, factors, rf)
    std = _standardize(standardize)
    res = memo.latent_vs_named(y, x, _k(k, y, std), standardize=std)
    out = cells.option(output, COMPARE_OUTPUTS, "output", "r2")
    if out == "r2":
        return cells.block([res.r2_latent, res.r2_named])
    if out == "share":
        return [[res.latent_share]]
    return cells.column(getattr(res, out))


__all__ = ["factor_count", "latent_vs_named", "pca_eigenvalues", "pca_factors", "pca_loadings", "pca_r2"]
