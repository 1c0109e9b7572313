"""Factor-model risk: covariance estimates, risk contributions and risk-budgeting portfolios.

The asset covariance of a factor model is ``S = B F B' + D`` (B loadings N x K, F factor
covariance K x K, D diagonal specific variances). ``FactorModel`` applies it to vectors in O(NK)
and solves with it through the Woodbury identity in O(NK^2), so it is never formed densely.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy import optimize

from ..errors import ConvergenceError, InputShapeError, InputValueError, InsufficientDataError
from . import _validation as v
from .options import ALLOC_METHODS, COV_METHODS, DEFAULTS



# --- covariance ------------------------------------------------------------------------------------------------


def factor_covariance(factors, method: str = DEFAULTS["cov_method"], halflife: float | None = None) -> np.ndarray:
    """Covariance of factor returns (rows with any factor missing are dropped).

    - ``sample``: ddof = 1.
    - ``ewma``: exponentially weighted with ``halflife`` periods (weight ``0.5 ** (age / halflife)``,
      the newest row has age 0), around the weighted mean, debiased by ``1 / (1 - sum v^2)`` with ``v``
      the normalised weights: pandas ``ewm(halflife=h).cov()`` on the last row.
    - ``ledoitwolf``: Ledoit-Wolf (2004) shrinkage of the ddof = 0 covariance towards a scaled
      identity with the optimal intensity: scikit-learn ``LedoitWolf``.
    """
    x = v.as_float_2d(factors, "factors")
    x = x[np.isfinite(x).all(axis=1)]
    method = v.choose(method, COV_METHODS, "method", "sample")
    n, k = x.shape
    if n < 2:
        raise InsufficientDataError(f"factors has {n} complete rows; a covariance needs at least 2.")
    if method == "sample":
        return np.atleast_2d(np.cov(x, rowvar=False))
    if method == "ewma":
        if halflife is None or (isinstance(halflife, str) and not halflife.strip()):
            raise InputValueError("halflife is required for method 'ewma': the number of periods over which weights halve.")
        h = v.check_number(halflife, "halflife", low=0.0, low_open=True)
        w = 0.5 ** (np.arange(n)[::-1] / h)
        w /= w.sum()
        mu = w @ x
        xc = x - mu
        return (xc * w[:, None]).T @ xc / (1.0 - w @ w)
    xc = x - x.mean(axis=0)
    s = xc.T @ xc / n
    mu = np.trace(s) / k
    x2 = xc * xc
    beta_ = (x2.T @ x2).sum() / n - (s * s).sum()
    delta = ((s - mu * np.eye(k)) ** 2).sum() / k
    beta = min(beta_ / (k * n), delta)
    shrink = 0.0 if beta == 0 else beta / delta
    return (1.0 - shrink) * s + shrink * mu * np.eye(k)


def specific_variance(returns, factors, loadings) -> np.ndarray:
    """Variance (ddof = 1) of each asset's residual ``y - X b`` under given loadings (N x K).

    The intercept is absorbed by the demeaning. Each asset uses the rows where it and every factor
    are present.
    """
    y = v.as_float_2d(returns, "returns")
    x = v.as_float_2d(factors, "factors")
    v.check_same_rows(y, x, "returns", "factors")
    b = v.as_float_2d(loadings, "loadings", allow_missing=False)
    if b.shape != (y.shape[1], x.shape[1]):
        raise InputShapeError(
            f"loadings is {b.shape[0]} x {b.shape[1]} but returns has {y.shape[1]} assets and factors has "
            f"{x.shape[1]} columns; pass one row per asset and one column per factor."
        )
    e = y - np.where(np.isfinite(x), x, 0.0) @ b.T
    e[~(np.isfinite(y) & np.isfinite(x).all(axis=1)[:, None])] = np.nan
    n = np.isfinite(e).sum(axis=0)
    if (n < 2).any():
        j = int(np.flatnonzero(n < 2)[0])
        raise InsufficientDataError(f"returns column {j + 1} has {n[j]} usable rows; a variance needs at least 2.")
    return np.nanvar(e, axis=0, ddof=1)


def check_covariance(cov, name: str = "covariance") -> np.ndarray:
    """A symmetric, positive semi-definite, finite matrix (symmetry and PSD up to 1e-10 relative)."""
    s = v.as_float_2d(cov, name, allow_missing=False)
    if s.shape[0] != s.shape[1]:
        raise InputShapeError(f"{name} is {s.shape[0]} x {s.shape[1]}; it must be square.")
    scale = max(np.abs(s).max(), 1e-300)
    asym = np.abs(s - s.T).max()
    if asym > 1e-10 * scale:
        i, j = np.unravel_index(np.argmax(np.abs(s - s.T)), s.shape)
        raise InputValueError(
            f"{name} is not symmetric: row {i + 1}, column {j + 1} is {s[i, j]:.6g} but row {j + 1}, "
            f"column {i + 1} is {s[j, i]:.6g}."
        )
    s = (s + s.T) / 2
    low = np.linalg.eigvalsh(s)[0]
    if low < -1e-10 * scale:
        raise InputValueError(
            f"{name} is not positive semi-definite (smallest eigenvalue {low:.3g}); "
            "estimate it from data or use the Ledoit-Wolf estimate."
        )
    return s


@dataclass(frozen=True, eq=False)
class FactorModel:
    """Asset covariance ``B F B' + diag(d)`` kept in factor form."""

    loadings: np.ndarray  # (N, K)
    factor_cov: np.ndarray  # (K, K)
    specific_var: np.ndarray  # (N,)

    @classmethod
    def from_arrays(cls, loadings, factor_cov, specific_var) -> "FactorModel":
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
        """``S w`` in O(NK)."""
        return self.loadings @ (self.factor_cov @ (self.loadings.T @ w)) + self.specific_var * w

    @cached_property
    def root(self) -> np.ndarray:
        """``U = B V sqrt(E)`` with ``F = V E V'``, so that ``B F B' = U U'`` (F may be singular)."""
        e, vec = np.linalg.eigh(self.factor_cov)
        return self.loadings @ (vec * np.sqrt(np.clip(e, 0.0, None)))

    def diag(self) -> np.ndarray:
        u = self.root
        return (u * u).sum(axis=1) + self.specific_var

    def dense(self) -> np.ndarray:
        return self.loadings @ self.factor_cov @ self.loadings.T + np.diag(self.specific_var)

    def solve_shifted(self, h: np.ndarray, g: np.ndarray) -> np.ndarray:
        """``(S + diag(h))^-1 g`` by Woodbury on ``S = U U' + diag(d)``; h + d > 0."""
        h = h + self.specific_var
        u = self.root
        hu = u / h[:, None]
        small = np.eye(u.shape[1]) + u.T @ hu
        hg = g / h
        return hg - hu @ np.linalg.solve(small, u.T @ hg)


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

    def solve_shifted(self, h, g):
        return np.linalg.solve(self.cov + np.diag(h), g)


