"""Walk-forward backtest: each rebalance equals the single-window procedure on the trailing window, sees
nothing after it, and the statistics are what their definitions say."""

import numpy as np
import pytest
from scipy import stats

from tests.conftest import synthetic
from xlfactor.core import backtest, cv, penalized, regression, risk
from xlfactor.errors import InputValueError, InsufficientDataError


@pytest.fixture(scope="module")
def industries(french):
    window = slice(174, 819)  # 1963-07 on
    y = french.industries.sub(french.rf, axis=0).to_numpy()[window]
    return y, french.factors.to_numpy()[window]


def by_hand(y, x, first, last, model, alloc="erc"):
    """One rebalance through the single-window API: estimate, build B F B' + D, allocate."""
    yw, xw = y[first : last + 1], x[first : last + 1]
    opts = backtest.model_options(model, x.shape[1])
    if opts["method"] == "ols":
        b = regression.ols(yw, xw).loadings
    else:
        lam = cv.cross_validate(
            yw, xw, method=opts["method"], pooled=True, penalty_weights=opts["penalty_weights"]
        ).pooled_lambda("min")
        b = penalized.fit(yw, xw, [lam], method=opts["method"], penalty_weights=opts["penalty_weights"]).loadings[0]
    model_ = risk.FactorModel.from_arrays(b, risk.factor_covariance(xw), risk.specific_variance(yw, xw, b))
    return risk.allocate(alloc, model=model_)


@pytest.mark.parametrize("model", ["ols", "lasso_market_free", "ridge"])
def test_each_rebalance_is_the_single_window_procedure(industries, model):
    y, x = industries
    res = backtest.backtest(y, x, 120, step=60, models=[model])
    assert res.models == (model,) and res.rebalances[-1] == len(y) - 2
    assert res.rows[0] == res.rebalances[0] + 1 and res.rows[-1] == len(y) - 1
    for j, end in enumerate(res.rebalances):
        ref = by_hand(y, x, end - 119, end, model)
        np.testing.assert_allclose(res.weights[0, j], ref.weights, rtol=1e-8, atol=1e-12)
        held = (res.rows > end) & (res.rows <= (res.rebalances[j + 1] if j + 1 < len(res.rebalances) else len(y)))
        np.testing.assert_allclose(res.returns[0, held], y[res.rows[held]] @ ref.weights, rtol=1e-9)
        np.testing.assert_allclose(res.predicted_vol[0, held], ref.risk.volatility, rtol=1e-8)


def test_no_look_ahead(industries):
    y, x = industries
    base = backtest.backtest(y, x, 120, step=60, models=["ols", "lasso"])
    cut = base.rebalances[2] + 1  # change everything after the third rebalance's window
    y2, x2 = y.copy(), x.copy()
    y2[cut:] = -2 * y2[cut:]
    x2[cut:] = 0.5 * x2[cut:] + 0.01
    moved = backtest.backtest(y2, x2, 120, step=60, models=["ols", "lasso"])
    np.testing.assert_allclose(moved.weights[:, :3], base.weights[:, :3], rtol=1e-10, atol=1e-14)
    assert not np.allclose(moved.weights[:, 3:], base.weights[:, 3:])
    first_changed = np.searchsorted(base.rows, cut)
    np.testing.assert_allclose(moved.returns[:, :first_changed], base.returns[:, :first_changed], rtol=1e-10)


