"""Risk premia: two-pass (plain, Shanken, robust) and GMM against linearmodels and the published formulas."""

import warnings

import numpy as np
import pytest
from linearmodels.asset_pricing import LinearFactorModel, LinearFactorModelGMM

from xlfactor.core import premia, premia_gmm, regression
from xlfactor.errors import (
    CollinearityError,
    ConvergenceError,
    InputShapeError,
    InputValueError,
    InsufficientDataError,
)

TOL = 1e-8
# linearmodels' default BFGS stops about 1e-6 from the GMM minimum on these data; Powell with tight tolerances
# reaches it (checked: our Gauss-Newton's objective is the lower one)
POWELL = {"method": "Powell", "options": {"xtol": 1e-14, "ftol": 1e-16, "maxfev": 10**6}}


@pytest.fixture(scope="module")
def sv(french):
    """The nine size/value portfolios in excess of the risk-free rate, and market, size and value."""
    return french.size_value.sub(french.rf, axis=0).to_numpy(), french.factors[["Mkt-RF", "SMB", "HML"]].to_numpy()


def simulate(t=600, n=8, k=2, seed=0, lam=None, zero_beta=0.0):
    """Returns whose mean is exactly priced: E[R] = zero_beta + B lam (non-traded factors with mean zero)."""
    rng = np.random.default_rng(seed)
    lam = np.full(k, 0.004) if lam is None else np.asarray(lam)
    b = rng.normal(1.0, 0.5, (n, k))
    f = rng.normal(0.0, 0.03, (t, k))
    y = zero_beta + b @ lam + f @ b.T + rng.normal(0, 0.02, (t, n))
    return y, f, b, lam


@pytest.mark.parametrize("intercept", [False, True])
@pytest.mark.parametrize("lags", [None, 6])
def test_two_pass_equals_linearmodels_on_size_value(sv, intercept, lags):
    y, f = sv
    res = premia.two_pass(y, f, intercept=intercept, se="robust", lags=lags)
    kw = {} if lags is None else {"cov_type": "kernel", "kernel": "bartlett", "bandwidth": lags}
    ref = LinearFactorModel(y, f, risk_free=intercept).fit(**kw)
    np.testing.assert_allclose(res.premia, ref.risk_premia, rtol=TOL, atol=1e-14)
    np.testing.assert_allclose(res.stderr, ref.risk_premia_se, rtol=TOL)
    np.testing.assert_allclose(res.alpha, ref.alphas, rtol=TOL, atol=1e-14)
    np.testing.assert_allclose(res.betas, ref.betas, rtol=TOL)
    np.testing.assert_allclose(res.j_stat, ref.j_statistic.stat, rtol=TOL)
    assert res.j_df == ref.j_statistic.df == 9 - 3 - intercept


def test_two_pass_equals_linearmodels_on_another_shape():
    y, f, _, _ = simulate(t=97, n=5, k=1, seed=3)
    for intercept in (False, True):
        res = premia.two_pass(y, f, intercept=intercept, se="robust")
        ref = LinearFactorModel(y, f, risk_free=intercept).fit()
        np.testing.assert_allclose(res.premia, ref.risk_premia, rtol=TOL)
        np.testing.assert_allclose(res.stderr, ref.risk_premia_se, rtol=TOL)
        np.testing.assert_allclose(res.j_pvalue, ref.j_statistic.pval, rtol=1e-6)


