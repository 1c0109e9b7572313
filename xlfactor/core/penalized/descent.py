"""Coordinate descent for the elastic net and the lasso problems the homotopy rejects, vectorised over the problems,
each answer polished by an exact solve on its active set and checked against the KKT conditions.

Per problem (columns) it minimises ``0.5 b'Gb - c'b + l1 * sum w|b| + 0.5 * l2 * sum w b^2`` on the scaled factors'
Gram quantities; ``w`` are the penalty weights (``options.Penalty.weights``, checked).
"""

from __future__ import annotations

from typing import cast

import numpy as np

from ..options import Penalty, SolvePolicy, Solver
from .linalg import AUTO, active_solve


def _soft(z, t):
    return np.sign(z) * np.maximum(np.abs(z) - t, 0.0)


def solve(g, c, yy, l1, l2, pen: Penalty, b0, solver: Solver):
    """Exact active-set solve from the warm start, coordinate descent where that fails.

    Minimises ``0.5 b'Gb - c'b + l1 * sum w|b| + 0.5 * l2 * sum w b^2`` per problem (columns).
    Along a fine lambda grid the active set rarely changes, so most problems are solved exactly by
    the first polish; the others run coordinate descent until their duality gap is small or a round leaves
    their signs unchanged, are polished again on their new active set, and so on (``solver``: its tolerance on the
    duality gap relative to y'y, its sweep cap, and the linear solves' policy). Returns (b, relative gap, sweeps,
    converged).
    """
    w, tol, max_iter, policy = cast(np.ndarray, pen.weights), solver.tol, solver.max_iter, solver.policy
    k, p = c.shape
    b = b0.copy()
    sweeps = np.zeros(p, int)
    scale = np.maximum(yy, 1e-300)
    diag = np.einsum("jjp->jp", g)
    done = np.zeros(p, bool)
    rel_gap = np.full(p, np.inf)
    candidates = np.arange(p)  # problems to polish now
    target = max(tol, 1e-10)  # gap at which descent hands over to the polish
    rounds = 1
    while True:
        if candidates.size:
            exact, ok = polish(
                g[:, :, candidates], c[:, candidates], b[:, candidates], l1[candidates], l2[candidates], w, policy
            )
            good = candidates[ok]
            b[:, good] = exact[:, ok]
            done[good] = True
        todo = np.flatnonzero(~done)
        if not todo.size or sweeps[todo].max() >= max_iter:
            break
        gs, cs, bs = g[:, :, todo], c[:, todo], b[:, todo]
        l1s, l2s, ds = l1[todo], l2[todo], diag[:, todo]
        r = cs - np.einsum("kjp,jp->kp", gs, bs)  # c - G b, kept up to date
        support = np.sign(bs)
        for _ in range(rounds):
            for j in range(k):
                old = bs[j]
                new = _soft(r[j] + ds[j] * old, l1s * w[j]) / (ds[j] + l2s * w[j])
                r -= gs[:, j, :] * (new - old)
                bs[j] = new
        sweeps[todo] += rounds
        rounds = min(2 * rounds, 16)
        b[:, todo] = bs
        rel_gap[todo] = duality_gap(gs, cs, yy[todo], bs, l1s, l2s, w) / scale[todo]
        stable = (np.sign(bs) == support).all(axis=0)  # signs unchanged by the last round: the polish may finish it
        candidates = todo[(rel_gap[todo] <= target) | stable]
        if not candidates.size and rounds == 16:
            target = max(target, 10 * rel_gap[todo].min())  # descent stalls: let the polish try
    rel_gap[done] = 0.0  # polished and KKT-verified: exact on the active set, up to rounding
    return b, rel_gap, sweeps, done | (rel_gap <= tol)


def _profile_unpenalised(g, c, b, w):
    """Set the unpenalised coefficients to their optimum given the others (exact, per problem)."""
    u = w == 0
    if not u.any():
        return b
    b = b.copy()
    pen = ~u
    guu = g[np.ix_(u, u)].transpose(2, 0, 1)  # (P, U, U)
    rhs = (c[u] - np.einsum("ijp,jp->ip", g[np.ix_(u, pen)], b[pen])).T[:, :, None]
    b[u] = np.linalg.solve(guu, rhs)[:, :, 0].T
    return b


def duality_gap(g, c, yy, b, l1, l2, w):
    """Duality gap of ``0.5||y - Xb||^2 + l1 sum w|b| + 0.5 l2 sum w b^2`` (scikit-learn's formula,
    with penalty weights; unpenalised coefficients profiled out first so the dual is feasible)."""
    b = _profile_unpenalised(g, c, b, w)
    gb = np.einsum("kjp,jp->kp", g, b)
    r_norm2 = yy - 2 * np.einsum("kp,kp->p", b, c) + np.einsum("kp,kp->p", b, gb)
    xta = c - gb - l2 * w[:, None] * b
    pen = w > 0
    dual_norm = np.max(np.abs(xta[pen]) / w[pen, None], axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        const = np.where(dual_norm > l1, l1 / dual_norm, 1.0)
    r_norm2 = np.maximum(r_norm2, 0.0)
    gap = np.where(dual_norm > l1, 0.5 * r_norm2 * (1 + const**2), r_norm2)
    l1_norm = np.einsum("k,kp->p", w, np.abs(b))
    w_norm2 = np.einsum("k,kp->p", w, b * b)
    ry = yy - np.einsum("kp,kp->p", b, c)
    gap = gap + l1 * l1_norm - const * ry + 0.5 * l2 * (1 + const**2) * w_norm2
    return gap


def slack(c, bound):
    """Rounding allowance of the KKT bound per problem: 1e-9 of the problem's scale."""
    return 1e-9 * (np.abs(c).max(axis=0) + bound.max(axis=0) + 1e-300)


def kkt_ok(exact, grad, active, s, l1, w, c):
    """KKT conditions of the candidate ``exact`` whose gradient ``c - Gb - l2 w b`` is ``grad``.

    Inactive penalised loadings need ``|grad| <= l1 w`` (up to rounding); active ones must keep
    their sign.
    """
    bound = l1[None, :] * w[:, None]
    inactive_ok = active | (np.abs(grad) <= bound + slack(c, bound))
    sign_ok = ~(active & (w > 0)[:, None]) | (np.sign(exact) == s)
    return inactive_ok.all(axis=0) & sign_ok.all(axis=0)


def polish(g, c, b, l1, l2, w, policy: SolvePolicy = AUTO):
    """Exact solution on the active set and signs of ``b``; ok where the KKT conditions hold."""
    active = (b != 0) | (w == 0)[:, None]
    s = np.sign(b)
    u, v = active_solve(g.transpose(2, 0, 1), np.arange(c.shape[1]), c, active, s, l2, w, policy=policy)
    exact = u - l1[None, :] * v
    grad = c - np.einsum("kjp,jp->kp", g, exact) - l2[None, :] * w[:, None] * exact
    return exact, kkt_ok(exact, grad, active, s, l1, w, c)
