"""Calls of every spreadsheet function with cell-shaped inputs, and what the core says they must return.

Shared by the classic and Office.js runtime suites, which translate the cells into each runtime's
wire format (COM tuples and int error codes; JSON lists and error objects).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from xlfactor.core import backtest, cv, options, penalized, regression, risk, rolling
from xlfactor.data import load_french

ERROR = "#N/A cell"  # marker: an error cell in a range


@dataclass
class Case:
    func: str
    args: list  # each argument as cells: list of rows, a scalar, or None (omitted)
    expected: np.ndarray  # 2-D; NaN where the cell must be empty


def cells(arr, errors=()) -> list:
    """A float array as rows of cells: NaN is a blank (None); positions in ``errors`` are error cells."""
    out = [[None if np.isnan(x) else float(x) for x in r] for r in np.atleast_2d(arr)]
    for i, j in errors:
        out[i][j] = ERROR
    return out


def build_cases() -> list[Case]:
    d = load_french()
    r = d.industries.to_numpy()[-240:, :6].copy()
    m, rf, f = d.market.to_numpy()[-240:], d.rf.to_numpy()[-240:], d.factors.to_numpy()[-240:]
    months = np.array([p.year * 100 + p.month for p in d.factors.index[-240:]], dtype=float)
    r[5, 1] = np.nan  # blanks: missing values
    r[9, 2] = np.nan
    r[-1, 3] = np.nan  # a blank final month in one asset only: a missing value, the other assets keep it
    y = r - rf[:, None]
    R, M, RF, F = cells(r), cells(m[:, None]), cells(rf[:, None]), cells(f)
    ols = regression.ols(y, f)
    capm = regression.capm(r, m, rf=rf, lags=3)
    lam_r, lam_l = 0.02, 5e-4
    mw = options.market_first_weights(f.shape[1])  # the Excel functions' default: the market (first) unpenalised
    ridge = penalized.fit(y, f, [lam_r], method="ridge", penalty_weights=mw)
    lasso = penalized.fit(y, f, [lam_l], method="lasso", standardize=True, penalty_weights=mw)
    enet = penalized.fit(y, f, [lam_l], method="enet", l1_ratio=0.3, penalty_weights=[1.0, 0.5, 2.0, 1.0])
    cvres = cv.cross_validate(y, f, method="lasso", folds=4, scheme="walkforward", gap=1, penalty_weights=mw)
    pooled = cv.cross_validate(y, f, method="ridge", folds=5, pooled=True, penalty_weights=mw)
    every = cv.cross_validate(y, f, method="lasso", folds=4, standardize=True, penalty_weights=[1.0] * 4)
    fcov = risk.factor_covariance(f, "ewma", 36)
    model = risk.FactorModel.from_arrays(ols.loadings, risk.factor_covariance(f), ols.risk.specific_var)
    erc = risk.allocate("erc", model=model)
    budgets = np.arange(1.0, 7.0)
    bud = risk.allocate("budget", model=model, budgets=budgets)
    rc = risk.risk_contributions(erc.weights, model=model)
    path = penalized.fit(y[:, :1], f, None, method="lasso", n_lambdas=20, penalty_weights=mw)
    coll = regression.collinearity(f)
    fm = regression.fama_macbeth(y, ols.loadings, lags=2)
    grs = regression.grs(y[np.isfinite(y).all(axis=1)], f[np.isfinite(y).all(axis=1)])
    L, FC, SV = cells(ols.loadings.T), cells(risk.factor_covariance(f)), cells(ols.risk.specific_var[None, :])
    pm = pooled.pooled_fold_mse
    roll_b = rolling.rolling(y, (m - rf)[:, None], 60, step=30)
    roll_l = rolling.rolling(y, f, 80, step=40, method="lasso", penalty_weights=mw)
    bt = backtest.backtest(np.where(np.isfinite(y), y, np.nan), f, 120, step=24, models=["ols", "lasso_market_free"])
    return [
        Case("rolling_beta", [R, M, [[60]], [[30]], RF], roll_b.beta),
        Case(
            "rolling_beta",
            [R, M, [[60]], [[30]], RF, cells(months[:, None])],
            np.column_stack([months[roll_b.ends], roll_b.beta]),
        ),
        Case("rolling_loadings", [R, F, [[80]], [["lasso"]], [[40]], [[2]], None, RF], roll_l.loadings[:, 1, :]),
        Case("rolling_loadings", [R, F, [[80]], [["lasso"]], [[40]], None, [["lambda"]], RF], roll_l.lambdas[:, None]),
        Case(
            "backtest",
            [R, F, [[120]], [[24]], [["ols, lasso_market_free"]], None, [["cumulative"]], RF],
            bt.cumulative.T,
        ),
        Case(
            "backtest",
            [R, F, [[120]], [[24]], [["ols"], ["lasso_market_free"]], None, [["predicted_vol"]], RF],
            bt.predicted_vol.T,
        ),
        Case("capm_beta", [R, M, RF], capm.beta[None, :]),
        Case(
            "capm_beta",
            [R, M, RF, [[True]], [[3]]],
            np.vstack(
                [
                    capm.alpha,
                    capm.beta,
                    capm.tstat_alpha,
                    capm.tstat_beta,
                    capm.r2,
                    capm.resid_vol,
                    capm.nobs,
                    capm.blume_beta,
                ]
            ),
        ),
        Case(
            "ridge_loadings",
            [R, F, [[lam_r]], RF, None, None, [[1.0] * 4], [[1.0, 0.0, 0.5, 0.0]]],
            penalized.fit(y, f, [lam_r], method="ridge", prior=[1.0, 0.0, 0.5, 0.0]).loadings[0].T,
        ),
        Case("factor_r2", [R, F, RF], ols.r2[None, :]),
        Case(
            "factor_r2",
            [R, F, RF, [[True]]],
            np.vstack([ols.risk.r2, ols.risk.total_var, ols.risk.systematic_var, ols.risk.specific_var]),
        ),
        Case("ridge_loadings", [R, F, [[lam_r]], RF], ridge.loadings[0].T),
        Case(
            "lasso_loadings",
            [R, F, [[lam_l]], RF, [[True]], [[True]]],
            np.vstack([lasso.intercept[0], lasso.loadings[0].T]),
        ),
        Case(
            "cv_lambda",
            [cells(y), F, [["LASSO"]], [[4]], [["walkforward"]], [["1se"]], [[1]]],
            cvres.best_lambda("1se")[None, :],
        ),
        Case(
            "cv_lambda",
            [cells(y), F, [["ridge"]], None, None, None, None, [[True]]],
            np.array([[pooled.pooled_lambda("min")]]),
        ),
        # every penalised option in the call: rf subtracted inside, standardised, every factor penalised
        Case(
            "cv_lambda",
            [R, F, None, [[4]], None, [["1se"]], None, None, RF, [[True]], [[1.0, 1.0, 1.0, 1.0]]],
            every.best_lambda("1se")[None, :],
        ),
        Case(
            "cv_lambda",
            [cells(y), F, [["ridge"]], None, None, [["1se_paired"]], None, [["normalized"]]],
            np.array([[pooled.pooled_lambda("1se_paired", "normalized")]]),
        ),
        Case("enet_loadings", [R, F, [[lam_l]], [[0.3]], RF, None, None, [[1.0, 0.5, 2.0, 1.0]]], enet.loadings[0].T),
        Case("risk_alloc", [L, FC, SV], erc.weights[None, :]),
        Case("risk_alloc", [L, FC, SV, [["budget"]], cells(budgets[None, :])], bud.weights[None, :]),
        Case(
            "risk_alloc",
            [L, FC, SV, None, None, None, None, [[0.1]], [[0.25]]],
            risk.allocate("erc", model=model, min_weight=0.1, max_weight=0.25).weights[None, :],
        ),
        Case(
            "risk_alloc",
            [L, FC, SV, [["minvar"]], None, None, None, None, None, cells(np.full((1, 6), 1 / 6)), [[0.3]]],
            risk.allocate("minvar", model=model, current=np.full(6, 1 / 6), max_turnover=0.3).weights[None, :],
        ),
        Case(
            "risk_alloc",
            [L, FC, SV, [["targetvol"]], None, [[0.01]], [["minvar"]]],
            risk.allocate("targetvol", model=model, target_vol=0.01, base="minvar").weights[None, :],
        ),
        Case(  # target volatility of a budgets portfolio: the budgets serve the base, and are read
            "risk_alloc",
            [L, FC, SV, [["targetvol"]], cells(budgets[None, :]), [[0.01]], [["budget"]]],
            risk.allocate("targetvol", model=model, budgets=budgets, target_vol=0.01, base="budget").weights[None, :],
        ),
        Case(
            "risk_alloc",
            [L, FC, SV, [["targetvol"]], [[1.0, 2.0, 1.0, 1.0]], [[0.01]], [["factor"]]],
            risk.allocate(
                "targetvol", model=model, budgets=[1.0, 2.0, 1.0, 1.0], target_vol=0.01, base="factor"
            ).weights[None, :],
        ),
        Case("ols_loadings", [R, F, RF, None, [[True]]], np.vstack([ols.coef.T, ols.tstat.T])),
        Case("factor_cov", [F, [["EWMA"]], [[36]]], fcov),
        # "" (what the template passes for an option the chosen method does not read) is an omitted argument
        Case("factor_cov", [F, [["sample"]], [[""]], [[""]], [[3]], [[""]]], risk.factor_covariance(f, nw_lags=3)),
        Case(
            "factor_cov", [F, [["ledoitwolf"]], [[""]], [[""]], [[""]], [[""]]], risk.factor_covariance(f, "ledoitwolf")
        ),
        Case("factor_cov", [F, [["ewma"]], [[36]], [[""]], [[""]], [[""]]], fcov),
        Case(
            "factor_cov",
            [F, [["barra"]], [[24]], [[48]], [[2]], [[12]]],
            risk.factor_covariance(f, "barra", 24, corr_halflife=48, nw_lags=2, regime_halflife=12),
        ),
        Case("specific_var", [R, F, L, RF], risk.specific_variance(y, f, ols.loadings)[None, :]),
        Case(
            "specific_var",
            [R, F, L, RF, [[0.1]]],
            risk.shrink_specific(risk.specific_variance(y, f, ols.loadings), 0.1)[None, :],
        ),
        Case("risk_contrib", [cells(erc.weights[None, :]), L, FC, SV], rc.percent[None, :]),
        Case("risk_contrib", [cells(erc.weights[None, :]), L, FC, SV, [["factor"]]], rc.factor_percent[:, None]),
        Case(
            "cv_curve",
            [cells(y), F, None, [[4]], [["walkforward"]], [[1]], [[2]]],
            np.column_stack([cvres.lambdas[:, 1], cvres.mse[:, 1], cvres.mse_se[:, 1], cvres.nonzero[:, 1]]),
        ),
        Case(
            "cv_curve",
            [cells(y), F, [["ridge"]]],
            np.column_stack([pooled.lambdas[:, 0], pm.mean(1), pm.std(1, ddof=1) / np.sqrt(5), pooled.nonzero.mean(1)]),
        ),
        Case("lasso_path", [cells(y[:, :1]), F, [[20]]], np.column_stack([path.lambdas[:, 0], path.loadings[:, 0, :]])),
        Case("factor_vif", [F], coll.vif[None, :]),
        Case("factor_cond", [F], np.array([[coll.condition_number]])),
        Case("factor_corr", [F], coll.corr),
        Case("capm_er", [R, M, RF], np.vstack([capm.expected_return, capm.mean_return])),
        Case("fama_macbeth", [cells(y), L, [[2]]], np.column_stack([fm.premia, fm.stderr, fm.tstat])),
        Case("grs_test", [R, F, RF], np.array([[grs.statistic, grs.pvalue]])),
        Case(
            "sample_window",
            [F, cells(months[:, None]), [[201001]], [[201012]]],
            f[(months >= 201001) & (months <= 201012)],
        ),
        Case(
            "sample_window",
            [F + [[None] * 4] * 3, cells(months[:, None]), [[200001]], [[201703]], [[True], [False], [True], [False]]],
            f[months >= 200001][:, [0, 2]],
        ),
        Case("excess_returns", [R, RF], r - rf[:, None]),
        # trailing blank rows: ignored where every argument is blank there; missing values where one is filled
        Case("capm_beta", [R + [[None] * 6] * 4, M + [[None]] * 2, RF], capm.beta[None, :]),
        Case(
            "capm_beta", [R, M[:-1] + [[None]], RF], regression.capm(r, np.append(m[:-1], np.nan), rf=rf).beta[None, :]
        ),
    ]


def as_array(result) -> np.ndarray:
    """A returned block as floats, empty cells as NaN."""
    return np.array([[np.nan if x == "" else x for x in r] for r in result], dtype=float)


# six periods of one asset and two factors, and a window of 4: the arguments ahead of those an error case tests
_SIX = [
    [[0.01], [0.03], [-0.02], [0.0], [0.02], [0.01]],
    [[0.02, 0.01], [0.01, 0.0], [-0.01, 0.02], [0.0, 0.01], [0.03, -0.01], [0.01, 0.02]],
    [[4]],
]
ERROR_CASES = [
    # (function, args as cells, expected message fragment)
    ("rolling_beta", [[[0.01]] * 6, [[0.02]] * 6, None], r"ROLLING_BETA: window is required: the number of periods"),
    ("rolling_beta", [[[0.01]] * 6, [[0.02]] * 6, [[9]]], r"ROLLING_BETA: window is 9 rows but the data have 6"),
    (
        "rolling_loadings",
        [[[0.01]] * 6, [[0.02]] * 6, [[4]], [["lars"]]],
        r"ROLLING_LOADINGS: method must be one of ols",
    ),
    (
        "backtest",
        [[[0.01]] * 6, [[0.02]] * 6, [[4]], None, [["ols, lasoo"]]],
        r"BACKTEST: models must be one of ols, ridge, lasso, lasso_market_free, statistical; got 'lasoo'. Did you mean 'lasso'\?",
    ),
    (
        "backtest",
        [[[0.01]] * 6, [[0.02]] * 6, [[4]], None, [[1.5]]],
        r"BACKTEST: models holds the number 1.5; give names",
    ),
    (
        "capm_beta",
        [[["Date"], [0.01]], [[0.02], [0.01]]],
        r"CAPM_BETA: returns row 1, column 1 is text 'Date'; select numbers only",
    ),
    ("capm_beta", [[[0.01], [0.02], [0.03]], [[0.02], [0.01]]], r"CAPM_BETA: returns has 3 rows but market has 2"),
    (
        "factor_r2",
        [[[0.01, 0.02]] * 5, [[True]] * 5],
        r"FACTOR_R2: factors row 1, column 1 is a logical value \(TRUE\)",
    ),
    ("ridge_loadings", [[[0.01]] * 6, [[0.02, 0.01]] * 6, [[-1]]], r"RIDGE_LOADINGS: penalty must be >= 0; got -1"),
    ("lasso_loadings", [[[0.01]] * 6, [[0.02, 0.01]] * 6, None], r"LASSO_LOADINGS: penalty is required"),
    (
        "cv_lambda",
        [[[0.01]] * 6, [[0.02]] * 6, [["lasso"]], [[1]]],
        r"CV_LAMBDA: folds must be a whole number >= 2; got 1",
    ),
    (
        "cv_lambda",
        [[[0.01]] * 6, [[0.02]] * 6, [["lass"]]],
        r"CV_LAMBDA: method must be one of ridge, lasso, enet; got 'lass'. Did you mean 'lasso'\?",
    ),
    (
        "risk_alloc",
        [[[1.0, 0.9]], [[0.01]], [[0.001, 0.002]], [["budget"]], [[1.0, 0.0]]],
        r"RISK_ALLOC: budgets must be > 0; value 2 is 0",
    ),
    (
        "factor_cov",
        [[[0.01, 0.02], [0.02, 0.01], [0.0, 0.0]], [["ewma"]]],
        r"FACTOR_COV: halflife is required for method 'ewma'",
    ),
    (
        "capm_beta",
        [[[0.01], [0.02]], [[0.01], [0.03]], [[0.0, 0.1, 0.2]]],
        r"CAPM_BETA: rf is 1 x 3 cells; give one number or one column",
    ),
    (
        "capm_beta",
        [[[0.01], [0.02]], [[0.01], [0.03]], [[0.0], [0.1], [0.2]]],
        r"CAPM_BETA: rf has 3 rows but returns has 2; select the same periods",
    ),
    # error cells are errors, as in Excel: named with their cell, never treated as blanks or zeros
    (
        "capm_beta",
        [[[0.01], [0.02], [0.0], [ERROR]], [[0.01], [0.03], [0.0], [0.02]]],
        r"CAPM_BETA: returns row 4, column 1 is an error value \(#N/A\); fix that cell, or wrap it in IFERROR",
    ),
    (
        "capm_beta",
        [[[0.01], [0.02], [0.0]], [[0.01], [0.03], [0.0]], [[ERROR]]],
        r"CAPM_BETA: rf row 1, column 1 is an error value",
    ),
    (
        "capm_beta",
        [[[0.01], [0.02], [0.0]], [[0.01], [0.03], [0.0]], None, [[True]], [[ERROR]]],
        r"CAPM_BETA: lags must be a whole number >= 0; got an error value \(#N/A\)",
    ),
    (
        "factor_r2",
        [[[0.01, 0.02]] * 5, [[0.01]] * 4 + [[ERROR]]],
        r"FACTOR_R2: factors row 5, column 1 is an error value",
    ),
    (
        "cv_lambda",
        [[[0.01]] * 6, [[0.02]] * 6, [[ERROR]]],
        r"CV_LAMBDA: method must be one of .*; got an error value \(#N/A\)",
    ),
    (
        "risk_alloc",
        [[[1.0, 0.9]], [[0.01]], [[0.001, 0.002]], [["budget"]], [[1.0, ERROR]]],
        r"RISK_ALLOC: budgets row 1, column 2 is an error value",
    ),
    (
        "sample_window",
        [[[1.0], [2.0]], [[201001], [201002]], [[ERROR]], [[201002]]],
        r"SAMPLE_WINDOW: first_period must be a number; got an error value",
    ),
    (
        "sample_window",
        [[[1.0], [2.0]], [[201001], [201002]], [[201005]], [[201001]]],
        r"SAMPLE_WINDOW: first_period \(201005\) is after last_period \(201001\); swap them",
    ),
    (
        "sample_window",
        [[[1.0, 2.0]], [[201001]], [[201001]], [[201001]], [[False], [False]]],
        r"SAMPLE_WINDOW: use_columns has 2 values \(0 TRUE\)",
    ),
    # 23.4: every given argument is validated, or refused when the method (left blank) ignores it
    (
        "risk_alloc",
        [[[1.0, 0.9, 1.1]], [[0.01]], [[0.001, 0.002, 0.003]], None, [[-0.5, 0.5, 1.0]]],
        r"RISK_ALLOC: budgets must be > 0; value 1 is -0.5",
    ),
    (
        "risk_alloc",
        [[[1.0, 0.9, 1.1]], [[0.01]], [[0.001, 0.002, 0.003]], None, [[0.5, 0.5, 1.0]]],
        r"RISK_ALLOC: method erc \(the default\) does not use budgets; leave it empty or choose method budget or factor\.$",
    ),
    (
        "risk_alloc",
        [[[1.0, 0.9, 1.1]], [[0.01]], [[0.001, 0.002, 0.003]], [["erc"]], [[0.5, 0.5, 0.5, 0.5]]],
        r"RISK_ALLOC: budgets has 4 values; give one per asset \(3\) for method budget, or one per factor \(1, or 2 with specific risk\)",
    ),
    (
        "risk_alloc",
        [[[1.0, 0.9, 1.1]], [[0.01]], [[0.001, 0.002, 0.003]], [["minvar"]], None, [["high"]]],
        r"RISK_ALLOC: target_vol must be a number; got text 'high'",
    ),
    (
        "risk_alloc",
        [[[1.0, 0.9, 1.1]], [[0.01]], [[0.001, 0.002, 0.003]], None, None, [[0.1]]],
        r"RISK_ALLOC: method erc \(the default\) does not use target_vol; leave it empty or choose method targetvol\.$",
    ),
    (
        "risk_alloc",
        [[[1.0, 0.9, 1.1]], [[0.01]], [[0.001, 0.002, 0.003]], [["targetvol"]], None, [[-0.1]]],
        r"RISK_ALLOC: target_vol must be > 0",
    ),
    (
        "rolling_loadings",
        [
            [[0.01], [0.03], [-0.02], [0.0], [0.02], [0.01]],
            [[0.02, 0.01], [0.01, 0.0], [-0.01, 0.02], [0.0, 0.01], [0.03, -0.01], [0.01, 0.02]],
            [[4]],
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            [["abc"]],
        ],
        r"ROLLING_LOADINGS: penalty_weights row 1, column 1 is text 'abc'; select numbers only",
    ),
    (
        "rolling_loadings",
        [
            [[0.01], [0.03], [-0.02], [0.0], [0.02], [0.01]],
            [[0.02, 0.01], [0.01, 0.0], [-0.01, 0.02], [0.0, 0.01], [0.03, -0.01], [0.01, 0.02]],
            [[4]],
            [["ols"]],
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            [[ERROR]],
        ],
        r"ROLLING_LOADINGS: penalty_weights row 1, column 1 is an error value \(#N/A\)",
    ),
    (
        "rolling_loadings",
        [
            [[0.01], [0.03], [-0.02], [0.0], [0.02], [0.01]],
            [[0.02, 0.01], [0.01, 0.0], [-0.01, 0.02], [0.0, 0.01], [0.03, -0.01], [0.01, 0.02]],
            [[4]],
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            [[0.0, 1.0]],
        ],
        r"ROLLING_LOADINGS: method ols \(the default\) does not use penalty_weights; leave it empty or choose method ridge, lasso or enet\.$",
    ),
    (
        "rolling_loadings",
        [
            [[0.01], [0.03], [-0.02], [0.0], [0.02], [0.01]],
            [[0.02, 0.01], [0.01, 0.0], [-0.01, 0.02], [0.0, 0.01], [0.03, -0.01], [0.01, 0.02]],
            [[4]],
            [["ols"]],
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            [[1.0]],
        ],
        r"ROLLING_LOADINGS: penalty_weights has 1 values but there are 2 factors",
    ),
    (
        "rolling_loadings",
        [
            [[0.01], [0.03], [-0.02], [0.0], [0.02], [0.01]],
            [[0.02, 0.01], [0.01, 0.0], [-0.01, 0.02], [0.0, 0.01], [0.03, -0.01], [0.01, 0.02]],
            [[4]],
            [["ols"]],
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            [["maybe"]],
        ],
        r"ROLLING_LOADINGS: standardize must be TRUE or FALSE",
    ),
    (
        "rolling_loadings",
        [
            [[0.01], [0.03], [-0.02], [0.0], [0.02], [0.01]],
            [[0.02, 0.01], [0.01, 0.0], [-0.01, 0.02], [0.0, 0.01], [0.03, -0.01], [0.01, 0.02]],
            [[4]],
            None,
            None,
            None,
            None,
            None,
            None,
            [[3]],
        ],
        r"ROLLING_LOADINGS: method ols \(the default\) does not use folds; leave it empty or choose method ridge, lasso or enet\.$",
    ),
    (
        "cv_lambda",
        [
            [[0.01], [0.03], [-0.02], [0.0], [0.02], [0.01]],
            [[0.02, 0.01], [0.01, 0.0], [-0.01, 0.02], [0.0, 0.01], [0.03, -0.01], [0.01, 0.02]],
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            [[0.5]],
        ],
        r"CV_LAMBDA: method lasso \(the default\) does not use l1_ratio; leave it empty or choose method enet\.$",
    ),
    (
        "cv_lambda",
        [
            [[0.01], [0.03], [-0.02], [0.0], [0.02], [0.01]],
            [[0.02, 0.01], [0.01, 0.0], [-0.01, 0.02], [0.0, 0.01], [0.03, -0.01], [0.01, 0.02]],
            [["ridge"]],
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            [[1.5]],
        ],
        r"CV_LAMBDA: l1_ratio must be > 0 and <= 1; got 1.5",
    ),
    (
        "cv_curve",
        [
            [[0.01], [0.03], [-0.02], [0.0], [0.02], [0.01]],
            [[0.02, 0.01], [0.01, 0.0], [-0.01, 0.02], [0.0, 0.01], [0.03, -0.01], [0.01, 0.02]],
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            [[0.5]],
        ],
        r"CV_CURVE: method lasso \(the default\) does not use l1_ratio; leave it empty or choose method enet\.$",
    ),
    (
        "factor_cov",
        [[[0.01, 0.02], [0.02, 0.01], [0.0, 0.0]], None, [[12]]],
        r"FACTOR_COV: method sample \(the default\) does not use halflife; leave it empty or choose method ewma or barra\.$",
    ),
    (
        "factor_cov",
        [[[0.01, 0.02], [0.02, 0.01], [0.0, 0.0]], [["sample"]], [[-3]]],
        r"FACTOR_COV: halflife must be > 0",
    ),
    (
        "backtest",
        [
            [[0.01], [0.03], [-0.02], [0.0], [0.02], [0.01]],
            [[0.02, 0.01], [0.01, 0.0], [-0.01, 0.02], [0.0, 0.01], [0.03, -0.01], [0.01, 0.02]],
            [[4]],
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            [[1.0, -1.0]],
        ],
        r"BACKTEST: budgets must be > 0; value 2 is -1",
    ),
    (
        "backtest",
        [
            [[0.01], [0.03], [-0.02], [0.0], [0.02], [0.01]],
            [[0.02, 0.01], [0.01, 0.0], [-0.01, 0.02], [0.0, 0.01], [0.03, -0.01], [0.01, 0.02]],
            [[4]],
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            [[0.1]],
        ],
        r"BACKTEST: alloc erc \(the default\) does not use target_vol; leave it empty or choose alloc targetvol\.$",
    ),
    (
        "backtest",
        [
            [[0.01], [0.03], [-0.02], [0.0], [0.02], [0.01]],
            [[0.02, 0.01], [0.01, 0.0], [-0.01, 0.02], [0.0, 0.01], [0.03, -0.01], [0.01, 0.02]],
            [[4]],
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            [[6]],
        ],
        r"BACKTEST: cov_method sample \(the default\) does not use halflife; leave it empty or choose cov_method ewma or barra\.$",
    ),
    # issue 23.4: an argument the CHOSEN method does not read is refused as when the method is left blank, in the
    # core's words ("(the default)" only when the chosen value is the default)
    *[
        (
            "risk_alloc",
            [[[1.0, 0.9, 1.1]], [[0.01]], [[0.001, 0.002, 0.003]], [[method]], *args],
            rf"RISK_ALLOC: method {method}{mark} does not use {option}; leave it empty or choose method {users}\.$",
        )
        for method, args, option, mark, users in [
            ("erc", [[[0.5, 0.5, 1.0]]], "budgets", r" \(the default\)", "budget or factor"),
            ("minvar", [[[0.5, 0.5, 1.0]]], "budgets", "", "budget or factor"),
            ("invvol", [[[1.0, 1.0]]], "budgets", "", "budget or factor"),
            ("targetvol", [[[0.5, 0.5, 1.0]], [[0.01]]], "budgets", "", "budget or factor"),  # base erc: unread
            ("targetvol", [[[0.5, 0.5, 1.0]], [[0.01]], [["minvar"]]], "budgets", "", "budget or factor"),
            ("budget", [[[0.5, 0.5, 1.0]], [[0.01]]], "target_vol", "", "targetvol"),
            ("minvar", [None, [[0.01]]], "target_vol", "", "targetvol"),
            ("erc", [None, None, [["minvar"]]], "base", r" \(the default\)", "targetvol"),
            ("budget", [[[0.5, 0.5, 1.0]], None, [["erc"]]], "base", "", "targetvol"),
        ]
    ],
    *[
        (
            "rolling_loadings",
            [
                *_SIX,
                [[method]],
                *[None] * 5,
                *args,
            ],
            rf"ROLLING_LOADINGS: method {method.lower()} \(the default\) does not use {option}; leave it empty or choose "
            r"method ridge, lasso or enet\.$",
        )
        for method, args, option in [
            ("ols", [[[3]]], "folds"),
            ("OLS", [None, [["kfold"]]], "scheme"),
            ("ols", [None, None, [["min"]]], "rule"),
            ("ols", [None, None, None, [[0.0, 1.0]]], "penalty_weights"),
            ("ols", [None, None, None, None, [[True]]], "standardize"),
        ]
    ],
    *[
        (
            func,
            [
                *_SIX[:2],
                [[method]],
                *[None] * (8 if func == "cv_lambda" else 7),
                [[0.5]],
            ],
            rf"{func.upper()}: method {method}{mark} does not use l1_ratio; leave it empty or choose method enet\.$",
        )
        for func in ("cv_lambda", "cv_curve")
        for method, mark in [("ridge", ""), ("lasso", r" \(the default\)")]
    ],
    *[
        (
            "backtest",
            [
                *_SIX,
                None,
                None,
                [[alloc]],
                *[None] * 7,
                *args,
            ],
            rf"BACKTEST: alloc {alloc}{mark} does not use {option}; leave it empty or choose alloc {users}\.$",
        )
        for alloc, args, option, mark, users in [
            ("erc", [[[1.0, 1.0]]], "budgets", r" \(the default\)", "budget or factor"),
            ("minvar", [[[1.0, 1.0]]], "budgets", "", "budget or factor"),
            ("targetvol", [[[1.0]], [[0.01]]], "budgets", "", "budget or factor"),
            ("budget", [[[1.0]], [[0.01]]], "target_vol", "", "targetvol"),
        ]
    ],
    # issue 23.4: a covariance option the chosen method does not read is refused, the method chosen or left blank
    *[
        (
            "factor_cov",
            [[[0.01, 0.02], [0.02, 0.01], [0.0, 0.0], [0.01, -0.01]], [[method]], *args],
            rf"FACTOR_COV: method {method}{mark} does not use {option}; leave it empty or choose method {users}\.$",
        )
        for method, args, option, mark, users in [
            ("sample", [[[12]]], "halflife", r" \(the default\)", "ewma or barra"),
            ("ledoitwolf", [[[12]]], "halflife", "", "ewma or barra"),
            ("ledoitwolf", [None, [[24]]], "corr_halflife", "", "barra"),
            ("ewma", [[[12]], None, None, [[6]]], "regime_halflife", "", "barra"),
            ("ewma", [[[12]], None, [[2]]], "nw_lags", "", "sample or barra"),
        ]
    ],
    *[
        (
            "backtest",
            [
                [[0.01], [0.03], [-0.02], [0.0], [0.02], [0.01]],
                [[0.02, 0.01], [0.01, 0.0], [-0.01, 0.02], [0.0, 0.01], [0.03, -0.01], [0.01, 0.02]],
                [[4]],
                *[None] * 12,
                [[method]],
                *args,
            ],
            rf"BACKTEST: cov_method {method} does not use {option}; leave it empty or choose cov_method {users}\.$",
        )
        for method, args, option, users in [
            ("ledoitwolf", [[[6]]], "halflife", "ewma or barra"),
            ("ewma", [None, [[12]]], "corr_halflife", "barra"),
            ("ledoitwolf", [None, None, [[2]]], "nw_lags", "sample or barra"),
            ("ewma", [None, None, None, [[6]]], "regime_halflife", "barra"),
        ]
    ],
]