def test_statistics_follow_their_definitions(industries):
    y, x = industries
    res = backtest.backtest(y, x, 120, step=12, models=["ols", "lasso_market_free"], periods_per_year=12)
    st = res.stats
    r, s = res.returns, res.predicted_vol
    t = r.shape[1]
    np.testing.assert_allclose(st["return"], 12 * r.mean(axis=1))
    np.testing.assert_allclose(st["volatility"], np.sqrt(12) * np.array([np.std(a, ddof=1) for a in r]))
    np.testing.assert_allclose(st["bias"], [np.std(a / b, ddof=1) for a, b in zip(r, s, strict=True)])
    np.testing.assert_allclose(st["bias_high"] - 1, stats.norm.ppf(0.975) / np.sqrt(2 * t))
    z = r[1] / s[1]
    kappa = np.mean((z - z.mean()) ** 4) / np.var(z) ** 2
    assert st["bias_kurt_high"][1] - 1 == pytest.approx(stats.norm.ppf(0.975) * np.sqrt((kappa - 1) / (4 * t)))
    assert st["bias_boot_low"][1] < st["bias"][1] < st["bias_boot_high"][1]
    # turnover: each period's trade back to the target from the weights the previous period's returns drifted
    rows = res.rows
    targets = res.weights[1][np.searchsorted(np.append(res.rebalances, len(y) - 1), rows, side="left") - 1]
    trades = []
    for k in range(1, t):
        grown = targets[k - 1] * (1 + y[rows[k - 1]])
        trades.append(0.5 * np.abs(targets[k] - grown / grown.sum()).sum())
    assert st["turnover"][1] == pytest.approx(np.mean(trades), rel=1e-12)
    assert st["turnover_year"][1] == pytest.approx(12 * np.mean(trades), rel=1e-12)
    assert np.mean(trades) > 0.5 * np.abs(np.diff(res.weights[1], axis=0)).sum(axis=1).sum() / t  # drift counts
    np.testing.assert_allclose(res.cumulative[:, -1], np.prod(1 + r, axis=1))
    # dispersion: percentage risk contributions under the realised covariance of rebalance 5's own holding period
    cov = np.cov(y[res.rows[(res.rows > res.rebalances[5]) & (res.rows <= res.rebalances[6])]], rowvar=False)
    w = res.weights[1, 5]
    pct = w * (cov @ w) / (w @ cov @ w)
    np.testing.assert_allclose(res.rc_dispersion_path[1, 5], pct.std(), rtol=1e-10)
    assert np.isnan(res.rc_dispersion_path[1, -1])  # the last rebalance holds one period: no covariance
    assert st["rc_dispersion"][1] == pytest.approx(np.nanmean(res.rc_dispersion_path[1]))
    assert (st["periods"] == t).all() and 0.9 < st["vol_ratio"][1] < 1.2


def test_test_portfolios_are_scored_with_their_own_forecasts(industries):
    """Each asset, equal weight, ERC, minimum variance and seeded random portfolios under each rebalance's model."""
    y, x = industries
    res = backtest.backtest(y, x, 120, step=60, models=["ols"], n_random=5)
    n = y.shape[1]
    assert (
        res.test_portfolios[n : n + 3] == ("equal weight", "ERC", "minimum variance")
        and len(res.test_portfolios) == n + 8
    )
    end = res.rebalances[2]
    fm = by_hand_model(y, x, end - 119, end)
    at = np.flatnonzero((res.rows > end) & (res.rows <= res.rebalances[3]))
    dense = fm.dense()
    np.testing.assert_allclose(res.test_variances[0, 4, at], dense[4, 4], rtol=1e-10)
    np.testing.assert_allclose(res.test_returns[0, 4, at], y[res.rows[at], 4], rtol=1e-14)
    ew = np.full(n, 1 / n)
    np.testing.assert_allclose(res.test_variances[0, n, at], ew @ dense @ ew, rtol=1e-10)
    np.testing.assert_allclose(res.test_returns[0, n + 1], res.returns[0], rtol=1e-12)  # alloc erc: the ERC portfolio
    mv = risk.allocate("minvar", model=fm).weights
    np.testing.assert_allclose(res.test_variances[0, n + 2, at], mv @ dense @ mv, rtol=1e-8)
    rand = np.random.default_rng(backtest.RANDOM_SEED).dirichlet(np.ones(n), size=5)
    np.testing.assert_allclose(res.test_returns[0, n + 3 :, at], y[res.rows[at]] @ rand.T, rtol=1e-12)
    ev = res.evaluation
    assert ev.bias.shape == (1, n + 8) and res.stats["qlike"][0] == pytest.approx(ev.qlike.mean())


def by_hand_model(y, x, first, last):
    yw, xw = y[first : last + 1], x[first : last + 1]
    b = regression.ols(yw, xw).loadings
    return risk.FactorModel.from_arrays(b, risk.factor_covariance(xw), risk.specific_variance(yw, xw, b))


