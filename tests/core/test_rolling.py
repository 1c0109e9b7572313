"""Rolling windows: each window equals the single-window API on its rows, and sees nothing after them."""

import numpy as np
import pytest
from sklearn.linear_model import Lasso, lasso_path

from xlfactor.core import cv, penalized, regression, rolling
from xlfactor.errors import InputValueError


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


def test_rolling_ols_equals_each_windows_regression(industries):
    y, x = industries
    res = rolling.rolling(y, x, 120, step=60)
    assert res.loadings.shape == (len(res.ends), 12, 4) and res.ends[-1] == len(x) - 1
    for w, (first, last) in enumerate(zip(res.starts, res.ends)):
        fit = regression.ols(y[first:last + 1], x[first:last + 1])
        np.testing.assert_array_equal(res.loadings[w], fit.loadings)
        np.testing.assert_allclose(res.r2[w], fit.r2, rtol=1e-12)  # 1 - specific/total is OLS's R2


def test_rolling_lasso_chooses_lambda_inside_each_window_as_scikit_learn_does(industries):
    y, x = industries
    res = rolling.rolling(y, x, 240, step=200, method="lasso", folds=5, scheme="blocked")
    assert len(res.ends) == 3 and np.isfinite(res.lambdas).all()
    for w, (first, last) in enumerate(zip(res.starts, res.ends)):
        yw, xw = y[first:last + 1], x[first:last + 1]
        grid = cv.cross_validate(yw, xw, method="lasso", pooled=True).lambdas[:, 0]
        err = np.zeros(grid.size)  # the pooled error: summed over assets, averaged over folds, by scikit-learn
        parts = cv.splits(len(xw), 5, "blocked")
        for tr, te in parts:
            xm, ym = xw[tr].mean(0), yw[tr].mean(0)
            for j in range(12):
                _, coefs, _ = lasso_path(xw[tr] - xm, yw[tr, j] - ym[j], alphas=grid, tol=1e-12, max_iter=100_000)
                err += (((yw[te, j] - ym[j])[:, None] - (xw[te] - xm) @ coefs) ** 2).mean(axis=0) / len(parts)
        assert res.lambdas[w] == grid[np.argmin(err)]
        for j in range(0, 12, 3):
            ref = Lasso(alpha=res.lambdas[w], tol=1e-14, max_iter=1_000_000).fit(xw, yw[:, j])
            np.testing.assert_allclose(res.loadings[w, j], ref.coef_, atol=1e-10)
        one = penalized.fit(yw, xw, [res.lambdas[w]], method="lasso")
        np.testing.assert_array_equal(res.loadings[w], one.loadings[0])


@pytest.mark.parametrize("method", ["ols", "ridge", "lasso"])
def test_no_look_ahead(industries, method):
    """Changing the data after a window's last row changes nothing in that window."""
    y, x = industries
    base = rolling.rolling(y, x, 200, step=150, method=method)
    y2, x2 = y.copy(), x.copy()
    cut = base.ends[1] + 1
    y2[cut:] = y2[cut:] * -3 + 0.01
    x2[cut:] = x2[cut:] * 1.5 + 0.002
    moved = rolling.rolling(y2, x2, 200, step=150, method=method)
    for field in ("loadings", "intercept", "r2", "factor_cov", "specific_var", "lambdas"):
        a, b = getattr(base, field), getattr(moved, field)
        # equal to rounding (a copied array may be summed in another SIMD order), while later windows move
        np.testing.assert_allclose(a[:2], b[:2], rtol=1e-12, atol=1e-15, err_msg=field)
        assert not np.allclose(a[2:], b[2:], equal_nan=True) or field == "lambdas" and method == "ols", field


def test_frames_label_each_window_by_its_last_date(french):
    from xlfactor import frames

    y = french.industries.sub(french.rf, axis=0).iloc[174:]
    out = frames.rolling(y, french.factors.iloc[174:], 120, step=120, method="ridge")
    ends = out["r2"].index
    assert ends[-1] == y.index[-1] and list(out["r2"].columns) == list(y.columns)
    assert out["loadings"].loc[(ends[0], "NoDur")].shape == (4,) and out["lambdas"].notna().all()
    first = ends[0]
    np.testing.assert_allclose(out["loadings"].xs(first, level="end").to_numpy(),
                               penalized.fit(y.loc[:first].iloc[-120:].to_numpy(), french.factors.loc[:first]
                                             .iloc[-120:].to_numpy(), [out["lambdas"][first]],
                                             method="ridge").loadings[0], rtol=1e-12)
