"""Factor risk budgeting: the long-only weights whose factor risk shares are nearest to the budgets.

Shares are scale-free, so the problem is ``min ||shares(w) - b||_2`` over ``w >= 0`` (then normalised to sum
1). It is not convex: it is solved by bounded least squares (scipy's ``least_squares``, trust-region
reflective, analytic Jacobian) from several starts: the ERC portfolio, the equal-weight portfolio and
``N_STARTS`` long-only portfolios drawn from a flat Dirichlet with seed ``SEED`` (the same every call, so the
answer is reproducible). The nearest of the answers is kept; the ERC portfolio decides only between answers at
the same distance (to ``TIE``): among those the weights closest to ERC's win.

Weight bounds and a turnover limit (``constraints``), where the answer breaks them: the same distance minimised
over the allowed weights by SLSQP from the unconstrained answer and the same starts, each first moved to the
nearest allowed weights.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy import optimize

from ...errors import ConvergenceError
from . import constraints
from .model import AllocationResult, FactorModel, _result, check_budgets

N_STARTS = 6  # random starts besides ERC and equal weights. On the shipped 30 portfolios (OLS, 4 factors) every one
# of 14 starts reached the same distance to 1e-14 for equal and (0.1, 0.3, 0.3, 0.3) budgets (0.07-0.2 s a start
# under load): the extra starts guard against local minima on other models at a bounded cost
SEED = 0
TIE = 1e-10  # distances within this are equal: then the weights nearest ERC's win
EXACT = 1e-8  # budgets are met when every share is within this of its budget


def factor_shares(model: FactorModel, x: np.ndarray, with_specific: bool) -> np.ndarray:
    """Each factor's share of the systematic variance of ``x`` (or, ``with_specific``, of the total variance,
    then the specific share last)."""
    beta = model.loadings.T @ x
    parts = beta * (model.factor_cov @ beta)
    if with_specific:
        parts = np.append(parts, x @ (model.specific_var * x))
    return parts / parts.sum()


def _jacobian(model: FactorModel, x: np.ndarray, with_specific: bool) -> np.ndarray:
    """d shares / d x, (K [+1], N)."""
    b_mat, f, d = model.loadings, model.factor_cov, model.specific_var
    beta = b_mat.T @ x
    fb = f @ beta
    bf = b_mat @ f  # (N, K)
    parts = beta * fb
    d_parts = (b_mat * fb[None, :] + bf * beta[None, :]).T  # (K, N)
    if with_specific:
        d_parts = np.vstack([d_parts, 2 * d * x])
        parts = np.append(parts, x @ (d * x))
    total, d_total = parts.sum(), d_parts.sum(axis=0)
    return (d_parts * total - parts[:, None] * d_total[None, :]) / total**2


def _solve(model, target, with_specific, x0):
    """Bounded least squares on the shares from ``x0`` (one extra residual pins sum x = 1: shares are
    scale-free, so it costs no distance); the weights normalised to sum 1 and their distance."""

    def resid(x):
        return np.append(factor_shares(model, x, with_specific) - target, x.sum() - 1.0)

    def jac(x):
        return np.vstack([_jacobian(model, x, with_specific), np.ones(x.size)])

    sol = optimize.least_squares(
        resid, x0, jac=jac, bounds=(0.0, np.inf), xtol=1e-15, ftol=1e-15, gtol=1e-15, max_nfev=2000, method="trf"
    )
    w = np.clip(sol.x, 0.0, None)
    w[w < 1e-14 * w.max()] = 0.0  # weights pinned at the bound are zero, not 1e-55
    w /= w.sum()
    shares = factor_shares(model, w, with_specific)
    return w, shares, float(np.linalg.norm(shares - target)), int(sol.nfev)


def starts(n: int, w_erc: np.ndarray, n_starts: int = N_STARTS, seed: int = SEED) -> list[np.ndarray]:
    """ERC, equal weights, then ``n_starts`` seeded flat-Dirichlet portfolios."""
    rng = np.random.default_rng(seed)
    return [w_erc, np.full(n, 1.0 / n), *rng.dirichlet(np.ones(n), size=n_starts)]


def factor_budgeting(
    model: FactorModel, budgets, w_erc: np.ndarray, checked: constraints.Checked | None = None
) -> AllocationResult:
    """Long-only weights whose factor shares are nearest (Euclidean) to ``budgets`` (see the module docstring).

    ``budgets``: K positive numbers (shares of systematic variance; default equal) or K + 1 (shares of total
    variance, specific last). ``feasible`` says whether they are met to ``EXACT``; ``distance`` is
    ``||shares - budgets||_2`` reached; ``note`` names the budgets missed. With ``checked`` constraints (weight
    bounds, turnover) that the unconstrained answer breaks, the nearest shares over the allowed weights instead:
    SLSQP (``constraints.nearest_shares``) from the unconstrained answer and the same starts, each moved to the
    nearest allowed weights; ``note`` also names the constraints that bind.
    """
    k = model.loadings.shape[1]
    with_specific = budgets is not None and np.size(budgets) == k + 1
    target = np.full(k, 1.0 / k) if budgets is None else check_budgets(budgets, k + int(with_specific), "factors")
    found, nfev = [], 0
    for x0 in starts(model.n_assets, w_erc):
        w, shares, dist, n = _solve(model, target, with_specific, x0)
        nfev += n
        found.append((dist, w, shares))
        if np.abs(shares - target).max() <= EXACT:
            break  # met exactly: no start can be nearer, and ERC's start (tried first) wins ties
    dist, w, shares = _nearest(found, w_erc)
    if checked is not None and not checked.allows(w):
        dist, w, shares = _constrained(
            model, target, with_specific, checked, [w, *starts(model.n_assets, w_erc)], w_erc
        )
    feasible = bool(np.abs(shares - target).max() <= EXACT)
    out = dataclasses.replace(_result("factor", w, model, target, nfev, True, feasible, shares), distance=dist)
    notes = [] if feasible else [_missed_note(model, target, shares, dist)]
    if checked is not None:
        notes.append(checked.describe(w))
    return dataclasses.replace(out, note="; ".join(notes))


def _nearest(found, w_erc):
    """The nearest of the answers found; among those at the same distance (``TIE``), the weights nearest ERC's."""
    best = min(d for d, _, _ in found)
    return min((c for c in found if c[0] <= best + TIE), key=lambda c: np.linalg.norm(c[1] - w_erc))


