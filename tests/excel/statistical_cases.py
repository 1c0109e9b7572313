"""Calls of the statistical-factor spreadsheet functions (fn_statistical) with cell inputs, and what the core says.

Shared by the classic and Office.js runtime suites (tests/runtimes/*/test_statistical.py), like ``cases``. The
shipped industries (240 months x 6, total returns with the rf column, two blanks filled by EM) and a wide
synthetic panel (40 periods x 60 assets: the T x T Gram path).
"""

from __future__ import annotations

import numpy as np

from tests.excel.cases import ERROR, Case, cells
from xlfactor.core import backtest, options, risk, statistical
from xlfactor.core.statistical import count
from xlfactor.data import load_french

CRITERION = options.DEFAULTS["criterion"]


def shipped():
    """(total returns with two blanks, rf, factors, excess returns): 240 months x 6 industries."""
    d = load_french()
    r = d.industries.to_numpy()[-240:, :6].copy()
    rf, f = d.rf.to_numpy()[-240:], d.factors.to_numpy()[-240:]
    r[5, 1] = np.nan
    r[100, 4] = np.nan
    return r, rf, f, r - rf[:, None]


def wide(seed=7):
    """40 periods x 60 assets, three factors: more assets than periods."""
    rng = np.random.default_rng(seed)
    return rng.normal(0, 0.04, (40, 3)) @ rng.normal(0, 1, (3, 60)) + rng.normal(0, 0.02, (40, 60))


def build_cases() -> list[Case]:
    r, rf, f, y = shipped()
    R, RF, F = cells(r), cells(rf[:, None]), cells(f)
    k_auto = statistical.factor_count(y).chosen[CRITERION]
    two, auto = statistical.pca(y, 2), statistical.pca(y, k_auto)
    std = statistical.pca(y, 3, standardize=True)
    counted = statistical.factor_count(y)
    kmax = count.check_kmax(None, *y.shape, True)
    scree = statistical.pca(y, kmax, exact=True)  # blanks filled as FACTOR_COUNT fills them: with kmax factors
    m = min(y.shape[0] - 1, y.shape[1])
    lvn = statistical.latent_vs_named(y, f, 3)
    w = wide()
    W = cells(w)
    wfit, wcount = statistical.pca(w, 3), statistical.factor_count(w, 5, standardize=True)
    complete = y.copy()
    complete[~np.isfinite(complete)] = 0.0
    bt = backtest.backtest(complete, f, 120, step=24, models=["ols", "statistical"])
    return [
        Case("pca_factors", [R, [[2]], RF], two.factors),
        Case("pca_factors", [W, [[3]]], wfit.factors),
        Case("pca_loadings", [R, None, RF], auto.loadings.T),
        Case("pca_loadings", [R, [[3]], RF, [[True]]], (std.loadings * std.scale[:, None]).T),
        Case("pca_loadings", [W, [[3]]], wfit.loadings.T),
        Case("pca_eigenvalues", [R, None, RF], scree.eigenvalues[:m, None]),
        Case(
            "pca_eigenvalues",
            [R, None, RF, None, [[True]]],
            np.column_stack(
                [np.arange(1, m + 1), scree.eigenvalues[:m], scree.explained[:m], np.cumsum(scree.explained[:m])]
            ),
        ),
        Case("pca_eigenvalues", [W], statistical.pca(w, 1, exact=True).eigenvalues[:39, None]),
        Case("pca_r2", [R, [[2]], RF], two.r2[None, :]),
        Case("factor_count", [R, None, None, RF], np.array([[counted.chosen[CRITERION]]])),
        Case("factor_count", [R, [["ic_p2"]], [[3]], RF], np.array([[statistical.factor_count(y, 3).chosen["ic_p2"]]])),
        Case(
            "factor_count",
            [R, None, None, RF, None, [["chosen"]]],
            np.array([[counted.chosen[c] for c in options.NUM_FACTOR_CRITERIA]], float),
        ),
        Case("factor_count", [R, None, None, RF, None, [["values"]]], np.column_stack([counted.ks, counted.values.T])),
        Case(
            "factor_count",
            [W, None, [[5]], None, [[True]], [["values"]]],
            np.column_stack([wcount.ks, wcount.values.T]),
        ),
        Case("latent_vs_named", [R, F, [[3]], RF], np.vstack([lvn.r2_latent, lvn.r2_named])),
        Case("latent_vs_named", [R, F, [[3]], RF, None, [["canonical"]]], lvn.canonical[:, None]),
        Case("latent_vs_named", [R, F, [[3]], RF, None, [["latent_on_named"]]], lvn.latent_on_named[:, None]),
        Case("latent_vs_named", [R, F, [[3]], RF, None, [["named_on_latent"]]], lvn.named_on_latent[:, None]),
        Case("latent_vs_named", [R, F, [[3]], RF, None, [["share"]]], np.array([[lvn.latent_share]])),
        Case(
            "backtest",
            [cells(complete), F, [[120]], [[24]], [["ols, statistical"]], None, [["predicted_vol"]]],
            bt.predicted_vol.T,
        ),
    ]


