import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import optimize
from sklearn.covariance import LedoitWolf
from statsmodels.stats.sandwich_covariance import S_hac_simple, cov_hac

from tests.peers import rpp_vanilla, skfolio_risk_budgeting
from xlfactor.core import regression, risk
from xlfactor.errors import InputShapeError, InputValueError, InsufficientDataError


@pytest.fixture(scope="module")
def model(french_xy):
    """Four-factor model of the 30 portfolios estimated on the shipped data."""
    y, x = french_xy
    fit = regression.ols(y, x)
    return risk.FactorModel.from_arrays(fit.loadings, risk.factor_covariance(x), fit.risk.specific_var)


@pytest.fixture(scope="module")
def factor_budgeted(model):
    """``allocate("factor", model=model, budgets=...)``, computed once per budget set for the module's tests
    (seconds each where the budgets are out of reach: every start of the least squares runs to its tolerance)."""
    done: dict = {}

    def allocation(budgets=None):
        key = None if budgets is None else tuple(budgets)
        if key not in done:
            done[key] = risk.allocate("factor", model=model, budgets=budgets)
        return done[key]

    return allocation


def synthetic_model(n, k, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(5 * k, k))
    return risk.FactorModel(rng.normal(0.6, 0.5, size=(n, k)), a.T @ a / (5 * k) * 1e-3, rng.uniform(2e-4, 8e-4, n))


# --- covariance estimators ----------------------------------------------------------------------------------------


def test_factor_covariance_sample_ewma_ledoitwolf(french):
    x = french.factors.to_numpy()
    np.testing.assert_allclose(risk.factor_covariance(x), np.cov(x, rowvar=False), rtol=1e-13)
    ref = french.factors.ewm(halflife=24).cov().loc[french.factors.index[-1]].to_numpy()
    np.testing.assert_allclose(risk.factor_covariance(x, "ewma", halflife=24), ref, rtol=1e-10)
    n = len(x)  # Ledoit-Wolf on the ddof-1 scale of sample and ewma
    np.testing.assert_allclose(
        risk.factor_covariance(x, "LedoitWolf"), LedoitWolf().fit(x).covariance_ * n / (n - 1), rtol=1e-12
    )


def test_ledoitwolf_shrinks_more_with_short_history(french):
    x = french.factors.to_numpy()[-30:]
    lw, s = risk.factor_covariance(x, "ledoitwolf"), np.cov(x, rowvar=False, ddof=1)
    np.testing.assert_allclose(lw, LedoitWolf().fit(x).covariance_ * 30 / 29, rtol=1e-12)
    assert np.abs(lw - s).max() > 0
    assert np.linalg.cond(lw) < np.linalg.cond(s)


def test_specific_variance_is_dof_corrected(french_xy):
    """One forecast convention: RSS / (n - K - 1), the square of OLS's resid_vol (statsmodels' scale)."""
    y, x = french_xy
    fit = regression.ols(y, x)
    np.testing.assert_allclose(risk.specific_variance(y, x, fit.loadings), fit.resid_vol**2, rtol=1e-10)
    ref = sm.OLS(y[:, 3], sm.add_constant(x)).fit()
    assert risk.specific_variance(y, x, fit.loadings)[3] == pytest.approx(ref.scale, rel=1e-10)
    y2 = y.copy()
    y2[:10, 0] = np.nan
    keep = np.isfinite(y2[:, 0])
    e = y[keep, 0] - x[keep] @ fit.loadings[0]
    assert risk.specific_variance(y2, x, fit.loadings)[0] == pytest.approx(e.var(ddof=5), rel=1e-12)
    with pytest.raises(InsufficientDataError, match="needs at least 6"):
        risk.specific_variance(y[:5], x[:5], fit.loadings)