def _constrained(model, target, with_specific, checked, x0s, w_erc):
    """The nearest shares over the allowed weights, from each start (those where SLSQP fails are skipped)."""
    found = []
    failure: ConvergenceError | None = None
    for x0 in x0s:
        try:
            w = constraints.nearest_shares(
                lambda z: factor_shares(model, z, with_specific),
                lambda z: _jacobian(model, z, with_specific),
                target,
                checked,
                x0,
            )
        except ConvergenceError as err:
            failure = err
            continue
        shares = factor_shares(model, w, with_specific)
        found.append((float(np.linalg.norm(shares - target)), w, shares))
        if np.abs(shares - target).max() <= EXACT:
            break
    if not found:
        assert failure is not None  # every start failed
        raise failure
    return _nearest(found, w_erc)


def _missed_note(model: FactorModel, target, shares, dist) -> str:
    k = model.loadings.shape[1]
    names = [f"factor {j + 1}" for j in range(k)] + ["specific risk"] * (target.size - k)
    unloaded = [names[j] for j in range(k) if not model.loadings[:, j].any()]
    missed = [
        f"{names[j]} {100 * shares[j]:.1f}% for {100 * target[j]:.1f}%"
        for j in range(target.size)
        if abs(shares[j] - target[j]) > 1e-6
    ]
    return (
        f"budgets not reachable with long-only weights; nearest shares found (distance {dist:.4g}; "
        f"{'shares of the factors variance, specific risk excluded' if target.size == k else 'shares of variance'}): "
        f"{'; '.join(missed)}"
        + (f". No asset loads on {', '.join(unloaded)}, so its share is 0 in every portfolio" if unloaded else "")
    )
