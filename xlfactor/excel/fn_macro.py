"""Excel functions for macro-economic and fundamental factor models.

RISK_PREMIA (two-pass or GMM premia of traded or non-traded factors), MIMICKING (a factor's mimicking portfolio),
COMPOUND_RETURNS (monthly returns to quarters or years, aligned to a slower series) and CHAR_MODEL (a
characteristics model from a long table, whose exposures, factor covariance and specific variances RISK_ALLOC takes).
Layout as everywhere: periods down rows, assets across columns; a per-asset result is a row.
"""

from __future__ import annotations

import numpy as np

from ..core import frequency as freq
from ..core import fundamental, mimicking, options
from ..errors import InputShapeError, InputValueError
from . import coerce as cells
from . import helptext as doc
from . import memo
from .decorate import udf

TEST_ASSETS = "Test asset returns: periods down rows, one column per asset (excess returns unless intercept is TRUE)."
MACRO_FACTORS = "Factors over the same periods, one column each: traded (returns) or not (e.g. GDP growth)."
PERIODS = "Period labels as YYYYMM numbers, one per row (196307 for July 1963; 1959Q1 is 195903)."
PREMIA_OUTPUTS = ("premia", "tests", "alpha", "betas", "expected")
CHAR_OUTPUTS = (
    "factor_returns",
    "factor_cov",
    "exposures",
    "specific_var",
    "specific_returns",
    "r2",
    "names",
    "periods",
)
MIMIC_OUTPUTS = ("weights", "returns", "stats")


@udf(
    slow=True,  # GMM iterates (about 0.1-0.3 s on 12 assets, more on hundreds): not on every Function Wizard keystroke
    returns=TEST_ASSETS,
    factors=MACRO_FACTORS,
    method=f"{options.describe('premia_method')}: two-pass cross-sectional regression, or two-step efficient GMM.",
    se=f"Standard errors: {options.describe('premia_se')}; Shanken corrects for estimated betas. GMM: robust only.",
    intercept="TRUE to estimate a zero-beta rate (first row); default FALSE (excess returns price with no intercept).",
    lags="Newey-West lags for se robust and GMM (blank: heteroskedasticity-robust only).",
    output=(
        "premia (default: rows zero-beta rate then factors; columns premium, std error, t-stat), tests (J, df, "
        "p-value, cross-sectional R2, Shanken factor), alpha, betas or expected (a row per asset)."
    ),
    rf=doc.RF,
)
def risk_premia(returns, factors, method=None, se=None, intercept=None, lags=None, output=None, rf=None):
    """Risk premia of traded or non-traded factors (two-pass with plain/Shanken/robust errors, or GMM) and J test."""
    y, x = cells.returns_and_factors(returns, factors, rf)
    method = cells.option(method, options.PREMIA_METHODS, "method", options.DEFAULTS["premia_method"])
    se_word = None if cells.blank(se) else cells.option(se, options.PREMIA_SE, "se", options.DEFAULTS["premia_se"])
    res = memo.risk_premia(  # its outputs share one estimate (GMM iterates)
        y,
        x,
        method=method,
        intercept=cells.flag(intercept, "intercept"),
        se=se_word,
        lags=cells.count(lags, "lags", None),
    )
    out = cells.option(output, PREMIA_OUTPUTS, "output", "premia")
    if out == "premia":
        return cells.block(np.column_stack([res.premia, res.stderr, res.tstat]))
    if out == "tests":
        return cells.row([res.j_stat, res.j_df, res.j_pvalue, res.r2, res.shanken_factor])
    if out == "betas":
        return cells.block(res.betas.T)
    if out == "alpha":
        return cells.row(res.alpha)
    return cells.row(y[np.isfinite(y).all(axis=1) & np.isfinite(x).all(axis=1)].mean(axis=0) - res.alpha)


@udf(
    factor="The factor to mimic (e.g. GDP growth): one column; blanks where it is not observed.",
    base_returns="Base asset returns over the same periods (e.g. size/value portfolios, excess returns), one column each.",
    output="weights (default: a row, one per base asset), returns (the mimicking portfolio per period) or stats "
    "(tracking correlation, R2, periods used).",
    rf=doc.RF,
)
def mimicking_portfolio(factor, base_returns, output=None, rf=None):
    """Factor-mimicking portfolio: OLS weights of base assets tracking a non-traded factor, its returns or stats."""
    g, base, r = cells.periods([(factor, "factor"), (base_returns, "base_returns")], rf)
    res = mimicking.mimicking(cells.one_column(g, "factor"), base - r[:, None])
    out = cells.option(output, MIMIC_OUTPUTS, "output", "weights")
    if out == "weights":
        return cells.row(res.weights)
    if out == "returns":
        return cells.column(res.returns)
    return cells.row([res.tracking_corr, res.r2, res.nobs])


