"""scikit-learn estimators over the penalised core: ridge, lasso and elastic net for every asset at once, fixed or
cross-validated on time-ordered folds.

``fit(X, Y)`` takes the factors ``X`` (T, K) and the asset returns ``Y`` (T, N) or one asset ``y`` (T,), as
scikit-learn's multi-output regressors do; ``coef_`` is (N, K) (``(K,)`` for one asset) and ``intercept_`` (N,)
(a float for one asset). The penalties are scikit-learn's, lambda for lambda: ``FactorRidge(alpha=a)`` solves
``Ridge(alpha=a)``'s problem and ``FactorLasso(alpha=a)`` ``Lasso(alpha=a)``'s (``alpha`` is xlfactor's lambda;
the ridge and lasso scales differ, as in scikit-learn). NaN in ``X`` or ``Y`` is a missing value: each asset uses
the rows where it and every factor are present (a prediction from a row with a missing factor is NaN).

The cross-validated estimators score every asset on the same folds of periods (``scheme``: ``blocked``, scikit-learn
``KFold`` without shuffling, is the default; ``walkforward`` is ``TimeSeriesSplit``), and choose a lambda per asset
(``alpha_`` has one value per asset) or one for all (``pooled=True``). Nothing here computes: ``core.penalized``
and ``core.cv`` do.

Examples
--------
>>> import xlfactor as xf
>>> from xlfactor.estimators import FactorLassoCV
>>> data = xf.load_french()
>>> excess = data.industries.sub(data.rf, axis=0).loc["1963-07":]
>>> est = FactorLassoCV(folds=5).fit(data.factors.loc["1963-07":], excess)
>>> est.coef_.shape, est.alpha_.shape
((12, 4), (12,))
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, MultiOutputMixin, RegressorMixin
from sklearn.utils.validation import check_array, check_consistent_length, check_is_fitted, validate_data

from .core import _validation as _v
from .core import cv as _cv
from .core import penalized
from .core.options import DEFAULTS
from .errors import InputValueError

__all__ = [
    "FactorElasticNet",
    "FactorElasticNetCV",
    "FactorLasso",
    "FactorLassoCV",
    "FactorRidge",
    "FactorRidgeCV",
]


class _Penalized(MultiOutputMixin, RegressorMixin, BaseEstimator):
    """What every estimator here shares: input checks, the core's keywords, coefficients, ``predict``."""

    _method = "lasso"

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # a missing value: that asset's row is skipped (see the module docstring)
        return tags

    def _data(self, X: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, np.ndarray, bool]:
        """(X, Y as (T, N), whether y was one column) after scikit-learn's checks (which also set
        ``n_features_in_`` and ``feature_names_in_``)."""
        xs = validate_data(self, X, ensure_all_finite="allow-nan", ensure_min_samples=2, dtype=np.float64)
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None.")
        ys = check_array(y, ensure_all_finite="allow-nan", ensure_2d=False, dtype=np.float64, input_name="y")
        check_consistent_length(xs, ys)
        if ys.ndim > 2:
            raise ValueError(f"y must be (n_samples,) or (n_samples, n_targets); it has shape {ys.shape}.")
        return xs, ys.reshape(ys.shape[0], -1), ys.ndim == 1

    def _penalty(self) -> dict[str, Any]:
        """The core's penalty keywords, from this estimator's parameters."""
        out = {"standardize": self.standardize, "penalty_weights": self.penalty_weights, "prior": self.prior}
        if self._method != "ridge":
            out.update(tol=self.tol, max_iter=self.max_iter)
        if self._method == "enet":
            out["l1_ratio"] = self.l1_ratio
        return out

    def _store(self, intercept: np.ndarray, loadings: np.ndarray, one: bool) -> None:
        """``intercept_`` (N,) and ``coef_`` (N, K), or a float and (K,) for a single target."""
        self.coef_ = np.array(loadings[0] if one else loadings)
        self.intercept_ = float(intercept[0]) if one else np.array(intercept)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predicted returns ``X @ coef_.T + intercept_``: (T, N), or (T,) for a single target.

        Parameters
        ----------
        X : array_like
            (T, K) factor returns; a row with a missing factor predicts NaN.

        Returns
        -------
        numpy.ndarray
            The fitted part of each asset's return.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, ensure_all_finite="allow-nan", dtype=np.float64)
        return X @ self.coef_.T + self.intercept_


