"""Weight constraints of the risk-based allocations: bounds per asset and a turnover limit.

``Constraints`` holds a minimum and a maximum weight per asset (fractions of the fully invested portfolio) and a
limit on the turnover ``sum_i |w_i - current_i|`` from the current weights. They apply to ``erc``, ``budget``,
``factor`` and ``minvar``, and to the base portfolio of ``targetvol`` before it is scaled.

- Risk budgeting under constraints is Spinu's problem ``min 0.5 x'Sx - sum b_i log x_i`` over the cone of
  portfolios whose normalised weights ``x / sum x`` satisfy them (Richard and Roncalli 2019, "Constrained risk
  budgeting portfolios"; skfolio's ``RiskBudgeting`` with weight bounds solves the same): convex, one answer, the
  budgets met exactly where no constraint binds.
- Minimum variance is the quadratic programme ``min w'Sw`` over the allowed, fully invested weights.
- Factor risk budgeting minimises ``||factor shares(w) - budgets||^2`` over them (not convex: from several starts,
  see ``factor_budget``).

All by scipy's SLSQP on the weights (with turnover, plus the buys and sells ``w - current = u - v``, u, v >= 0),
started from the allowed portfolio nearest (in turnover) to the unconstrained answer, which a linear programme
(HiGHS) finds; the same linear programme tells when no portfolio satisfies the constraints and how much
turnover the bounds need at least.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize

from ...errors import ConvergenceError, InputShapeError, InputValueError
from .. import _validation as v
from .._threads import single_threaded

SLACK = 1e-9  # bounds and turnover are met to this (SLSQP's constraint tolerance)


@dataclass(frozen=True, eq=False)
class Constraints:
    """Long-only weight constraints: ``min_weight <= w <= max_weight`` per asset (one number for all, or one per
    asset) and ``sum |w - current| <= max_turnover``. None: no such constraint."""

    min_weight: ArrayLike | None = None
    max_weight: ArrayLike | None = None
    current: ArrayLike | None = None
    max_turnover: float | None = None

    @property
    def active(self) -> bool:
        return any(c is not None for c in (self.min_weight, self.max_weight, self.max_turnover))

    def checked(self, n: int) -> Checked:
        lo = _per_asset(self.min_weight, n, "min_weight", 0.0)
        hi = _per_asset(self.max_weight, n, "max_weight", 1.0)
        bad = np.flatnonzero(lo > hi)
        if bad.size:
            i = int(bad[0])
            raise InputValueError(f"min_weight {lo[i]:g} is above max_weight {hi[i]:g} for asset {i + 1}.")
        if lo.sum() > 1 + SLACK:
            raise InputValueError(f"min_weight sums to {lo.sum():.6g} > 1: no fully invested portfolio meets it.")
        if hi.sum() < 1 - SLACK:
            raise InputValueError(f"max_weight sums to {hi.sum():.6g} < 1: no fully invested portfolio meets it.")
        cur = None
        turnover = None
        if self.max_turnover is not None:
            turnover = v.check_number(self.max_turnover, "max_turnover", low=0.0)
            if self.current is None:
                raise InputValueError("max_turnover needs current: the weights held now, one per asset.")
        if self.current is not None:
            cur = v.as_float_1d(self.current, "current", allow_missing=False)
            if cur.size != n:
                raise InputShapeError(f"current has {cur.size} weights but there are {n} assets; pass one per asset.")
        out = Checked(lo, hi, cur, turnover)
        if turnover is not None and cur is not None:
            need = out.nearest(cur)[1]
            if need > turnover + SLACK:
                raise InputValueError(
                    f"max_turnover {turnover:g} is below the {need:.6g} that the weight bounds "
                    "need at least from current (and weights sum to 1); raise it or relax them."
                )
        return out


def _per_asset(value, n: int, name: str, default: float) -> np.ndarray:
    if value is None:
        return np.full(n, default)
    arr = v.as_float_1d(value, name, allow_missing=False)
    if arr.size == 1:
        arr = np.full(n, arr[0])
    if arr.size != n:
        raise InputShapeError(f"{name} has {arr.size} values but there are {n} assets; pass one, or one per asset.")
    out_of_range = np.flatnonzero((arr < 0) | (arr > 1))
    if out_of_range.size:
        i = int(out_of_range[0])
        raise InputValueError(
            f"{name} must be between 0 and 1 (a share of the portfolio); asset {i + 1} has {arr[i]:g}."
        )
    return arr


@dataclass(frozen=True, eq=False)
class Checked:
    lo: np.ndarray
    hi: np.ndarray
    current: np.ndarray | None
    turnover: float | None

    def nearest(self, w: np.ndarray, with_turnover: bool = False) -> tuple[np.ndarray, float]:
        """The allowed fully invested weights nearest to ``w`` in ``sum |x - w|`` (and that distance), by a linear
        programme over (x, p, m[, s, t]): ``x - w = p - m``, ``sum x = 1``, and with the turnover limit
        (``with_turnover``) ``x - current = s - t``, ``sum (s + t) <= max_turnover``."""
        n = w.size
        eye, zero = np.eye(n), np.zeros((n, n))
        turn = with_turnover and self.turnover is not None
        blocks = 5 if turn else 3
        a_eq = [np.hstack([eye, -eye, eye] + [zero] * (blocks - 3)), np.append(np.ones(n), np.zeros((blocks - 1) * n))]
        b_eq: list[np.ndarray] = [w, np.ones(1)]
        a_ub = b_ub = None
        if turn and self.current is not None:
            a_eq.append(np.hstack([eye, zero, zero, -eye, eye]))
            b_eq.append(self.current)
            a_ub = np.concatenate([np.zeros(3 * n), np.ones(2 * n)])[None, :]
            b_ub = [self.turnover]
        cost = np.concatenate([np.zeros(n), np.ones(2 * n), np.zeros((blocks - 3) * n)])
        bounds = list(zip(self.lo, self.hi, strict=True)) + [(0, None)] * ((blocks - 1) * n)
        sol = optimize.linprog(
            cost, A_ub=a_ub, b_ub=b_ub, A_eq=np.vstack(a_eq), b_eq=np.concatenate(b_eq), bounds=bounds, method="highs"
        )
        if sol.status != 0:
            raise InputValueError(
                "no fully invested long-only portfolio meets the weight bounds and the turnover "
                "limit together; relax one of them."
            )
        x = np.clip(sol.x[:n], self.lo, self.hi)
        return x / x.sum(), float(sol.fun)

    def allows(self, w: np.ndarray) -> bool:
        """Do these fully invested weights meet the constraints (then they are the constrained answer)?"""
        ok = bool((w >= self.lo).all() and (w <= self.hi).all())
        return ok and (self.turnover is None or float(np.abs(w - self.current).sum()) <= self.turnover)

    def describe(self, w: np.ndarray) -> str:
        """Which constraints bind at ``w``: the note of a constrained allocation."""
        parts = []
        at_lo = np.flatnonzero((w <= self.lo + 1e-7) & (self.lo > 0))
        at_hi = np.flatnonzero((w >= self.hi - 1e-7) & (self.hi < 1))
        if at_lo.size:
            parts.append("at min_weight: asset " + ", ".join(str(i + 1) for i in at_lo))
        if at_hi.size:
            parts.append("at max_weight: asset " + ", ".join(str(i + 1) for i in at_hi))
        if self.turnover is not None:
            used = float(np.abs(w - self.current).sum())
            parts.append(
                f"turnover {used:.6g} of {self.turnover:g}" + (" (binds)" if used >= self.turnover - 1e-7 else "")
            )
        return "; ".join(parts) if parts else "no constraint binds"


def _solve(fun, jac, c: Checked, w_start: np.ndarray, what: str, floor: float = 0.0) -> np.ndarray:
    """SLSQP over z = (w[, u, v]) with ``sum w = 1``, ``lo <= w <= hi`` (at least ``floor``) and with turnover
    ``w - current = u - v``, ``sum (u + v) <= max_turnover``; started at the allowed weights nearest
    ``w_start``. ``fun`` and ``jac`` take the weights."""
    n = w_start.size
    turn = c.turnover is not None
    w0 = c.nearest(w_start, with_turnover=turn)[0]
    w0 = np.clip(w0, np.maximum(c.lo, floor), c.hi)
    ones, zeros = np.ones(n), np.zeros(2 * n if turn else 0)
    cons = [{"type": "eq", "fun": lambda z: z[:n].sum() - 1.0, "jac": lambda z: np.concatenate([ones, zeros])}]
    bounds = [(max(lo, floor), hi) for lo, hi in zip(c.lo, c.hi, strict=True)]
    z0 = w0
    if turn:
        eye = np.eye(n)
        eq = np.hstack([eye, -eye, eye])
        cap = np.concatenate([np.zeros(n), -ones, -ones])
        cons.append({"type": "eq", "fun": lambda z: eq @ z - c.current, "jac": lambda z: eq})
        cons.append({"type": "ineq", "fun": lambda z: c.turnover + cap @ z, "jac": lambda z: cap[None, :]})
        bounds += [(0.0, None)] * (2 * n)
        d = w0 - c.current
        z0 = np.concatenate([w0, np.maximum(d, 0.0), np.maximum(-d, 0.0)])

    def f(z):
        return fun(z[:n])

    def g(z):
        return np.concatenate([jac(z[:n]), zeros])

    # objectives are O(1): ftol 1e-13 (1e-15 cycled to the iteration limit on the shipped data). SLSQP's small
    # dense algebra on one BLAS thread: on a loaded machine its threads made a 90-variable solve 20x slower
    with single_threaded():
        sol = optimize.minimize(
            f, z0, jac=g, method="SLSQP", bounds=bounds, constraints=cons, options={"ftol": 1e-13, "maxiter": 1000}
        )
    # status 8 ("positive directional derivative in the line search"): no step improves at this precision
    if sol.status not in (0, 8):
        raise ConvergenceError(f"{what} under constraints did not converge: {sol.message}")
    return _clean(sol.x[:n], c)


def budgeting(risk, b: np.ndarray, c: Checked, w_free: np.ndarray) -> np.ndarray:
    """Constrained risk budgeting (module docstring), started near the unconstrained weights ``w_free``.

    On the cone ``x = s w`` Spinu's objective minimised over the scale s is ``0.5 + 0.5 log(w'Sw) - b'log w``,
    so the weights minimise ``0.5 log(w'Sw) - b'log w`` over the allowed fully invested ones; its stationary
    points are those of the convex cone problem, so the minimum found is the global one."""

    def fun(w):
        return 0.5 * np.log(w @ risk.matvec(w)) - b @ np.log(w)

    def jac(w):
        sw = risk.matvec(w)
        return sw / (w @ sw) - b / w

    return _solve(fun, jac, c, w_free, "risk budgeting", floor=1e-12)


def nearest_shares(shares, jacobian, target: np.ndarray, c: Checked, w_start: np.ndarray) -> np.ndarray:
    """The allowed weights whose ``shares(w)`` are nearest (Euclidean) to ``target``, from ``w_start``: a local
    minimum of ``||shares(w) - target||^2`` (not convex; ``factor_budget`` tries several starts). ``jacobian(w)`` is
    d shares / d w."""

    def fun(w):
        r = shares(w) - target
        return float(r @ r)

    def jac(w):
        return 2.0 * jacobian(w).T @ (shares(w) - target)

    return _solve(fun, jac, c, w_start, "factor risk budgeting")


def min_variance(risk, c: Checked, w_free: np.ndarray) -> np.ndarray:
    """Constrained minimum variance, started near the unconstrained minimum-variance weights ``w_free``."""
    scale = 1.0 / float(w_free @ risk.matvec(w_free))  # variance ~ 1: SLSQP's tolerances are absolute

    def fun(w):
        return 0.5 * scale * w @ risk.matvec(w)

    def jac(w):
        return scale * risk.matvec(w)

    return _solve(fun, jac, c, w_free, "minimum variance")


def _clean(w: np.ndarray, c: Checked) -> np.ndarray:
    """Weights clipped to their bounds (SLSQP meets them to ~1e-10) and renormalised; a ``ConvergenceError`` if
    a constraint is missed by more than ``SLACK``."""
    w = np.clip(w, 0.0, None)
    w /= w.sum()
    miss = max(float((c.lo - w).max()), float((w - c.hi).max()))
    if c.turnover is not None:
        miss = max(miss, float(np.abs(w - c.current).sum()) - c.turnover)
    if miss > SLACK:
        raise ConvergenceError(f"the constrained optimisation missed a constraint by {miss:.3g}; check the inputs.")
    w = np.clip(w, c.lo, c.hi)
    return w / w.sum()
