"""Walk-forward backtest: each rebalance equals the single-window procedure on the trailing window, sees
nothing after it, and the statistics are what their definitions say."""

import numpy as np
import pytest

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
    yw, xw = y[first:last + 1], x[first:last + 1]
    opts = backtest.model_options(model, x.shape[1])
    if opts["method"] == "ols":
        b = regression.ols(yw, xw).loadings
    else:
        lam = cv.cross_validate(yw, xw, method=opts["method"], pooled=True,
                                penalty_weights=opts["penalty_weights"]).pooled_lambda("min")
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
    np.testing.assert_allclose(st["bias"], [np.std(a / b, ddof=1) for a, b in zip(r, s)])
    np.testing.assert_allclose(st["bias_high"] - 1, 1.96 / np.sqrt(2 * t))
    turn = [np.mean([0.5 * np.abs(w[j] - w[j - 1]).sum() for j in range(1, len(w))]) for w in res.weights]
    np.testing.assert_allclose(st["turnover"], turn)
    np.testing.assert_allclose(st["turnover_year"], np.array(turn) * len(res.rebalances) / t * 12)
    np.testing.assert_allclose(res.cumulative[:, -1], np.prod(1 + r, axis=1))
    # dispersion: percentage risk contributions under the realised out-of-sample covariance
    cov = np.cov(y[res.rows], rowvar=False)
    w = res.weights[1, 5]
    pct = w * (cov @ w) / (w @ cov @ w)
    np.testing.assert_allclose(res.rc_dispersion_path[1, 5], pct.std(), rtol=1e-10)
    assert (st["periods"] == t).all() and 0.9 < st["vol_ratio"][1] < 1.2


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