def test_missing_returns_are_left_out_not_counted_as_zero(industries):
    y, x = industries
    y = y.copy()
    base = backtest.backtest(y, x, 120, step=60, models=["ols"])
    t_row = base.rows[10]
    y[t_row, [0, 3]] = np.nan
    res = backtest.backtest(y, x, 120, step=60, models=["ols"])
    w = res.weights[0, 0].copy()
    w[[0, 3]] = 0.0
    w /= w.sum()
    assert res.returns[0, 10] == pytest.approx(np.nansum(w * y[t_row]), rel=1e-12)
    fm = by_hand_model(y, x, res.rebalances[0] - 119, res.rebalances[0])
    assert res.predicted_vol[0, 10] == pytest.approx(np.sqrt(w @ fm.dense() @ w), rel=1e-9)
    assert res.returns[0, 10] != pytest.approx(np.nansum(res.weights[0, 0] * y[t_row]), rel=1e-6)  # not as zeros
    first = int((res.rows <= res.rebalances[1]).sum())  # the periods held before the gap enters an estimate
    np.testing.assert_allclose(
        np.delete(res.returns[0, :first], 10), np.delete(base.returns[0, :first], 10), rtol=1e-12
    )
    y[t_row] = np.nan
    with pytest.raises(InsufficientDataError, match=f"row {t_row + 1}: no asset held has a return"):
        backtest.backtest(y, x, 120, step=60, models=["ols"])


def test_barra_options_reach_each_rebalance(industries):
    """The factor covariance of each rebalance is risk.factor_covariance of its window with the options, and
    specific variances are shrunk as risk.shrink_specific."""
    y, x = industries
    opts = {"cov_method": "barra", "halflife": 36, "corr_halflife": 84, "nw_lags": 2, "regime_halflife": 12}
    res = backtest.backtest(y, x, 120, step=60, models=["ols"], specific_shrink=0.1, **opts)
    end = res.rebalances[1]
    yw, xw = y[end - 119 : end + 1], x[end - 119 : end + 1]
    b = regression.ols(yw, xw).loadings
    f = risk.factor_covariance(xw, "barra", 36, corr_halflife=84, nw_lags=2, regime_halflife=12)
    fm = risk.FactorModel.from_arrays(b, f, risk.shrink_specific(risk.specific_variance(yw, xw, b), 0.1))
    np.testing.assert_allclose(res.weights[0, 1], risk.allocate("erc", model=fm).weights, rtol=1e-8)
    plain = backtest.backtest(y, x, 120, step=60, models=["ols"])
    assert not np.allclose(plain.predicted_vol, res.predicted_vol)


def test_a_correct_risk_model_has_a_bias_statistic_inside_its_band():
    """Synthetic data from a stable Gaussian factor model: OLS risk forecasts are right, so the bias statistic
    lies in its 95% band; a model that ignores the factors (all penalised away) under-predicts."""
    y, x, _, _ = synthetic(t=900, k=3, n=15, seed=11, noise=0.02)
    res = backtest.backtest(y, x, 240, step=20, models=["ols"], alloc="invvol")
    st = res.stats
    assert st["bias_low"][0] < st["bias"][0] < st["bias_high"][0]
    assert abs(st["vol_ratio"][0] - 1) < 0.08


def test_missing_assets_get_no_weight_until_listed(industries):
    y, x = industries
    y = y.copy()
    y[:300, 2] = np.nan
    res = backtest.backtest(y, x, 120, step=60, models=["ols"])
    early = res.rebalances < 300
    assert (res.weights[0, early, 2] == 0).all() and (res.weights[0, ~early, 2] > 0).all()
    np.testing.assert_allclose(res.weights.sum(axis=2), 1.0)


def test_bad_input_is_named(industries):
    y, x = industries
    with pytest.raises(InputValueError, match="model must be one of"):
        backtest.backtest(y, x, 120, models=["lars"])
    with pytest.raises(InsufficientDataError, match="window is 645 periods but the data have 645"):
        backtest.backtest(y, x, 645)
    with pytest.raises(InputValueError, match="models is empty"):
        backtest.backtest(y, x, 120, models=[])


def test_latest_periods_without_any_return_are_left_out_not_refused():
    """A month not yet in (blank returns at the foot of the sheet) is not scored: the backtest equals the one
    without it; a period without any return inside the sample is still refused."""
    rng = np.random.default_rng(5)
    f = rng.normal(0, 0.04, size=(90, 2))
    y = f @ rng.normal(1, 0.3, size=(2, 4)) + rng.normal(0, 0.02, size=(90, 4))
    run = dict(step=12, models=("ols",))
    base = backtest.backtest(y, f, 48, **run)
    gap = np.vstack([y, np.full((2, 4), np.nan)])
    late = backtest.backtest(gap, np.vstack([f, f[-2:]]), 48, **run)
    np.testing.assert_allclose(late.returns, base.returns, rtol=1e-12)
    inner = y.copy()
    inner[70] = np.nan
    with pytest.raises(InsufficientDataError, match="row 71: no asset held has a return"):
        backtest.backtest(inner, f, 48, **run)
