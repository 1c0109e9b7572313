"""The asset covariance ``S = B F B' + D`` in factor form (or dense), and risk contributions under it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import ArrayLike

from ...errors import InputShapeError, InputValueError
from .. import _validation as v
from .psd import check_covariance


@dataclass(frozen=True, eq=False)
class FactorModel:
    """Asset covariance ``B F B' + diag(d)`` kept in factor form.

    Build it with ``FactorModel.from_arrays`` (validated); products and solves use the factor form, never the
    N x N matrix (``dense()`` builds it when asked).

    Attributes
    ----------
    loadings : numpy.ndarray, shape (N, K)
        Each asset's loadings ``B`` on the factors.
    factor_cov : numpy.ndarray, shape (K, K)
        Factor covariance ``F`` (symmetric, positive semi-definite).
    specific_var : numpy.ndarray, shape (N,)
        Each asset's specific variance ``d`` (>= 0).

    Examples
    --------
    >>> import xlfactor as xf
    >>> m = xf.FactorModel.from_arrays([[1.0], [0.8], [1.2]], [[0.02]], [0.01, 0.005, 0.02])
    >>> m.n_assets, m.dense().round(4)[0]
    (3, array([0.03 , 0.016, 0.024]))
    """

    loadings: np.ndarray  # (N, K)
    factor_cov: np.ndarray  # (K, K)
    specific_var: np.ndarray  # (N,)

    @classmethod
    def from_arrays(cls, loadings, factor_cov, specific_var) -> FactorModel:
        """Validated model: loadings one row per asset, F K x K symmetric PSD, d >= 0 per asset."""
        b = v.as_float_2d(loadings, "loadings", allow_missing=False)
        f = check_covariance(factor_cov, "factor_cov")
        d = v.as_float_1d(specific_var, "specific_var", allow_missing=False)
        if f.shape[0] != b.shape[1]:
            raise InputShapeError(
                f"loadings has {b.shape[1]} factor columns but factor_cov is {f.shape[0]} x {f.shape[0]}; "
                "they must name the same factors."
            )
        if d.size != b.shape[0]:
            raise InputShapeError(
                f"specific_var has {d.size} values but loadings has {b.shape[0]} assets (rows); pass one per asset."
            )
        if (d < 0).any():
            raise InputValueError(f"specific_var must be >= 0; asset {int(np.argmin(d)) + 1} has {d.min():.6g}.")
        return cls(loadings=b, factor_cov=f, specific_var=d)

    @property
    def n_assets(self) -> int:
        return self.loadings.shape[0]

    def matvec(self, w: np.ndarray) -> np.ndarray:
        """``S w`` in O(NK), through ``root``: the matrix whose diagonal, systems and dense form the other methods use.

        ``B (F (B' w))`` directly loses accuracy when the factors are nearly collinear: their OLS loadings are large and
        opposite (+-3e3 at condition 1e5) and the products cancel to 1e-3, leaving ``S w`` right to only 1e-10
        relative, above risk budgeting's tolerance of 1e-12 (Newton then stalled: ConvergenceError). ``U = B V
        sqrt(E)`` cancels once, when formed; its entries are the size of the assets' volatilities.
        """
        u = self.root
        return u @ (u.T @ w) + self.specific_var * w

    @cached_property
    def root(self) -> np.ndarray:
        """``U = B V sqrt(E)`` with ``F = V E V'``, so that ``B F B' = U U'`` (F may be singular)."""
        e, vec = np.linalg.eigh(self.factor_cov)
        return self.loadings @ (vec * np.sqrt(np.clip(e, 0.0, None)))

    def rounding(self) -> float:
        """The largest relative rounding error of an asset's variance ``(B F B')_ii + d_i`` in floating point:
        ``eps (|B| |F| |B|')_ii / S_ii``. About 1e-16 for most models; nearly collinear factors have large, opposite
        loadings whose products cancel (1e-7 at a condition number of 1e5, 1e-2 at 1e8, tests/core/test_stability.py):
        the digits lost are lost when F is formed, no product of B and F can recover them."""
        b = np.abs(self.loadings)
        worst = ((b @ np.abs(self.factor_cov)) * b).sum(axis=1) * np.finfo(float).eps
        return float(np.max(worst / self.diag(), initial=0.0))

    def diag(self) -> np.ndarray:
        u = self.root
        return (u * u).sum(axis=1) + self.specific_var

    def dense(self) -> np.ndarray:
        """``U U' + diag(d)`` with ``U = root``: exactly symmetric (``U @ U.T`` is one symmetric rank-K update), and
        the matrix whose diagonal ``diag()`` gives and whose systems ``solve_shifted`` solves."""
        u = self.root
        out = u @ u.T
        out.flat[:: out.shape[0] + 1] += self.specific_var
        return out

    def solve_shifted(self, h: np.ndarray, g: np.ndarray, rtol: float = 0.0) -> np.ndarray:
        """``(S + diag(h))^-1 g`` by Woodbury on ``S = U U' + diag(d)``; h + d > 0. Exact (``rtol`` unused)."""
        h = h + self.specific_var
        u = self.root
        hu = u / h[:, None]
        small = np.eye(u.shape[1]) + u.T @ hu
        hg = g / h
        return hg - hu @ np.linalg.solve(small, u.T @ hg)


CG_MIN = 300  # from this many assets a dense shifted system is solved by conjugate gradients when allowed: at
# N=1000 one LU costs N^3 / 3 flops, a CG iteration 2 N^2, and inexact Newton needs 20-150 of them in all (see
# benchmarks/bench_risk.py --dense); below it the direct solve is cheap and exact.


class DenseCov:
    """A dense covariance with the same interface as ``FactorModel`` (for RISK_ALLOC on a full matrix)."""

    def __init__(self, cov) -> None:
        self.cov = check_covariance(cov)

    @property
    def n_assets(self) -> int:
        return self.cov.shape[0]

    def matvec(self, w):
        return self.cov @ w

    def diag(self):
        return np.diag(self.cov).copy()

    def dense(self):
        return self.cov

    def solve_shifted(self, h, g, rtol: float = 0.0):
        """``(S + diag(h))^-1 g``: directly, or with ``rtol`` > 0 and at least ``CG_MIN`` assets by conjugate
        gradients preconditioned by the diagonal, to a residual of ``rtol`` times the first (in the
        preconditioner's norm); directly if that takes more than N / 4 iterations."""
        n = g.size
        if rtol > 0 and n >= CG_MIN:
            m = np.diag(self.cov) + h
            p, r = np.zeros(n), g.copy()
            z = r / m
            q, rz = z.copy(), r @ z
            stop = rtol * np.sqrt(rz)
            for _ in range(n // 4):
                aq = self.cov @ q + h * q
                a = rz / (q @ aq)
                p += a * q
                r -= a * aq
                z = r / m
                rz_new = r @ z
                if np.sqrt(rz_new) <= stop:
                    return p
                q = z + rz_new / rz * q
                rz = rz_new
        return np.linalg.solve(self.cov + np.diag(h), g)


# --- risk contributions ------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class RiskContributions:
    """Risk of a portfolio split by asset (Euler) and, for a factor model, by factor.

    Asset view: marginal ``(S w)_i / sigma``, component ``w_i (S w)_i / sigma`` (sums to sigma),
    percent = component / sigma (sums to 1). Factor view: exposures ``beta = B' w``, factor k's part
    of the variance ``beta_k (F beta)_k``, specific part ``sum_i w_i^2 d_i``; percents sum to 1.

    Attributes
    ----------
    weights : numpy.ndarray, shape (N,)
        The portfolio's weights.
    volatility : float
        Its volatility ``sigma = sqrt(w' S w)``, per period as the covariance.
    marginal, component : numpy.ndarray, shape (N,)
        Marginal ``(S w) / sigma`` and component ``w * (S w) / sigma`` risk of each asset (components sum to sigma).
    exposures : numpy.ndarray, shape (K,), or None
        Factor exposures ``B' w`` (a factor model only).
    factor_variance : numpy.ndarray, shape (K,), or None
        Each factor's part of the variance (a factor model only).
    specific_variance : float or None
        The specific part of the variance (a factor model only).

    Derived (properties): ``percent`` (component / sigma, sums to 1) and ``factor_percent`` (K factor shares
    then the specific share of the variance).

    Examples
    --------
    >>> import numpy as np
    >>> import xlfactor as xf
    >>> cov = np.array([[0.04, 0.006, 0.0], [0.006, 0.01, 0.002], [0.0, 0.002, 0.0225]])
    >>> rc = xf.risk_contributions([0.5, 0.3, 0.2], cov)
    >>> print(round(rc.volatility, 4), rc.percent.round(3))
    0.1176 [0.788 0.139 0.074]
    """

    weights: np.ndarray  # (N,)
    volatility: float
    marginal: np.ndarray  # (N,)
    component: np.ndarray  # (N,)
    exposures: np.ndarray | None = None  # (K,)
    factor_variance: np.ndarray | None = None  # (K,)
    specific_variance: float | None = None

    @property
    def percent(self) -> np.ndarray:
        return self.component / self.volatility

    @property
    def factor_percent(self) -> np.ndarray | None:
        """K factor shares then the specific share of the variance, (K + 1,)."""
        if self.factor_variance is None or self.specific_variance is None:  # both set for a factor model
            return None
        return np.append(self.factor_variance, self.specific_variance) / self.volatility**2


def _as_risk_model(cov=None, model: FactorModel | DenseCov | None = None):
    if (cov is None) == (model is None):
        raise InputValueError("pass either a covariance matrix or a factor model (loadings, factor_cov, specific_var).")
    return model if model is not None else DenseCov(cov)


def risk_contributions(
    weights: ArrayLike, cov: ArrayLike | None = None, *, model: FactorModel | DenseCov | None = None
) -> RiskContributions:
    """Risk contributions of ``weights`` under a dense covariance or a factor model.

    Parameters
    ----------
    weights : array_like, shape (N,)
        The portfolio's weights (any sign, any sum).
    cov : array_like, shape (N, N), optional
        A dense asset covariance (symmetric, positive semi-definite). Pass it or ``model``, not both.
    model : FactorModel, optional
        The covariance in factor form; the result then also splits the variance by factor.

    Returns
    -------
    RiskContributions
        Volatility, marginal and component risk per asset, and with a model the factor exposures and parts.

    Raises
    ------
    InputValueError
        When both or neither of ``cov`` and ``model`` are given, for missing or non-numeric values, or when the
        portfolio has zero variance.
    InputShapeError
        When ``weights`` does not have one value per asset.

    Examples
    --------
    >>> import xlfactor as xf
    >>> m = xf.FactorModel.from_arrays([[1.0], [0.8], [1.2]], [[0.02]], [0.01, 0.005, 0.02])
    >>> rc = xf.risk_contributions([0.5, 0.3, 0.2], model=m)
    >>> print(rc.exposures.round(3), rc.factor_percent.round(3))
    [0.98] [0.837 0.163]
    """
    risk = _as_risk_model(cov, model)
    w = v.as_float_1d(weights, "weights", allow_missing=False)
    if w.size != risk.n_assets:
        raise InputShapeError(f"weights has {w.size} values but the covariance covers {risk.n_assets} assets.")
    sw = risk.matvec(w)
    var = float(w @ sw)
    if var <= 0:
        raise InputValueError("the portfolio has zero variance; risk contributions are undefined.")
    vol = np.sqrt(var)
    out = {"weights": w, "volatility": vol, "marginal": sw / vol, "component": w * sw / vol}
    if isinstance(risk, FactorModel):
        beta = risk.loadings.T @ w
        out.update(
            exposures=beta,
            factor_variance=beta * (risk.factor_cov @ beta),
            specific_variance=float(w @ (risk.specific_var * w)),
        )
    return RiskContributions(**out)


# --- allocation results ----------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class AllocationResult:
    """Long-only, fully invested weights and the risk allocation they achieve.

    Attributes
    ----------
    method : str
        The allocation method (see ``allocate``).
    weights : numpy.ndarray, shape (N,)
        The weights: >= 0, summing to 1 (to ``target_vol / vol(ERC)`` for targetvol).
    risk : RiskContributions
        The risk contributions of ``weights``.
    target, achieved : numpy.ndarray or None
        The budgets aimed at and what was reached, in the same units (per asset for erc/budget, per factor for
        factor); None for methods without budgets.
    iterations : int
        Newton steps (or solver iterations) taken.
    converged : bool
        Whether the solver met its tolerance.
    feasible : bool or None
        Factor budgeting: whether the factor budgets were met to 1e-8.
    distance : float or None
        Factor budgeting: Euclidean distance of the shares reached from the budgets (0 when feasible).
    note : str
        Factor budgeting: the budgets not met and why; targetvol: the cash weight.

    Derived (properties): ``volatility`` and ``contributions`` (each asset's percent of the risk).

    Examples
    --------
    >>> import numpy as np
    >>> import xlfactor as xf
    >>> cov = np.array([[0.04, 0.006, 0.0], [0.006, 0.01, 0.002], [0.0, 0.002, 0.0225]])
    >>> res = xf.allocate("erc", cov=cov)
    >>> print(res.weights.round(3), res.contributions.round(3), res.converged)
    [0.233 0.434 0.333] [0.333 0.333 0.333] True
    """

    method: str
    weights: np.ndarray  # (N,), >= 0, sum 1
    risk: RiskContributions
    target: np.ndarray | None  # the budgets aimed at (assets for erc/budget, factors for factor)
    achieved: np.ndarray | None  # what was reached, in the units of ``target``
    iterations: int
    converged: bool
    feasible: bool | None = None  # factor budgeting: were the factor budgets met (to 1e-8)?
    distance: float | None = None  # factor budgeting: ||factor shares - budgets||_2 reached (0 when feasible)
    note: str = ""  # factor budgeting: which budgets were not met and why; target volatility: the cash weight

    @property
    def volatility(self) -> float:
        return self.risk.volatility

    @property
    def contributions(self) -> np.ndarray:
        """Percent risk contribution of each asset (sums to 1)."""
        return self.risk.percent


def check_budgets(budgets, n: int, what: str) -> np.ndarray:
    b = v.as_float_1d(budgets, "budgets", allow_missing=False)
    if b.size != n:
        raise InputShapeError(f"budgets has {b.size} values but there are {n} {what}; pass one per {what[:-1]}.")
    if (b <= 0).any():
        i = int(np.flatnonzero(b <= 0)[0])
        raise InputValueError(
            f"budgets must be > 0; value {i + 1} is {b[i]:g}. A zero budget has no long-only risk-budgeting "
            "solution: drop that asset instead."
        )
    return b / b.sum()


def _result(method, w, risk, target, it, ok, feasible=None, achieved=None) -> AllocationResult:
    rc = risk_contributions(w, model=risk)  # the model as checked: a dense matrix is not checked twice
    if achieved is None and target is not None:
        achieved = rc.percent
    return AllocationResult(
        method=method,
        weights=w,
        risk=rc,
        target=target,
        achieved=achieved,
        iterations=it,
        converged=ok,
        feasible=feasible,
    )