def note_cases() -> list[tuple[list, str]]:
    """FACTOR_COUNT's text output "note": (cells, the text): blank where the EM fill of the blanks converged (the
    shipped 240 x 6 with two blanks), the warning where it did not (the 12 industries, one starting five years late:
    kmax = 8 factors of 12 assets crawls, tests/core/test_statistical.py)."""
    r, rf, _, _ = shipped()
    d = load_french()
    late, rf_all = d.industries.to_numpy().copy(), d.rf.to_numpy()
    late[:60, 7] = np.nan
    res = statistical.factor_count(late - rf_all[:, None])
    assert not res.em_converged
    warning = (
        f"Warning: the EM fill of the blanks did not converge (last relative change {res.em_change:.2g}); the "
        "criteria are those of its last fill: lower kmax or fill the gaps."
    )
    note = [["note"]]
    return [
        ([cells(r), None, None, cells(rf[:, None]), None, note], ""),
        ([cells(late), None, None, cells(rf_all[:, None]), None, note], warning),
    ]


def output_choices() -> dict[str, tuple[str, ...]]:
    """Each statistical function's ``output`` choices, every one of which its registered help must name."""
    from xlfactor.excel import fn_statistical

    return {"factor_count": fn_statistical.COUNT_OUTPUTS, "latent_vs_named": fn_statistical.COMPARE_OUTPUTS}


def chain_expected():
    """The latent risk model as the Excel chain builds it, from the core: ERC weights and risk shares by asset."""
    _, _, _, y = shipped()
    model = statistical.latent_risk_model(y, k=2)
    erc = risk.allocate("erc", model=model)
    return model, erc.weights, risk.risk_contributions(erc.weights, model=model).percent


def battery() -> list:
    """hostile's bad inputs for these functions."""
    from tests.excel import hostile

    return hostile.build([c for c in build_cases() if c.func != "backtest"])


_R = [
    [0.01, 0.02, 0.0, 0.01],
    [0.02, -0.01, 0.01, 0.0],
    [0.0, 0.01, 0.02, 0.02],
    [0.03, 0.0, -0.01, 0.01],
    [0.01, 0.02, 0.0, -0.02],
    [-0.02, 0.01, 0.01, 0.0],
    [0.01, -0.01, 0.03, 0.01],
]
_GAPPY = [[None, *r[1:]] if i > 1 else r for i, r in enumerate(_R)]
_F = [[0.01], [0.02], [-0.01], [0.02], [0.0], [-0.01], [0.03]]

ERROR_CASES = [
    (
        "pca_factors",
        [_GAPPY, [[2]]],
        r"PCA_FACTORS: returns column 1 has 2 row\(s\) with a number; 2 latent factor\(s\) need at least 4 per asset",
    ),
    ("pca_factors", [_R, [[0]]], r"PCA_FACTORS: k must be a whole number >= 1"),
    ("pca_loadings", [_R, [[5]]], r"PCA_LOADINGS: k must be"),
    (
        "pca_loadings",
        [[[0.01, *r[1:]] for r in _R], [[2]], None, [[True]]],
        r"PCA_LOADINGS: returns column 1 is constant over its 7 rows; it cannot be standardised",
    ),
    ("pca_loadings", [[r[:1] * 4 for r in _R], [[2]]], r"PCA_LOADINGS: k is 2 but the returns have rank 1"),
    ("pca_r2", [_R, [[1]], [[ERROR]]], r"PCA_R2: rf row 1, column 1 is an error value"),
    ("factor_count", [_R, [["err"]]], r"FACTOR_COUNT: criterion must be one of .*Did you mean 'er'\?"),
    ("factor_count", [_R, None, [[3]]], r"FACTOR_COUNT: kmax must be"),
    (
        "factor_count",
        [[r[:2] for r in _R]],
        r"FACTOR_COUNT: returns is 7 x 2; counting factors needs at least 3 assets",
    ),
    (
        "factor_count",
        [_R, None, None, None, None, [["table"]]],
        r"FACTOR_COUNT: output must be one of k, chosen, values, note",
    ),
    (
        "latent_vs_named",
        [_R, _F, [[1]], None, None, [["canon"]]],
        r"LATENT_VS_NAMED: output must be one of .*canonical",
    ),
    ("latent_vs_named", [_R, _F[:5], [[1]]], r"LATENT_VS_NAMED: returns has 7 rows but factors has 5"),
    ("pca_eigenvalues", [_R, None, None, None, [["yes"]]], r"PCA_EIGENVALUES: shares must be TRUE or FALSE"),
]
