"""Compare an evaluated template with the core's procedure and with the values cached in the file."""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np

from tests.workbook import bridge
from xlfactor.workbook.procedure import Results

# Blocks of the template that the round trip does not compare with the core, each with its reason (none today: a
# block added to a sheet without an expectation here fails the check, it is not skipped)
NOT_COMPARED: dict[tuple[str, str], str] = {}

Expected = dict[tuple[str, str], "np.ndarray | list[np.ndarray]"]  # a list: the block's formulas in sheet order


def expected_blocks(res: Results) -> Expected:
    """What the core says each xlfactor formula must return, keyed by (sheet, block name).

    Formulas a sheet leaves unnamed (inside a named block, where a name would start a page) share their
    function's name as key: the value is then a list, one array per formula in the order the sheet writes them.
    """
    c, ols, cvr = res.capm, res.ols, res.method_cv
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
        ("Loadings", "ols"): ols.coef.T,
        **(penalised_blocks(res) if cvr is not None else {}),  # else no CV: the Lambda sheet says why
        ("Risk", "cov"): res.factor_cov,
        ("Risk", "specific_var"): res.specific_var[None, :],
        ("Risk", "weights"): al.weights[None, :],
        ("Risk", "risk_by_asset"): al.contributions[None, :],
        ("Risk", "risk_by_factor"): al.risk.factor_percent[:, None],
        ("Backtest", "bt_summary"): _summary(res.backtest),
        ("Backtest", "bt_cumulative"): np.column_stack([res.months[res.backtest.rows], res.backtest.cumulative.T]),
        ("Backtest", "rolling_beta"): np.column_stack([res.months[res.rolling_beta.ends], res.rolling_beta.beta]),
        **macro_blocks(res),
        **statistical_blocks(res),
    }


def penalised_blocks(res: Results) -> Expected:
    """The Lambda sheet's cross-validation and the Loadings sheet's ridge and lasso at the lambdas it chose."""
    cvr = res.method_cv
    assert cvr is not None
    pm = cvr.pooled_fold_mse
    return {
        ("Lambda", "lambda_min"): np.array([[res.lambda_min]]),
        ("Lambda", "lambda_1se"): np.array([[res.lambda_1se]]),
        ("Lambda", "lasso"): np.array([[res.lambda_lasso]]),
        ("Lambda", "ridge"): np.array([[res.lambda_ridge]]),
        ("Lambda", "curve"): np.column_stack(
            [cvr.lambdas[:, 0], pm.mean(1), pm.std(1, ddof=1) / np.sqrt(pm.shape[1]), cvr.nonzero.mean(1)]
        ),
        ("Loadings", "ridge"): res.ridge.loadings[0].T,
        ("Loadings", "lasso"): res.lasso.loadings[0].T,
    }


def macro_blocks(res: Results) -> Expected:
    """The Macro sheet by the core: the window's monthly returns and rate compounded to the macro quarters, the
    two-pass (plain, Shanken) and GMM premia with an intercept and their tests, GDP's mimicking portfolio."""
    from xlfactor.core import frequency, mimicking, premia, premia_gmm
    from xlfactor.data.macro import MACRO_FACTORS, load_macro, macro_labels
    from xlfactor.errors import XLFactorError
    from xlfactor.workbook.macro import MIN_QUARTERS

    m = load_macro()
    labels, x = macro_labels(m).to_numpy(), m.to_numpy()
    if res.periods_per_year != 12 or res.returns.shape[1] < len(MACRO_FACTORS) + 2:
        return {}  # the sheet holds a note, no formulas
    q = frequency.compound(np.column_stack([res.returns, res.rf]), res.months, "quarter")
    i, j = frequency.align(q.labels, labels, "the window's quarters", "the macro quarters")
    quarterly = np.full((labels.size, q.returns.shape[1]), np.nan)
    quarterly[j] = q.returns[i]
    y = quarterly[:, :-1] - quarterly[:, -1:]
    keep = np.isfinite(y).all(axis=1)
    if keep.sum() < MIN_QUARTERS:
        return {}
    y, x = y[keep], x[keep]
    fits = [premia.two_pass(y, x, intercept=True, se=se) for se in ("plain", "shanken")]
    with contextlib.suppress(XLFactorError):  # GMM left out: the sheet says why in a note instead of the formulas
        fits.append(premia_gmm.gmm(y, x, intercept=True))
    mimic = mimicking.mimicking(x[:, 0], y)
    return {
        ("Macro", "rf_q"): quarterly[:, -1:],
        ("Macro", "returns_q"): quarterly[:, :-1],
        ("Macro", "betas"): fits[1].betas.T,
        ("Macro", "risk_premia"): [
            table
            for f in fits
            for table in (
                np.column_stack([f.premia, f.stderr, f.tstat]),
                np.array([[f.j_stat, f.j_df, f.j_pvalue, f.r2, f.shanken_factor]]),
            )
        ],
        ("Macro", "mimicking_portfolio"): [
            mimic.weights[None, :],
            np.array([[mimic.tracking_corr, mimic.r2, mimic.nobs]]),
        ],
    }