@udf(
    returns="Monthly or quarterly returns: one row per month (or quarter), one column per asset (simple decimal returns).",
    periods=PERIODS,
    frequency=f"{options.describe('frequency')}: compound each complete period of that length.",
    align_to="Optional: the slower series' labels (YYYYMM of each quarter's last month); one output row per label.",
)
def compound_returns(returns, periods, frequency=None, align_to=None):
    """Monthly (or quarterly) returns compounded to quarters or years: label then returns per period, or rows aligned to labels."""
    y, lab = cells.aligned((returns, "returns"), (periods, "periods"))
    to = cells.option(frequency, options.FREQUENCIES, "frequency", options.DEFAULTS["frequency"])
    res = freq.compound(y, cells.one_column(lab, "periods"), to)
    if cells.blank(align_to):
        return cells.block(np.column_stack([res.labels, res.returns]))
    target = freq.check_period_ends(cells.one_column(cells.table(align_to, "align_to"), "align_to"), to, "align_to")
    i, j = freq.align(res.labels, target, "the compounded periods", "align_to")
    out = np.full((target.size, res.returns.shape[1]), np.nan)
    out[j] = res.returns[i]
    return cells.block(out)


def _label_column(value, name: str, n_rows: int) -> np.ndarray:
    """One label per row of the table (text or numbers, not both) from a single column; blanks stay None for the
    core to name; error cells, logical values and rows beyond the table that are not blank are errors."""
    rows = cells._rows(value)
    if len(rows) == 1 and len(rows[0]) > 1:
        rows = [[x] for x in rows[0]]
    if not rows or any(len(r) != 1 for r in rows):
        raise InputShapeError(f"{name} must be a single column, one label per row of the table.")
    labels = [None if cells._is_blank(x) else x for (x,) in rows]
    while len(labels) > n_rows and labels[-1] is None:
        labels.pop()
    if len(labels) != n_rows:
        raise InputShapeError(f"{name} has {len(labels)} rows but the table has {n_rows}; select the same rows.")
    kinds = [str if isinstance(x, str) else float for x in labels if x is not None]
    for i, x in enumerate(labels):
        bad = x is not None and (
            isinstance(x, (bool, np.bool_)) or not isinstance(x, (str, int, float)) or cells._error_value(x) is not None
        )
        if bad or (isinstance(x, (int, float)) and not bad and abs(x) > 1e100):
            raise InputValueError(f"{name} row {i + 1} is {cells._describe(x)}; give text or a number.")
        if x is not None and kinds and (str if isinstance(x, str) else float) is not kinds[0]:
            raise InputValueError(
                f"{name} row {i + 1} is {cells._describe(x)} but row 1 is "
                f"{cells._describe(labels[0])}; give all labels as text or all as numbers."
            )
    return np.array(labels, dtype=object)


@udf(
    periods="The table's period column (one label per row, e.g. YYYYMM).",
    assets="The table's asset column (a name or number per row).",
    characteristics="Characteristics per row, one column each (e.g. size, value, momentum z-scores).",
    returns="Each row's return over its period.",
    industries="Optional: an industry label per row; industry factor returns are constrained to sum to zero.",
    weights="Optional: a regression weight per row, e.g. the square root of capitalisation (blank: equal).",
    output=(
        "factor_returns (default: periods x factors), factor_cov, exposures (factors x last period's assets), "
        "specific_var (a row), specific_returns (a column per row), r2, names or periods."
    ),
)
def char_model(periods, assets, characteristics, returns, industries=None, weights=None, output=None):
    """Characteristics model: per-period WLS of returns on characteristics (and industries) from a long table."""
    x, y = cells.aligned((characteristics, "characteristics"), (returns, "returns"))
    n = x.shape[0]
    w = None if cells.blank(weights) else cells.labels(weights, "weights", n)
    ind = None if cells.blank(industries) else _label_column(industries, "industries", n)
    res = fundamental.fundamental(
        _label_column(periods, "periods", n),
        _label_column(assets, "assets", n),
        x,
        cells.one_column(y, "returns"),
        industries=ind,
        weights=w,
    )
    out = cells.option(output, CHAR_OUTPUTS, "output", "factor_returns")
    if out == "names":
        return [list(res.factor_names)]
    if out == "periods":
        return [[p] for p in res.periods]
    values = {
        "factor_returns": lambda: res.factor_returns,
        "factor_cov": lambda: res.factor_cov,
        "exposures": lambda: res.exposures.T,
        "specific_var": lambda: res.specific_var[None, :],
        "specific_returns": lambda: res.specific_returns[:, None],
        "r2": lambda: res.r2[:, None],
    }[out]()
    return cells.block(values)


__all__ = ["char_model", "compound_returns", "mimicking_portfolio", "risk_premia"]
