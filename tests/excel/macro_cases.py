"""Calls of the macro and fundamental spreadsheet functions (fn_macro) with cell inputs, and what the core says.

Shared by the classic and Office.js runtime suites (tests/runtimes/*/test_macro.py), like ``cases``.
"""

from __future__ import annotations

import numpy as np

from tests.excel.cases import ERROR, Case, cells
from xlfactor.core import frequency, fundamental, mimicking, premia, regression
from xlfactor.data import load_french


def yyyymm(index) -> np.ndarray:
    return np.array([p.year * 100 + p.month for p in index], dtype=float)


def long_table(n_periods=12, n_assets=15, seed=0):
    """A small long table: period, asset (text), two characteristics, return, industry (text), weight."""
    rng = np.random.default_rng(seed)
    per = np.repeat(np.arange(201001, 201001 + n_periods), n_assets).astype(float)
    ids = np.tile([f"A{i}" for i in range(n_assets)], n_periods)
    ind = np.tile(np.array(["Tech", "Bank", "Food"])[np.arange(n_assets) % 3], n_periods)
    x = rng.normal(size=(per.size, 2))
    r = 0.01 + x @ [0.02, -0.01] + rng.normal(0, 0.01, per.size)
    w = rng.uniform(1, 3, per.size)
    return per, ids, x, r, ind, w


def column(values) -> list:
    return [[v] for v in values]


def build_cases() -> list[Case]:
    d = load_french()
    sv = d.size_value.to_numpy()[-240:].copy()
    rf, f = d.rf.to_numpy()[-240:], d.factors.to_numpy()[-240:, :3]
    sv[7, 2] = np.nan  # a blank: the row is dropped for every asset
    y = sv - rf[:, None]
    SV, RF, F = cells(sv), cells(rf[:, None]), cells(f)
    keep = np.isfinite(y).all(axis=1)
    shanken = premia.two_pass(y, f)
    robust = premia.two_pass(y, f, intercept=True, se="robust", lags=3)
    gmm = premia.estimate(y, f, method="gmm", intercept=True)
    g = f[:, 0].copy()
    g[np.arange(240) % 3 != 2] = np.nan  # a factor observed once a quarter
    mim = mimicking.mimicking(g, y)
    months = yyyymm(d.industries.index[-240:])
    ind = d.industries.to_numpy()[-240:, :4]
    q = frequency.compound(ind, months, "quarter")
    target = np.array([201003.0, 200912.0, 199003.0])  # out of order, and one before the data
    aligned = np.full((3, 4), np.nan)
    aligned[0], aligned[1] = q.returns[q.labels == 201003][0], q.returns[q.labels == 200912][0]
    per, ids, x, r, industry, w = long_table()
    fm = fundamental.fundamental(per, ids, x, r, industries=industry, weights=w)
    plain_fm = regression.fama_macbeth(y, shanken.betas, shanken_factors=f)
    # a factor that is not a return: its regression's intercept is no alpha, the alpha rows are left blank
    ols = regression.ols(y, f)
    no_alpha, with_t = ols.coef.T.copy(), np.vstack([ols.coef.T, ols.tstat.T])
    no_alpha[0] = with_t[[0, 4]] = np.nan
    capm = regression.capm(y, f[:, 1], traded=False)
    capm_stats = np.vstack(
        [capm.alpha, capm.beta, capm.tstat_alpha, capm.tstat_beta, capm.r2, capm.resid_vol, capm.nobs, capm.blume_beta]
    )
    capm_stats[[0, 2]] = np.nan
    return [
        Case("ols_loadings", [cells(y), F, None, None, None, [[True, False, True]]], no_alpha),
        Case("ols_loadings", [cells(y), F, None, None, [[True]], [[True], [False], [True]]], with_t),
        Case("ols_loadings", [cells(y), F, None, None, None, [[True]]], ols.coef.T),
        Case("capm_beta", [cells(y), cells(f[:, 1:2]), None, [[True]], None, [["excess"]], [[False]]], capm_stats),
        Case("capm_beta", [cells(y), cells(f[:, 1:2]), None, [[False]], None, [["excess"]]], capm.beta[None]),
        Case(
            "risk_premia",
            [SV, F, None, None, None, None, None, RF],
            np.column_stack([shanken.premia, shanken.stderr, shanken.tstat]),
        ),
        Case(
            "risk_premia",
            [cells(y), F, [["twopass"]], [["robust"]], [[True]], [[3]]],
            np.column_stack([robust.premia, robust.stderr, robust.tstat]),
        ),
        Case(
            "risk_premia",
            [cells(y), F, [["GMM"]], None, [[True]], None, [["tests"]]],
            np.array([[gmm.j_stat, gmm.j_df, gmm.j_pvalue, gmm.r2, gmm.shanken_factor]]),
        ),
        Case("risk_premia", [cells(y), F, None, None, None, None, [["betas"]]], shanken.betas.T),
        Case("risk_premia", [cells(y), F, None, None, None, None, [["alpha"]]], shanken.alpha[None, :]),
        Case(
            "risk_premia",
            [cells(y), F, None, None, None, None, [["expected"]]],
            (y[keep].mean(axis=0) - shanken.alpha)[None, :],
        ),
        Case("mimicking_portfolio", [cells(g[:, None]), SV, None, RF], mim.weights[None, :]),
        Case("mimicking_portfolio", [cells(g[:, None]), SV, [["returns"]], RF], mim.returns[:, None]),
        Case(
            "mimicking_portfolio",
            [cells(g[:, None]), SV, [["stats"]], RF],
            np.array([[mim.tracking_corr, mim.r2, mim.nobs]]),
        ),
        Case("compound_returns", [cells(ind), cells(months[:, None])], np.column_stack([q.labels, q.returns])),
        Case(
            "compound_returns",
            [cells(ind), cells(months[:, None]), [["year"]]],
            np.column_stack([(a := frequency.compound(ind, months, "year")).labels, a.returns]),
        ),
        Case("compound_returns", [cells(ind), cells(months[:, None]), None, cells(target[:, None])], aligned),
        Case(
            "char_model",
            [column(per), column(ids), cells(x), column(r), column(industry), column(w)],
            fm.factor_returns,
        ),
        Case(
            "char_model",
            [column(per), column(ids), cells(x), column(r), column(industry), column(w), [["exposures"]]],
            fm.exposures.T,
        ),
        Case(
            "char_model",
            [column(per), column(ids), cells(x), column(r), column(industry), column(w), [["factor_cov"]]],
            fm.factor_cov,
        ),
        Case(
            "char_model",
            [column(per), column(ids), cells(x), column(r), column(industry), column(w), [["specific_var"]]],
            fm.specific_var[None, :],
        ),
        Case(
            "char_model",
            [column(per), column(ids), cells(x), column(r), None, None, [["r2"]]],
            fundamental.fundamental(per, ids, x, r).r2[:, None],
        ),
        Case(
            "fama_macbeth",
            [cells(y), cells(shanken.betas.T), None, F],
            np.column_stack([plain_fm.premia, plain_fm.stderr, plain_fm.tstat]),
        ),
    ]


