"""Risk-based long-only allocation: ERC, budgets, inverse volatility, minimum variance, target volatility."""

from __future__ import annotations

import dataclasses

import numpy as np
from numpy.typing import ArrayLike

from ...errors import ConvergenceError, InputValueError
from .. import _validation as v
from .._threads import single_threaded
from ..options import ALLOC_METHODS, DEFAULTS, TARGET_BASES, ignored
from . import constraints
from .constraints import Constraints
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
    base: str = DEFAULTS["target_base"],
    min_weight: ArrayLike | None = None,
    max_weight: ArrayLike | None = None,
    current: ArrayLike | None = None,
    max_turnover: float | None = None,
) -> AllocationResult:
    """Long-only weights from a risk model, fully invested except for ``targetvol``.

    - ``erc``: equal risk contributions; ``budget``: contributions proportional to ``budgets``
      (one positive number per asset, normalised to sum 1). Both solve Spinu's convex problem
      ``min 0.5 x'Sx - sum b_i log x_i`` by Newton's method (Woodbury solves for a factor model; for a dense
      matrix of 300 assets or more, inexact steps by conjugate gradients), stopping when every contribution is
      within ``tol`` of its budget.
    - ``invvol``: weights proportional to 1 / volatility.
    - ``factor``: factor risk budgeting (needs a factor model): the long-only weights whose shares of the
      systematic variance by factor are nearest (Euclidean) to ``budgets`` (K positive numbers; default equal),
      or with K + 1 budgets the shares of total variance by factor and specific risk. ``feasible`` says whether
      they were met to 1e-8 and ``distance`` how far the shares reached are; ``note`` names the budgets missed
      (e.g. a factor on which no asset loads). Multistart bounded least squares, seeded: see ``factor_budget``.
    - ``minvar``: the long-only minimum-variance portfolio.
    - ``targetvol``: the ``base`` portfolio (any other method, default ERC) scaled to volatility ``target_vol``
      (per period, as the covariance); the weights then sum to ``target_vol / vol(base)``, the rest (``note``) is
      cash, negative for borrowing.

    Constraints (``erc``, ``budget``, ``factor``, ``minvar`` and the base of ``targetvol``; see ``constraints``):
    where they bind, risk budgeting keeps Spinu's objective over the allowed weights (the contributions then
    differ from the budgets; skfolio's ``RiskBudgeting`` with bounds solves the same), factor budgeting the
    distance of the factor shares from the budgets, and ``note`` names the binding ones. Weights that meet them
    unconstrained are returned as they are.

    Parameters
    ----------
    method : str
        One of ``options.ALLOC_METHODS`` (default ``erc``).
    cov : array_like, (N, N), optional
        A dense covariance (symmetric, positive semi-definite); or pass ``model``.
    model : FactorModel, optional
        The covariance ``B F B' + D`` in factor form.
    budgets : array_like, optional
        ``budget``: one positive number per asset; ``factor``: K (or K + 1) positive numbers.
    tol, max_iter
        Newton's stopping rule: every contribution within ``tol`` of its budget, at most ``max_iter`` steps.
    target_vol : float, optional
        ``targetvol``: the volatility per period.
    base : str, default "erc"
        ``targetvol``: the portfolio scaled (``options.TARGET_BASES``).
    min_weight, max_weight : float or array_like, optional
        Bounds per asset (one number for all or one per asset), shares of the fully invested portfolio.
    current : array_like, optional
        The weights held now, from which ``max_turnover`` is measured.
    max_turnover : float, optional
        The most ``sum |w - current|`` may be.

    Returns
    -------
    AllocationResult
        Weights, the risk contributions they achieve, the budgets aimed at and reached, and a note.

    Raises
    ------
    InputValueError
        An unknown method, an argument the method ignores (budgets, target_vol) or needs and lacks, a
        zero-variance asset, or constraints no portfolio meets
        (e.g. ``max_turnover`` below what the bounds need: the message says how much they need).
    ConvergenceError
        Newton's method or the constrained solver did not converge.

    Examples
    --------
    >>> import numpy as np
    >>> cov = np.array([[0.04, 0.006], [0.006, 0.01]])
    >>> w = allocate("erc", cov=cov).weights
    >>> [round(float(x), 4) for x in w]
    [0.3333, 0.6667]
    >>> [round(float(x), 4) for x in allocate("erc", cov=cov, max_weight=0.6).weights]
    [0.4, 0.6]
    """
    method = v.choose(method, ALLOC_METHODS, "method", "erc")
    check_used(method, budgets, target_vol, base)
    # BLAS on one thread throughout: a dense matrix's products (under load a 1000 x 1000 matrix-vector product took
    # 26 ms on 2 threads, 0.17 ms on one), and a single product left on 2 threads (the result's risk contributions)
    # woke OpenBLAS's second thread, which then spun for ~20 ms of CPU on the other core
    with single_threaded():
        return _allocate(
            method,
            _as_risk_model(cov, model),
            budgets,
            tol,
            max_iter,
            target_vol,
            base,
            min_weight,
            max_weight,
            current,
            max_turnover,
        )


