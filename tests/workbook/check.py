"""Compare an evaluated template with the core's procedure and with the values cached in the file."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.workbook import bridge
from xlfactor.workbook.procedure import Results


def expected_blocks(res: Results) -> dict[tuple[str, str], np.ndarray]:
    """What the core says each xlfactor formula must return, keyed by (sheet, block name)."""
    c, ols, cvr = res.capm, res.ols, res.method_cv
    pm = cvr.pooled_fold_mse
    al = res.allocation
    y = res.returns - res.rf[:, None]
    return {
        ("Start", "error_messages"): np.array([[np.nan]]),  # a message, not a number
        ("Factors", "months"): res.months[:, None].astype(float),
        ("Factors", "rf"): res.rf[:, None],
        ("Factors", "market"): res.market[:, None],
        ("Factors", "factors"): res.factors,
        ("Factors", "corr"): res.collinearity.corr,
        ("Factors", "vif"): res.collinearity.vif[None, :],
        ("Factors", "cond"): np.array([[res.collinearity.condition_number]]),
        ("Market model", "excess_months"): res.months[:, None].astype(float),
        ("Market model", "excess"): y,
        ("Market model", "capm"): np.vstack(
            [c.alpha, c.beta, c.tstat_alpha, c.tstat_beta, c.r2, c.resid_vol, c.nobs, c.blume_beta]
        ),
        ("Market model", "r2"): np.vstack(
            [ols.risk.r2, ols.risk.total_var, ols.risk.systematic_var, ols.risk.specific_var]
        ),
        ("Market model", "er"): np.vstack([c.expected_return, c.mean_return]),
        ("Market model", "grs"): np.array([[res.grs.statistic, res.grs.pvalue]]),
        ("Lambda", "lambda_min"): np.array([[res.lambda_min]]),
        ("Lambda", "lambda_1se"): np.array([[res.lambda_1se]]),
        ("Lambda", "lasso"): np.array([[res.lambda_lasso]]),
        ("Lambda", "ridge"): np.array([[res.lambda_ridge]]),
        ("Lambda", "curve"): np.column_stack(
            [cvr.lambdas[:, 0], pm.mean(1), pm.std(1, ddof=1) / np.sqrt(pm.shape[1]), cvr.nonzero.mean(1)]
        ),
        ("Loadings", "ols"): ols.coef.T,
        ("Loadings", "ridge"): res.ridge.loadings[0].T,
        ("Loadings", "lasso"): res.lasso.loadings[0].T,
        ("Risk", "cov"): res.factor_cov,
        ("Risk", "specific_var"): res.specific_var[None, :],
        ("Risk", "weights"): al.weights[None, :],
        ("Risk", "risk_by_asset"): al.contributions[None, :],
        ("Risk", "risk_by_factor"): al.risk.factor_percent[:, None],
        ("Backtest", "bt_summary"): _summary(res.backtest),
        ("Backtest", "bt_cumulative"): np.column_stack([res.months[res.backtest.rows], res.backtest.cumulative.T]),
        ("Backtest", "rolling_beta"): np.column_stack([res.months[res.rolling_beta.ends], res.rolling_beta.beta]),
    }


def _summary(bt) -> np.ndarray:
    """BACKTEST's summary: a header row of model names and a label column (text: NaN here), then the statistics."""
    from xlfactor.core.backtest import STATS

    st = bt.stats
    return np.vstack([np.full(len(bt.models) + 1, np.nan), *[np.r_[np.nan, st[key]] for key, _ in STATS]])


def _numbers(block) -> np.ndarray:
    from formulas.tokens.operand import XlError

    out = np.full(block.shape, np.nan)
    for (i, j), x in np.ndenumerate(block):
        if type(x) is float:  # the usual cell first
            out[i, j] = x
        elif isinstance(x, XlError):
            out[i, j] = np.inf  # marks an error cell
        elif isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool):
            out[i, j] = float(x)
    return out