class _Fixed(_Penalized):
    """A fit at one lambda, ``alpha``, for every asset."""

    def fit(self, X: ArrayLike, y: ArrayLike) -> _Fixed:
        """Fit every asset's loadings at ``alpha``.

        Parameters
        ----------
        X : array_like
            (T, K) factor returns.
        y : array_like
            (T, N) asset returns, or (T,) for one asset; NaN is missing.

        Returns
        -------
        self
            Fitted: ``coef_``, ``intercept_``, ``n_iter_`` (None: the core reports convergence instead),
            ``converged_``, ``nobs_``.
        """
        if np.ndim(self.alpha) != 0:
            raise InputValueError(
                f"alpha must be one number, the lambda of every asset; got {np.size(self.alpha)} values. For a grid "
                f"chosen by cross-validation use {type(self).__name__}CV(alphas=...)."
            )
        alpha = _v.check_number(self.alpha, "alpha", low=0.0)
        X, Y, one = self._data(X, y)
        res = penalized.fit(Y, X, [alpha], method=self._method, **self._penalty())
        self._store(res.intercept[0], res.loadings[0], one)
        self.converged_, self.nobs_ = bool(res.all_converged), res.nobs
        return self


class _CV(_Penalized):
    """Cross-validation over a lambda grid, then the fit at the chosen lambda(s)."""

    def fit(self, X: ArrayLike, y: ArrayLike) -> _CV:
        """Cross-validate every asset on the same folds, choose lambda by ``rule``, and fit at it.

        Parameters
        ----------
        X : array_like
            (T, K) factor returns.
        y : array_like
            (T, N) asset returns, or (T,) for one asset; NaN is missing.

        Returns
        -------
        self
            Fitted: ``alpha_`` (per asset), ``alphas_`` (the grid), ``mse_path_`` (lambdas x folds x assets),
            ``coef_``, ``intercept_``, ``cv_result_`` (the core's ``CVResult``).
        """
        X, Y, one = self._data(X, y)
        pen = self._penalty()
        grid = None if self.alphas is None else np.sort(np.asarray(self.alphas, float).ravel())[::-1]
        res = _cv.cross_validate(
            Y,
            X,
            method=self._method,
            lambdas=grid,
            folds=self.folds,
            scheme=self.scheme,
            gap=self.gap,
            seed=self.seed,
            pooled=self.pooled,
            n_lambdas=self.n_alphas,
            eps=self.eps,
            **pen,
        )
        n = Y.shape[1]
        if self.pooled:
            alpha = np.full(n, res.pooled_lambda(self.rule, self.pooled_loss))
        else:
            alpha = res.best_lambda(self.rule)
        if res.common_grid:  # fit at the chosen lambdas only, largest first (warm starts)
            path = np.unique(alpha)[::-1]
            fit = penalized.fit(Y, X, path, method=self._method, **pen)
            pick = np.searchsorted(-path, -alpha)
        else:  # each asset's own grid: the same grid the CV used, the full path
            fit = penalized.fit(Y, X, None, method=self._method, n_lambdas=self.n_alphas, eps=self.eps, **pen)
            pick = res.index(self.rule)
        cols = np.arange(n)
        self._store(fit.intercept[pick, cols], fit.loadings[pick, cols], one)
        self.cv_result_ = res
        self.alpha_ = float(alpha[0]) if one else alpha
        self.alphas_ = res.lambdas[:, 0] if one else res.lambdas
        self.mse_path_ = res.fold_mse[:, :, 0] if one else res.fold_mse
        self.converged_, self.nobs_ = bool(res.converged and fit.all_converged), fit.nobs
        return self