def _allocate(
    method, risk, budgets, tol, max_iter, target_vol, base, min_weight, max_weight, current, max_turnover
) -> AllocationResult:
    """``allocate`` after its first checks, with BLAS on one thread, on the checked risk model ``risk``."""
    n = risk.n_assets
    diag = risk.diag()
    if (diag <= 0).any():
        i = int(np.flatnonzero(diag <= 0)[0])
        raise InputValueError(f"asset {i + 1} has zero variance; risk-based weights need every asset to carry risk.")
    cons = Constraints(min_weight, max_weight, current, max_turnover)
    if method == "targetvol":
        if target_vol is None:
            raise InputValueError(
                "method 'targetvol' needs target_vol: the volatility to aim for, per period "
                "(e.g. 0.10 / sqrt(12) for 10% a year on monthly data)."
            )
        target_vol = v.check_number(target_vol, "target_vol", low=0.0, low_open=True)
        base = v.choose(base, TARGET_BASES, "base", DEFAULTS["target_base"])
        # the risk model as checked: a dense matrix is not checked (and proved PSD) a second time
        inner = _allocate(base, risk, budgets, tol, max_iter, None, base, min_weight, max_weight, current, max_turnover)
        scale = target_vol / inner.volatility
        out = _result(method, inner.weights * scale, risk, None, inner.iterations, inner.converged)
        note = (
            f"cash {100 * (1 - scale):.4g}% of capital"
            + (" (borrowed)" if scale > 1 else "")
            + ("" if base == "erc" else f"; {base} portfolio scaled")
        )
        return dataclasses.replace(out, note=note + (f"; {inner.note}" if inner.note else ""))
    if cons.active and method == "invvol":
        raise InputValueError(
            "weight bounds and turnover apply to erc, budget, factor, minvar and targetvol, not to "
            "'invvol' (weights fixed by the volatilities); drop min_weight, max_weight and max_turnover."
        )
    if method == "invvol":
        w = 1.0 / np.sqrt(diag)
        return _result(method, w / w.sum(), risk, None, 0, True)
    if method == "factor" and not isinstance(risk, FactorModel):
        raise InputValueError("method 'factor' needs a factor model: loadings, factor_cov and specific_var.")
    checked = cons.checked(n) if cons.active else None
    if method == "factor":
        return factor_budgeting(risk, budgets, allocate("erc", model=risk).weights, checked)
    if method == "minvar":
        free = _min_variance(risk)
        if checked is None or checked.allows(free.weights):
            return free
        w = constraints.min_variance(risk, checked, free.weights)
        return dataclasses.replace(_result(method, w, risk, None, 0, True), note=checked.describe(w))
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
    if checked is None or checked.allows(x / x.sum()):
        return _result(method, x / x.sum(), risk, b, it, ok)
    w = constraints.budgeting(risk, b, checked, x / x.sum())
    return dataclasses.replace(_result(method, w, risk, b, it, True), note=checked.describe(w))


BUDGET_METHODS = ("budget", "factor")  # the methods that read budgets; only targetvol reads target_vol


