"""Risk-based long-only allocation: ERC, budgets, inverse volatility, minimum variance, target volatility."""

from __future__ import annotations

import dataclasses

import numpy as np
from numpy.typing import ArrayLike

from ...errors import ConvergenceError, InputValueError
from .. import _validation as v
from ..options import ALLOC_METHODS, DEFAULTS
from .factor_budget import factor_budgeting
from .model import AllocationResult, FactorModel, _as_risk_model, _result, check_budgets

# --- allocation --------------------------------------------------------------------------------------------------


def allocate(
    method: str = DEFAULTS["risk_method"],
    *,
    cov: ArrayLike | None = None,
    model: FactorModel | None = None,
    budgets: ArrayLike | None = None,
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
    - ``factor``: factor risk budgeting (needs a factor model): the long-only weights whose shares of the
      systematic variance by factor are nearest (Euclidean) to ``budgets`` (K positive numbers; default equal),
      or with K + 1 budgets the shares of total variance by factor and specific risk. ``feasible`` says whether
      they were met to 1e-8 and ``distance`` how far the shares reached are; ``note`` names the budgets missed
      (e.g. a factor on which no asset loads). Multistart bounded least squares, seeded: see ``factor_budget``.
    - ``minvar``: the long-only minimum-variance portfolio.
    - ``targetvol``: the ERC portfolio scaled to volatility ``target_vol`` (per period, as the covariance);
      the weights then sum to ``target_vol / vol(ERC)``, the rest (``note``) is cash, negative for borrowing.

    ``budgets`` given to a method other than budget or factor, or ``target_vol`` to one other than targetvol, is
    an ``InputValueError`` saying the method ignores it.

    Parameters
    ----------
    method : {"erc", "budget", "invvol", "factor", "minvar", "targetvol"}
        The allocation rule (above).
    cov : array_like, shape (N, N), optional
        A dense asset covariance. Pass it or ``model``, not both.
    model : FactorModel, optional
        The covariance in factor form (needed by ``factor``).
    budgets : array_like, optional
        ``budget``: one positive number per asset; ``factor``: K (or K + 1) positive numbers. Normalised to sum 1.
    tol : float
        Newton's stopping tolerance on the risk contributions.
    max_iter : int
        Newton's step cap.
    target_vol : float, optional
        ``targetvol``: the volatility to aim for, per period as the covariance.

    Returns
    -------
    AllocationResult
        The weights, their risk contributions, the budgets aimed at and reached, and the solver's report.

    Raises
    ------
    InputValueError
        For an unknown method, an argument the method ignores or needs and lacks, an asset with zero variance,
        ``factor`` without a factor model, or non-positive budgets.
    InputShapeError
        When ``budgets`` does not have one value per asset (per factor).
    ConvergenceError
        When risk budgeting does not converge in ``max_iter`` Newton steps.

    Examples
    --------
    >>> import numpy as np
    >>> import xlfactor as xf
    >>> cov = np.array([[0.04, 0.006, 0.0], [0.006, 0.01, 0.002], [0.0, 0.002, 0.0225]])
    >>> print(xf.allocate("invvol", cov=cov).weights.round(3))
    [0.231 0.462 0.308]
    >>> res = xf.allocate("budget", cov=cov, budgets=[2, 1, 1])
    >>> print(res.contributions.round(3))
    [0.5  0.25 0.25]
    """
    method = v.choose(method, ALLOC_METHODS, "method", "erc")
    check_used(method, budgets, target_vol)
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
        return factor_budgeting(risk, budgets, allocate("erc", model=risk).weights)
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


BUDGET_METHODS = ("budget", "factor")  # the methods that read budgets; only targetvol reads target_vol


def check_used(method: str, budgets, target_vol) -> None:
    """Refuse ``budgets`` or ``target_vol`` given to a ``method`` that ignores them (a silently ignored argument
    would look like the answer to what the user asked)."""
    if budgets is not None and method not in BUDGET_METHODS:
        raise InputValueError(f"method {method!r} ignores budgets (only budget and factor use them); drop the "
                              "budgets or choose method 'budget' (per asset) or 'factor' (per factor).")
    if target_vol is not None and method != "targetvol":
        raise InputValueError(f"method {method!r} ignores target_vol (only targetvol uses it); drop target_vol or "
                              "choose method 'targetvol'.")


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