@pytest.mark.parametrize("intercept", [False, True])
@pytest.mark.parametrize("lags", [None, 3])
def test_gmm_equals_linearmodels_on_industries(french, intercept, lags):
    """Four industries on the market: over-identified (J has 2 or 3 degrees of freedom), and linearmodels' Powell
    search over 6-7 parameters costs half what it did over six industries' 8-9."""
    y = french.industries.iloc[:, :4].sub(french.rf, axis=0).to_numpy()
    f = french.factors[["Mkt-RF"]].to_numpy()
    res = premia_gmm.gmm(y, f, intercept=intercept, lags=lags)
    kw = {} if lags is None else {"cov_type": "kernel", "kernel": "bartlett", "bandwidth": lags}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = LinearFactorModelGMM(y, f, risk_free=intercept).fit(disp=0, opt_options=POWELL, **kw)
    # absolute 1e-9 on premia near 0.007 per month: Powell's own precision (differences measured 3e-11-1.4e-10;
    # 2e-11-2e-10 on six industries)
    np.testing.assert_allclose(res.premia, ref.risk_premia, rtol=0, atol=1e-9)
    np.testing.assert_allclose(res.stderr, ref.risk_premia_se, rtol=0, atol=1e-10)
    np.testing.assert_allclose(res.betas, ref.betas, rtol=0, atol=TOL)
    np.testing.assert_allclose(res.alpha, ref.alphas, atol=1e-10)
    np.testing.assert_allclose(res.j_stat, ref.j_statistic.stat, rtol=TOL)
    assert res.j_df == 4 - 1 - intercept


def test_gmm_lower_objective_than_linearmodels_default_on_size_value(sv):
    """Where linearmodels' BFGS stops short, the two agree to its precision, and the Gauss-Newton step is exact."""
    y, f = sv
    res = premia_gmm.gmm(y, f)
    ref = LinearFactorModelGMM(y, f).fit(disp=0)
    np.testing.assert_allclose(res.premia, ref.risk_premia, atol=5e-6)
    assert res.j_stat <= ref.j_statistic.stat + 1e-9


def shanken_by_hand(y, f, intercept):
    """Shanken (1992) as Cochrane (2005, eq. 12.19) writes it, from scratch."""
    t, n = y.shape
    z = np.column_stack([np.ones(t), f])
    coef = np.linalg.lstsq(z, y, rcond=None)[0]
    b = coef[1:].T
    e = y - z @ coef
    sigma = e.T @ e / (t - 1)
    sf = np.atleast_2d(np.cov(f, rowvar=False))
    x = np.column_stack([np.ones(n), b]) if intercept else b
    xtx_inv = np.linalg.inv(x.T @ x)
    lam = xtx_inv @ x.T @ y.mean(axis=0)
    lf = lam[1:] if intercept else lam
    c = lf @ np.linalg.inv(sf) @ lf
    sf_star = np.zeros((x.shape[1], x.shape[1]))
    sf_star[int(intercept) :, int(intercept) :] = sf
    var = ((1 + c) * xtx_inv @ x.T @ sigma @ x @ xtx_inv + sf_star) / t
    proj = np.eye(n) - x @ xtx_inv @ x.T
    alpha = y.mean(axis=0) - x @ lam
    alpha_cov = (1 + c) * proj @ sigma @ proj / t
    j = alpha @ np.linalg.pinv(alpha_cov) @ alpha
    return lam, var, c, j


@pytest.mark.parametrize("intercept", [False, True])
def test_shanken_equals_the_published_formula(sv, intercept):
    y, f = sv
    res = premia.two_pass(y, f, intercept=intercept, se="shanken")
    lam, var, c, j = shanken_by_hand(y, f, intercept)
    np.testing.assert_allclose(res.premia, lam, rtol=1e-10)
    np.testing.assert_allclose(res.cov, var, rtol=1e-10)
    np.testing.assert_allclose(res.shanken_factor, 1 + c, rtol=1e-12)
    np.testing.assert_allclose(res.j_stat, j, rtol=1e-6)
    assert res.shanken_factor > 1
    plain = premia.two_pass(y, f, intercept=intercept, se="plain")
    assert (res.stderr > plain.stderr).all()


def test_plain_equals_fama_macbeth_with_fixed_betas(sv):
    y, f = sv
    res = premia.two_pass(y, f, intercept=True, se="plain")
    fm = regression.fama_macbeth(y, res.betas)
    np.testing.assert_allclose(res.premia, fm.premia, rtol=1e-10)
    np.testing.assert_allclose(res.stderr, fm.stderr, rtol=1e-10)


