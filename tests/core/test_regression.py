import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.outliers_influence import variance_inflation_factor

from tests.conftest import synthetic
from xlfactor.core import regression
from xlfactor.errors import (
    CollinearityError,
    InputShapeError,
    InputValueError,
    InsufficientDataError,
    XLFactorError,
)

RTOL = 1e-10


# --- statsmodels as the reference, on the shipped data -------------------------------------------


@pytest.mark.parametrize("lags", [None, 6])
def test_ols_matches_statsmodels_on_30_portfolios(french_xy, lags):
    y, x = french_xy
    fit = regression.ols(y, x, lags=lags)
    kw = {} if lags is None else {"cov_type": "HAC", "cov_kwds": {"maxlags": lags}}
    assert y.shape[1] == 30
    for j in range(30):
        ref = sm.OLS(y[:, j], sm.add_constant(x)).fit(**kw)
        np.testing.assert_allclose(fit.coef[j], ref.params, rtol=RTOL)
        np.testing.assert_allclose(fit.stderr[j], ref.bse, rtol=RTOL)
        np.testing.assert_allclose(fit.tstat[j], ref.tvalues, rtol=RTOL)
        np.testing.assert_allclose(fit.pvalues[j], ref.pvalues, rtol=1e-8, atol=1e-300)
        np.testing.assert_allclose(fit.r2[j], ref.rsquared, rtol=RTOL)
        np.testing.assert_allclose(fit.adj_r2[j], ref.rsquared_adj, rtol=RTOL)
        np.testing.assert_allclose(fit.resid_vol[j], np.sqrt(ref.scale), rtol=RTOL)
        assert fit.nobs[j] == ref.nobs == 819


def test_hac_standard_errors_differ_from_classic(french_xy):
    y, x = french_xy
    assert np.max(np.abs(regression.ols(y, x, lags=6).stderr / regression.ols(y, x).stderr - 1)) > 0.05


def test_capm_matches_statsmodels_with_series_rf(french):
    fit = regression.capm(french.portfolios.to_numpy(), french.market.to_numpy(), rf=french.rf.to_numpy(), lags=6)
    excess_m = french.factors["Mkt-RF"].to_numpy()
    for j, col in enumerate(french.portfolios):
        y = (french.portfolios[col] - french.rf).to_numpy()
        ref = sm.OLS(y, sm.add_constant(excess_m)).fit(cov_type="HAC", cov_kwds={"maxlags": 6})
        np.testing.assert_allclose([fit.alpha[j], fit.beta[j]], ref.params, rtol=RTOL)
        np.testing.assert_allclose([fit.tstat_alpha[j], fit.tstat_beta[j]], ref.tvalues, rtol=RTOL)
        np.testing.assert_allclose(fit.r2[j], ref.rsquared, rtol=RTOL)