def test_newey_west_factor_covariance_is_statsmodels_hac(french):
    x = french.factors.to_numpy()
    n = len(x)
    for lags in (0, 1, 6):
        ours = risk.factor_covariance(x, nw_lags=lags)
        ref = S_hac_simple(x - x.mean(axis=0), nlags=lags) / (n - 1)  # statsmodels sums; over T, then T/(T-1)
        np.testing.assert_allclose(ours, ref, rtol=1e-12)
        for k in range(x.shape[1]):  # each factor's long-run variance: cov_hac of its mean, times T
            fit = sm.OLS(x[:, k], np.ones(n)).fit()
            assert ours[k, k] == pytest.approx(
                cov_hac(fit, nlags=lags, use_correction=False)[0, 0] * n * n / (n - 1), rel=1e-10
            )
    assert not np.allclose(risk.factor_covariance(x, nw_lags=3), risk.factor_covariance(x))
    with pytest.raises(
        InputValueError,
        match=r"^method ledoitwolf does not use nw_lags; leave it empty or choose method sample or barra\.$",
    ):
        risk.factor_covariance(x, "ledoitwolf", nw_lags=2)


@pytest.mark.parametrize("shape", ["shipped", "synthetic"])
@pytest.mark.parametrize(
    "hl, chl, lags, rhl",
    [(36, None, 0, None), (36, 84, 0, None), (24, None, 2, None), (36, 84, 2, 12), (24, None, 0, 6)],
)
def test_barra_covariance_is_skfolio_regime_adjusted_ew(french, shape, hl, chl, lags, rhl):
    """Separate half-lives, Newey-West lags and USE4's regime adjustment (DIAGONAL target, RMS) as skfolio."""
    from skfolio.moments import (
        RegimeAdjustedEWCovariance,
        RegimeAdjustmentMethod,
        RegimeAdjustmentTarget,
    )

    if shape == "shipped":
        x = french.factors.to_numpy()[-240:]
    else:  # 7 factors, 150 periods, volatility doubling half-way: the regime multiplier moves
        rng = np.random.default_rng(9)
        x = rng.normal(size=(150, 7)) @ rng.normal(size=(7, 7)) * 0.01
        x[75:] *= 2.0
    ref = RegimeAdjustedEWCovariance(
        half_life=hl,
        corr_half_life=chl,
        hac_lags=lags or None,
        regime_half_life=rhl or 1e9,
        regime_target=RegimeAdjustmentTarget.DIAGONAL,
        regime_method=RegimeAdjustmentMethod.RMS,
        regime_multiplier_clip=None,
        nearest=False,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # skfolio warns that a 1e9 regime half-life (= off) moves slowly
        ref.fit(x)
    ours = risk.factor_covariance(x, "barra", hl, corr_halflife=chl, nw_lags=lags, regime_halflife=rhl)
    np.testing.assert_allclose(ours, ref.covariance_, rtol=1e-12)
    if rhl is not None:
        assert ref.regime_multiplier_ != pytest.approx(1.0, abs=1e-3)


def test_specific_risk_shrinkage_is_use4_by_hand():
    d = np.array([0.01, 0.04, 0.0025, 0.09, 0.02]) ** 1
    w = np.array([3.0, 1.0, 2.0, 1.0, 1.0])
    sig = np.sqrt(d)
    bar = (w / w.sum()) @ sig
    delta = np.sqrt(np.mean((sig - bar) ** 2))
    for q in (0.1, 0.5):
        v = q * np.abs(sig - bar) / (delta + q * np.abs(sig - bar))
        np.testing.assert_allclose(risk.shrink_specific(d, q, w), (v * bar + (1 - v) * sig) ** 2, rtol=1e-14)
    shrunk = risk.shrink_specific(d, 0.1)
    assert np.ptp(np.sqrt(shrunk)) < np.ptp(sig)  # pulled together, order kept
    assert (np.argsort(shrunk) == np.argsort(d)).all()
    np.testing.assert_array_equal(risk.shrink_specific(d, 0.0), d)
    np.testing.assert_array_equal(risk.shrink_specific(np.full(4, 0.01), 0.1), np.full(4, 0.01))


# --- factor form -----------------------------------------------------------------------------------------------


def test_factor_model_products_equal_dense(model):
    rng = np.random.default_rng(3)
    w, h = rng.normal(size=30), rng.uniform(0.1, 1.0, 30)
    dense = model.dense()
    np.testing.assert_allclose(model.matvec(w), dense @ w, rtol=1e-12)
    np.testing.assert_allclose(model.diag(), np.diag(dense), rtol=1e-12)
    np.testing.assert_allclose(model.solve_shifted(h, w), np.linalg.solve(dense + np.diag(h), w), rtol=1e-9)


def test_woodbury_works_with_singular_factor_covariance():
    rng = np.random.default_rng(4)
    v = rng.normal(size=(3, 1))
    m = risk.FactorModel(rng.normal(size=(12, 3)), v @ v.T, rng.uniform(0.1, 0.2, 12))
    g, h = rng.normal(size=12), rng.uniform(0.5, 1.0, 12)
    np.testing.assert_allclose(m.solve_shifted(h, g), np.linalg.solve(m.dense() + np.diag(h), g), rtol=1e-10)


# --- risk contributions ------------------------------------------------------------------------------------------


def test_risk_contributions_sum_and_match_dense(model):
    w = np.random.default_rng(5).dirichlet(np.ones(30))
    rc = risk.risk_contributions(w, model=model)
    dense = risk.risk_contributions(w, model.dense())
    sigma = model.dense()
    assert rc.volatility == pytest.approx(np.sqrt(w @ sigma @ w), rel=1e-13)
    np.testing.assert_allclose(rc.component.sum(), rc.volatility, rtol=1e-12)
    np.testing.assert_allclose(rc.percent.sum(), 1.0, rtol=1e-12)
    np.testing.assert_allclose(rc.component, w * (sigma @ w) / rc.volatility, rtol=1e-12)
    np.testing.assert_allclose(rc.component, dense.component, rtol=1e-12)
    total = rc.factor_variance.sum() + rc.specific_variance
    np.testing.assert_allclose(total, rc.volatility**2, rtol=1e-12)
    np.testing.assert_allclose(rc.factor_percent.sum(), 1.0, rtol=1e-12)
    assert dense.factor_percent is None


# --- allocation ------------------------------------------------------------------------------------------------


def test_erc_equal_contributions_and_peers(model):
    res = risk.allocate("erc", model=model)
    assert res.converged and res.weights.min() > 0
    np.testing.assert_allclose(res.weights.sum(), 1.0, rtol=1e-14)
    np.testing.assert_allclose(res.contributions, 1 / 30, atol=1e-10)
    van = rpp_vanilla()
    if van is not None:
        np.testing.assert_allclose(
            res.weights, van.design(model.dense(), np.full(30, 1 / 30), 1e-13, 100_000), atol=1e-6
        )
    sk = skfolio_risk_budgeting(model.dense(), np.full(30, 1 / 30))
    if sk is not None:
        np.testing.assert_allclose(res.weights, sk, atol=1e-6)
    if van is None and sk is None:
        pytest.skip("neither riskparityportfolio nor skfolio is installed")


def test_budgets_reached_and_match_peers(model):
    b = np.arange(1.0, 31.0)
    res = risk.allocate("budget", model=model, budgets=b)
    np.testing.assert_allclose(res.contributions, b / b.sum(), atol=1e-10)
    np.testing.assert_allclose(res.achieved, res.contributions)
    van = rpp_vanilla()
    if van is not None:
        np.testing.assert_allclose(res.weights, van.design(model.dense(), b / b.sum(), 1e-13, 100_000), atol=1e-6)
    sk = skfolio_risk_budgeting(model.dense(), b / b.sum())
    if sk is not None:
        # skfolio's conic solver stops at its own accuracy (some versions warn "Solution may be inaccurate"):
        # the weights agree to 1e-5, and ours meet the budgets at least as closely as skfolio's do
        np.testing.assert_allclose(res.weights, sk, atol=1e-5)
        sk_rc = sk * (model.dense() @ sk)
        assert np.abs(res.contributions - b / b.sum()).max() <= np.abs(sk_rc / sk_rc.sum() - b / b.sum()).max()


def test_dense_and_factor_form_agree_and_scale_invariance(model):
    b = np.linspace(1, 2, 30)
    a = risk.allocate("budget", model=model, budgets=b)
    d = risk.allocate("budget", cov=model.dense(), budgets=b)
    np.testing.assert_allclose(a.weights, d.weights, rtol=1e-10)
    scaled = risk.FactorModel(model.loadings, 7.0 * model.factor_cov, 7.0 * model.specific_var)
    np.testing.assert_allclose(risk.allocate("budget", model=scaled, budgets=b).weights, a.weights, rtol=1e-10)
    np.testing.assert_allclose(risk.allocate("budget", model=model, budgets=3 * b).weights, a.weights, rtol=1e-12)


def test_diagonal_covariance_erc_is_inverse_volatility():
    vols = np.array([0.1, 0.2, 0.15, 0.3])
    cov = np.diag(vols**2)
    erc, iv = risk.allocate("erc", cov=cov), risk.allocate("invvol", cov=cov)
    np.testing.assert_allclose(erc.weights, (1 / vols) / (1 / vols).sum(), rtol=1e-12)
    np.testing.assert_allclose(iv.weights, erc.weights, rtol=1e-12)


def test_large_universe_in_factor_form():
    m = synthetic_model(1000, 20, seed=1)
    res = risk.allocate("erc", model=m)
    assert res.iterations < 20
    np.testing.assert_allclose(res.contributions, 1 / 1000, atol=1e-10 / 1000)


def test_factor_budgeting_feasible_targets_are_matched(model):
    # factor shares of some long-only portfolio are feasible by construction
    for seed in range(100):  # a random long-only portfolio whose factor shares are all positive
        rc = risk.risk_contributions(np.random.default_rng(seed).dirichlet(np.ones(30)), model=model)
        if (rc.factor_variance > 0).all():
            break
    target = rc.factor_variance / rc.factor_variance.sum()
    assert (target > 0).all()
    res = risk.allocate("factor", model=model, budgets=target)
    assert res.feasible and res.converged
    np.testing.assert_allclose(res.achieved, target, atol=1e-8)
    got = res.risk.factor_variance / res.risk.factor_variance.sum()
    np.testing.assert_allclose(got, target, atol=1e-8)
    assert res.weights.min() >= 0 and res.weights.sum() == pytest.approx(1.0, rel=1e-14)
    with_spec = np.append(rc.factor_variance, rc.specific_variance) / rc.volatility**2
    res2 = risk.allocate("factor", model=model, budgets=with_spec)
    assert res2.feasible
    np.testing.assert_allclose(res2.risk.factor_percent, with_spec, atol=1e-8)


def test_factor_budgeting_infeasible_is_reported(factor_budgeted):
    # every industry and sorted portfolio has market beta near 1: the market cannot be 10% of the risk
    res = factor_budgeted([0.1, 0.3, 0.3, 0.3])
    assert res.feasible is False
    assert res.weights.min() >= 0 and res.weights.sum() == pytest.approx(1.0, rel=1e-14)
    assert np.abs(res.achieved - [0.1, 0.3, 0.3, 0.3]).max() > 1e-3


# --- bad input ---------------------------------------------------------------------------------------------------


def test_bad_covariances_and_shapes(model):
    with pytest.raises(
        InputValueError, match=r"covariance is not symmetric: row 1, column 2 is 0.1 but row 2, column 1 is 0.2"
    ):
        risk.allocate("erc", cov=[[1.0, 0.1], [0.2, 1.0]])
    with pytest.raises(InputValueError, match=r"covariance is not positive semi-definite \(smallest eigenvalue -1"):
        risk.allocate("erc", cov=[[1.0, 2.0], [2.0, 1.0]])
    with pytest.raises(InputShapeError, match=r"covariance is 2 x 3; it must be square"):
        risk.allocate("erc", cov=np.ones((2, 3)))
    with pytest.raises(InputValueError, match=r"covariance row 2, column 2 is missing"):
        risk.allocate("erc", cov=[[1.0, 0.0], [0.0, np.nan]])
    with pytest.raises(InputShapeError, match=r"loadings has 4 factor columns but factor_cov is 3 x 3"):
        risk.FactorModel.from_arrays(model.loadings, np.eye(3), model.specific_var)
    with pytest.raises(InputShapeError, match=r"specific_var has 29 values but loadings has 30 assets"):
        risk.FactorModel.from_arrays(model.loadings, model.factor_cov, model.specific_var[:-1])
    with pytest.raises(InputValueError, match=r"specific_var must be >= 0; asset 1 has -1"):
        risk.FactorModel.from_arrays(model.loadings, model.factor_cov, np.r_[-1.0, model.specific_var[1:]])
    with pytest.raises(InputValueError, match=r"factor_cov is not symmetric"):
        risk.FactorModel.from_arrays(
            model.loadings, model.factor_cov + np.triu(np.ones((4, 4)), 1) * 1e-3, model.specific_var
        )
    with pytest.raises(InputValueError, match=r"pass either a covariance matrix or a factor model"):
        risk.allocate("erc")


def test_bad_budgets_and_options(model):
    with pytest.raises(InputValueError, match=r"budgets must be > 0; value 3 is 0. A zero budget has no long-only"):
        risk.allocate("budget", model=model, budgets=np.r_[1.0, 1.0, 0.0, np.ones(27)])
    with pytest.raises(InputValueError, match=r"budgets must be > 0; value 1 is -1"):
        risk.allocate("budget", model=model, budgets=np.r_[-1.0, np.ones(29)])
    with pytest.raises(InputShapeError, match=r"budgets has 3 values but there are 30 assets"):
        risk.allocate("budget", model=model, budgets=[1, 2, 3])
    with pytest.raises(InputValueError, match=r"method 'budget' needs budgets"):
        risk.allocate("budget", model=model)
    with pytest.raises(InputShapeError, match=r"budgets has 2 values but there are 4 factors"):
        risk.allocate("factor", model=model, budgets=[1, 1])
    with pytest.raises(InputValueError, match=r"method 'factor' needs a factor model"):
        risk.allocate("factor", cov=model.dense())
    with pytest.raises(
        InputValueError, match=r"method must be one of erc, budget, invvol, factor, minvar, targetvol; got 'parity'"
    ):
        risk.allocate("parity", model=model)
    with pytest.raises(InputValueError, match=r"asset 2 has zero variance"):
        risk.allocate("erc", cov=np.diag([1.0, 0.0, 1.0]))
    with pytest.raises(InputValueError, match=r"halflife is required for method 'ewma'"):
        risk.factor_covariance(np.ones((5, 2)) + np.eye(5, 2), "ewma")
    with pytest.raises(InputValueError, match=r"halflife must be > 0; got -3"):
        risk.factor_covariance(np.ones((5, 2)) + np.eye(5, 2), "ewma", halflife=-3)
    with pytest.raises(InsufficientDataError, match=r"factors has 1 complete rows; a covariance needs at least 2"):
        risk.factor_covariance([[1.0, 2.0], [np.nan, 1.0]])
    with pytest.raises(InputShapeError, match=r"weights has 2 values but the covariance covers 30 assets"):
        risk.risk_contributions([0.5, 0.5], model=model)
    with pytest.raises(InputShapeError, match=r"loadings is 30 x 3 but returns has 30 assets and factors has 4"):
        risk.specific_variance(np.zeros((10, 30)), np.ones((10, 4)), np.ones((30, 3)))


def test_pandas_ewm_reference_is_the_last_row():
    df = pd.DataFrame(np.random.default_rng(0).normal(size=(50, 2)), columns=["a", "b"])
    ref = df.ewm(halflife=5).cov().loc[49].to_numpy()
    np.testing.assert_allclose(risk.factor_covariance(df.to_numpy(), "ewma", 5), ref, rtol=1e-10)


def test_minimum_variance_matches_cvxpy_and_kkt(model):
    import cvxpy as cp

    mv = risk.allocate("minvar", model=model)
    s = model.dense()
    w = cp.Variable(s.shape[0])
    cp.Problem(cp.Minimize(cp.quad_form(w, cp.psd_wrap(s))), [w >= 0, cp.sum(w) == 1]).solve(
        solver="CLARABEL", tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12
    )
    np.testing.assert_allclose(mv.weights, np.clip(w.value, 0, None), atol=1e-6)
    marginal, level = s @ mv.weights, mv.weights @ s @ mv.weights
    active = mv.weights > 0
    np.testing.assert_allclose(marginal[active], level, rtol=1e-9)  # equal marginal variance where held
    assert (marginal[~active] >= level * (1 - 1e-9)).all() and 0 < active.sum() < s.shape[0]
    assert mv.volatility <= risk.allocate("erc", model=model).volatility


def test_target_volatility_scales_erc(model):
    erc = risk.allocate("erc", model=model)
    tv = risk.allocate("targetvol", model=model, target_vol=0.5 * erc.volatility)
    assert tv.volatility == pytest.approx(0.5 * erc.volatility, rel=1e-12)
    np.testing.assert_allclose(tv.weights, 0.5 * erc.weights, rtol=1e-12)
    assert tv.note == "cash 50% of capital"
    assert "(borrowed)" in risk.allocate("targetvol", model=model, target_vol=2 * erc.volatility).note
    with pytest.raises(InputValueError, match=r"method 'targetvol' needs target_vol"):
        risk.allocate("targetvol", model=model)


def direct_distance(model, budgets, n_starts=10, seed=123):
    """Reference: min ||shares(w) - b||_2 on the simplex by SLSQP (its own analytic gradient) from many seeded
    starts (10: on the three budget sets of the shipped model and the synthetic model, the best of 20 starts is
    the best of the first 10 to the last digit)."""
    b = np.asarray(budgets, float) / np.sum(budgets)
    spec = b.size == model.loadings.shape[1] + 1

    loadings, cov, spec_var = model.loadings, model.factor_cov, model.specific_var

    def loss(w):  # and its gradient: without one SLSQP spent N + 1 losses a gradient by finite differences
        beta = loadings.T @ w
        fb = cov @ beta
        parts, d_parts = beta * fb, loadings * fb + (loadings @ cov) * beta  # d_parts: (N, K), d part_j / d w
        if spec:
            parts, d_parts = np.append(parts, w @ (spec_var * w)), np.column_stack([d_parts, 2 * spec_var * w])
        total = parts.sum()
        r = parts / total - b
        return r @ r, 2 * (d_parts @ r - d_parts.sum(axis=1) * (parts @ r) / total) / total

    x0s = np.random.default_rng(seed).dirichlet(np.ones(model.n_assets), size=n_starts)
    slope = optimize.approx_fprime(x0s[0], lambda w: loss(w)[0], 1e-7)  # the reference's gradient is its slope
    np.testing.assert_allclose(loss(x0s[0])[1], slope, rtol=1e-4, atol=1e-6 * np.abs(slope).max())
    best = np.inf
    for x0 in x0s:
        s = optimize.minimize(
            loss,
            x0,
            jac=True,
            method="SLSQP",
            bounds=[(0, 1)] * model.n_assets,
            constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1}],
            options={"ftol": 1e-16, "maxiter": 2000},
        )
        best = min(best, np.sqrt(s.fun))
    return best


