"""The lasso homotopy and the elastic-net path driver.

Objective (``l1_ratio`` r, penalty weights w, both from a checked ``options.Penalty``):
``1/(2n) ||y - a - Xb||^2 + lambda * (r * sum_k w_k |b_k| + (1 - r)/2 * sum_k w_k b_k^2)``. The lasso follows each
problem's exact piecewise-linear path (a homotopy on its active set, all problems batched): only problems whose
active set changes are solved again, and every step is checked against the KKT conditions. The elastic net (and any
lasso problem the check rejects) runs coordinate descent (``descent``) with warm starts along the lambda path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np

from ...errors import InputValueError
from ..options import Penalty, Solver
from .descent import kkt_ok, slack, solve
from .grids import unpenalised_fit
from .linalg import AUTO, SharedGram, active_solve
from .problems import Problems

DEFAULT_SOLVER = Solver()


@dataclass(frozen=True, eq=False)
class _Fit:
    coef: np.ndarray | None  # (L, K, P) on scaled factors (None unless kept)
    gap: np.ndarray | None  # (L, P) duality gap relative to y'y (0 where the KKT check verified the exact solution)
    n_iter: np.ndarray | None  # (L, P) sweeps used
    converged: np.ndarray  # (L, P) when kept, else (P,): converged at every lambda
    sse: np.ndarray | None  # (L, P) held-out squared errors (None without test rows)
    nonzero: np.ndarray | None  # (L, P) non-zero loadings (None unless kept or asked for)


class _Path:
    """The path's state at the current lambda. Problems whose exact active-set solution is cached are
    ``u - l1 v`` (formed only when the path keeps its coefficients); the others (coordinate descent's answers)
    are explicit."""

    def __init__(self, k: int, p: int):
        self.b = np.zeros((k, p))  # explicit coefficients, valid where ``explicit``
        self.explicit = np.ones(p, bool)
        self.cache: _Cache | None = None
        self.l1 = np.zeros(p)

    def coef(self) -> np.ndarray:
        """Every problem's coefficients (K, P) at the current lambda."""
        if self.cache is None:
            return self.b.copy()
        part = self.cache.get(np.arange(self.b.shape[1]))
        return np.where(self.explicit, self.b, part[_Cache.U] - self.l1 * part[_Cache.V])


class _Cache:
    """Per problem, the exact active-set solution ``u - l1 v`` with what moves it along the path: the active set and
    signs, the gradient's parts ``c - G u`` and ``G v``, ``c`` itself, and the next event. Stored problem-major
    ((P, parts, K)), so the few problems with an event at a step are read and written as contiguous rows."""

    ACTIVE, SIGN, U, V, GU, GV, C = range(7)

    def __init__(self, c: np.ndarray):
        k, p = c.shape
        self.rows = np.zeros((p, 7, k))
        self.rows[:, self.C] = c.T
        self.nxt = np.zeros(p)

    def get(self, r: np.ndarray) -> np.ndarray:
        """(parts, K, len(r)): the problems ``r``, contiguous (the active set as 0/1)."""
        return np.ascontiguousarray(np.take(self.rows, r, axis=0).transpose(1, 2, 0))

    def start(self, b: np.ndarray, grad: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Every problem at its own ``lambda_max`` (in l1 units): the unpenalised fit ``b`` with gradient ``grad``
        (``grids.unpenalised_fit``), constant above it (v = 0), its next event at that ``lambda_max``. Returns the parts."""
        rows = self.rows
        rows[:, self.ACTIVE] = (w == 0)[None, :]
        rows[:, self.U], rows[:, self.GU] = b.T, grad.T
        pen = w > 0
        self.nxt = (np.abs(grad[pen]) / w[pen, None]).max(axis=0) if pen.any() else np.zeros(b.shape[1])
        return rows.transpose(1, 2, 0)

    def put(self, r: np.ndarray, part: np.ndarray, nxt: np.ndarray) -> None:
        self.rows[r] = part.transpose(2, 0, 1)
        self.nxt[r] = nxt


class _Scores:
    """Held-out squared errors along the path. For a cached problem ``b = u - l1 v``, so its error
    ``y'y - 2 b'c + b'Gb`` on the test rows is ``A + l1 B + l1^2 C``: refreshed only when (u, v) change."""

    def __init__(self, test: dict, block: np.ndarray, policy=AUTO):
        self.test, self.gram = test, SharedGram(test["gram"], block, policy)
        p = block.size
        self.a, self.b, self.c = np.zeros(p), np.zeros(p), np.zeros(p)

    def direct(self, cols: np.ndarray, b: np.ndarray) -> np.ndarray:
        t = self.test
        return (
            t["yty"][cols]
            - 2 * np.einsum("kp,kp->p", b, t["xty"][:, cols])
            + np.einsum("kp,kp->p", b, self.gram.times(cols, b))
        )

    def refresh(self, cols: np.ndarray, u: np.ndarray, v: np.ndarray) -> None:
        t, ct = self.test, np.take(self.test["xty"], cols, axis=1)
        gu, gv = self.gram.times(cols, u), self.gram.times(cols, v)
        self.a[cols] = t["yty"][cols] - 2 * np.einsum("kp,kp->p", u, ct) + np.einsum("kp,kp->p", u, gu)
        self.b[cols] = 2 * (np.einsum("kp,kp->p", v, ct) - np.einsum("kp,kp->p", u, gv))
        self.c[cols] = np.einsum("kp,kp->p", v, gv)

    def at(self, path: _Path) -> np.ndarray:
        l1 = path.l1
        out = self.a + l1 * (self.b + l1 * self.c)
        e = np.flatnonzero(path.explicit)
        if e.size:  # most steps solve no problem by descent
            out[e] = self.direct(e, path.b[:, e])
        return out


def enet_path(
    probs: Problems,
    lambdas: np.ndarray,
    pen: Penalty,
    solver: Solver = DEFAULT_SOLVER,
    keep: bool = True,
    test: dict | None = None,
    count: bool | None = None,
) -> _Fit:
    """Elastic-net coefficients for every lambda (descending order is fastest): (L, K, P) and diagnostics.

    ``lambdas`` is (L,) common to all problems or (L, P) one grid per problem. With ``keep=False`` the
    coefficients are not stored (``coef`` is None), nor are the per-lambda diagnostics (only whether each
    problem converged at every lambda), and the non-zero counts only with ``count``. With ``test`` (from
    ``build_problems``) the held-out squared errors are scored at every lambda.

    The lasso moves along each problem's exact piecewise-linear path: between events nothing is computed
    for a problem but its held-out error (a quadratic in lambda), so a step costs in proportion to the
    problems whose active set changes. Without ``keep``, on a grid descending for every problem, the steps are
    taken by events (``_lasso_by_events``: the same solves, batched across lambdas; at 1260 x 10 x 100, 5 folds,
    at most 11 batches instead of 100 steps, the CV's CPU time 0.09-0.13 s -> 0.04-0.05 s), for at most
    ``policy.events_max`` problems in at most ``policy.many_blocks`` blocks: with more, the loop's steps are large
    batches already (586 rolling windows of 30 assets: CPU 3.2 s by events, 1.5 s by the loop; 5040 x 20 x 3000:
    no faster, and a higher peak memory).
    """
    weights, l1_ratio = cast(np.ndarray, pen.weights), cast(float, pen.l1_ratio)  # checked (Penalty.checked)
    if l1_ratio == 0.0:
        raise InputValueError(
            "l1_ratio is 0: that is ridge regression; use method 'ridge' (its lambda is on another scale)."
        )
    k, p = probs.xty.shape
    n_l = len(lambdas)
    lam = np.broadcast_to(np.ascontiguousarray(lambdas, float).reshape(n_l, -1), (n_l, p))  # rows contiguous
    policy = solver.policy
    shared = SharedGram(probs.gram, probs.block, policy)
    few = p <= policy.events_max and probs.gram.shape[0] <= policy.many_blocks  # else the loop's steps are large
    if not keep and l1_ratio == 1.0 and few and (lam[1:] <= lam[:-1]).all():
        scored = _Scores(test, probs.block, policy) if test is not None else None
        return _lasso_by_events(probs, lam, pen, solver, shared, scored, bool(count))
    coef = np.empty((n_l, k, p)) if keep else None
    count = keep if count is None else count
    rows = n_l if keep else 1  # the per-lambda diagnostics, or one row: every lambda's folded in
    gap, n_iter, conv = np.zeros((rows, p)), np.zeros((rows, p), int), np.ones((rows, p), bool)
    nonzero = np.empty((n_l, p), int) if count else None
    sse = np.empty((n_l, p)) if test is not None else None
    scores = _Scores(test, probs.block, policy) if test is not None else None
    c, yy = probs.xty, probs.yty
    path = _Path(k, p)
    n_active = np.zeros(p, int)  # non-zero loadings of the cached problems
    no_l2 = np.zeros(p)
    n_l1 = probs.n * l1_ratio

    def cached(cols, part):  # problems whose (u, v) changed: their held-out error's quadratic and active count
        if scores is not None:
            scores.refresh(cols, part[_Cache.U], part[_Cache.V])
        n_active[cols] = part[_Cache.ACTIVE].sum(axis=0)

    for i in range(n_l):
        l1 = n_l1 * lam[i]
        l2 = probs.n * lam[i] * (1.0 - l1_ratio) if l1_ratio < 1.0 else no_l2
        path.explicit[:] = False
        if path.cache is None and l1_ratio == 1.0:
            # the lasso starts at each problem's lambda_max (or the first lambda, if higher), where its penalised
            # loadings are 0: exact with no solve but the unpenalised part's; the homotopy takes it from there
            path.cache = _Cache(c)
            cached(np.arange(p), path.cache.start(*unpenalised_fit(probs, pen), weights))
        if path.cache is None:
            r, warm = np.arange(p), path.b
        else:  # lasso only: exact on each problem's active set, linear in lambda until the next event
            changed, r, warm, part = _active_set_steps(path.cache, shared, l1, pen)
            if changed.size:
                cached(changed, part)
        path.l1 = l1
        if r.size:
            row = i if keep else 0
            path.b[:, r], g_r, n_iter[row, r], ok_r = solve(
                shared.stack(r), c[:, r], yy[r], l1[r], l2[r], pen, warm, solver
            )
            gap[row, r] = g_r if keep else np.maximum(gap[row, r], g_r)
            conv[row, r] &= ok_r
            path.explicit[r] = True
            if l1_ratio == 1.0:
                assert path.cache is not None  # set at the first lambda when l1_ratio is 1
                cached(r, _update_cache(path.cache, shared, path.b, pen, r, l1))
        if count:  # cached problems: their active count; explicit ones: their non-zero coefficients
            assert nonzero is not None
            nonzero[i] = n_active
            if r.size:  # explicit problems are those just solved by descent
                e = np.flatnonzero(path.explicit)
                nonzero[i, e] = (path.b[:, e] != 0).sum(axis=0)
        if scores is not None:
            assert sse is not None
            sse[i] = scores.at(path) if path.cache is not None else scores.direct(np.arange(p), path.b)
        if keep:
            assert coef is not None
            coef[i] = path.coef()
    if not keep:
        return _Fit(coef=None, gap=None, n_iter=None, converged=conv[0], sse=sse, nonzero=nonzero)
    return _Fit(coef=coef, gap=gap, n_iter=n_iter, converged=conv, sse=sse, nonzero=nonzero)


def _lasso_by_events(probs: Problems, lam, pen: Penalty, solver: Solver, shared, scores, count: bool) -> _Fit:
    """``enet_path`` for the lasso on a descending grid without the coefficients: each problem jumps straight to the
    next grid point at which its active set changes (about K jumps, against one step per lambda), and the points in
    between are scored from the cached exact solution (a quadratic in lambda). Every problem is solved at the same
    points, from the same state, as by the loop over lambdas; only the batches span several lambdas."""
    w = cast(np.ndarray, pen.weights)  # checked (Penalty.checked): a float vector
    k, p = probs.xty.shape
    n_l = lam.shape[0]
    n1 = probs.n * 1.0  # lambda to the solver's penalty, as the loop's ``n_l1`` (no (L, P) array of penalties kept)
    sse = np.empty((n_l, p)) if scores is not None else None
    nonzero = np.empty((n_l, p), int) if count else None
    gap, conv, n_active = np.zeros(p), np.ones(p, bool), np.zeros(p, int)
    cache = _Cache(probs.xty)

    def cached(cols, part):  # problems whose (u, v) changed: their held-out error's quadratic and active count
        if scores is not None:
            scores.refresh(cols, part[_Cache.U], part[_Cache.V])
        n_active[cols] = part[_Cache.ACTIVE].sum(axis=0)

    def from_cache(ii, cols, out=sse, nz=nonzero):  # grid points ``ii`` of problems ``cols``, from the cache
        if scores is not None and out is not None:
            at = n1[cols] * lam[ii, cols]
            out[ii, cols] = scores.a[cols] + at * (scores.b[cols] + at * scores.c[cols])
        if nz is not None:
            nz[ii, cols] = n_active[cols]

    cached(np.arange(p), cache.start(*unpenalised_fit(probs, pen), w))
    pos, moving = np.full(p, -1), np.arange(p)  # the last point done; the problems with points left
    while moving.size:
        # a problem is seen (as in the loop) at a point whose penalty, less 1e-9 of it, is at most its next event;
        # the grid descends, so that is the first point not above it
        first, above = pos[moving] + 1, n1[moving] * lam[:, moving] * (1 - 1e-9)
        nxt = np.maximum((above > cache.nxt[moving]).sum(axis=0), first)
        run = nxt - first  # the points before the next event, from the cache
        starts = np.repeat(first - np.cumsum(run) + run, run)
        from_cache(starts + np.arange(run.sum()), np.repeat(moving, run))
        go = nxt < n_l
        moving, at = moving[go], nxt[go]
        now = np.full(p, np.inf)  # no event at an infinite penalty: problems not moving are not seen
        now[moving] = n1[moving] * lam[at, moving]
        changed, r, warm, part = _active_set_steps(cache, shared, now, pen)
        if changed.size:
            cached(changed, part)
        from_cache(at, moving)
        where = np.full(p, -1)
        where[moving] = at
        for i in np.unique(where[r]):  # the problems the exact step fails: descent, one lambda at a time (as the loop)
            ri = r[where[r] == i]
            b = np.zeros((k, p))
            b[:, ri], g_r, _, ok_r = solve(
                shared.stack(ri), probs.xty[:, ri], probs.yty[ri], now[ri], np.zeros(ri.size), pen,
                warm[:, where[r] == i], solver,
            )  # fmt: skip
            gap[ri], conv[ri] = np.maximum(gap[ri], g_r), conv[ri] & ok_r
            if sse is not None and scores is not None:
                sse[i, ri] = scores.direct(ri, b[:, ri])
            if nonzero is not None:
                nonzero[i, ri] = (b[:, ri] != 0).sum(axis=0)
            cached(ri, _update_cache(cache, shared, b, pen, ri, now))
        pos[moving] = at
    return _Fit(coef=None, gap=None, n_iter=None, converged=conv, sse=sse, nonzero=nonzero)


def _active_set_steps(cache: _Cache, g: SharedGram, l1, pen: Penalty, attempts: int = 4):
    """Lasso homotopy steps to the new penalty ``l1`` (per problem).

    On its active set a problem's solution is ``u - l1 v``, linear in ``l1``, until the next event: an
    active loading reaching zero or an inactive one's gradient reaching the bound. Problems whose next
    event (cached) lies above ``l1`` take the linear solution as it is, with no check and no work. For the
    others the loadings that violate the KKT conditions at ``l1`` enter (with the gradient's sign) and those
    whose sign flipped leave; they are re-solved exactly and checked, up to ``attempts`` times.

    Updates the cache; returns (problems whose (u, v) changed, problems still failing, their linear
    solutions at ``l1`` as warm starts, the changed problems' cache parts).
    """
    w = cast(np.ndarray, pen.weights)  # checked (Penalty.checked): a float vector
    seen = np.flatnonzero(cache.nxt >= l1 * (1 - 1e-9))  # an event at or above the new penalty
    if not seen.size:
        return seen, seen, np.zeros((g.gram.shape[1], 0)), None
    part = cache.get(seen)
    act, sg, us, vs, gus, gvs, cs = part
    act = act != 0
    ls = l1[seen]
    warm = us - ls * vs  # the linear solution past its event: the warm start of any that fail
    exact, grad = warm, gus + ls * gvs
    todo = slice(None)  # (positions in ``seen``) still to solve: at first all of them, as views, not copies
    for _ in range(attempts):
        if not exact.shape[1]:
            break
        a, sgn, lt, ct = act[:, todo], sg[:, todo], ls[todo], cs[:, todo]
        bound = lt[None, :] * w[:, None]
        enter = ~a & (np.abs(grad) > bound + slack(ct, bound))  # a tie (at lambda_max, say) is no event
        leave = a & (w > 0)[:, None] & (np.sign(exact) != sgn)
        a = (a | enter) & ~leave
        sgn = np.where(enter, np.sign(grad), np.where(leave, 0.0, sgn))
        r = seen[todo]
        ur, vr = active_solve(g.gram, g.block[r], ct, a, sgn, np.zeros(r.size), w, g, r, g.policy)
        gur, gvr = ct - g.times(r, ur), g.times(r, vr)
        act[:, todo], sg[:, todo], us[:, todo], vs[:, todo], gus[:, todo], gvs[:, todo] = a, sgn, ur, vr, gur, gvr
        exact, grad = ur - lt * vr, gur + lt * gvr
        ok = kkt_ok(exact, grad, a, sgn, lt, w, ct)
        exact, grad, todo = exact[:, ~ok], grad[:, ~ok], np.arange(seen.size)[todo][~ok]
    part[_Cache.ACTIVE] = act
    cache.put(seen, part, _next_event(us, vs, gus, gvs, act, w, ls))
    return seen, seen[todo], warm[:, todo], part


def _next_event(u, v, gu, gv, active, w, l1):
    """The largest penalty below ``l1`` at which the active set of ``u - t v`` must change (0: none).

    Active penalised loadings reach zero at ``t = u / v``; an inactive one's gradient ``gu + t gv``
    reaches the bound ``t w`` at ``t = gu / (w - gv)`` or ``-gu / (w + gv)``.
    """
    wc, pen = w[:, None], (w > 0)[:, None]
    cap = l1 * (1 + 1e-9)  # ties: at l1 itself

    def first(t, which):  # NaN and inf compare False or fail the bound
        return np.where(which & (t > 0) & (t < cap), t, 0.0)

    with np.errstate(divide="ignore", invalid="ignore"):
        inactive = ~active & pen
        t = np.maximum(first(gu / (wc - gv), inactive), first(-gu / (wc + gv), inactive))  # enter at +bound, -bound
        t = np.maximum(t, first(u / v, active & pen))  # leave
    return t.max(axis=0)


def _update_cache(cache: _Cache, g: SharedGram, b, pen: Penalty, r, l1):
    """Recompute the lasso active-set solution ``(u, v)``, its gradients and next event for problems ``r`` from
    their coefficients ``b``; returns their cache parts."""
    w = cast(np.ndarray, pen.weights)  # checked (Penalty.checked): a float vector
    part = cache.get(r)
    c = part[_Cache.C]
    act = (b[:, r] != 0) | (w == 0)[:, None]
    sg = np.sign(b[:, r])
    ur, vr = active_solve(g.gram, g.block[r], c, act, sg, np.zeros(r.size), w, g, r, g.policy)
    gu, gv = c - g.times(r, ur), g.times(r, vr)
    part[: _Cache.C] = act, sg, ur, vr, gu, gv
    cache.put(r, part, _next_event(ur, vr, gu, gv, act, w, l1[r]))
    return part
