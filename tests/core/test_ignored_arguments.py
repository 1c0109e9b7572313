"""Every given argument is used or refused (issue 23 item 4, core side): an argument the method ignores is an
error saying so, never a silent answer to another question."""

from __future__ import annotations

import numpy as np
import pytest

from xlfactor.core import backtest, cv, penalized, risk, rolling
from xlfactor.errors import InputValueError


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(3)
    x = rng.normal(0, 0.04, (90, 3))
    y = x @ rng.normal(0.6, 0.4, (3, 4)) + rng.normal(0, 0.02, (90, 4))
    return y, x


@pytest.fixture(scope="module")
def model(data):
    y, x = data
    b = np.linalg.lstsq(np.column_stack([np.ones(len(x)), x]), y, rcond=None)[0][1:].T
    return risk.FactorModel.from_arrays(b, np.cov(x, rowvar=False), np.full(4, 4e-4))


@pytest.mark.parametrize("method", ["erc", "invvol", "minvar", "targetvol"])
def test_allocate_refuses_budgets_its_method_ignores(model, method):
    """RISK_ALLOC with no method and budgets {-0.5, 0.5, 1} returned ERC weights."""
    with pytest.raises(
        InputValueError,
        match=rf"^method {method}( \(the default\))? does not use budgets; leave it empty or choose method budget or factor\.$",
    ):
        risk.allocate(method, model=model, budgets=[-0.5, 0.5, 1.0, 1.0], target_vol=0.03)


@pytest.mark.parametrize("method", ["erc", "budget", "factor", "invvol", "minvar"])
def test_allocate_refuses_a_target_vol_its_method_ignores(model, method):
    budgets = {"budget": [1.0, 2.0, 3.0, 4.0], "factor": [1.0, 1.0, 1.0]}.get(method)
    with pytest.raises(
        InputValueError,
        match=rf"^method {method}( \(the default\))? does not use target_vol; leave it empty or choose method targetvol\.$",
    ):
        risk.allocate(method, model=model, budgets=budgets, target_vol=0.03)


def test_allocate_uses_what_it_is_given(model):
    b = risk.allocate("budget", model=model, budgets=[1.0, 2.0, 3.0, 4.0])
    rc = risk.risk_contributions(b.weights, model=model).percent
    np.testing.assert_allclose(rc, [0.1, 0.2, 0.3, 0.4], rtol=1e-8)
    t = risk.allocate("targetvol", model=model, target_vol=0.03)
    assert t.volatility == pytest.approx(0.03, rel=1e-10)


def test_backtest_refuses_budgets_and_target_vol_its_allocation_ignores(data):
    y, x = data
    with pytest.raises(InputValueError, match=r"^alloc erc \(the default\) does not use budgets"):
        backtest.backtest(y, x, 60, step=10, models=["ols"], alloc="erc", budgets=[1.0, 2.0, 3.0, 4.0])
    with pytest.raises(InputValueError, match=r"^alloc minvar does not use target_vol"):
        backtest.backtest(y, x, 60, step=10, models=["ols"], alloc="minvar", target_vol=0.05)


@pytest.mark.parametrize("method", ["ridge", "lasso"])
def test_l1_ratio_is_refused_where_the_method_fixes_it(data, method):
    y, x = data
    with pytest.raises(
        InputValueError,
        match=rf"^method {method}( \(the default\))? does not use l1_ratio; leave it empty or choose method enet\.$",
    ):
        penalized.fit(y, x, [1e-3], method=method, l1_ratio=0.5)
    with pytest.raises(InputValueError, match=rf"^method {method}( \(the default\))? does not use l1_ratio"):
        cv.cross_validate(y, x, method=method, l1_ratio=0.5)
    with pytest.raises(InputValueError, match=rf"^method {method}( \(the default\))? does not use l1_ratio"):
        rolling.rolling(y, x, 60, step=10, method=method, l1_ratio=0.5)
    enet = penalized.fit(y, x, [1e-3], method="enet", l1_ratio=0.5)
    assert np.isfinite(enet.loadings).all()