def test_capm_expected_return_imposes_zero_alpha(french):
    r, m, rf = french.industries.to_numpy(), french.market.to_numpy(), french.rf.to_numpy()
    fit = regression.capm(r, m, rf=rf)
    by_hand = rf.mean() + fit.beta * (m - rf).mean()
    np.testing.assert_allclose(fit.expected_return, by_hand, rtol=1e-12)
    np.testing.assert_allclose(fit.mean_return, r.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(fit.mean_return - fit.expected_return, fit.alpha, atol=1e-15)


def test_capm_scalar_rf_equals_repeated_series(french):
    r, m = french.industries.to_numpy(), french.market.to_numpy()
    a = regression.capm(r, m, rf=0.003)
    b = regression.capm(r, m, rf=np.full(len(m), 0.003))
    np.testing.assert_array_equal(a.fit.coef, b.fit.coef)
    np.testing.assert_allclose(a.expected_return, 0.003 + a.beta * (m.mean() - 0.003), rtol=1e-12)


# --- risk split ------------------------------------------------------------------------------------


def test_risk_split_identity_and_definitions(french_xy):
    y, x = french_xy
    fit = regression.ols(y, x)
    risk = fit.risk
    np.testing.assert_allclose(risk.total_var, risk.systematic_var + risk.specific_var, rtol=1e-12)
    np.testing.assert_allclose(risk.r2, fit.r2, rtol=1e-12)
    cov_f = np.cov(x, rowvar=False)
    b = fit.loadings
    np.testing.assert_allclose(risk.systematic_var, np.einsum("ik,kl,il->i", b, cov_f, b), rtol=1e-12)
    np.testing.assert_allclose(risk.factor_var, b * (b @ cov_f), rtol=1e-12)
    resid = y - fit.intercept - x @ b.T
    np.testing.assert_allclose(risk.specific_var, resid.var(axis=0, ddof=1), rtol=1e-10)
    np.testing.assert_allclose(risk.total_var, y.var(axis=0, ddof=1), rtol=1e-12)
    np.testing.assert_allclose(risk.total_vol**2, risk.systematic_vol**2 + risk.specific_vol**2, rtol=1e-12)


# --- collinearity ----------------------------------------------------------------------------------


def test_collinearity_matches_statsmodels_vif(french):
    x = french.factors.to_numpy()
    res = regression.collinearity(x)
    exog = sm.add_constant(x)
    ref_vif = [variance_inflation_factor(exog, k + 1) for k in range(x.shape[1])]
    np.testing.assert_allclose(res.vif, ref_vif, rtol=1e-10)
    np.testing.assert_allclose(res.corr, np.corrcoef(x, rowvar=False), rtol=1e-12)
    z = (x - x.mean(0)) / x.std(0, ddof=1)
    np.testing.assert_allclose(res.condition_number, np.linalg.cond(z), rtol=1e-10)
    assert res.nobs == 819


def test_collinearity_flags_near_duplicate_factor(french):
    x = french.factors.to_numpy()
    rng = np.random.default_rng(1)
    dup = x[:, 0] + x[:, 1] + rng.normal(0, 1e-3, len(x))
    res = regression.collinearity(np.column_stack([x, dup]))
    assert res.vif.max() > 100 and res.condition_number > 30
    with pytest.raises(
        CollinearityError,
        match=r"factors column 5 is a linear combination of column 1, column 2 "
        r"over the 819 complete rows \(its loadings are not unique\)",
    ):
        regression.collinearity(np.column_stack([x, x[:, 0] + x[:, 1]]))


# --- GRS -------------------------------------------------------------------------------------------


def test_grs_matches_closed_form(french_xy):
    y, x = french_xy
    res = regression.grs(y, x)
    t, n = y.shape
    k = x.shape[1]
    # the textbook form with the unbiased residual covariance (T - K - 1) and the MLE factor covariance
    alphas, resid = [], []
    for j in range(n):
        ref = sm.OLS(y[:, j], sm.add_constant(x)).fit()
        alphas.append(ref.params[0])
        resid.append(ref.resid)
    alpha, e = np.array(alphas), np.array(resid).T
    sigma = e.T @ e / (t - k - 1)
    mu = x.mean(0)
    omega = np.cov(x, rowvar=False, ddof=0)
    w = (
        (t / n)
        * ((t - n - k) / (t - k - 1))
        * (alpha @ np.linalg.inv(sigma) @ alpha)
        / (1 + mu @ np.linalg.inv(omega) @ mu)
    )
    np.testing.assert_allclose(res.statistic, w, rtol=1e-10)
    assert (res.df_num, res.df_den, res.nobs) == (30, 819 - 30 - 4, 819)
    np.testing.assert_allclose(res.pvalue, stats.f.sf(w, n, t - n - k), rtol=1e-10)
    np.testing.assert_allclose(res.alpha, alpha, rtol=RTOL)


def test_grs_is_uniform_under_the_null():
    rng = np.random.default_rng(7)
    pvals = []
    for _ in range(200):
        x = rng.normal(0.005, 0.04, size=(120, 2))
        y = x @ rng.normal(1, 0.3, size=(2, 5)) + rng.normal(0, 0.02, size=(120, 5))
        pvals.append(regression.grs(y, x).pvalue)
    assert stats.kstest(pvals, "uniform").pvalue > 0.01
    y[:, 0] += 0.02  # a large alpha is detected
    assert regression.grs(y, x).pvalue < 1e-6


# --- Fama-MacBeth against linearmodels ---------------------------------------------------------------


@pytest.mark.parametrize("lags", [None, 6])
def test_fama_macbeth_matches_linearmodels(french_xy, french, lags):
    lm = pytest.importorskip("linearmodels")
    y, x = french_xy
    betas = regression.ols(y, x).loadings
    t = y.shape[0]
    idx = pd.MultiIndex.from_product([french.portfolios.columns, french.factors.index.to_timestamp()])
    dep = pd.Series(y.T.ravel(), index=idx)
    exog = pd.DataFrame(np.repeat(betas, t, axis=0), index=idx, columns=list(french.factors.columns))
    exog.insert(0, "const", 1.0)
    model = lm.FamaMacBeth(dep, exog)
    ref = model.fit() if lags is None else model.fit(cov_type="kernel", kernel="bartlett", bandwidth=lags)
    res = regression.fama_macbeth(y, betas, lags=lags)
    np.testing.assert_allclose(res.premia, ref.params.to_numpy(), rtol=1e-8)
    np.testing.assert_allclose(res.stderr, ref.std_errors.to_numpy(), rtol=1e-8)
    np.testing.assert_allclose(res.tstat, ref.tstats.to_numpy(), rtol=1e-8)
    np.testing.assert_allclose(res.pvalues, ref.pvalues.to_numpy(), rtol=1e-8)
    assert res.nperiods == t


def test_fama_macbeth_time_varying_exposures_and_missing(french_xy):
    y, x = french_xy
    betas = regression.ols(y, x).loadings
    static = regression.fama_macbeth(y, betas)
    tv = regression.fama_macbeth(y, np.broadcast_to(betas, (y.shape[0], *betas.shape)))
    np.testing.assert_allclose(tv.premia, static.premia, rtol=1e-12)
    y2 = y.copy()
    y2[5, :] = np.nan  # a period with no returns is skipped
    y2[6, 3] = np.nan  # a period with one asset missing uses the others
    res = regression.fama_macbeth(y2, betas)
    assert res.nperiods == y.shape[0] - 1 and np.isnan(res.period_premia[5]).all()
    keep = np.arange(30) != 3
    z = np.column_stack([np.ones(29), betas[keep]])
    np.testing.assert_allclose(res.period_premia[6], np.linalg.lstsq(z, y[6, keep], rcond=None)[0], rtol=1e-10)


# --- synthetic data with known truth and invariances --------------------------------------------------


def test_recovers_known_loadings_within_sampling_error():
    y, x, a, b = synthetic(t=2000, k=4, n=50, seed=3)
    fit = regression.ols(y, x)
    z = (fit.loadings - b) / fit.stderr[:, 1:]
    assert np.abs(z).max() < 4.5
    assert 0.7 < np.std(z) < 1.3  # standard errors are the right size
    za = (fit.intercept - a) / fit.stderr[:, 0]
    assert np.abs(za).max() < 4.5


def test_rescaling_a_factor_rescales_its_loading(french_xy):
    y, x = french_xy
    fit = regression.ols(y, x)
    c = np.array([1.0, 100.0, 0.5, -2.0])
    fit2 = regression.ols(y, x * c)
    np.testing.assert_allclose(fit2.loadings, fit.loadings / c, rtol=1e-10)
    np.testing.assert_allclose(fit2.intercept, fit.intercept, rtol=1e-9)
    np.testing.assert_allclose(fit2.r2, fit.r2, rtol=1e-12)
    np.testing.assert_allclose(np.abs(fit2.tstat), np.abs(fit.tstat), rtol=1e-9)


def test_permuting_rows_changes_nothing_for_classic_errors(french_xy):
    y, x = french_xy
    perm = np.random.default_rng(0).permutation(len(y))
    a, b = regression.ols(y, x), regression.ols(y[perm], x[perm])
    np.testing.assert_allclose(a.coef, b.coef, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(a.stderr, b.stderr, rtol=1e-10)
    np.testing.assert_allclose(a.r2, b.r2, rtol=1e-12)


def test_asset_order_is_irrelevant(french_xy):
    y, x = french_xy
    perm = np.random.default_rng(1).permutation(y.shape[1])
    np.testing.assert_allclose(regression.ols(y[:, perm], x).coef, regression.ols(y, x).coef[perm], rtol=1e-12)


def test_missing_values_match_dropping_rows_by_hand(french_xy):
    y, x = french_xy
    y, x = y.copy(), x.copy()
    y[:24, 0] = np.nan  # late starter
    y[100:110, 1] = np.nan  # a gap
    y[500, 2] = np.nan
    x[700, 3] = np.nan  # a missing factor value removes the row for everyone
    fit = regression.ols(y, x, lags=3)
    for j in range(y.shape[1]):
        keep = np.isfinite(y[:, j]) & np.isfinite(x).all(1)
        ref = sm.OLS(y[keep, j], sm.add_constant(x[keep])).fit(cov_type="HAC", cov_kwds={"maxlags": 3})
        np.testing.assert_allclose(fit.coef[j], ref.params, rtol=RTOL)
        np.testing.assert_allclose(fit.stderr[j], ref.bse, rtol=RTOL)
        assert fit.nobs[j] == keep.sum()
    assert list(fit.nobs[:4]) == [819 - 24 - 1, 819 - 10 - 1, 819 - 2, 818]


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    k=st.integers(1, 4),
    n=st.integers(1, 6),
    frac=st.floats(0.0, 0.3),
    lags=st.one_of(st.none(), st.integers(0, 4)),
)
def test_batched_fit_equals_statsmodels_per_asset(seed, k, n, frac, lags):
    y, x, _, _ = synthetic(t=60, k=k, n=n, seed=seed)
    rng = np.random.default_rng(seed)
    y[rng.random(y.shape) < frac] = np.nan
    kw = {} if lags is None else {"cov_type": "HAC", "cov_kwds": {"maxlags": lags}}
    try:
        fit = regression.ols(y, x, lags=lags)
    except InsufficientDataError:
        assert (np.isfinite(y).sum(0) < k + 2).any()
        return
    for j in range(n):
        keep = np.isfinite(y[:, j])
        ref = sm.OLS(y[keep, j], sm.add_constant(x[keep])).fit(**kw)
        np.testing.assert_allclose(fit.coef[j], ref.params, rtol=1e-8, atol=1e-12)
        np.testing.assert_allclose(fit.stderr[j], ref.bse, rtol=1e-8)


# --- every error path names what is wrong ---------------------------------------------------------------


def test_errors_are_value_errors():
    assert issubclass(XLFactorError, ValueError)
    assert InputShapeError("x").excel_code == "#VALUE!"
    assert InsufficientDataError("x").excel_code == "#NUM!"


def test_mismatched_lengths():
    y, x, _, _ = synthetic(t=50)
    with pytest.raises(
        InputShapeError, match=r"returns has 50 rows but factors has 49; both must cover the same periods"
    ):
        regression.ols(y, x[:-1])
    with pytest.raises(InputShapeError, match=r"returns has 50 rows but market has 40"):
        regression.capm(y, x[:40, 0])
    with pytest.raises(InputShapeError, match=r"rf has 3 values but the returns have 50 rows"):
        regression.capm(y, x[:, 0], rf=[0.1, 0.2, 0.3])


def test_text_and_booleans_are_rejected_with_position():
    y, x, _, _ = synthetic(t=20, n=2)
    bad = y.astype(object)
    bad[3, 1] = "n/a"
    with pytest.raises(InputValueError, match=r"returns row 4, column 2 is text 'n/a'; pass numbers"):
        regression.ols(bad, x)
    with pytest.raises(InputValueError, match=r"returns row 1, column 1 is text 'a'; pass numbers"):
        regression.ols(np.full((20, 2), "a"), x)  # numpy's own strings: was "is str_ 'a'"
    bad[3, 1] = True
    with pytest.raises(InputValueError, match=r"returns row 4, column 2 is a logical value"):
        regression.ols(bad, x)
    with pytest.raises(InputValueError, match=r"factors row 1, column 1 is a logical value"):
        regression.ols(y, np.ones((20, 1), dtype=bool))


def test_infinity_is_rejected():
    y, x, _, _ = synthetic(t=20)
    x[2, 1] = np.inf
    with pytest.raises(InputValueError, match=r"factors row 3, column 2 is infinite"):
        regression.ols(y, x)


def test_numbers_too_small_to_compute_with_are_refused_by_column(french_xy):
    """The review: factors x 1e-200 raised numpy's 'SVD did not converge'; x 1e-160 gave R2 0.511 for 0.536 (squares
    underflow below ~1e-154). A column whose largest magnitude is under 1e-100 is refused, as a number over 1e100
    is; a tiny cell in a column of ordinary numbers is a number as before."""
    y, x = french_xy
    with pytest.raises(InputValueError, match=r"factors column 2's largest magnitude is \d\.\d+e-201, too small"):
        regression.ols(y, np.column_stack([x[:, 0], x[:, 1] * 1e-200]))
    with pytest.raises(InputValueError, match=r"returns column 1's largest magnitude is .*e-16\d, too small"):
        regression.ols(y * 1e-160, x)
    ref = regression.ols(y, x)
    np.testing.assert_allclose(regression.ols(y * 1e-90, x * 1e-90).r2, ref.r2, rtol=1e-12)
    y2 = y.copy()
    y2[0, 0] = 1e-300
    assert np.isfinite(regression.ols(y2, x).r2).all()


def test_too_few_observations_names_the_asset():
    y, x, _, _ = synthetic(t=30, k=3, n=3)
    y[:26, 1] = np.nan
    with pytest.raises(InsufficientDataError, match=r"returns column 2 \('B'\) has 4 usable rows .* needs at least 5"):
        regression.ols(y, x, asset_names=["A", "B", "C"])
    with pytest.raises(InsufficientDataError, match=r"lags is 40 but returns column 1 has only 30 usable rows"):
        regression.ols(y[:, [0]], x, lags=40)


def test_constant_and_collinear_factors_are_named():
    y, x, _, _ = synthetic(t=40, k=3)
    const = x.copy()
    const[:, 1] = 0.01
    with pytest.raises(CollinearityError, match=r"factors column 2 \('SMB'\) is constant over the 40 rows used"):
        regression.ols(y, const, factor_names=["Mkt", "SMB", "HML"])
    coll = np.column_stack([x, x[:, 0] - 2 * x[:, 2]])
    with pytest.raises(
        CollinearityError,
        match=r"factors column 4 is a linear combination of column 1, column 3 over the 40 rows used .*not unique",
    ):
        regression.ols(y, coll)
    with pytest.raises(
        CollinearityError,
        match=r"factors column 2 is constant over the 40 complete rows; its correlations are undefined",
    ):
        regression.collinearity(const)


def test_bad_shapes_and_counts():
    y, x, _, _ = synthetic(t=40)
    with pytest.raises(InputShapeError, match=r"returns is empty"):
        regression.ols(np.empty((0, 2)), x)
    with pytest.raises(InputShapeError, match=r"returns has 3 dimensions"):
        regression.ols(np.zeros((2, 2, 2)), x)
    with pytest.raises(InputShapeError, match=r"market is 40 x 3; pass a single row or column"):
        regression.capm(y, x)
    with pytest.raises(InputValueError, match=r"lags must be a whole number >= 0; got -1"):
        regression.ols(y, x, lags=-1)
    with pytest.raises(InputValueError, match=r"lags must be a whole number >= 0; got 1.5"):
        regression.ols(y, x, lags=1.5)


def test_grs_and_fama_macbeth_errors():
    y, x, _, _ = synthetic(t=22, k=3, n=20)
    with pytest.raises(
        InsufficientDataError, match=r"GRS test needs more complete rows than assets plus factors \(20 \+ 3\)"
    ):
        regression.grs(y, x)
    with pytest.raises(InputShapeError, match=r"exposures has 5 rows but returns has 20 assets"):
        regression.fama_macbeth(y, np.ones((5, 2)))
    with pytest.raises(InputShapeError, match=r"exposures has shape \(3, 20, 2\)"):
        regression.fama_macbeth(y, np.ones((3, 20, 2)))
    with pytest.raises(InputValueError, match=r"exposures .* must be numbers"):
        regression.fama_macbeth(y, np.full((22, 20, 2), "x"))
    with pytest.raises(InsufficientDataError, match=r"only 0 period\(s\) have at least 4 assets"):
        regression.fama_macbeth(y[:, :3], np.ones((3, 2)) + np.eye(3, 2))
    b = regression.ols(y, x).loadings
    with pytest.raises(InsufficientDataError, match=r"lags is 30 but only 22 periods are usable"):
        regression.fama_macbeth(y, b, lags=30)


def test_vasicek_beta_by_hand(french):
    """Closed form with the cross-sectional prior, on the shipped 30 portfolios and on 7 synthetic assets."""
    y = french.portfolios.sub(french.rf, axis=0).to_numpy()
    m = french.market.sub(french.rf).to_numpy()
    for yy, mm in (
        (y, m),
        (np.random.default_rng(1).normal(0, 0.05, (60, 7)) + np.outer(m[:60], np.linspace(0.2, 2, 7)), m[:60]),
    ):
        c = regression.capm(yy, mm)
        b = c.beta
        se = np.array([sm.OLS(yy[:, i], sm.add_constant(mm)).fit().bse[1] for i in range(yy.shape[1])])
        w = b.var(ddof=1) / (b.var(ddof=1) + se**2)
        np.testing.assert_allclose(c.vasicek_beta, w * b + (1 - w) * b.mean(), rtol=1e-12)
        assert np.all(np.abs(c.vasicek_beta - b.mean()) < np.abs(b - b.mean()))


def test_blume_beta_is_two_thirds_raw_plus_one_third(french):
    fit = regression.capm(french.industries.to_numpy(), french.market.to_numpy(), rf=french.rf.to_numpy())
    np.testing.assert_allclose(fit.blume_beta, 2 / 3 * fit.beta + 1 / 3, rtol=1e-15)
    assert np.all(np.abs(fit.blume_beta - 1) < np.abs(fit.beta - 1))  # closer to the market's beta of 1


def test_an_exact_fit_has_zero_residual_variance_not_rounding_noise():
    """Returns that are an exact combination of the factors: the residual sum of squares is the rounding of
    ``tss - ess``; it is zero, so the standard errors are 0 and the t-statistics infinite (blank cells in Excel),
    never a t-statistic of 1e8 made of rounding."""
    m = np.array([0.01, 0.02, 0.005, 0.015, -0.01, 0.03, -0.02])
    f = np.column_stack([m, np.sin(np.arange(7.0))])
    y = np.column_stack([2 * m, 0.5 * m - 0.3 * f[:, 1] + 0.001])
    fit = regression.ols(y, f)
    np.testing.assert_allclose(fit.coef, [[0.0, 2.0, 0.0], [0.001, 0.5, -0.3]], atol=1e-12)
    assert (fit.resid_ss == 0).all() and (fit.r2 == 1).all()
    assert np.isinf(fit.tstat[:, 1]).all()