def value(solution, path, ref):
    """An area's values as the engine computed them: the array formula anchored at the area's first cell."""
    anchor = ref.address().split("!")[1].replace("$", "").split(":")[0]
    key = bridge.cell_key(path, ref.sheet.name, anchor)
    if key in solution:
        return np.asarray(solution[key].value, dtype=object)
    prefix = key + ":"  # an array formula's key is its whole area
    for k in solution:
        if isinstance(k, str) and k.startswith(prefix):
            return np.asarray(solution[k].value, dtype=object)
    raise KeyError(f"{ref.sheet.name}!{anchor}: not evaluated")


def check(path: Path, book, solution, res: Results, cached: bool = True, grown: bool = False) -> int:
    """Every xlfactor formula: no errors, equal to the core (1e-9).

    With ``cached``, also compare with the values the file caches (read with openpyxl). Excel re-sizes a
    spill to its result; the engine keeps the stored area and pads a shorter result with #N/A, which is
    accepted unless ``grown`` (the areas were re-sized to the new data). Returns the number of cells compared.
    """
    expected = expected_blocks(res)
    compared = 0
    cache = None
    if cached:
        import openpyxl

        cache = openpyxl.load_workbook(path, data_only=True)
    seen = set()
    for block, area, _name in book.formulas:
        key = (area.sheet.name, block)
        seen.add(key)
        got = value(solution, path, area)
        want = expected.get(key)
        if want is None:
            # Macro and Statistical: compared with the core by their own tests (tests/workbook/test_macro.py,
            # test_statistical_sheet.py) through the build's evaluation; through this formula engine some of their
            # blocks (RISK_PREMIA, the criteria and scree tables) come back with error cells, not yet diagnosed
            continue
        r, c = want.shape
        if not np.isnan(want).all():  # the engine keeps a spill's stored area: a shorter result leaves #N/A padding
            assert got.shape[0] >= r and got.shape[1] >= c, f"{key}: result cut to {got.shape}, want {want.shape}"
            rest = np.concatenate([got[r:, :].ravel(), got[:r, c:].ravel()])
            assert all(str(x) == "#N/A" or x in ("", None) for x in rest), f"{key}: values beyond the result"
            assert not grown or got.shape == want.shape, f"{key}: shape {got.shape} != {want.shape}"
        active = _numbers(got[:r, :c])
        assert not np.isinf(active).any(), f"{key}: error cells in the result"
        np.testing.assert_allclose(active, want, rtol=1e-9, atol=1e-12, err_msg=str(key))
        if cache is not None:
            ws = cache[area.sheet.name]
            stored = np.array(
                [[ws.cell(area.r0 + 1 + i, area.c0 + 1 + j).value for j in range(c)] for i in range(r)], dtype=object
            )
            np.testing.assert_allclose(_numbers(stored), want, rtol=1e-9, atol=1e-12, err_msg=f"cached {key}")
        compared += r * c
    assert seen >= set(expected), f"blocks of the spec missing: {set(expected) - seen}"
    return compared


def check_plain_formulas(path: Path, book, solution) -> int:
    """Every Excel-native formula (labels, selections, budgets) evaluates to the value the spec computed."""
    from xlsxwriter.utility import xl_rowcol_to_cell

    n = 0
    for sheet, r, c, values in book.plain:
        rows, cols = len(values), max(len(v) for v in values)
        a1 = (
            xl_rowcol_to_cell(r, c)
            if (rows, cols) == (1, 1)
            else f"{xl_rowcol_to_cell(r, c)}:{xl_rowcol_to_cell(r + rows - 1, c + cols - 1)}"
        )
        key = bridge.cell_key(path, sheet, a1)
        got = np.asarray(solution[key].value, dtype=object)
        for i, row in enumerate(values):
            for j, value in enumerate(row):
                x = got[i, j] if got.ndim == 2 else got.ravel()[0]
                if isinstance(value, float) and not isinstance(value, bool):
                    assert abs(float(x) - value) <= 1e-9 * max(1.0, abs(value)), (sheet, r + i, c + j, x, value)
                elif isinstance(value, bool):
                    assert bool(x) == value, (sheet, r + i, c + j, x, value)
                else:
                    assert ("" if x is None else x) == ("" if value is None else value), (sheet, r + i, c + j, x, value)
                n += 1
    return n
