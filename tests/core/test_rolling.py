"""Rolling windows: each window equals the single-window API on its rows, and sees nothing after them."""

import numpy as np
import pytest
from sklearn.linear_model import Lasso, lasso_path

from tests.conftest import synthetic
from xlfactor.core import cv, penalized, regression, risk, rolling
from xlfactor.errors import CollinearityError, InputValueError


def test_windows_end_on_the_last_row_and_expand_from_the_first():
    assert rolling.windows(10, 4, 3) == [(0, 3), (3, 6), (6, 9)]
    assert rolling.windows(10, 4, 3, expanding=True) == [(0, 3), (0, 6), (0, 9)]
    assert rolling.windows(5, 5) == [(0, 4)]
    with pytest.raises(InputValueError, match="window is 6 rows but the data have 5"):
        rolling.windows(5, 6)
    with pytest.raises(InputValueError, match="step must be a whole number >= 1"):
        rolling.windows(5, 2, 0)


@pytest.fixture(scope="module")
def industries(french):
    window = slice(174, 819)  # 1963-07 on: every factor present
    y = french.industries.sub(french.rf, axis=0).to_numpy()[window]
    return y, french.factors.to_numpy()[window]


def loop(y, x, window, step=1, method="ols", **opts):
    """The reference: one window after another through the single-window API."""
    out = []
    for first, last in rolling.windows(len(x), window, step):
        yw, xw = y[first : last + 1], x[first : last + 1]
        if method == "ols":
            fit = regression.ols(yw, xw)
            lam, icpt, load = np.nan, fit.coef[:, 0], fit.loadings
        else:
            res = cv.cross_validate(yw, xw, method=method, pooled=True, **opts)
            lam = res.pooled_lambda("min")
            fit = penalized.fit(yw, xw, [lam], method=method, **opts)
            icpt, load = fit.intercept[0], fit.loadings[0]
        n, k = len(yw), xw.shape[1]  # rolling keeps the descriptive RSS / (n - 1); the forecast's is RSS / (n - K - 1)
        spec = risk.specific_variance(yw, xw, load) * (n - k - 1) / (n - 1)
        out.append((lam, icpt, load, spec, risk.factor_covariance(xw)))
    return out