# --- risk contributions ------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class RiskContributions:
    """Risk of a portfolio split by asset (Euler) and, for a factor model, by factor.

    Asset view: marginal ``(S w)_i / sigma``, component ``w_i (S w)_i / sigma`` (sums to sigma),
    percent = component / sigma (sums to 1). Factor view: exposures ``beta = B' w``, factor k's part
    of the variance ``beta_k (F beta)_k``, specific part ``sum_i w_i^2 d_i``; percents sum to 1.
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
        if self.factor_variance is None:
            return None
        return np.append(self.factor_variance, self.specific_variance) / self.volatility**2


def _as_risk_model(cov=None, model: FactorModel | None = None):
    if (cov is None) == (model is None):
        raise InputValueError("pass either a covariance matrix or a factor model (loadings, factor_cov, specific_var).")
    return model if model is not None else DenseCov(cov)


def risk_contributions(weights, cov=None, *, model: FactorModel | None = None) -> RiskContributions:
    """Risk contributions of ``weights`` under a dense covariance or a factor model."""
    risk = _as_risk_model(cov, model)
    w = v.as_float_1d(weights, "weights", allow_missing=False)
    if w.size != risk.n_assets:
        raise InputShapeError(f"weights has {w.size} values but the covariance covers {risk.n_assets} assets.")
    sw = risk.matvec(w)
    var = float(w @ sw)
    if var <= 0:
        raise InputValueError("the portfolio has zero variance; risk contributions are undefined.")
    vol = np.sqrt(var)
    out = dict(weights=w, volatility=vol, marginal=sw / vol, component=w * sw / vol)
    if isinstance(risk, FactorModel):
        beta = risk.loadings.T @ w
        out.update(exposures=beta, factor_variance=beta * (risk.factor_cov @ beta),
                   specific_variance=float(w @ (risk.specific_var * w)))
    return RiskContributions(**out)


# --- allocation --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class AllocationResult:
    """Long-only, fully invested weights and the risk allocation they achieve."""

    method: str
    weights: np.ndarray  # (N,), >= 0, sum 1
    risk: RiskContributions
    target: np.ndarray | None  # the budgets aimed at (assets for erc/budget, factors for factor)
    achieved: np.ndarray | None  # what was reached, in the units of ``target``
    iterations: int
    converged: bool
    feasible: bool | None = None  # factor budgeting: were the factor budgets reached (to 1e-8)?
    reached: float | None = None  # factor budgeting: the fraction of the way from ERC's factor shares to the budgets
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


def allocate(
    method: str = DEFAULTS["risk_method"],
    *,
    cov=None,
    model: FactorModel | None = None,
    budgets=None,
    tol: float = 1e-12,
    max_iter: int = 100,
    target_vol: float | None = None,
) -> AllocationResult:
    """Long-only weights, fully invested except for ``targetvol``.

    - ``erc``: equal risk contributions; ``budget``: contributions proportional to ``budgets``
      (one positive number per asset, normalised to sum 1). Both solve Spinu's convex problem
      ``min 0.5 x'Sx - sum b_i log x_i`` by Newton's method (Woodbury solves for a factor model),
      stopping when every contribution is within ``tol`` of its budget.
    - ``invvol``: weights proportional to 1 / volatility.
    - ``factor``: factor risk budgeting (needs a factor model): weights whose shares of the systematic
      variance by factor match ``budgets`` (K positive numbers; default equal), or with K + 1 budgets
      the shares of total variance by factor and specific risk, as closely as the long-only constraint
      allows; ``feasible`` says whether they were matched to 1e-8. When they cannot be (long-only portfolios
      of these assets cannot spread systematic risk that way), the answer is the portfolio whose factor shares
      lie furthest along the straight line from the ERC portfolio's factor shares towards the budgets that
      long-only weights can reach exactly; ``reached`` is that fraction (found by bisection, each aim given a
      bounded solver effort, so a lower bound) and ``note`` names the budgets missed and why (e.g. a factor on
      which no asset loads).
    - ``minvar``: the long-only minimum-variance portfolio.
    - ``targetvol``: the ERC portfolio scaled to volatility ``target_vol`` (per period, as the covariance);
      the weights then sum to ``target_vol / vol(ERC)``, the rest (``note``) is cash, negative for borrowing.
    """
    method = v.choose(method, ALLOC_METHODS, "method", "erc")
    risk = _as_risk_model(cov, model)
    n = risk.n_assets
    diag = risk.diag()
    if (diag <= 0).any():
        i = int(np.flatnonzero(diag <= 0)[0])
        raise InputValueError(f"asset {i + 1} has zero variance; risk-based weights need every asset to carry risk.")
    if method == "invvol":
        w = 1.0 / np.sqrt(diag)
        return _result(method, w / w.sum(), risk, None, 0, True)
    if method == "factor":
        if not isinstance(risk, FactorModel):
            raise InputValueError("method 'factor' needs a factor model: loadings, factor_cov and specific_var.")
        return _factor_budgeting(risk, budgets, max_iter)
    if method == "minvar":
        return _min_variance(risk)
    if method == "targetvol":
        if target_vol is None:
            raise InputValueError("method 'targetvol' needs target_vol: the volatility to aim for, per period "
                                  "(e.g. 0.10 / sqrt(12) for 10% a year on monthly data).")
        target_vol = v.check_number(target_vol, "target_vol", low=0.0, low_open=True)
        erc = allocate("erc", cov=cov, model=model, tol=tol, max_iter=max_iter)
        scale = target_vol / erc.volatility
        out = _result(method, erc.weights * scale, risk, None, erc.iterations, erc.converged)
        return dataclasses.replace(out, note=f"cash {1 - scale:.6g}" + (" (borrowed)" if scale > 1 else ""))
    if method == "erc":
        b = np.full(n, 1.0 / n)
    else:
        if budgets is None:
            raise InputValueError("method 'budget' needs budgets: one positive number per asset.")
        b = check_budgets(budgets, n, "assets")
    x, it, ok = _newton_budgeting(risk, b, diag, tol, max_iter)
    if not ok:
        raise ConvergenceError(
            f"risk budgeting did not converge in {max_iter} Newton steps; check the covariance for "
            "near-zero variances or raise max_iter."
        )
    return _result(method, x / x.sum(), risk, b, it, ok)


def _min_variance(risk) -> AllocationResult:
    """Long-only minimum variance by an active-set method: on the active assets S the weights are
    proportional to S^-1 1 (one dense solve of |S| x |S|); an asset leaves S when its weight would be negative
    and comes back when its marginal variance (S w)_i is below the portfolio's."""
    n = risk.n_assets
    full = risk.dense()
    active = np.ones(n, bool)
    for it in range(1, 4 * n + 2):
        sub = full[np.ix_(active, active)]
        x = np.linalg.solve(sub, np.ones(active.sum()))
        w = np.zeros(n)
        w[active] = x / x.sum()
        if (w < 0).any():
            active[np.argmin(w)] = False  # drop the most negative: one step at a time keeps the path simple
            continue
        marginal = full @ w
        level = w @ marginal
        enter = ~active & (marginal < level * (1 - 1e-12))
        if not enter.any():
            return _result("minvar", w, risk, None, it, True)
        active[np.argmin(np.where(enter, marginal, np.inf))] = True
    raise ConvergenceError("the minimum-variance active set did not settle; check the covariance.")


