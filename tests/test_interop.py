"""skfolio interop (xlfactor.interop): xlfactor's loadings inside skfolio's TimeSeriesFactorModel prior, run end to end
through skfolio optimisations, equal to skfolio's own LoadingMatrixRegression with scikit-learn's regressors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import linear_model as lm
from sklearn.base import clone
from sklearn.model_selection import KFold

pytest.importorskip("skfolio")
from skfolio.optimization import MeanRisk, RiskBudgeting
from skfolio.prior import LoadingMatrixRegression, TimeSeriesFactorModel

import xlfactor as xf
from xlfactor.estimators import FactorLassoCV, FactorRidge
from xlfactor.interop import FactorLoadings

LASSO_CV = lm.LassoCV(cv=KFold(5), tol=1e-14, max_iter=100_000)


def _shipped():
    data = xf.load_french()
    return data.industries.sub(data.rf, axis=0).loc["1963-07":], data.factors.loc["1963-07":]


def _synthetic(t=200, n=8, k=3, seed=4):
    rng = np.random.default_rng(seed)
    f = pd.DataFrame(rng.normal(0, 0.03, size=(t, k)), columns=["m", "s", "v"])
    b = rng.normal(0.8, 0.5, size=(k, n)) * (rng.random((k, n)) < 0.7)
    x = pd.DataFrame(0.002 + f.to_numpy() @ b + rng.normal(0, 0.02, size=(t, n)), columns=[f"a{i}" for i in range(n)])
    return x, f


def _pair(opt, ours, theirs, x, f):
    a = clone(opt).set_params(prior_estimator=TimeSeriesFactorModel(loading_matrix_estimator=ours)).fit(x, factors=f)
    b = clone(opt).set_params(prior_estimator=TimeSeriesFactorModel(loading_matrix_estimator=theirs)).fit(x, factors=f)
    return a, b


@pytest.mark.parametrize("data", [_shipped, _synthetic])
@pytest.mark.parametrize("opt", [MeanRisk(), RiskBudgeting()])
def test_lasso_cv_loadings_give_skfolios_portfolio(data, opt):
    x, f = data()
    ours, theirs = _pair(opt, FactorLoadings(), LoadingMatrixRegression(linear_regressor=LASSO_CV), x, f)
    la = ours.prior_estimator_.loading_matrix_estimator_.loading_matrix_
    lb = theirs.prior_estimator_.loading_matrix_estimator_.loading_matrix_
    np.testing.assert_allclose(la, lb, rtol=0, atol=1e-10)
    ca = ours.prior_estimator_.return_distribution_.covariance
    cb = theirs.prior_estimator_.return_distribution_.covariance
    np.testing.assert_allclose(ca, cb, rtol=1e-9, atol=0)
    # the inputs agree to rounding; CLARABEL's interior point for risk budgeting then stops within ~1e-6 of it
    np.testing.assert_allclose(ours.weights_, theirs.weights_, rtol=0, atol=1e-7 if isinstance(opt, MeanRisk) else 1e-5)
    assert np.isclose(ours.weights_.sum(), 1.0) and (ours.weights_ > 1e-4).sum() >= 2


def test_ridge_and_the_per_asset_route_agree():
    x, f = _synthetic(n=6, seed=7)
    ours, theirs = _pair(
        MeanRisk(),
        FactorLoadings(FactorRidge(alpha=0.05)),
        LoadingMatrixRegression(linear_regressor=lm.Ridge(alpha=0.05)),
        x,
        f,
    )
    np.testing.assert_allclose(ours.weights_, theirs.weights_, rtol=0, atol=1e-7)
    # an xlfactor estimator as skfolio's per-asset linear_regressor gives the same loadings as the all-at-once route
    route = LoadingMatrixRegression(linear_regressor=FactorLassoCV()).fit(x, f)
    once = FactorLoadings().fit(x, f)
    np.testing.assert_allclose(route.loading_matrix_, once.loading_matrix_, rtol=0, atol=1e-12)
    np.testing.assert_allclose(route.intercepts_, once.intercepts_, rtol=0, atol=1e-12)


def test_pooled_lambda_reaches_skfolio():
    x, f = _synthetic()
    est = FactorLoadings(FactorLassoCV(pooled=True)).fit(x, f)
    assert np.all(est.estimator_.alpha_ == est.estimator_.alpha_[0])
    assert est.loading_matrix_.shape == (8, 3) and est.intercepts_.shape == (8,)
