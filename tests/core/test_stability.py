"""No silent wrong number (issue 23 items 1-3): near-collinear factors, huge values, constant returns.

Factors ``[x, x + eps e]`` (and ``x - eps e'`` for three), eps from 1e-4 to 1e-13, on the shipped market
(NoDur on the last 60 months of Mkt-RF) and on seeded synthetic data: every regression-based function either
agrees with statsmodels to 1e-6 relative or refuses with a ``CollinearityError`` naming the columns; R2 stays
in [0, 1]; no ``LinAlgError`` leaves the core.
"""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from statsmodels.stats.outliers_influence import variance_inflation_factor

from xlfactor.core import _validation as v
from xlfactor.core import backtest, regression, rolling
from xlfactor.data import load_french
from xlfactor.errors import CollinearityError, InputValueError

EPS = [10.0**-p for p in range(4, 14)]
RTOL = 1e-6
NAMED = r"factors column (2|3) is (nearly )?a linear combination of column 1"


def _data(source: str, k: int, eps: float, t: int = 60):
    """(y (T, 2), near-collinear factors (T, k))."""
    rng = np.random.default_rng(7)
    if source == "french":
        d = load_french()
        x = d.factors["Mkt-RF"].to_numpy()[-t:]
        y = d.industries.sub(d.rf, axis=0).to_numpy()[-t:, :2]
    else:
        x = rng.normal(0.01, 0.045, t)
        y = 0.002 + np.outer(x, [0.9, 1.2]) + rng.normal(0, 0.03, (t, 2))
    cols = [x, x + eps * rng.normal(size=t)] + ([x - eps * rng.normal(size=t)] if k == 3 else [])
    return y, np.column_stack(cols)


def _cond(x: np.ndarray) -> float:
    xc = x - x.mean(axis=0)
    return float(np.linalg.cond(xc / np.linalg.norm(xc, axis=0)))


CASES = [(s, k, e) for s in ("french", "synthetic") for k in (2, 3) for e in EPS]


@pytest.mark.parametrize("source,k,eps", CASES)
def test_ols_agrees_with_statsmodels_or_names_the_columns(source, k, eps):
    y, x = _data(source, k, eps)
    if _cond(x) > 1.01 * v.COND_LIMIT_QR:
        with pytest.raises(CollinearityError, match=NAMED):
            regression.ols(y, x)
        return
    fit = regression.ols(y, x)
    assert ((fit.r2 >= 0) & (fit.r2 <= 1)).all()
    for j in range(y.shape[1]):
        ref = sm.OLS(y[:, j], sm.add_constant(x)).fit()
        np.testing.assert_allclose(fit.coef[j], ref.params, rtol=RTOL)
        np.testing.assert_allclose(fit.r2[j], ref.rsquared, rtol=1e-8)
        np.testing.assert_allclose(
            fit.risk.systematic_var[j], ref.ess / (len(y) - 1), rtol=1e-8
        )  # as R2: statsmodels ESS at condition 1e8 carries ~1e-9
        np.testing.assert_allclose(fit.stderr[j], ref.bse, rtol=RTOL)


def test_the_issue_figures_are_gone():
    """The review's figures: eps 1e-9..1e-11 gave R2 1.639, 255.4, 1.7e6 (statsmodels 0.74)."""
    for eps in (1e-9, 1e-10, 1e-11):
        y, x = _data("synthetic", 2, eps)
        try:
            r2 = regression.ols(y, x).r2
        except CollinearityError:
            continue
        assert (r2 <= 1).all()


@pytest.mark.parametrize("source,k,eps", CASES)
def test_grs_agrees_with_its_statsmodels_form_or_refuses(source, k, eps):
    y, x = _data(source, k, eps)
    if _cond(x) > 1.01 * v.COND_LIMIT_QR:
        with pytest.raises(CollinearityError, match=NAMED):
            regression.grs(y, x)
        return
    res = regression.grs(y, x)
    t, n = y.shape
    fits = [sm.OLS(y[:, j], sm.add_constant(x)).fit() for j in range(n)]
    alpha = np.array([f.params[0] for f in fits])
    e = np.column_stack([f.resid for f in fits])
    ones = sm.OLS(np.ones(t), x).fit()  # R2 of 1 on X (no intercept) = s / (1 + s), s = mu' Omega^-1 mu
    h = 1 - ones.ssr / t
    stat = (t - n - k) / n * alpha @ np.linalg.solve(e.T @ e / t, alpha) / (1 + h / (1 - h))
    np.testing.assert_allclose(res.statistic, stat, rtol=RTOL)