def _result(method, w, risk, target, it, ok, feasible=None, achieved=None) -> AllocationResult:
    model = risk if isinstance(risk, FactorModel) else None
    rc = risk_contributions(w, None if model else risk.cov, model=model)
    if achieved is None and target is not None:
        achieved = rc.percent
    return AllocationResult(method=method, weights=w, risk=rc, target=target, achieved=achieved, iterations=it,
                            converged=ok, feasible=feasible)


def _newton_budgeting(risk, b, diag, tol, max_iter):
    """Newton's method with backtracking on ``f(x) = 0.5 x'Sx - sum b log x``; at the optimum
    ``x_i (S x)_i = b_i`` and ``x'Sx = sum b = 1``, so contributions equal the budgets."""
    x = 1.0 / np.sqrt(diag)
    x /= np.sqrt(x @ risk.matvec(x))

    def f(z, sz):
        return 0.5 * z @ sz - b @ np.log(z)

    sx = risk.matvec(x)
    for it in range(1, max_iter + 1):
        rc = x * sx
        if np.abs(rc / rc.sum() - b).max() <= tol:
            return x, it - 1, True
        g = sx - b / x
        step = -risk.solve_shifted(b / x**2, g)
        t = 1.0
        neg = step < 0
        if neg.any():  # stay inside x > 0
            t = min(1.0, 0.99 * np.min(-x[neg] / step[neg]))
        fx = f(x, sx)
        decrement = -(g @ step)  # Newton decrement squared: below 1e-10 the full step converges quadratically
        while True:
            xn = x + t * step
            sxn = risk.matvec(xn)
            if decrement < 1e-10 or f(xn, sxn) <= fx - 1e-4 * t * decrement or t < 1e-12:
                break
            t *= 0.5
        x, sx = xn, sxn
    rc = x * sx
    return x, max_iter, bool(np.abs(rc / rc.sum() - b).max() <= tol)