def check_used(method: str, budgets, target_vol, base: str | None = None, selector: str = "method") -> None:
    """Refuse ``budgets`` or ``target_vol`` given to a ``method`` (the argument ``selector``) that ignores them (a
    silently ignored argument would look like the answer to what the user asked), in ``options.ignored``'s words;
    target volatility's budgets serve its ``base``."""
    reads_budgets = method in BUDGET_METHODS or (method == "targetvol" and str(base).strip().lower() in BUDGET_METHODS)
    if budgets is not None and not reads_budgets:
        raise InputValueError(ignored("budgets", method, BUDGET_METHODS, selector, DEFAULTS["risk_method"]))
    if target_vol is not None and method != "targetvol":
        raise InputValueError(ignored("target_vol", method, ("targetvol",), selector, DEFAULTS["risk_method"]))


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


JACOBI_SWEEPS = 20  # at most this many warm-start sweeps, each one product S x
JACOBI_TARGET = 1e-4  # sweeps stop once every contribution is within this share of its budget, then Newton polishes
# (bench_risk.py --dense, N=1000: on the K=10 and K=20 factor models' matrices each sweep cuts the error 3-10x and
# the whole solve takes 8-12 products S x instead of 18-27; on the K=4 model and the sample covariance the first
# sweep overshoots, and Newton starts from inverse volatility as before, one product later)


def _jacobi_start(risk, b, diag):
    """Start of Newton: inverse volatility, then sweeps of coordinate descent done for all assets at once.

    riskparityportfolio's cyclical coordinate descent solves ``x_i (S x)_i = b_i`` for one ``x_i`` at a time, the
    others fixed: ``S_ii x_i^2 + c_i x_i - b_i = 0`` with ``c_i = (S x)_i - S_ii x_i``, whose positive root is
    ``2 b_i / (c_i + sqrt(c_i^2 + 4 S_ii b_i)) = (sqrt(c_i^2 + 4 S_ii b_i) - c_i) / (2 S_ii)``. Here a sweep solves every coordinate from the same ``x`` (one
    product ``S x``, no loop over assets) and rescales to ``x'Sx = 1``. Such a Jacobi sweep contracts where the
    correlations are moderate and can overshoot where they are strong, so sweeps continue only while each one at
    least halves the largest relative error of the contributions, down to ``JACOBI_TARGET``. Returns ``x``,
    ``S x`` and the number of sweeps kept."""

    def scaled(z):
        sz = risk.matvec(z)
        c = 1.0 / np.sqrt(z @ sz)
        return z * c, sz * c

    def error(z, sz):
        rc = z * sz
        return float(np.abs(rc / (rc.sum() * b) - 1.0).max())

    x, sx = scaled(1.0 / np.sqrt(diag))
    err, sweeps = error(x, sx), 0
    while sweeps < JACOBI_SWEEPS and err > JACOBI_TARGET:
        c = sx - diag * x
        q = np.sqrt(c * c + 4.0 * diag * b)
        # the positive root in the form without cancellation for either sign of c (c < 0: negative correlations)
        xn, sxn = scaled(np.where(c >= 0, 2.0 * b / np.maximum(c + q, 1e-300), (q - c) / (2.0 * diag)))
        err_n = error(xn, sxn)
        if not err_n <= 0.5 * err:  # overshoot (or NaN): keep the last iterate
            break
        x, sx, err, sweeps = xn, sxn, err_n, sweeps + 1
    return x, sx, sweeps


def _newton_budgeting(risk, b, diag, tol, max_iter):
    """Newton's method with backtracking on ``f(x) = 0.5 x'Sx - sum b log x``; at the optimum
    ``x_i (S x)_i = b_i`` and ``x'Sx = sum b = 1``, so contributions equal the budgets. Started by
    ``_jacobi_start``; the iterations reported count its sweeps and Newton's steps."""
    n = b.size
    x, sx, sweeps = _jacobi_start(risk, b, diag)

    def f(z, sz):
        return 0.5 * z @ sz - b @ np.log(z)

    for it in range(1, max_iter + 1):
        rc = x * sx
        err = np.abs(rc / rc.sum() - b).max()
        if err <= tol:
            return x, sweeps + it - 1, True
        g = sx - b / x
        # inexact Newton: the step's relative residual may be sqrt(N * error), so early steps are cheap and the
        # last ones converge superlinearly; the stopping test above is on the exact contributions
        step = -risk.solve_shifted(b / x**2, g, rtol=min(0.5, float(np.sqrt(n * err))))
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
    return x, sweeps + max_iter, bool(np.abs(rc / rc.sum() - b).max() <= tol)