TEXT_MUTATIONS = ("text in a cell", "a number stored as text", "'NaN' typed as text")
LABEL_ARGS = {"char_model": (1, 4)}  # assets and industries: any text is a valid name
FLAG_ARGS = {"ols_loadings": (5,)}  # traded, one TRUE/FALSE per factor: a logical value is valid there


def battery() -> list:
    """hostile's bad inputs for these functions; new text in a column of names is a name, not a mistake."""
    from tests.excel import hostile

    bads = hostile.build(build_cases())
    for bad in bads:
        pos = int(bad.what.split()[1].rstrip(":")) - 1 if bad.what.startswith("argument") else -1
        if pos in LABEL_ARGS.get(bad.func, ()) and bad.what.split(": ", 1)[1] in TEXT_MUTATIONS:
            bad.must_fail = False
        if pos in FLAG_ARGS.get(bad.func, ()) and bad.what.endswith("a logical value in a cell"):
            bad.must_fail = False
    return bads


def char_risk_model_case():
    """CHAR_MODEL's exposures, factor covariance and specific variances, and the weights RISK_ALLOC should give."""
    from xlfactor.core import risk

    per, ids, x, r, industry, w = long_table()
    args = [column(per), column(ids), cells(x), column(r), column(industry), column(w)]
    fm = fundamental.fundamental(per, ids, x, r, industries=industry, weights=w)
    return args, {m: risk.allocate(m, model=fm.model).weights for m in ("erc", "minvar")}


def names_case():
    per, ids, x, r, industry, _w = long_table()
    return [column(per), column(ids), cells(x), column(r), column(industry), None, [["names"]]], [
        ["intercept", "characteristic 1", "characteristic 2", "Tech", "Bank", "Food"]
    ]


_R = [
    [0.01, 0.02, 0.0],
    [0.02, -0.01, 0.01],
    [0.0, 0.01, 0.02],
    [0.03, 0.0, -0.01],
    [0.01, 0.02, 0.0],
    [-0.02, 0.01, 0.01],
    [0.01, -0.01, 0.03],
]
_F = [[0.01], [0.02], [-0.01], [0.02], [0.0], [-0.01], [0.03]]