def _factor_budgeting(model: FactorModel, budgets, max_iter) -> AllocationResult:
    """Bounded least squares on the factor shares, from the ERC portfolio (shares are scale-free;
    one extra residual pins sum x = 1)."""
    k = model.loadings.shape[1]
    with_specific = budgets is not None and np.size(budgets) == k + 1
    target = np.full(k, 1.0 / k) if budgets is None else check_budgets(budgets, k + int(with_specific), "factors")
    b_mat, f, d = model.loadings, model.factor_cov, model.specific_var

    def shares(x):
        beta = b_mat.T @ x
        fb = f @ beta
        parts = beta * fb
        sys_var = beta @ fb
        if with_specific:
            spec = x @ (d * x)
            return np.append(parts, spec) / (sys_var + spec), beta, fb, parts, sys_var + spec
        return parts / sys_var, beta, fb, parts, sys_var

    def resid(x):
        return np.append(shares(x)[0] - target, x.sum() - 1.0)

    def jac(x):
        s, beta, fb, parts, total = shares(x)
        bf = b_mat @ f  # (N, K)
        d_parts = (b_mat * fb[None, :] + bf * beta[None, :]).T  # (K, N)
        d_total = 2 * (bf @ beta) + (2 * d * x if with_specific else 0.0)
        if with_specific:
            d_parts = np.vstack([d_parts, 2 * d * x])
            parts = np.append(parts, x @ (d * x))
        d_shares = (d_parts * total - parts[:, None] * d_total[None, :]) / total**2
        return np.vstack([d_shares, np.ones(x.size)])

    def solve(goal, x0, max_nfev=max(max_iter, 50) * 10):
        nonlocal target
        target = goal
        sol = optimize.least_squares(resid, x0, jac=jac, bounds=(0.0, np.inf), xtol=1e-15, ftol=1e-15, gtol=1e-15,
                                     max_nfev=max_nfev, method="trf")
        w = np.clip(sol.x, 0.0, None)
        w[w < 1e-14 * w.max()] = 0.0  # weights pinned at the bound are zero, not 1e-55
        w /= w.sum()
        return w, shares(w)[0], int(sol.nfev), bool(sol.status > 0)

    goal = target
    w_erc = allocate("erc", model=model).weights
    w, achieved, nfev, ok = solve(goal, w_erc)
    if np.abs(achieved - goal).max() <= 1e-8:
        return _result("factor", w, model, goal, nfev, ok, True, achieved)
    # not reachable long-only: move from ERC's factor shares towards the budgets as far as weights can follow
    start = shares(w_erc)[0]
    lo, hi, best = 0.0, 1.0, (w_erc, start)
    for _ in range(14):  # the fraction to 1e-4; a reachable aim is met in a few dozen evaluations from a close start
        mid = 0.5 * (lo + hi)
        aim = start + mid * (goal - start)
        w_mid, a_mid, n_mid, _ = solve(aim, best[0], max_nfev=100)
        nfev += n_mid
        if np.abs(a_mid - aim).max() <= 1e-8:
            lo, best = mid, (w_mid, a_mid)
        else:
            hi = mid
    w, achieved = best
    names = [f"factor {k + 1}" for k in range(b_mat.shape[1])] + (["specific risk"] if with_specific else [])
    unloaded = [names[k] for k in range(b_mat.shape[1]) if not b_mat[:, k].any()]
    missed = [f"{names[k]} {100 * achieved[k]:.1f}% for {100 * goal[k]:.1f}%" for k in range(goal.size)
              if abs(achieved[k] - goal[k]) > 1e-6]
    note = (f"budgets not reachable with long-only weights; reached {100 * lo:.1f}% of the way from the ERC "
            f"portfolio's factor shares: {'; '.join(missed)}"
            + (f". No asset loads on {', '.join(unloaded)}, so its share is 0 in every portfolio" if unloaded else ""))
    out = _result("factor", w, model, goal, nfev, ok, False, achieved)
    return dataclasses.replace(out, reached=lo, note=note)