def test_known_premia_recovered_on_synthetic_panel():
    lam = np.array([0.006, -0.003])
    y, f, b, _ = simulate(t=20000, n=25, k=2, seed=1, lam=lam, zero_beta=0.002)
    for method in ("twopass", "gmm"):
        res = premia.estimate(y, f, method=method, intercept=True)
        np.testing.assert_allclose(res.premia, [0.002, *lam], atol=4 * res.stderr.max())
        assert res.j_pvalue > 0.001
    res = premia.two_pass(y, f, intercept=True)
    np.testing.assert_allclose(res.betas, b, atol=0.02)  # 4 standard errors (0.02 / (0.03 sqrt T))
    assert res.r2 > 0.9


def test_rows_with_a_missing_cell_are_dropped_for_all(sv):
    y, f = sv
    y2 = y.copy()
    y2[5, 2] = np.nan
    f2 = f.copy()
    f2[10, 0] = np.nan
    keep = np.ones(len(y), bool)
    keep[[5, 10]] = False
    a, b = premia.two_pass(y2, f2), premia.two_pass(y[keep], f[keep])
    np.testing.assert_allclose(a.premia, b.premia, rtol=1e-12)
    assert a.nobs == len(y) - 2


def test_hostile_inputs(sv):
    y, f = sv
    with pytest.raises(InsufficientDataError, match="at least 4 assets"):
        premia.two_pass(y[:, :3], f, intercept=True)
    with pytest.raises(CollinearityError, match="column 2"):
        premia.two_pass(y, np.column_stack([f[:, 0], f[:, 0] * 2]))
    same = np.column_stack([y[:, 0]] * 4)  # identical assets: every beta the same, so premia and intercept collide
    with pytest.raises(CollinearityError, match="betas on factors column 1"):
        premia.two_pass(same, f[:, :1], intercept=True)
    with pytest.raises(InputValueError, match="Did you mean 'shanken'"):
        premia.two_pass(y, f, se="shank")
    with pytest.raises(InputValueError, match="lags applies to se 'robust'"):
        premia.two_pass(y, f, lags=3)
    with pytest.raises(InputValueError, match="se for method 'gmm' is robust"):
        premia.estimate(y, f, method="gmm", se="shanken")
    with pytest.raises(InsufficientDataError, match="complete rows"):
        premia.two_pass(y[:4], f[:4, :2])


def test_near_collinear_factors_give_finite_numbers_for_every_se(sv):
    y, f = sv
    rng = np.random.default_rng(0)
    g = np.column_stack([f[:, 0], f[:, 0] + 1e-6 * rng.normal(size=len(f))])
    for se in ("plain", "shanken", "robust"):
        res = premia.two_pass(y, g, se=se)
        assert np.isfinite(res.premia).all() and np.isfinite(res.stderr).all() and np.isfinite(res.shanken_factor)
    with pytest.raises(ConvergenceError, match=r"use method 'twopass'|Use method 'twopass'"):
        premia_gmm.gmm(y, g)  # the GMM objective is flat along the near-null direction: a clear error, not noise


def test_tiny_scale_is_scale_equivariant(sv):
    y, f = sv
    a = premia.two_pass(y, f, intercept=True, se="robust")
    b = premia.two_pass(y * 1e-6, f * 1e-6, intercept=True, se="robust")
    np.testing.assert_allclose(b.premia, a.premia * 1e-6, rtol=1e-9)
    np.testing.assert_allclose(b.stderr, a.stderr * 1e-6, rtol=1e-9)
    np.testing.assert_allclose(b.j_stat, a.j_stat, rtol=1e-8)


@pytest.mark.parametrize("lags", [None, 4])
def test_fama_macbeth_shanken_option(sv, lags):
    y, f = sv
    tp = premia.two_pass(y, f, intercept=True, se="shanken")
    fm = regression.fama_macbeth(y, tp.betas, shanken_factors=f, lags=lags)
    if lags is None:  # with fixed betas Fama-MacBeth's variance is the plain one, so the correction is Shanken's
        np.testing.assert_allclose(fm.stderr, tp.stderr, rtol=1e-10)
    plain = regression.fama_macbeth(y, tp.betas, lags=lags)
    np.testing.assert_allclose(fm.shanken_factor, tp.shanken_factor, rtol=1e-12)
    assert plain.shanken_factor is None and (fm.stderr > plain.stderr).all()
    with pytest.raises(InputShapeError, match="factors has 2 columns but the exposures have 3"):
        regression.fama_macbeth(y, tp.betas, shanken_factors=f[:, :2])