ERROR_CASES = [
    (
        "risk_premia",
        [_R, _F, None, [["shank"]]],
        r"RISK_PREMIA: se must be one of shanken, plain, robust; got 'shank'. Did you mean 'shanken'\?",
    ),
    ("risk_premia", [_R, _F, [["gmm"]], [["plain"]]], r"RISK_PREMIA: se for method 'gmm' is robust"),
    ("risk_premia", [_R, _F, None, None, None, [[2]]], r"RISK_PREMIA: lags applies to se 'robust'"),
    (
        "risk_premia",
        [[r[:1] for r in _R], [f + f for f in _F]],
        r"RISK_PREMIA: returns has 1 assets but 2 factor premia need at least 2",
    ),
    ("risk_premia", [_R, _F[:-1] + [[ERROR]]], r"RISK_PREMIA: factors row 7, column 1 is an error value"),
    (
        "risk_premia",
        [_R, _F, None, None, None, None, [["alphas"]]],
        r"RISK_PREMIA: output must be one of .*Did you mean 'alpha'\?",
    ),
    (
        "mimicking_portfolio",
        [_F[:3] + [[None]] * 4, _R],
        r"MIMICKING_PORTFOLIO: factor and every base asset are present in 3 rows",
    ),
    (
        "compound_returns",
        [_R[:3], [[201001], [201002], [201002]]],
        r"COMPOUND_RETURNS: periods row 3 \(201002\) repeats or goes back \(overlapping periods\)",
    ),
    (
        "compound_returns",
        [_R[:3], [[201001], [201003], [201004]]],
        r"COMPOUND_RETURNS: periods row 2 \(201003\) skips 1 month",
    ),
    (
        "compound_returns",
        [_R[:3], [[201001], [201002], [201003]], [["month"]]],
        r"COMPOUND_RETURNS: frequency must be one of quarter, year",
    ),
    (
        "compound_returns",
        [_R[:3], [[201001], [201002], [201003]], None, [[201006]]],
        r"COMPOUND_RETURNS: the compounded periods .* and align_to .* share no period",
    ),
    (
        "char_model",
        [[[1], [1], [2], [2]], [["a"], ["a"], ["a"], ["b"]], [[0.1], [0.2], [0.3], [0.4]], [[0.01]] * 4],
        r"CHAR_MODEL: asset a appears more than once in period 1",
    ),
    (
        "char_model",
        [[[1], [1]], [["a"], [ERROR]], [[0.1], [0.2]], [[0.01]] * 2],
        r"CHAR_MODEL: assets row 2 is an error value",
    ),
    (
        "char_model",
        [[[1], [1]], [["a"], ["b"]], [[0.1], [0.2]], [[0.01]] * 2, [["x"], ["x"]]],
        r"CHAR_MODEL: industries has one industry",
    ),
    ("grs_test", [_R, _F, None, [[False]]], r"GRS_TEST: the GRS test needs traded factors"),
    (
        "capm_er",
        [_R, _F, None, None, [[False]]],
        r"CAPM_ER: the CAPM expected return needs traded factors .*RISK_PREMIA",
    ),
    ("capm_er", [_R, _F, None, None, [["no"]]], r"CAPM_ER: traded must be TRUE or FALSE"),
    (
        "ols_loadings",
        [_R, _F, None, None, None, [[True, False]]],
        r"OLS_LOADINGS: traded has 2 values but there are 1 factors; give one per factor",
    ),
    ("ols_loadings", [_R, _F, None, None, None, [["no"]]], r"OLS_LOADINGS: traded value 1 must be TRUE or FALSE"),
    (
        "capm_beta",
        [_R, _F, None, None, None, None, [[False]]],
        r"CAPM_BETA: stats FALSE \(the default\) does not use traded; leave it empty or choose stats TRUE\.$",
    ),
    (  # the same with stats chosen: refused, not dropped
        "capm_beta",
        [_R, _F, None, [[False]], None, None, [[True]]],
        r"CAPM_BETA: stats FALSE \(the default\) does not use traded; leave it empty or choose stats TRUE\.$",
    ),
    (
        "compound_returns",
        [_R[:3], [[201001], [201002], [201003]], None, [[201003], [201005]]],
        r"COMPOUND_RETURNS: align_to row 2 is 201005, not the last month of a quarter",
    ),
    (
        "compound_returns",
        [_R[:3], [[201001], [201002], [201003]], None, [[201003], [201013]]],
        r"COMPOUND_RETURNS: align_to row 2 is 201013, not a month as YYYYMM",
    ),
    (
        "fama_macbeth",
        [_R, [[1.0, 0.5, 0.2]], None, [[0.01, 0.02]] * 7],
        r"FAMA_MACBETH: factors has 2 columns but the exposures have 1",
    ),
]
