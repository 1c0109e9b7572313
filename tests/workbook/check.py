"""Compare an evaluated template with the core's procedure and with the values cached in the file."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from tests.workbook import bridge
from xlfactor.workbook.procedure import Results


def expected_blocks(res: Results) -> dict[tuple[str, str, int], np.ndarray]:
    """What the core says each xlfactor formula must return, keyed by (sheet, function, occurrence)."""
    c, ols, cvr = res.capm, res.ols, res.method_cv
    pm = cvr.pooled_fold_mse
    al = res.allocation
    y = res.returns - res.rf[:, None]
    return {
        ("Start", "XLFACTOR_ERROR", 0): np.array([[np.nan]]),  # a message, not a number
        ("Factors", "SAMPLE_WINDOW", 0): res.months[:, None].astype(float),
        ("Factors", "SAMPLE_WINDOW", 1): res.rf[:, None],
        ("Factors", "SAMPLE_WINDOW", 2): res.factors,
        ("Factors", "SAMPLE_WINDOW", 3): res.market[:, None],
        ("Factors", "FACTOR_CORR", 0): res.collinearity.corr,
        ("Factors", "FACTOR_VIF", 0): res.collinearity.vif[None, :],
        ("Factors", "FACTOR_COND", 0): np.array([[res.collinearity.condition_number]]),
        ("Market model", "SAMPLE_WINDOW", 0): res.returns,
        ("Market model", "EXCESS_RETURNS", 0): y,
        ("Market model", "CAPM_BETA", 0): np.vstack([c.alpha, c.beta, c.tstat_alpha, c.tstat_beta, c.r2,
                                                      c.resid_vol, c.nobs, c.blume_beta]),
        ("Market model", "FACTOR_R2", 0): np.vstack([ols.risk.r2, ols.risk.total_var, ols.risk.systematic_var,
                                                      ols.risk.specific_var]),
        ("Market model", "CAPM_ER", 0): np.vstack([c.expected_return, c.mean_return]),
        ("Market model", "GRS_TEST", 0): np.array([[res.grs.statistic, res.grs.pvalue]]),
        ("Lambda", "CV_LAMBDA", 0): np.array([[res.lambda_min]]),
        ("Lambda", "CV_LAMBDA", 1): np.array([[res.lambda_1se]]),
        ("Lambda", "CV_LAMBDA", 2): np.array([[res.lambda_lasso]]),
        ("Lambda", "CV_LAMBDA", 3): np.array([[res.lambda_ridge]]),
        ("Lambda", "CV_CURVE", 0): np.column_stack([cvr.lambdas[:, 0], pm.mean(1), pm.std(1, ddof=1) / np.sqrt(pm.shape[1]),
                                                    cvr.nonzero.mean(1)]),
        ("Loadings", "OLS_LOADINGS", 0): ols.coef.T,
        ("Loadings", "RIDGE_LOADINGS", 0): res.ridge.loadings[0].T,
        ("Loadings", "LASSO_LOADINGS", 0): res.lasso.loadings[0].T,
        ("Risk", "FACTOR_COV", 0): res.factor_cov,
        ("Risk", "SPECIFIC_VAR", 0): res.specific_var[None, :],
        ("Risk", "RISK_ALLOC", 0): al.weights[None, :],
        ("Risk", "RISK_CONTRIB", 0): al.contributions[None, :],
        ("Risk", "RISK_CONTRIB", 1): al.risk.factor_percent[:, None],
    }


def _numbers(block) -> np.ndarray:
    from formulas.tokens.operand import XlError

    out = np.full(block.shape, np.nan)
    for (i, j), x in np.ndenumerate(block):
        if isinstance(x, XlError):
            out[i, j] = np.inf  # marks an error cell
        elif isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool):
            out[i, j] = float(x)
    return out


def check(path: Path, book, solution, res: Results, cached: bool = True) -> int:
    """Every xlfactor formula: no errors, equal to the core (1e-9), padding beyond the result only.

    With ``cached``, also compare with the values the file caches (read with openpyxl). Returns the
    number of cells compared.
    """
    from formulas.tokens.operand import XlError

    expected = expected_blocks(res)
    seen: Counter = Counter()
    compared = 0
    cache = None
    if cached:
        import openpyxl

        cache = openpyxl.load_workbook(path, data_only=True)
    for area, name, _, _ in book.formulas:
        key = (area.sheet.name, name, seen[(area.sheet.name, name)])
        seen[(area.sheet.name, name)] += 1
        want = expected[key]
        got = solution[bridge.cell_key(path, area.sheet.name, area.a1().split("!")[1].replace("$", ""))].value
        got = np.asarray(got, dtype=object)
        r, c = want.shape
        active = _numbers(got[:r, :c])
        assert not np.isinf(active).any(), f"{key}: error cells in the result"
        np.testing.assert_allclose(active, want, rtol=1e-9, atol=1e-12, err_msg=str(key))
        rest = np.concatenate([got[r:, :].ravel(), got[:r, c:].ravel()])
        assert all(isinstance(x, XlError) or x in ("", None) for x in rest), f"{key}: values beyond the result"
        if cache is not None:
            ws = cache[area.sheet.name]
            stored = np.array([[ws.cell(area.r0 + 1 + i, area.c0 + 1 + j).value for j in range(c)] for i in range(r)],
                              dtype=object)
            np.testing.assert_allclose(_numbers(stored), want, rtol=1e-9, atol=1e-12, err_msg=f"cached {key}")
        compared += r * c
    assert set(seen.elements()) >= {k[:2] for k in expected}, "a formula of the spec is missing"
    return compared


def check_plain_formulas(path: Path, book, solution) -> int:
    """Every ordinary Excel formula evaluates to the value the spec computed (and caches)."""
    n = 0
    for sheet, r, c, value in book.plain:
        from xlsxwriter.utility import xl_rowcol_to_cell

        got = solution[bridge.cell_key(path, sheet, xl_rowcol_to_cell(r, c))].value[0][0]
        if isinstance(value, float):
            assert abs(float(got) - value) <= 1e-9 * max(1.0, abs(value)), (sheet, r, c, got, value)
        else:
            assert (got if got not in (None,) else "") == ("" if value is None else value), (sheet, r, c, got, value)
        n += 1
    return n
