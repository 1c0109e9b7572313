"""skfolio interop: xlfactor's loadings inside skfolio's time-series factor model.

skfolio's ``TimeSeriesFactorModel`` prior asks a loading-matrix estimator for ``loading_matrix_`` (assets x
factors) and ``intercepts_``. ``FactorLoadings`` is one: it fits every asset at once with an estimator of
``xlfactor.estimators`` (``FactorLassoCV`` by default: time-ordered CV, per asset or pooled) instead of skfolio's
``LoadingMatrixRegression``, which fits one scikit-learn regressor per asset. The estimators of
``xlfactor.estimators`` also work as that ``linear_regressor`` (one asset at a time), and the two routes give the same
loadings. Needs skfolio (``pip install skfolio``); this module is not imported by ``xlfactor``.

Examples
--------
>>> import xlfactor as xf
>>> from skfolio.optimization import MeanRisk
>>> from skfolio.prior import TimeSeriesFactorModel
>>> from xlfactor.interop import FactorLoadings
>>> data = xf.load_french()
>>> X = data.industries.sub(data.rf, axis=0).loc["1963-07":]
>>> prior = TimeSeriesFactorModel(loading_matrix_estimator=FactorLoadings())
>>> w = MeanRisk(prior_estimator=prior).fit(X, factors=data.factors.loc["1963-07":]).weights_
>>> round(float(w.sum()), 6), w.shape
(1.0, (12,))
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import clone

try:
    from skfolio.prior import BaseLoadingMatrix
except ImportError as err:  # pragma: no cover - skfolio is optional
    raise ImportError("xlfactor.interop needs skfolio: pip install skfolio.") from err

from .estimators import FactorLassoCV

__all__ = ["FactorLoadings"]


class FactorLoadings(BaseLoadingMatrix):
    """Loading-matrix estimator for skfolio that fits every asset at once with an xlfactor estimator.

    Parameters
    ----------
    estimator : estimator of xlfactor.estimators, optional
        A multi-output regressor with ``coef_`` (assets x factors) and ``intercept_`` (default
        ``FactorLassoCV()``: the lasso, lambda by blocked 5-fold CV per asset, as scikit-learn's ``LassoCV`` with
        ``KFold(5)``). Any scikit-learn multi-output linear regressor works too.

    Attributes
    ----------
    estimator_ : estimator
        The fitted clone of ``estimator``.
    loading_matrix_ : numpy.ndarray
        (n_assets, n_factors) loadings.
    intercepts_ : numpy.ndarray
        (n_assets,) intercepts.

    Examples
    --------
    >>> import numpy as np
    >>> from xlfactor.estimators import FactorRidge
    >>> from xlfactor.interop import FactorLoadings
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(size=(100, 2))
    >>> est = FactorLoadings(FactorRidge(alpha=1.0)).fit(f @ [[1.0, 0.5, 0.0], [0.0, 1.0, 2.0]], f)
    >>> est.loading_matrix_.shape, est.intercepts_.shape
    ((3, 2), (3,))
    """

    def __init__(self, estimator: Any = None) -> None:
        self.estimator = estimator

    def fit(self, X: ArrayLike, y: ArrayLike, **fit_params: Any) -> FactorLoadings:
        """Fit the loadings of every asset (``X``: asset returns) on the factors (``y``), all at once.

        Parameters
        ----------
        X : array_like
            (n_observations, n_assets) asset returns (skfolio's order: assets first).
        y : array_like
            (n_observations, n_factors) factor returns.
        **fit_params : dict
            Passed to the estimator's ``fit``.

        Returns
        -------
        FactorLoadings
            Fitted: ``loading_matrix_``, ``intercepts_``, ``estimator_``.
        """
        self.estimator_ = clone(self.estimator if self.estimator is not None else FactorLassoCV())
        self.estimator_.fit(y, X, **fit_params)
        n_assets = np.shape(X)[1]
        self.loading_matrix_ = np.asarray(self.estimator_.coef_, float).reshape(n_assets, -1)
        self.intercepts_ = np.asarray(self.estimator_.intercept_, float).reshape(n_assets)
        return self