@pytest.mark.parametrize("k,eps", [(k, e) for k in (2, 3) for e in EPS])
def test_collinearity_gives_numbers_or_names_the_columns(k, eps):
    _, x = _data("synthetic", k, eps)
    cond = _cond(x)
    if cond > 1.01 * v.COND_LIMIT_DIAGNOSTIC:
        with pytest.raises(CollinearityError, match=NAMED):
            regression.collinearity(x)
        return
    res = regression.collinearity(x)
    assert np.isfinite(res.vif).all() and np.isfinite(res.condition_number)
    np.testing.assert_allclose(res.condition_number, cond, rtol=1e-6)
    if cond < 1e5:  # beyond, statsmodels' own VIF drifts (8e-6 relative at 8e5, where it warns)
        exog = sm.add_constant(x)
        np.testing.assert_allclose(res.vif, [variance_inflation_factor(exog, j + 1) for j in range(k)], rtol=1e-6)


@pytest.mark.parametrize("k,eps", [(k, e) for k in (2, 3) for e in EPS])
def test_fama_macbeth_near_collinear_exposures(k, eps):
    rng = np.random.default_rng(3)
    n, t = 40, 30
    b = rng.normal(1, 0.3, n)
    ex = np.column_stack([b, b + eps * rng.normal(size=n)] + ([b - eps * rng.normal(size=n)] if k == 3 else []))
    y = 0.01 + 0.005 * b + rng.normal(0, 0.02, (t, n))
    if _cond(ex) > 1.01 * v.COND_LIMIT_QR:
        with pytest.raises(CollinearityError, match=r"exposures column (2|3) is (nearly )?a linear combination"):
            regression.fama_macbeth(y, ex)
        return
    res = regression.fama_macbeth(y, ex)
    ref = np.mean([sm.OLS(y[s], sm.add_constant(ex)).fit().params for s in range(t)], axis=0)
    np.testing.assert_allclose(res.premia, ref, rtol=RTOL)


@pytest.mark.parametrize("source,k,eps", [c for c in CASES if c[2] in (1e-4, 1e-6, 1e-9, 1e-13)])
def test_rolling_and_backtest_ols_agree_or_refuse(source, k, eps):
    y, x = _data(source, k, eps)
    window = 24
    conds = [_cond(x[e - window + 1 : e + 1]) for e in range(window - 1, len(x))]
    if max(conds) > v.COND_LIMIT_QR:  # one limit with OLS; windows past the Gram sums' 1e4 are solved by QR
        with pytest.raises(CollinearityError, match=NAMED):
            rolling.rolling(y, x, window)
        with pytest.raises(CollinearityError, match=NAMED):
            backtest.backtest(y, x, window, models=["ols"])
        return
    res = rolling.rolling(y, x, window)
    for w, (a, e) in enumerate(zip(res.starts, res.ends, strict=True)):
        ref = sm.OLS(y[a : e + 1, 0], sm.add_constant(x[a : e + 1])).fit()
        np.testing.assert_allclose(res.loadings[w, 0], ref.params[1:], rtol=RTOL)
        np.testing.assert_allclose(res.r2[w, 0], ref.rsquared, rtol=1e-6)
    if max(conds) > 3e5:  # the risk model B F B' + D loses more than 6 digits (1e-5 at 8e5): refused, not a LinAlgError
        with pytest.raises(CollinearityError, match=NAMED + r".*risk model B F B' \+ D is accurate to only"):
            backtest.backtest(y, x, window, models=["ols"])
        return
    bt = backtest.backtest(y, x, window, models=["ols"])  # and ERC converges (it did not past 1e4: S w lost 6 digits)
    for r, e in enumerate(bt.rebalances):  # two assets: ERC weights are inverse volatilities, whatever the correlation
        rows = slice(e - window + 1, e + 1)
        fits = [sm.OLS(y[rows, j], sm.add_constant(x[rows])).fit() for j in range(2)]
        var = [np.var(x[rows] @ f.params[1:], ddof=1) + f.ssr / (window - k - 1) for f in fits]
        want = 1 / np.sqrt(var)
        np.testing.assert_allclose(bt.weights[0, r], want / want.sum(), rtol=1e-6)