def statistical_blocks(res: Results) -> Expected:
    """The Statistical sheet by the core on the window's excess returns: the number of latent factors by each
    criterion and by Start's, the criteria's values, R2 latent vs named, the span of the latent factors by the named,
    the scree (every component's variance, share and cumulative share)."""
    from xlfactor.core import statistical
    from xlfactor.core.options import NUM_FACTOR_CRITERIA
    from xlfactor.core.statistical.count import check_kmax

    y = res.excess
    count = statistical.factor_count(y)
    k = count.chosen[res.inputs.criterion.lower()]
    lvn = statistical.latent_vs_named(y, res.factors, k)
    complete = np.isfinite(y).all()
    fit = statistical.pca(y, 1 if complete else check_kmax(None, *y.shape, True), exact=True)
    c = min(y.shape[0] - 1, y.shape[1])  # components of a demeaned panel
    return {
        ("Statistical", "chosen"): np.array([[count.chosen[name] for name in NUM_FACTOR_CRITERIA]], dtype=float),
        ("Statistical", "k"): np.array([[k]], dtype=float),
        ("Statistical", "em_note"): np.array([[np.nan]]),  # text: blank, or the EM warning (FACTOR_COUNT "note")
        ("Statistical", "criteria"): np.column_stack([count.ks, count.values.T]),
        ("Statistical", "r2"): np.vstack([lvn.r2_latent, lvn.r2_named]),
        ("Statistical", "latent_share"): np.array([[lvn.latent_share]]),
        ("Statistical", "canonical"): lvn.canonical[:, None],
        ("Statistical", "latent_on_named"): lvn.latent_on_named[:, None],
        ("Statistical", "scree"): np.column_stack(
            [np.arange(1, c + 1), fit.eigenvalues[:c], fit.explained[:c], np.cumsum(fit.explained[:c])]
        ),
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


_AREAS: list = [None, {}]  # the last solution read and its array formulas' keys by their first cell's key


def _areas(solution) -> dict:
    """The keys of a solution's array formulas ('[book]SHEET'!B5:D9) by their first cell's key ('[book]SHEET'!B5);
    made once per solution (a scan of its keys for each of a book's hundreds of blocks took seconds)."""
    if _AREAS[0] is not solution:
        areas: dict = {}
        for k in solution:
            if isinstance(k, str) and ":" in k.rpartition("!")[2]:
                areas.setdefault(k.rpartition(":")[0], k)
        _AREAS[:] = [solution, areas]
    return _AREAS[1]


def value(solution, path, ref):
    """An area's values as the engine computed them: the array formula anchored at the area's first cell."""
    anchor = ref.address().split("!")[1].replace("$", "").split(":")[0]
    key = bridge.cell_key(path, ref.sheet.name, anchor)
    if key in solution:
        return np.asarray(solution[key].value, dtype=object)
    area = _areas(solution).get(key)  # an array formula's key is its whole area
    if area is not None:
        return np.asarray(solution[area].value, dtype=object)
    raise KeyError(f"{ref.sheet.name}!{anchor}: not evaluated")


def check(path: Path, book, solution, res: Results, cached: bool = True, grown: bool = False) -> int:
    """Every xlfactor formula: no errors, equal to the core (1e-9); ``solution`` None: the values the build computed.

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
    seen: dict[tuple[str, str], int] = {}
    for block, area, _name in book.formulas:
        key = (area.sheet.name, block)
        nth = seen[key] = seen.get(key, 0) + 1
        if key in NOT_COMPARED:
            continue
        got = np.asarray(area.values(), dtype=object) if solution is None else value(solution, path, area)
        assert key in expected, f"{key}: no core expectation (give one in expected_blocks, or a reason in NOT_COMPARED)"
        want = expected[key]
        if isinstance(want, list):
            assert nth <= len(want), f"{key}: formula {nth}, expected {len(want)}"
            want = want[nth - 1]
        else:
            assert nth == 1, f"{key}: {nth} formulas share the name; expect a list"
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
    assert set(seen) >= set(expected), f"blocks of the spec missing: {set(expected) - set(seen)}"
    counts = {key: len(want) for key, want in expected.items() if isinstance(want, list)}
    assert all(seen[key] == n for key, n in counts.items()), f"formulas missing: {counts} expected, {seen} seen"
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
