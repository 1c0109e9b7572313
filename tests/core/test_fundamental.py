"""Fundamental (characteristics) model: per-period WLS against statsmodels, known factor returns, risk model."""

import numpy as np
import pytest
import statsmodels.api as sm

from xlfactor.core import fundamental as fm
from xlfactor.core import risk
from xlfactor.errors import InputShapeError, InputValueError, InsufficientDataError


def panel(n_periods=36, n_assets=40, k=2, n_ind=4, seed=0, noise=0.01, missing=0.0):
    """A long table with known factor returns (industries' summing to zero) and heteroskedastic noise."""
    rng = np.random.default_rng(seed)
    per = np.repeat(np.arange(200001, 200001 + n_periods), n_assets)
    ids = np.tile([f"A{i:02d}" for i in range(n_assets)], n_periods)
    ind_of = rng.integers(0, n_ind, n_assets)
    ind_of[:n_ind] = np.arange(n_ind)
    ind = np.tile(np.array([f"I{j}" for j in range(n_ind)])[ind_of], n_periods)
    x = rng.normal(size=(per.size, k))
    f_style = rng.normal(0.0, 0.02, (n_periods, k))
    f_ind = rng.normal(0.0, 0.01, (n_periods, n_ind))
    f_ind -= f_ind.mean(axis=1, keepdims=True)
    f_mkt = rng.normal(0.008, 0.04, n_periods)
    cap = rng.lognormal(0, 1, per.size)
    t = np.repeat(np.arange(n_periods), n_assets)
    r = f_mkt[t] + (x * f_style[t]).sum(axis=1) + f_ind[t, np.tile(ind_of, n_periods)]
    r = r + rng.normal(size=per.size) * noise / cap**0.25
    if missing:
        r[rng.random(per.size) < missing] = np.nan
    truth = np.column_stack([f_mkt, f_style, f_ind])
    return per, ids, x, r, ind, np.sqrt(cap), truth


@pytest.mark.parametrize("weighted", [False, True])
def test_each_period_equals_statsmodels_wls_with_the_constraint_by_reparametrisation(weighted):
    per, ids, x, r, ind, w, _ = panel(n_periods=6, missing=0.05)
    res = fm.fundamental(per, ids, x, r, industries=ind, weights=w if weighted else None)
    names = sorted(set(ind), key=list(ind).index)
    for s, p in enumerate(np.unique(per)):
        rows = (per == p) & np.isfinite(r)
        d = (ind[rows, None] == np.array(names)[None, :]).astype(float)
        z = sm.add_constant(np.column_stack([x[rows], d[:, :-1] - d[:, -1:]]))
        ref = sm.WLS(r[rows], z, weights=w[rows] if weighted else 1.0).fit()
        coef = np.r_[ref.params, -ref.params[3:].sum()]
        np.testing.assert_allclose(res.factor_returns[s], coef, rtol=1e-9, atol=1e-14)
        np.testing.assert_allclose(res.specific_returns[rows], ref.resid, rtol=1e-9, atol=1e-14)
        np.testing.assert_allclose(res.r2[s], ref.rsquared, rtol=1e-9)
    assert res.factor_names == ("intercept", "characteristic 1", "characteristic 2", *names)
    np.testing.assert_allclose(res.factor_returns[:, 3:].sum(axis=1), 0, atol=1e-15)


def test_known_factor_returns_are_recovered_exactly_without_noise():
    per, ids, x, r, ind, w, truth = panel(noise=0.0)
    res = fm.fundamental(per, ids, x, r, industries=ind, weights=w)
    np.testing.assert_allclose(res.factor_returns, truth, atol=1e-12)