def assert_matches_loop(res, ref):
    for w, (lam, icpt, load, spec, fcov) in enumerate(ref):
        np.testing.assert_allclose(res.lambdas[w], lam, rtol=1e-12)
        np.testing.assert_allclose(res.loadings[w], load, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(res.intercept[w], icpt, rtol=1e-9, atol=1e-13)
        np.testing.assert_allclose(res.specific_var[w], spec, rtol=1e-9)
        np.testing.assert_allclose(res.factor_cov[w], fcov, rtol=1e-12)


def test_rolling_ols_equals_each_windows_regression(industries):
    y, x = industries
    res = rolling.rolling(y, x, 120, step=60)
    assert res.loadings.shape == (len(res.ends), 12, 4) and res.ends[-1] == len(x) - 1
    assert_matches_loop(res, loop(y, x, 120, 60))
    for w, (first, last) in enumerate(zip(res.starts, res.ends, strict=True)):
        fit = regression.ols(y[first : last + 1], x[first : last + 1])
        np.testing.assert_allclose(res.r2[w], fit.r2, rtol=1e-10)  # 1 - specific/total is OLS's R2
        assert (res.nobs[w] == last - first + 1).all()


@pytest.mark.parametrize(
    "method, opts",
    [
        ("lasso", {}),
        ("lasso", {"penalty_weights": [0, 1, 1, 1], "standardize": True}),
        ("ridge", {"penalty_weights": [0, 1, 1, 1]}),
        ("enet", {"l1_ratio": 0.5}),
    ],
)
def test_batched_windows_equal_the_loop_of_single_windows(industries, method, opts):
    y, x = industries
    res = rolling.rolling(y, x, 90, step=70, method=method, **opts)
    assert len(res.ends) == 8
    assert_matches_loop(res, loop(y, x, 90, 70, method, **opts))


def test_rolling_lasso_chooses_lambda_inside_each_window_as_scikit_learn_does(industries):
    y, x = industries
    res = rolling.rolling(y, x, 240, step=200, method="lasso", folds=5, scheme="blocked")
    assert len(res.ends) == 3 and np.isfinite(res.lambdas).all()
    for w, (first, last) in enumerate(zip(res.starts, res.ends, strict=True)):
        yw, xw = y[first : last + 1], x[first : last + 1]
        grid = cv.cross_validate(yw, xw, method="lasso", pooled=True).lambdas[:, 0]
        err = np.zeros(grid.size)  # the pooled error: summed over assets, averaged over folds, by scikit-learn
        parts = cv.splits(len(xw), 5, "blocked")
        for tr, te in parts:
            xm, ym = xw[tr].mean(0), yw[tr].mean(0)
            for j in range(12):
                _, coefs, _ = lasso_path(xw[tr] - xm, yw[tr, j] - ym[j], alphas=grid, tol=1e-12, max_iter=100_000)
                err += (((yw[te, j] - ym[j])[:, None] - (xw[te] - xm) @ coefs) ** 2).mean(axis=0) / len(parts)
        np.testing.assert_allclose(res.lambdas[w], grid[np.argmin(err)], rtol=1e-12)
        for j in range(0, 12, 3):
            ref = Lasso(alpha=res.lambdas[w], tol=1e-14, max_iter=1_000_000).fit(xw, yw[:, j])
            np.testing.assert_allclose(res.loadings[w, j], ref.coef_, atol=1e-10)


def test_lasso_cv_on_synthetic_windows_equals_scikit_learn_lassocv():
    """Per asset (pooled over one asset), the window's lambda is LassoCV's on the same blocked folds."""
    from sklearn.linear_model import LassoCV
    from sklearn.model_selection import KFold

    y, x, _, _ = synthetic(t=200, k=4, n=1, seed=3, noise=0.05)
    x[:, 2:] *= 0.05  # two weak factors, so the lasso drops something
    res = rolling.rolling(y, x, 100, step=50, method="lasso")
    for w, (first, last) in enumerate(zip(res.starts, res.ends, strict=True)):
        grid = cv.cross_validate(y[first : last + 1], x[first : last + 1], method="lasso", pooled=True).lambdas[:, 0]
        ref = LassoCV(alphas=grid, cv=KFold(5), tol=1e-12, max_iter=100_000).fit(
            x[first : last + 1], y[first : last + 1, 0]
        )
        np.testing.assert_allclose(res.lambdas[w], ref.alpha_, rtol=1e-12)
        np.testing.assert_allclose(res.loadings[w, 0], ref.coef_, atol=1e-9)


def test_chunks_change_nothing_but_rounding(industries):
    y, x = industries
    one = rolling.rolling(y, x, 60, step=30, method="lasso")
    many = rolling.rolling(y, x, 60, step=30, method="lasso", chunk_windows=4)
    np.testing.assert_allclose(one.lambdas, many.lambdas, rtol=1e-12)  # the grid point chosen is the same
    np.testing.assert_allclose(one.loadings, many.loadings, rtol=1e-9, atol=1e-13)


def test_assets_before_their_first_return_are_missing_not_an_error(industries):
    y, x = industries
    y = y.copy()
    y[:300, 3] = np.nan  # listed at row 300
    y[100:110, 5] = np.nan  # a gap
    res = rolling.rolling(y, x, 60, step=30, method="lasso")
    early = res.ends < 300
    assert np.isnan(res.loadings[early, 3]).all() and (res.nobs[early, 3] == 0).all()
    late = res.starts >= 300
    assert np.isfinite(res.loadings[late]).all()
    w = int(np.flatnonzero((res.starts <= 100) & (res.ends >= 109))[0])
    assert res.nobs[w, 5] == 50
    ref = loop(y[:, [5]], x, 60, 30, "ols")[w]
    ols = rolling.rolling(y, x, 60, step=30)
    np.testing.assert_allclose(ols.loadings[w, 5], ref[2][0], rtol=1e-9)


def test_a_window_whose_folds_score_no_common_asset_is_named(industries):
    """The pooled loss compares folds on the assets scored in all of them: a window with none says which."""
    y, x = industries
    y, x = y[:120, :2].copy(), x[:120]  # windows on rows 1-60, 31-90 and 61-120
    y[0:12, 0] = np.nan  # asset 1 misses the first window's first test block, asset 2 its second
    y[12:24, 1] = np.nan
    from xlfactor.errors import InsufficientDataError

    with pytest.raises(InsufficientDataError, match="in the window of rows 1-60: no asset is scored in every fold"):
        rolling.rolling(y, x, 60, step=30, method="lasso")
    later = rolling.rolling(y[30:], x[30:], 60, step=30, method="lasso")  # from row 31 on both are complete
    assert np.isfinite(later.lambdas).all()


def test_bad_windows_are_named(industries):
    y, x = industries
    x = x.copy()
    x[200:260, 1] = 0.01  # a factor constant for 60 rows
    with pytest.raises(
        CollinearityError,
        match="factors column 2 is constant over the 50 rows in the window of rows "
        "206-255 where every factor is present",
    ):
        rolling.rolling(y, x, 50, step=10)
    with pytest.raises(InputValueError, match="method must be one of"):
        rolling.rolling(y, x, 50, method="lars")


def test_frames_label_each_window_by_its_last_date(french):
    from xlfactor import frames

    y = french.industries.sub(french.rf, axis=0).iloc[174:]
    out = frames.rolling(y, french.factors.iloc[174:], 120, step=120, method="ridge")
    ends = out["r2"].index
    assert ends[-1] == y.index[-1] and list(out["r2"].columns) == list(y.columns)
    assert out["loadings"].loc[(ends[0], "NoDur")].shape == (4,) and out["lambdas"].notna().all()
    first = ends[0]
    np.testing.assert_allclose(
        out["loadings"].xs(first, level="end").to_numpy(),
        penalized.fit(
            y.loc[:first].iloc[-120:].to_numpy(),
            french.factors.loc[:first].iloc[-120:].to_numpy(),
            [out["lambdas"][first]],
            method="ridge",
        ).loadings[0],
        rtol=1e-12,
    )
