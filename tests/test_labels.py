"""The labelled pandas faces (xlfactor.frames built from xlfactor.labels.AXES): the same numbers as the core, with
the labels in the right places; tables aligned on their index; clear errors when they cannot be."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import xlfactor as xf
from xlfactor import frames, labels
from xlfactor.core import cv, penalized, risk, statistical
from xlfactor.errors import InputShapeError


@pytest.fixture(scope="module")
def shipped():
    data = xf.load_french()
    return data.industries.sub(data.rf, axis=0).loc["1963-07":], data.factors


def synthetic(t=90, n=5, k=3, seed=0):
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2001-01-31", periods=t, freq="ME")
    f = pd.DataFrame(rng.normal(size=(t, k)), index=idx, columns=[f"f{i}" for i in range(k)])
    y = pd.DataFrame(
        f.to_numpy() @ rng.normal(size=(k, n)) + rng.normal(size=(t, n)), index=idx, columns=[f"a{i}" for i in range(n)]
    )
    return y, f


def test_lasso_face_equals_the_core_with_labels(shipped):
    y, f = shipped
    res = frames.lasso(y, f, [1e-3, 1e-4])
    raw = penalized.lasso(y.to_numpy(), f.loc[y.index].to_numpy(), [1e-3, 1e-4])
    assert list(res.loadings.index.names) == ["lambda", "asset"] and list(res.loadings.columns) == list(f.columns)
    np.testing.assert_array_equal(res.loadings.loc[1e-4].to_numpy(), raw.loadings[1])
    np.testing.assert_array_equal(
        res.loadings.loc[(1e-3, "Enrgy")].to_numpy(), raw.loadings[0, y.columns.get_loc("Enrgy")]
    )
    assert res.intercept.columns.tolist() == y.columns.tolist() and res.nobs["Enrgy"] == raw.nobs[3]


def test_factors_are_aligned_on_the_returns_periods(shipped):
    y, f = shipped  # factors run from 1926, returns from 1963-07: the common periods are used
    res = frames.ridge(y.iloc[::-1], f, [1.0])  # any row order: aligned by label
    raw = penalized.ridge(y.to_numpy()[::-1], f.loc[y.index[::-1]].to_numpy(), [1.0])
    np.testing.assert_allclose(res.loadings.to_numpy(), raw.loadings[0], rtol=1e-12)


def test_cross_validation_face_on_another_shape():
    y, f = synthetic()
    res = frames.cross_validate(y, f, method="lasso", folds=3, scheme="walkforward")
    raw = cv.cross_validate(y.to_numpy(), f.to_numpy(), method="lasso", folds=3, scheme="walkforward")
    assert res.fold_mse.shape == (100 * 3, 5) and res.fold_mse.index.names == ["step", "fold"]
    np.testing.assert_array_equal(res.best_lambda("1se").to_numpy(), raw.best_lambda("1se"))
    assert res.best_lambda("1se").index.tolist() == list(y.columns)
    pooled = frames.cross_validate(y, f, folds=3, pooled=True)
    assert pooled.mse.index.name == "lambda" and pooled.mse.index[0] == pooled.raw.lambdas[0, 0]


def test_risk_faces_label_assets_and_factors():
    y, f = synthetic(n=6, k=2, seed=2)
    fit = frames.ols(y, f)
    b = fit[list(f.columns)]
    fc = frames.factor_covariance(f)
    assert fc.index.tolist() == fc.columns.tolist() == ["f0", "f1"]
    d = frames.specific_variance(y, f, b)
    np.testing.assert_allclose(d.to_numpy(), risk.specific_variance(y.to_numpy(), f.to_numpy(), b.to_numpy()))
    model = frames.factor_model(b, fc, d)
    w = pd.Series(np.arange(1, 7) / 21, index=y.columns[::-1])  # given in another order: put in the assets' order
    rc = frames.risk_contributions(w, model=model)
    raw = risk.risk_contributions(w.loc[y.columns].to_numpy(), model=model.raw)
    np.testing.assert_array_equal(rc.percent.to_numpy(), raw.percent)
    assert rc.percent.index.tolist() == list(y.columns)
    assert rc.factor_percent.index.tolist() == ["f0", "f1", "specific"]
    alloc = frames.allocate("factor", model=model, budgets=[0.5, 0.5])
    assert alloc.target.index.tolist() == ["f0", "f1"] and alloc.weights.index.tolist() == list(y.columns)


def test_statistical_faces(shipped):
    y, _ = shipped
    res = frames.pca(y, 2)
    raw = statistical.pca(y.to_numpy(), 2)
    np.testing.assert_array_equal(res.factors.to_numpy(), raw.factors)
    assert res.factors.index.equals(y.index) and res.loadings.columns.tolist() == ["PC1", "PC2"]
    count = frames.factor_count(y)
    assert count.values.index.tolist() == list(count.raw.criteria)


def test_tables_without_a_common_period_are_refused():
    y, f = synthetic()
    with pytest.raises(InputShapeError, match="factors shares no period with returns"):
        frames.lasso(y.iloc[:40], f.iloc[50:], [0.1])


def test_a_repeated_period_is_refused():
    y, f = synthetic()
    with pytest.raises(InputShapeError, match=r"returns has the period .* more than once"):
        frames.lasso(pd.concat([y, y.iloc[:1]]), f, [0.1])


def test_a_text_column_is_refused_by_name():
    y, f = synthetic()
    y = y.astype(object)
    y["a2"] = "x"
    with pytest.raises(InputShapeError, match=r"returns has non-numeric column\(s\) \['a2'\]"):
        frames.ridge(y, f, [0.1])


def test_weights_missing_an_asset_are_refused():
    y, _ = synthetic()
    model = frames.latent_risk_model(y, k=1)
    with pytest.raises(InputShapeError, match=r"weights has no value for the asset\(s\) \['a4'\]"):
        frames.risk_contributions(pd.Series(0.25, index=y.columns[:4]), model=model)


def test_every_face_is_generated_from_the_one_mapping():
    for name, fn in frames.FACES.items():
        face = getattr(frames, name)
        assert face.__wrapped__ is fn and name in frames.__all__
        ret = (
            getattr(fn, "__name__", "")
            if isinstance(fn, type)
            else str(getattr(fn, "__annotations__", {}).get("return", ""))
        )
        assert fn in labels.AXES or any(
            getattr(c, "__name__", None) in (ret, ret.split(".")[-1], fn.__name__) for c in labels.AXES
        ), name


def test_labelled_shows_itself():
    y, f = synthetic()
    res = frames.ridge(y, f, [1.0])
    text = repr(res)
    assert text.startswith("Labelled PenalizedResult (fields: lambdas, intercept, loadings") and "a4" in text
    page = res._repr_html_()
    assert "<table" in page and "loadings" in page and "a4" in page
    table = res.to_frame()
    assert table.index.names == ["lambda", "asset"] and table.columns.tolist()[:4] == ["intercept", "f0", "f1", "f2"]
    np.testing.assert_array_equal(table[["f0", "f1", "f2"]].to_numpy(), res.raw.loadings[0])
    np.testing.assert_array_equal(table["intercept"].to_numpy(), res.raw.intercept[0])


def test_compound_takes_the_months_from_the_index():
    y = (
        0.01 * synthetic(t=14)[0]
    )  # returns, as decimals; month ends from 2001-01: four complete quarters, then two months
    q = frames.compound(y, to="quarter")
    assert q.returns.index.tolist() == ["200103", "200106", "200109", "200112"]
    np.testing.assert_allclose(q.returns.loc["200106"].to_numpy(), np.prod(1 + y.iloc[3:6].to_numpy(), axis=0) - 1)
    with pytest.raises(ValueError, match="skips 1 month"):
        frames.compound(y.drop(y.index[4]), to="quarter")


def test_matrices_and_budgets_are_put_in_the_assets_and_factors_order():
    y, f = synthetic(n=4, k=2, seed=5)
    fit = frames.ols(y, f)
    b = fit[list(f.columns)]
    d = frames.specific_variance(y, f, b)
    shuffled = frames.specific_variance(y, f, b.iloc[::-1, ::-1])  # rows and columns in another order
    np.testing.assert_array_equal(shuffled.to_numpy(), d.to_numpy())
    fc = frames.factor_covariance(f)
    model = frames.factor_model(b, fc.iloc[::-1, ::-1], d.iloc[::-1])
    np.testing.assert_array_equal(model.raw.factor_cov, fc.to_numpy())
    np.testing.assert_array_equal(model.raw.specific_var, d.to_numpy())
    budgets = pd.Series([0.1, 0.2, 0.3, 0.4], index=y.columns)
    alloc = frames.allocate("budget", model=model, budgets=budgets.iloc[::-1])
    np.testing.assert_array_equal(alloc.raw.target, budgets.to_numpy() / budgets.sum())
    with pytest.raises(InputShapeError, match=r"loadings has the asset\(s\) \['zz'\]"):
        frames.specific_variance(y, f, pd.concat([b, b.iloc[:1].rename(index={"a0": "zz"})]))