def test_grs_refuses_non_traded_factors(sv):
    y, f = sv
    assert regression.grs(y, f, traded=[True, True, True]).statistic == regression.grs(y, f).statistic
    with pytest.raises(InputValueError, match=r"GRS test needs traded factors.*column 2 is not traded"):
        regression.grs(y, f, traded=[True, False, True])
    with pytest.raises(InputShapeError, match="traded has 2 values but there are 3 factors"):
        regression.grs(y, f, traded=[True, False])


def test_gmm_needs_more_rows_than_moments():
    y, f, _, _ = simulate(t=30, n=12, k=2, seed=1)  # 12 x 3 + 2 = 38 moments, 30 rows: the weights are singular
    with pytest.raises(InsufficientDataError, match=r"GMM has 38 moment conditions .* but 30 complete rows"):
        premia_gmm.gmm(y, f)
    assert np.isfinite(premia.two_pass(y, f).premia).all()  # two-pass needs only K + 3 rows


@pytest.mark.parametrize("intercept", [False, True])
def test_gmm_gradient_by_blocks_equals_the_jacobians_and_the_objectives_slope(intercept):
    from xlfactor.core import premia_gmm

    rng = np.random.default_rng(1)
    t, n, k = 200, 12, 3
    f = rng.normal(0, 1, (t, k))
    y = f @ rng.normal(1, 0.3, (k, n)) + rng.normal(0, 1, (t, n))
    theta = rng.normal(0, 1, n * k + k + int(intercept) + k)
    g = premia_gmm._moments(theta, y, f, intercept)
    w = np.linalg.inv(np.cov(g, rowvar=False))
    grad = premia_gmm._gradient(theta, w, y, f, intercept)
    np.testing.assert_allclose(
        grad, premia_gmm._jacobian(theta, y, f, intercept).T @ w @ g.mean(axis=0), rtol=1e-12, atol=1e-14
    )
    h = 1e-6
    slope = [
        (
            premia_gmm._objective(theta + h * e, w, y, f, intercept)
            - premia_gmm._objective(theta - h * e, w, y, f, intercept)
        )
        / (4 * h)
        for e in np.eye(theta.size)
    ]
    np.testing.assert_allclose(grad, slope, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("intercept", [False, True])
def test_gmm_hessian_is_the_gradients_slope(intercept):
    """Newton's Hessian (Gauss-Newton's G'WG plus the moments' curvature, exactly) equals the central differences
    of the gradient it replaced (2 x size gradients a Newton step)."""
    from xlfactor.core import premia_gmm

    rng = np.random.default_rng(2)
    t, n, k = 200, 12, 3
    f = rng.normal(0, 1, (t, k))
    y = f @ rng.normal(1, 0.3, (k, n)) + rng.normal(0, 1, (t, n))
    theta = rng.normal(0, 1, n * k + k + int(intercept) + k)
    w = np.linalg.inv(np.cov(premia_gmm._moments(theta, y, f, intercept), rowvar=False))
    hess = premia_gmm._gauss_newton(theta, w, y, f, intercept) + premia_gmm._curvature(theta, w, y, f, intercept)
    step = 1e-6
    slope = np.column_stack(
        [
            (
                premia_gmm._gradient(theta + step * e, w, y, f, intercept)
                - premia_gmm._gradient(theta - step * e, w, y, f, intercept)
            )
            / (2 * step)
            for e in np.eye(theta.size)
        ]
    )
    np.testing.assert_allclose(hess, slope, rtol=1e-6, atol=1e-7 * np.abs(hess).max())