@pytest.mark.parametrize("budgets", [None, [0.9, 0.025, 0.025, 0.025, 0.025], [0.1, 0.3, 0.3, 0.3]])
def test_factor_budgets_are_nearest_as_a_direct_optimisation(model, factor_budgeted, budgets):
    """The review's three budget sets: the distance reached is within 1e-4 of multistart SLSQP's."""
    al = factor_budgeted(budgets)
    ref = direct_distance(model, [0.25] * 4 if budgets is None else budgets)
    assert al.distance <= ref + 1e-4
    assert al.distance == pytest.approx(np.linalg.norm(al.achieved - al.target), abs=1e-15)
    np.testing.assert_allclose(
        al.risk.factor_percent[: al.target.size]
        if al.target.size == 5
        else al.risk.factor_variance / al.risk.factor_variance.sum(),
        al.achieved,
        atol=1e-12,
    )
    assert al.weights.min() >= 0 and al.weights.sum() == pytest.approx(1.0, rel=1e-14)
    assert al.feasible == (al.distance < 1e-8)
    if not al.feasible:
        assert "nearest shares found (distance" in al.note


def test_factor_budgets_nearest_on_a_synthetic_model():
    """Another shape (N=12, K=3, mixed-sign loadings): nearest to budgets no long-only portfolio meets."""
    m = synthetic_model(12, 3, seed=7)
    budgets = [0.7, 0.2, 0.1]
    al = risk.allocate("factor", model=m, budgets=budgets)
    assert al.distance <= direct_distance(m, budgets) + 1e-4


@pytest.mark.parametrize("unloaded", [1, 2])
def test_factor_budget_note_names_an_unloaded_factor(model, unloaded):
    """On 12 of the portfolios (the 30 take 7 s of bounded least squares to reach their single-asset answer; the
    note is the same), with the unloaded factor in the middle or last."""
    b = model.loadings[:12, :3].copy()
    b[:, unloaded] = 0.0
    m = risk.FactorModel.from_arrays(b, model.factor_cov[:3, :3], model.specific_var[:12])
    assert f"No asset loads on factor {unloaded + 1}" in risk.allocate("factor", model=m).note
