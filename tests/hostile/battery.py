"""Hostile values through xlwings' real classic ``call_udf``: the inputs of the issue-23 review.

Run: python -m tests.hostile.battery [--structural]

Each input is a call with the cells Excel would pass and what may come back:
- ``refuse``: only a clear error (an Excel error value with its one-line reason); numbers are a silent wrong.
- a reference (an array, and a tolerance): numbers equal to it, or a clear error; other numbers are a silent wrong.
- ``same``: calls that must agree with each other (numbers equal, or all clear errors).
- ``("without", args)``: an argument the chosen method ignores: a clear error, or the numbers of the call
  without it (validated, then dropped).
An exception escaping ``call_udf`` is a crash. Target: 0 silent wrong, 0 crashes.

References never come from the code under test on the same input: near-collinear factors ``[x, x + eps e]``
span the same space as ``[x, e]``, so alphas, R², specific variances and GRS must equal the well-conditioned
call's, and the betas its betas mapped back (``b2 = A^-1 b1``); VIF and condition number come from an SVD.
``--structural`` adds the shape battery of ``tests/excel/hostile.py`` (text, blanks, ragged ranges, ...).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

import numpy as np

from tests.excel import winstubs

winstubs.install()  # the classic decorators bind before the UDFs load

from xlfactor.excel import udfs  # noqa: E402

EPS = [10.0**-p for p in range(4, 14)]  # 1e-4 .. 1e-13


@dataclass
class Input:
    func: str
    args: list
    what: str
    expect: Any = "refuse"  # "refuse", "any", or (reference array, rtol, atol)


def cells(a) -> Any:
    return winstubs.com([[float(v) for v in row] for row in np.atleast_2d(a)])


def call(name: str, args: list):
    n = len(getattr(udfs, name).__xlfunc__["args"])
    com = [winstubs.MISSING if a is None else a for a in args] + [winstubs.MISSING] * (n - len(args))
    return winstubs.call(udfs, name, *com)


def outcome(inp: Input) -> tuple[str, Any]:
    """('error' | 'numbers' | 'crash: ...', the numbers)."""
    try:
        out = call(inp.func, inp.args)
    except Exception as exc:
        return f"crash: {type(exc).__name__}: {exc}"[:160], None
    first = out[0][0]
    if isinstance(first, winstubs.VARIANT):
        reason = udfs.xlfactor_error()[0][0]
        return ("error" if reason.startswith(inp.func.upper() + ": ") else f"crash: no reason ({reason!r})"), None
    try:
        return "numbers", np.array([[np.nan if x == "" else x for x in r] for r in out], dtype=float)
    except (TypeError, ValueError):
        return "numbers", out  # a labelled block (text and numbers): compared as cells


def _data(t=60, seed=0):
    rng = np.random.default_rng(seed)
    x, e, z = rng.normal(0.005, 0.04, t), rng.normal(0, 1, t), rng.normal(0.002, 0.03, t)
    y = np.outer(x, [0.6, 1.1, 0.9]) + np.outer(z, [0.2, -0.3, 0.5]) + rng.normal(0, 0.02, (t, 3)) + 0.001
    return y, x, e, z


def _svd_diagnostics(f):
    xc = f - f.mean(axis=0)
    _u, s, vt = np.linalg.svd(xc / np.linalg.norm(xc, axis=0), full_matrices=False)
    return (vt.T**2 / s**2).sum(axis=1), s[0] / s[-1]


def _exact_specific_var(y, x, b):
    """Residual variance around the mean (ddof K + 1) of ``y - x b`` in exact rational arithmetic: with loadings
    of 1e13 (a near copy's) the float products cancel, and the answer for the cells as given is what counts."""
    from fractions import Fraction

    t, k = x.shape
    out = []
    for j in range(y.shape[1]):
        e = [Fraction(y[i, j]) - sum(Fraction(x[i, c]) * Fraction(b[j, c]) for c in range(k)) for i in range(t)]
        mean = sum(e) / t
        out.append(float(sum((v - mean) ** 2 for v in e) / (t - k - 1)))
    return np.array([out])


def near_collinear() -> list[Input]:
    """Item 1: two and three factors, one a near copy; every regression-based function."""
    y, x, e, z = _data()
    out = []
    for k in (2, 3):
        for eps in EPS:
            base = np.column_stack([x, e] if k == 2 else [x, z, e])  # well conditioned
            a = np.eye(k)
            a[0, k - 1], a[k - 1, k - 1] = 1.0, eps  # last factor = x + eps e
            f = base @ a
            name = f"{k} factors, eps {eps:.0e}"

            def same_as_base(fn, *rest, rtol=1e-6, atol=1e-12, f=f, base=base, name=name):
                ref = outcome(Input(fn, [cells(y), cells(base), *rest], ""))[1]  # the well-conditioned call
                return Input(fn, [cells(y), cells(f), *rest], name, (ref, rtol, atol))

            coef = outcome(Input("ols_loadings", [cells(y), cells(base)], ""))[1]  # rows: alpha, then one per factor
            mapped = np.vstack([coef[:1], np.linalg.solve(a, coef[1:])])
            spec = _exact_specific_var(y, f, mapped[1:].T)
            vif, cond = _svd_diagnostics(f)
            out += [
                same_as_base("factor_r2"),
                same_as_base("factor_r2", None, True),
                same_as_base("grs_test"),
                Input("ols_loadings", [cells(y), cells(f)], name, (mapped, 1e-6, 1e-9)),
                Input("factor_vif", [cells(f)], name, (vif[None, :], 1e-4, 0.0)),
                Input("factor_cond", [cells(f)], name, (np.array([[cond]]), 1e-4, 0.0)),
                Input("specific_var", [cells(y), cells(f), cells(mapped[1:])], name, (spec, 1e-6, 1e-14)),
                same_as_base("rolling_loadings", 30, "ols", 10, None, "r2"),
                same_as_base("rolling_loadings", 30, "ols", 10, None, "intercept", atol=1e-9),
                Input("backtest", [cells(y), cells(f), 30, 10, "ols"], name, "any"),
                Input("risk_premia", [cells(y), cells(f)], name, "any"),
            ]
    return out


def _betas(y, m, window, every=1):
    """Rolling market-model betas by least squares on each window (numpy lstsq, SVD-based)."""
    rows = []
    for end in range(window - 1, len(m), every):
        s = slice(end - window + 1, end + 1)
        a = np.column_stack([np.ones(window), m[s]])
        rows.append(np.linalg.lstsq(a, y[s], rcond=None)[0][1])
    return np.array(rows)


def huge_cells() -> list[Input]:
    """Item 2: one market cell of 1e8 or more (the rest stays exact), returns with one huge cell."""
    y, x, _, z = _data()
    out = []
    for big in (1e8, 1e10, 1e12, 1e50, 1e99):
        m = x.copy()
        m[10] = big
        out.append(
            Input(
                "rolling_beta",
                [cells(y), cells(m[:, None]), 10],
                f"market cell {big:.0e}",
                (_betas(y, m, 10), 1e-6, 1e-9),
            )
        )
        full = np.linalg.lstsq(np.column_stack([np.ones(len(m)), m]), y, rcond=None)[0][1]
        out.append(
            Input("capm_beta", [cells(y), cells(m[:, None])], f"market cell {big:.0e}", (full[None, :], 1e-6, 1e-12))
        )
        f = np.column_stack([m, z])
        out.append(Input("factor_r2", [cells(y), cells(f)], f"factor cell {big:.0e}", "any"))
        out.append(Input("rolling_loadings", [cells(y), cells(f), 20, "ols", 10], f"factor cell {big:.0e}", "any"))
        yy = y.copy()
        yy[20, 1] = big
        out.append(Input("capm_beta", [cells(yy), cells(x[:, None])], f"returns cell {big:.0e}", "any"))
    return out


def constant_returns() -> list[list[Input]]:
    """Item 3: a constant returns column gives one answer whatever the constant."""
    y, x, _, z = _data()
    groups = []
    for fn, extra in [("factor_r2", []), ("capm_beta", [None, True]), ("ols_loadings", [None, None, True])]:
        group = []
        for c in (0.0, 0.01, 1e-3, 0.0123456, -0.05):
            yy = y.copy()
            yy[:, 0] = c
            f = x[:, None] if fn == "capm_beta" else np.column_stack([x, z])
            group.append(Input(fn, [cells(yy), cells(f), *extra], f"returns column 1 constant {c}", "same"))
        groups.append(group)
    return groups


def ignored_arguments() -> list[Input]:
    """Item 4: every given argument is validated, or refused saying the method ignores it. A bad value is refused
    whatever the method; a good one meant for another method is refused when the method was left blank (the user
    forgot to choose it), and with a method chosen it may be dropped: the numbers must then be those of the call
    without it. A factor-covariance option its method does not read is refused, the method chosen or not."""
    y, x, _e, z = _data()
    f = np.column_stack([x, z])
    rng = np.random.default_rng(1)
    load, fcov, spec = rng.normal(1, 0.2, (2, 3)), np.cov(f, rowvar=False), np.full((1, 3), 4e-4)
    m = [cells(load), cells(fcov), cells(spec)]
    r, ff, na, bud = cells(y), cells(f), winstubs.NA, cells([[1.0, 2.0, 3.0]])

    def dropped(fn, args, at, what):
        without = [None if i == at else a for i, a in enumerate(args)]
        return Input(fn, args, what, ("without", without))

    def rl(at, value, method="ols"):  # ROLLING_LOADINGS with one optional argument set
        args = [r, ff, 20, method, *[None] * 11]
        args[at] = value
        return args

    bt = [r, ff, 30, 10, "ols", None, *[None] * 11]  # BACKTEST: alloc at 5, budgets 13, target_vol 14, halflife 16
    return [
        Input("risk_alloc", [*m, None, cells([[-0.5, 0.5, 1.0]])], "no method, budgets {-0.5, 0.5, 1}"),
        Input("risk_alloc", [*m, "minvar", cells([[-0.5, 0.5, 1.0]])], "minvar, budgets {-0.5, 0.5, 1}"),
        Input("risk_alloc", [*m, None, bud], "no method (erc), budgets"),
        Input("risk_alloc", [*m, None, None, 0.03], "no method (erc), target_vol"),
        Input("risk_alloc", [*m, "erc", None, -0.03], "erc, target_vol -0.03"),
        Input("rolling_loadings", rl(12, "abc"), "ols, penalty_weights 'abc'"),
        Input("rolling_loadings", rl(12, na), "ols, penalty_weights #N/A"),
        Input("rolling_loadings", rl(12, "abc", "lasso"), "lasso, penalty_weights 'abc'"),
        Input("rolling_loadings", rl(12, na, "lasso"), "lasso, penalty_weights #N/A"),
        Input("rolling_loadings", rl(12, cells([[0.0, 1.0]]), None), "no method (ols), penalty_weights"),
        Input("rolling_loadings", rl(13, "maybe"), "ols, standardize 'maybe'"),
        Input("cv_lambda", [r, ff, "lasso", *[None] * 7, "abc"], "lasso, penalty_weights 'abc'"),
        Input("cv_lambda", [r, ff, "lasso", *[None] * 8, 1.5], "lasso, l1_ratio 1.5"),
        Input("lasso_loadings", [r, ff, 1e-4, None, None, None, "abc"], "penalty_weights 'abc'"),
        Input("factor_cov", [ff, "sample", -5], "sample, halflife -5"),
        Input("factor_cov", [ff, None, 36], "no method (sample), halflife"),
        Input("backtest", [*bt[:13], bud, *bt[14:]], "no alloc (erc), budgets"),
        Input("backtest", [*bt[:5], "erc", *bt[6:13], cells([[1.0, -2.0, 3.0]]), *bt[14:]], "erc, budgets {1, -2, 3}"),
        dropped("risk_alloc", [*m, "minvar", bud], 4, "minvar, budgets"),
        dropped("risk_alloc", [*m, "erc", None, 0.03], 5, "erc, target_vol"),
        dropped("risk_alloc", [*m, "budget", bud, 0.03], 5, "budget, target_vol"),
        dropped("rolling_loadings", rl(12, cells([[0.0, 1.0]])), 12, "ols, penalty_weights"),
        dropped("rolling_loadings", rl(13, True), 13, "ols, standardize"),
        dropped("rolling_loadings", rl(9, 3), 9, "ols, folds"),
        dropped("cv_lambda", [r, ff, "lasso", *[None] * 8, 0.5], 11, "lasso, l1_ratio"),
        dropped("cv_curve", [r, ff, "ridge", *[None] * 7, 0.5], 10, "ridge, l1_ratio"),
        Input("factor_cov", [ff, "sample", 36], "sample, halflife"),  # a covariance option: refused, method or not
        Input("factor_cov", [ff, "ledoitwolf", 36], "ledoitwolf, halflife"),
        Input("factor_cov", [ff, "ewma", 36, None, 2], "ewma, nw_lags"),
        dropped("backtest", [*bt[:5], "erc", *bt[6:13], bud, *bt[14:]], 13, "erc, budgets"),
        dropped("backtest", [*bt[:5], "minvar", *bt[6:14], 0.03, *bt[15:]], 14, "minvar, target_vol"),
        Input("backtest", [*bt[:15], "sample", 36], "cov sample, halflife"),
        Input("backtest", [*bt[:15], "ledoitwolf", None, 24], "cov ledoitwolf, corr_halflife"),
    ]


def rf_spellings() -> list[Input]:
    """Item 5: the market as Mkt-RF with market_is "excess" gives the total-market answer."""
    y, x, _, _ = _data()
    rf = np.full((60, 1), 0.003)
    r, tot, exc, rfc = cells(y + rf), cells(x[:, None] + rf), cells(x[:, None]), cells(rf)
    out = []
    for fn, total_args, excess_args in [
        ("capm_beta", [r, tot, rfc], [r, exc, rfc, None, None, "excess"]),
        ("capm_er", [r, tot, rfc], [r, exc, rfc, "excess"]),
        ("rolling_beta", [r, tot, 20, 10, rfc], [r, exc, 20, 10, rfc, None, None, "excess"]),
    ]:
        ref = outcome(Input(fn, total_args, ""))[1]
        out.append(Input(fn, excess_args, "Mkt-RF with market_is excess", (ref, 1e-12, 1e-15)))
    return out


def judge(inp: Input) -> str:
    """'clear error', 'numbers', 'silent wrong: ...' or 'crash: ...'."""
    kind, got = outcome(inp)
    if kind.startswith("crash"):
        return kind
    if kind == "error":
        return "clear error"
    if inp.expect == "refuse":
        return "silent wrong: numbers where the argument must be refused"
    if isinstance(inp.expect, tuple) and isinstance(inp.expect[0], str):  # ("without", args): dropped
        ref = outcome(Input(inp.func, inp.expect[1], ""))[1]
        if not isinstance(ref, np.ndarray) or not isinstance(got, np.ndarray):
            if ref != got:
                return "silent wrong: cells differ from the call without the ignored argument"
        elif ref.shape != got.shape or not np.array_equal(got, ref, equal_nan=True):
            return "silent wrong: numbers differ from the call without the ignored argument"
    elif isinstance(inp.expect, tuple):
        ref, rtol, atol = inp.expect
        if not isinstance(got, np.ndarray) or not isinstance(ref, np.ndarray) or got.shape != ref.shape:
            return f"silent wrong: {np.shape(got)} cells where the reference has {np.shape(ref)}"
        if not np.allclose(got, ref, rtol=rtol, atol=atol, equal_nan=True):
            worst = np.nanmax(np.abs(got - ref) / np.maximum(np.abs(ref), atol or 1e-300))
            return f"silent wrong: off by {worst:.2g} relative"
    if not isinstance(got, np.ndarray):
        return "numbers"
    if not np.isfinite(got[np.isfinite(got) | np.isinf(got)]).all():
        return "silent wrong: infinite numbers"
    if inp.func == "factor_r2" and not ((got[:1] >= 0) & (got[:1] <= 1) | np.isnan(got[:1])).all():
        return "silent wrong: R2 outside [0, 1]"
    return "numbers"


def run(structural: bool = False, verbose: bool = True) -> dict:
    tally: dict = {"inputs": 0, "clear error": 0, "numbers": 0, "silent wrong": [], "crash": []}

    def count(inp: Input, verdict: str) -> None:
        tally["inputs"] += 1
        key = verdict.split(":")[0]
        if key in ("clear error", "numbers"):
            tally[key] += 1
        else:
            tally[key].append(f"{inp.func.upper()} [{inp.what}] {verdict}")

    for inp in near_collinear() + huge_cells() + ignored_arguments() + rf_spellings():
        count(inp, judge(inp))
    for group in constant_returns():
        seen = [outcome(i) for i in group]
        kinds = {k for k, _ in seen}
        for inp, (kind, _got) in zip(group, seen, strict=True):
            if kind.startswith("crash"):
                count(inp, kind)
            elif kinds == {"error"}:
                count(inp, "clear error")
            elif kinds == {"numbers"} and all(np.allclose(g, seen[0][1], equal_nan=True) for _, g in seen):
                count(inp, "numbers")
            else:
                count(inp, f"silent wrong: answers differ by the constant ({sorted(kinds)})")
    if structural:
        from tests.excel import hostile

        for bad in hostile.build():
            kind, _ = outcome(Input(bad.func, bad.args, bad.what))
            verdict = (
                kind
                if kind.startswith("crash")
                else "clear error"
                if kind == "error"
                else ("silent wrong: numbers for a must-fail input" if bad.must_fail else "numbers")
            )
            count(Input(bad.func, bad.args, bad.what), verdict)
    if verbose:
        print(
            f"classic call_udf: {tally['inputs']} hostile inputs, {tally['clear error']} clear errors, "
            f"{tally['numbers']} numbers (checked), {len(tally['silent wrong'])} silent wrong, "
            f"{len(tally['crash'])} crashes"
        )
        for line in tally["silent wrong"] + tally["crash"]:
            print("  " + line)
    return tally


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--structural", action="store_true", help="add tests/excel/hostile.py's shape battery")
    run(ap.parse_args().structural)