_PENALTY_DOC = """    penalty_weights : array_like, optional
        One weight >= 0 per factor (default all 1, scikit-learn's problem); 0 leaves a factor unpenalised.
    standardize : bool
        Penalise unit-variance (1/n) factors and report loadings in original units (glmnet's convention);
        the same predictions as a ``Pipeline(StandardScaler(), ...)``.
    prior : array_like, optional
        Loadings b0 to shrink towards instead of 0: one per factor, or (N, K)."""
_SOLVER_DOC = """    tol, max_iter : float, int
        The core's duality-gap tolerance (relative to y'y) and coordinate-descent sweep cap."""
_CV_DOC = """    alphas : array_like, optional
        One grid for every asset. None: ``n_alphas`` log-spaced values down to ``eps`` times the largest useful
        one (per asset for the lasso and elastic net, as scikit-learn's ``LassoCV``; one common grid from the
        factors' eigenvalues for ridge, or when ``pooled``).
    n_alphas, eps : int, float
        The default grid's length and its smallest lambda as a fraction of the largest.
    folds, scheme, gap, seed : int, str, int, int
        The time-ordered folds (``xlfactor.splits``): ``blocked`` (scikit-learn ``KFold(folds)``, ``gap`` rows
        purged on each side), ``walkforward`` (``TimeSeriesSplit(folds, gap=gap)``) or ``kfold`` (shuffled).
    rule : {"min", "1se", "1se_paired"}
        The choice of lambda on the error curve.
    pooled : bool
        One lambda for every asset, chosen on the pooled error (``pooled_loss``: "sum" or "normalized").
    pooled_loss : {"sum", "normalized"}
        How the pooled error adds the assets up."""
_ATTR_DOC = """    coef_ : numpy.ndarray
        (N, K) loadings (``(K,)`` for a single target), in the factors' units.
    intercept_ : numpy.ndarray or float
        (N,) intercepts, never penalised.
    converged_ : bool
        Every fit converged.
    nobs_ : numpy.ndarray
        (N,) rows used per asset.
    n_features_in_ : int
        Number of factors seen in ``fit``."""
_CV_ATTR_DOC = """    alpha_ : numpy.ndarray or float
        (N,) the chosen lambda of each asset (equal values when ``pooled``).
    alphas_ : numpy.ndarray
        (L, N) the grid of each asset ((L,) for a single target), descending.
    mse_path_ : numpy.ndarray
        (L, F, N) held-out mean squared errors per lambda, fold and asset ((L, F) for a single target).
    cv_result_ : CVResult
        The core's cross-validation result (error curves, standard errors, pooled losses)."""


def _doc(cls: type, summary: str, params: str, attrs: str, example: str) -> type:
    cls.__doc__ = f"""{summary}

    Parameters
    ----------
{params}

    Attributes
    ----------
{attrs}

    Examples
    --------
{example}
    """
    return cls


class FactorRidge(_Fixed):
    _method = "ridge"

    def __init__(
        self,
        alpha: float = 1.0,
        *,
        penalty_weights: ArrayLike | None = None,
        standardize: bool = DEFAULTS["standardize"],
        prior: ArrayLike | None = None,
    ) -> None:
        self.alpha = alpha
        self.penalty_weights = penalty_weights
        self.standardize = standardize
        self.prior = prior


class FactorLasso(_Fixed):
    _method = "lasso"

    def __init__(
        self,
        alpha: float = 1.0,
        *,
        penalty_weights: ArrayLike | None = None,
        standardize: bool = DEFAULTS["standardize"],
        prior: ArrayLike | None = None,
        tol: float = DEFAULTS["tol"],
        max_iter: int = DEFAULTS["max_iter"],
    ) -> None:
        self.alpha = alpha
        self.penalty_weights = penalty_weights
        self.standardize = standardize
        self.prior = prior
        self.tol = tol
        self.max_iter = max_iter