@pytest.mark.parametrize(
    ("option", "value"),
    [("penalty_weights", [0.0, 1.0, 1.0]), ("penalty_weights", "abc"), ("l1_ratio", 0.5), ("standardize", True)],
)
def test_rolling_ols_refuses_the_penalised_options(data, option, value):
    """ROLLING_LOADINGS accepted penalty_weights="abc" (or #N/A) with method ols."""
    y, x = data
    with pytest.raises(
        InputValueError,
        match=rf"^method ols \(the default\) does not use {option}; leave it empty or choose method ridge, lasso or enet\.$",
    ):
        rolling.rolling(y, x, 60, step=10, method="ols", **{option: value})
    assert np.isfinite(rolling.rolling(y, x, 60, step=10, method="ols").loadings).all()


COV_IGNORED = [  # (method, option, value): every factor-covariance option a method does not read
    ("sample", "halflife", 12.0),
    ("ledoitwolf", "halflife", 12.0),
    ("sample", "corr_halflife", 24.0),
    ("ewma", "corr_halflife", 24.0),
    ("ledoitwolf", "regime_halflife", 6.0),
    ("ewma", "regime_halflife", 6.0),
    ("ewma", "nw_lags", 2),
    ("ledoitwolf", "nw_lags", 2),
]


def _cov_kwargs(method, option, value):
    kwargs = {option: value}
    if method == "ewma" and option != "halflife":
        kwargs["halflife"] = 12.0
    return kwargs


def _users(option):
    return {"halflife": "ewma or barra", "nw_lags": "sample or barra"}.get(option, "barra")


@pytest.mark.parametrize(("method", "option", "value"), COV_IGNORED)
def test_factor_covariance_refuses_an_option_its_method_ignores(data, method, option, value):
    """A halflife given with sample or ledoitwolf was dropped silently (so were corr/regime half-lives)."""
    _, x = data
    with pytest.raises(
        InputValueError,
        match=rf"^method {method}( \(the default\))? does not use {option}; leave it empty or choose method {_users(option)}\.$",
    ):
        risk.factor_covariance(x, method, **_cov_kwargs(method, option, value))


@pytest.mark.parametrize(("method", "option", "value"), COV_IGNORED)
def test_backtest_refuses_a_covariance_option_its_cov_method_ignores(data, method, option, value):
    y, x = data
    with pytest.raises(
        InputValueError,
        match=rf"^cov_method {method}( \(the default\))? does not use {option}; leave it empty or choose cov_method {_users(option)}\.$",
    ):
        backtest.backtest(y, x, 60, step=10, models=["ols"], cov_method=method, **_cov_kwargs(method, option, value))


def test_rolling_and_latent_models_refuse_a_halflife_sample_ignores(data):
    from xlfactor.core import statistical

    y, x = data
    with pytest.raises(InputValueError, match=r"^cov_method sample \(the default\) does not use halflife; "):
        rolling.rolling(y, x, 60, step=10, method="ols", cov_method="sample", halflife=12.0)
    with pytest.raises(InputValueError, match=r"^cov_method ledoitwolf does not use halflife; "):
        statistical.rolling_latent(y, 60, step=10, cov_method="ledoitwolf", halflife=12.0)


def test_covariance_options_are_used_where_read(data):
    y, x = data
    assert not np.allclose(risk.factor_covariance(x, "ewma", 6.0), risk.factor_covariance(x, "ewma", 60.0))
    barra = risk.factor_covariance(x, "barra", 12.0, corr_halflife=24.0, nw_lags=1, regime_halflife=6.0)
    assert not np.allclose(barra, risk.factor_covariance(x, "barra", 12.0))
    assert np.isfinite(
        backtest.backtest(y, x, 60, step=10, models=["ols"], cov_method="ewma", halflife=12.0).returns
    ).all()


def test_one_text_for_an_ignored_covariance_option(data):
    """The wording is options.ignored's, the same for a method left to its default as for one chosen (Excel's
    FACTOR_COV and the CLI say it in their argument names: tests/excel/cases.py, tests/test_cli_options.py)."""
    from xlfactor.core import options

    _, x = data
    users = options.COV_OPTION_USERS["halflife"]
    default = options.DEFAULTS["cov_method"]
    for kwargs in ({}, {"method": default}):
        with pytest.raises(InputValueError) as err:
            risk.factor_covariance(x, halflife=12.0, **kwargs)
        assert str(err.value) == options.ignored("halflife", default, users, default=default)
    assert str(err.value) == (
        "method sample (the default) does not use halflife; leave it empty or choose method ewma or barra."
    )