# --- item 2: one huge market cell ------------------------------------------------------------------------------


@pytest.mark.parametrize("big", [1e4, 1e6, 1e8, 1e10])
@pytest.mark.parametrize("row", [3, 30])
def test_rolling_beta_with_one_huge_market_cell(big, row):
    """A market cell of 1e8 in the first window made every window's Gram sums cancel (LinAlgError; 0.3% wrong
    betas at 1e6): each window now agrees with statsmodels on its own rows."""
    d = load_french()
    y = d.industries.to_numpy()[-60:, :3]
    m = d.market.to_numpy()[-60:].copy()
    m[row] = big
    res = rolling.rolling(y, m, 10)
    for w, (a, e) in enumerate(zip(res.starts, res.ends, strict=True)):
        for j in range(3):
            ref = sm.OLS(y[a : e + 1, j], sm.add_constant(m[a : e + 1])).fit()
            np.testing.assert_allclose(res.beta[w, j], ref.params[1], rtol=1e-8, atol=1e-14)


def test_rolling_with_one_huge_return_cell():
    d = load_french()
    y = d.industries.to_numpy()[-60:, :3].copy()
    m = d.market.to_numpy()[-60:]
    y[2, 1] = 1e8
    res = rolling.rolling(y, m, 10)
    for w, (a, e) in enumerate(zip(res.starts, res.ends, strict=True)):
        ref = sm.OLS(y[a : e + 1, 1], sm.add_constant(m[a : e + 1])).fit()
        np.testing.assert_allclose(res.beta[w, 1], ref.params[1], rtol=1e-8)
        np.testing.assert_allclose(res.r2[w, 1], ref.rsquared, rtol=1e-6, atol=1e-12)


# --- item 3: a constant returns column ---------------------------------------------------------------------------


@pytest.mark.parametrize("c", [0.0, 1e-3, 5.0, 1e8])
def test_a_constant_returns_column_is_one_clear_error(c):
    d = load_french()
    y = d.industries.to_numpy()[-120:, :3].copy()
    x = d.factors.to_numpy()[-120:]
    y[:, 1] = c
    msg = r"returns column 2 \('Durbl'\) is constant .* over the 120 rows used: there is no variance"
    names = ["NoDur", "Durbl", "Manuf"]
    with pytest.raises(InputValueError, match=msg):
        regression.ols(y, x, asset_names=names)
    with pytest.raises(InputValueError, match=msg):
        regression.capm(y, x[:, 0], asset_names=names)
    with pytest.raises(InputValueError, match=msg):
        regression.grs(y, x, asset_names=names)


@pytest.mark.parametrize("c", [0.0, 1e-3, 5.0, 1e8])
def test_a_constant_returns_window_has_nan_r2(c):
    y, x, _, _ = _synthetic()
    y[20:40, 1] = c
    res = rolling.rolling(y, x, 10)
    flat = (res.starts >= 20) & (res.ends <= 39)
    assert flat.sum() == 11
    assert np.isnan(res.r2[flat, 1]).all() and np.isfinite(res.r2[~flat, 1]).all()
    assert ((res.r2[np.isfinite(res.r2)] >= 0) & (res.r2[np.isfinite(res.r2)] <= 1)).all()
    np.testing.assert_allclose(res.loadings[flat, 1], 0.0, atol=1e-9 * max(1.0, c))


def _synthetic():
    from tests.conftest import synthetic

    return synthetic(t=80, k=2, n=3, seed=4)