class FactorElasticNet(_Fixed):
    _method = "enet"

    def __init__(
        self,
        alpha: float = 1.0,
        *,
        l1_ratio: float = 0.5,
        penalty_weights: ArrayLike | None = None,
        standardize: bool = DEFAULTS["standardize"],
        prior: ArrayLike | None = None,
        tol: float = DEFAULTS["tol"],
        max_iter: int = DEFAULTS["max_iter"],
    ) -> None:
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.penalty_weights = penalty_weights
        self.standardize = standardize
        self.prior = prior
        self.tol = tol
        self.max_iter = max_iter


class FactorRidgeCV(_CV):
    _method = "ridge"

    def __init__(
        self,
        alphas: ArrayLike | None = None,
        *,
        n_alphas: int = DEFAULTS["n_lambdas"],
        eps: float = DEFAULTS["eps"],
        folds: int = DEFAULTS["folds"],
        scheme: str = DEFAULTS["scheme"],
        gap: int = DEFAULTS["gap"],
        seed: int = DEFAULTS["seed"],
        rule: str = DEFAULTS["rule"],
        pooled: bool = False,
        pooled_loss: str = DEFAULTS["pooled_loss"],
        penalty_weights: ArrayLike | None = None,
        standardize: bool = DEFAULTS["standardize"],
        prior: ArrayLike | None = None,
    ) -> None:
        self.alphas = alphas
        self.n_alphas = n_alphas
        self.eps = eps
        self.folds = folds
        self.scheme = scheme
        self.gap = gap
        self.seed = seed
        self.rule = rule
        self.pooled = pooled
        self.pooled_loss = pooled_loss
        self.penalty_weights = penalty_weights
        self.standardize = standardize
        self.prior = prior


class FactorLassoCV(_CV):
    _method = "lasso"

    def __init__(
        self,
        alphas: ArrayLike | None = None,
        *,
        n_alphas: int = DEFAULTS["n_lambdas"],
        eps: float = DEFAULTS["eps"],
        folds: int = DEFAULTS["folds"],
        scheme: str = DEFAULTS["scheme"],
        gap: int = DEFAULTS["gap"],
        seed: int = DEFAULTS["seed"],
        rule: str = DEFAULTS["rule"],
        pooled: bool = False,
        pooled_loss: str = DEFAULTS["pooled_loss"],
        penalty_weights: ArrayLike | None = None,
        standardize: bool = DEFAULTS["standardize"],
        prior: ArrayLike | None = None,
        tol: float = DEFAULTS["tol"],
        max_iter: int = DEFAULTS["max_iter"],
    ) -> None:
        self.alphas = alphas
        self.n_alphas = n_alphas
        self.eps = eps
        self.folds = folds
        self.scheme = scheme
        self.gap = gap
        self.seed = seed
        self.rule = rule
        self.pooled = pooled
        self.pooled_loss = pooled_loss
        self.penalty_weights = penalty_weights
        self.standardize = standardize
        self.prior = prior
        self.tol = tol
        self.max_iter = max_iter