def test_known_factor_returns_within_noise_and_the_risk_model():
    per, ids, x, r, ind, w, truth = panel(n_periods=60, n_assets=200, noise=0.005, seed=3)
    res = fm.fundamental(per, ids, x, r, industries=ind, weights=w)
    err = res.factor_returns - truth
    assert np.abs(err).max() < 0.003 and np.abs(err.mean(axis=0)).max() < 5e-4
    np.testing.assert_allclose(res.factor_cov, np.cov(res.factor_returns, rowvar=False), rtol=1e-12)
    model = res.model
    assert model.loadings.shape == (200, 1 + 2 + 4) and (model.specific_var > 0).all()
    last = per == per.max()
    np.testing.assert_allclose(model.loadings[:, 1:3], x[last])
    a = np.flatnonzero(ids == res.assets[5])
    np.testing.assert_allclose(res.specific_var[5], np.var(res.specific_returns[a], ddof=1), rtol=1e-12)
    alloc = risk.allocate("erc", model=model)
    np.testing.assert_allclose(alloc.weights.sum(), 1.0)


def test_another_shape_no_industries_text_periods_one_characteristic():
    rng = np.random.default_rng(5)
    per = np.repeat(["2020Q1", "2020Q2", "2020Q3"], 8)
    ids = np.tile(list("abcdefgh"), 3)
    x = rng.normal(size=(24, 1))
    r = 0.01 + 0.03 * x[:, 0]
    res = fm.fundamental(per, ids, x, r, characteristic_names=["value"])
    np.testing.assert_allclose(res.factor_returns, [[0.01, 0.03]] * 3, atol=1e-14)
    assert res.factor_names == ("intercept", "value") and res.periods.tolist() == ["2020Q1", "2020Q2", "2020Q3"]


def test_periods_are_sorted_and_short_periods_skipped():
    per, ids, x, r, ind, _w, truth = panel(n_periods=4, noise=0.0)
    order = np.random.default_rng(0).permutation(per.size)
    r2 = r.copy()
    r2[(per == 200002) & (np.arange(per.size) % 40 > 3)] = np.nan  # period 2 keeps 4 assets < 7 factors
    res = fm.fundamental(per[order], ids[order], x[order], r2[order], industries=ind[order])
    cols = [0, 1, 2] + [3 + int(name[1]) for name in res.factor_names[3:]]  # industries in order of appearance
    np.testing.assert_allclose(res.factor_returns[[0, 2, 3]], truth[[0, 2, 3]][:, cols], atol=1e-12)
    assert np.isnan(res.factor_returns[1]).all()


def test_hostile_inputs():
    per, ids, x, r, _ind, w, _ = panel(n_periods=3)
    with pytest.raises(InputShapeError, match="returns has 5 values"):
        fm.fundamental(per, ids, x, r[:5])
    with pytest.raises(InputValueError, match="appears more than once in period"):
        fm.fundamental(np.r_[per, per[:1]], np.r_[ids, ids[:1]], np.r_[x, x[:1]], np.r_[r, r[:1]])
    with pytest.raises(InputValueError, match="one industry"):
        fm.fundamental(per, ids, x, r, industries=np.full(per.size, "X"))
    with pytest.raises(InputValueError, match="weights row 1 is not positive"):
        fm.fundamental(per, ids, x, r, weights=np.r_[0.0, w[1:]])
    blank = ids.astype(object)
    blank[7] = ""
    with pytest.raises(InputValueError, match="assets row 8 is blank"):
        fm.fundamental(per, blank, x, r)
    with pytest.raises(InsufficientDataError, match="at least 2"):
        fm.fundamental(per, ids, x, np.where(per == per[0], r, np.nan))


def test_constant_characteristic_within_a_period_skips_it_rather_than_returning_noise():
    per, ids, x, r, _ind, _w, _ = panel(n_periods=3, noise=0.0)
    x2 = x.copy()
    x2[per == 200002, 0] = 1.0  # collinear with the intercept in that period
    res = fm.fundamental(per, ids, x2, r)
    assert np.isnan(res.factor_returns[1]).all() and np.isfinite(res.factor_returns[[0, 2]]).all()