class FactorElasticNetCV(_CV):
    _method = "enet"

    def __init__(
        self,
        alphas: ArrayLike | None = None,
        *,
        l1_ratio: float = 0.5,
        n_alphas: int = DEFAULTS["n_lambdas"],
        eps: float = DEFAULTS["eps"],
        folds: int = DEFAULTS["folds"],
        scheme: str = DEFAULTS["scheme"],
        gap: int = DEFAULTS["gap"],
        seed: int = DEFAULTS["seed"],
        rule: str = DEFAULTS["rule"],
        pooled: bool = False,
        pooled_loss: str = DEFAULTS["pooled_loss"],
        penalty_weights: ArrayLike | None = None,
        standardize: bool = DEFAULTS["standardize"],
        prior: ArrayLike | None = None,
        tol: float = DEFAULTS["tol"],
        max_iter: int = DEFAULTS["max_iter"],
    ) -> None:
        self.alphas = alphas
        self.l1_ratio = l1_ratio
        self.n_alphas = n_alphas
        self.eps = eps
        self.folds = folds
        self.scheme = scheme
        self.gap = gap
        self.seed = seed
        self.rule = rule
        self.pooled = pooled
        self.pooled_loss = pooled_loss
        self.penalty_weights = penalty_weights
        self.standardize = standardize
        self.prior = prior
        self.tol = tol
        self.max_iter = max_iter


_ALPHA = (
    "    alpha : float\n        The lambda (>= 0), one number for every asset, on scikit-learn's scale for this "
    "penalty (not one per asset as scikit-learn's ``Ridge`` allows: a sequence is refused). A grid of lambdas is the "
    "``...CV`` estimator's ``alphas``."
)
_RATIO = "    l1_ratio : float\n        The lasso share of the penalty, 0 < l1_ratio <= 1 (scikit-learn's)."
_EX_FIXED = """    >>> import numpy as np
    >>> from xlfactor.estimators import {name}
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(120, 3))
    >>> Y = X @ [[1.0, 0.5], [0.0, 0.0], [0.3, 0.0]] + 0.1 * rng.normal(size=(120, 2))
    >>> est = {name}({arg}).fit(X, Y)
    >>> est.coef_.shape, est.intercept_.shape, round(est.score(X, Y), 2)
    ((2, 3), (2,), {score})"""
_EX_CV = """    >>> import numpy as np
    >>> from xlfactor.estimators import {name}
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(120, 3))
    >>> Y = X @ [[1.0, 0.5], [0.0, 0.0], [0.3, 0.0]] + 0.1 * rng.normal(size=(120, 2))
    >>> est = {name}(folds=4, scheme="walkforward").fit(X, Y)
    >>> est.coef_.shape, est.alpha_.shape, est.mse_path_.shape
    ((2, 3), (2,), (100, 4, 2))"""
for _cls, _peer, _params, _arg, _score in [
    (FactorRidge, "Ridge(alpha=alpha)", [_ALPHA, _PENALTY_DOC], "alpha=1.0", "0.98"),
    (FactorLasso, "Lasso(alpha=alpha)", [_ALPHA, _PENALTY_DOC, _SOLVER_DOC], "alpha=0.01", "0.98"),
    (
        FactorElasticNet,
        "ElasticNet(alpha, l1_ratio)",
        [_ALPHA, _RATIO, _PENALTY_DOC, _SOLVER_DOC],
        "alpha=0.01",
        "0.98",
    ),
]:
    _doc(
        _cls,
        f"Penalised loadings of every asset at one lambda: scikit-learn ``{_peer}`` fitted to all assets.",
        "\n".join(_params),
        _ATTR_DOC,
        _EX_FIXED.format(name=_cls.__name__, arg=_arg, score=_score),
    )
for _cv_cls, _peer, _params in [
    (FactorRidgeCV, "RidgeCV", [_CV_DOC, _PENALTY_DOC]),
    (FactorLassoCV, "LassoCV", [_CV_DOC, _PENALTY_DOC, _SOLVER_DOC]),
    (FactorElasticNetCV, "ElasticNetCV", [_CV_DOC, _RATIO, _PENALTY_DOC, _SOLVER_DOC]),
]:
    _doc(
        _cv_cls,
        f"Cross-validated penalised loadings of every asset: scikit-learn ``{_peer}`` on time-ordered "
        "folds, all assets at once.",
        "\n".join(_params),
        _ATTR_DOC + "\n" + _CV_ATTR_DOC,
        _EX_CV.format(name=_cv_cls.__name__),
    )
