"""Mixed frequencies (monthly returns against quarterly macro data) and factor-mimicking portfolios."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.datasets import macrodata

from xlfactor.core import frequency, mimicking
from xlfactor.data.macro import load_macro, macro_labels
from xlfactor.errors import (
    CollinearityError,
    InputShapeError,
    InputValueError,
    InsufficientDataError,
)


def yyyymm(index) -> np.ndarray:
    return np.array([p.year * 100 + p.month for p in index])


@pytest.fixture(scope="module")
def quarterly(french):
    """The 12 industries and the 9 size/value portfolios in excess of rf, per quarter, on the macro quarters."""
    d = french
    raw = np.column_stack([d.industries, d.size_value, d.rf])
    q = frequency.compound(raw, yyyymm(d.industries.index), "quarter")
    m = load_macro()
    i, j = frequency.align(q.labels, macro_labels(m).to_numpy())
    ex = q.returns[i, :-1] - q.returns[i, -1:]
    return ex[:, :12], ex[:, 12:], m.to_numpy()[j], q.labels[i]


def test_compound_equals_pandas_resample_on_shipped_months(french):
    y = french.industries
    q = frequency.compound(y.to_numpy(), yyyymm(y.index), "quarter")
    ref = (1 + y).groupby(y.index.asfreq("Q")).prod() - 1
    np.testing.assert_allclose(q.returns, ref.to_numpy(), rtol=1e-13)
    assert q.labels[0] == 194903 and q.labels[-1] == 201703 and len(q.labels) == 273
    a = frequency.compound(y.to_numpy(), yyyymm(y.index), "year")
    ref = (1 + y).groupby(y.index.year).prod() - 1
    np.testing.assert_allclose(a.returns, ref.to_numpy()[: len(a.labels)], rtol=1e-13)
    assert a.labels[-1] == 201612  # 2017 has three months: incomplete, left out


def test_partial_periods_at_the_ends_are_left_out_and_missing_cells_propagate():
    labels = [199002, 199003, 199004, 199005, 199006, 199007]
    r = np.array([[0.1], [0.2], [0.01], [np.nan], [0.03], [0.5]])
    q = frequency.compound(np.column_stack([r, np.full(6, 0.01)]), labels)
    assert q.labels.tolist() == [199006] and q.first_row.tolist() == [2]
    assert np.isnan(q.returns[0, 0]) and q.returns[0, 1] == pytest.approx(1.01**3 - 1)


@pytest.mark.parametrize(
    "labels, match",
    [
        ([199001, 199002, 199002], "row 3 \\(199002\\) repeats or goes back"),
        ([199001, 199003, 199004], "row 2 \\(199003\\) skips 1 month"),
        ([199001, 199013, 199101], "row 2 is 199013, not a month"),
        ([199001.5, 199002, 199003], "row 1 is 199002, not a month|row 1 is 1.99e\\+05"),
    ],
)
def test_misaligned_or_overlapping_months_are_errors(labels, match):
    with pytest.raises(InputValueError, match=match):
        frequency.compound(np.zeros((3, 1)), labels)


def test_compound_shapes_and_lengths():
    with pytest.raises(InputShapeError, match="3 labels but returns has 2 rows"):
        frequency.compound(np.zeros((2, 1)), [199001, 199002, 199003])
    with pytest.raises(InsufficientDataError, match="no complete quarter"):
        frequency.compound(np.zeros((2, 1)), [199001, 199002])


def test_compound_refuses_a_return_below_minus_100_percent():
    """Percentages (-1.93 for -1.93%) compounded as decimals gave -1924% a quarter without a word; -1 (a total
    loss) is a return, anything below it is not."""
    labels = [199001, 199002, 199003]
    with pytest.raises(InputValueError, match=r"returns row 2, column 2 is -1\.93, a loss of more than 100%"):
        frequency.compound(np.array([[0.01, 3.67], [0.02, -1.93], [0.0, 3.2]]), labels)
    q = frequency.compound(np.array([[-1.0], [0.1], [np.nan]]), labels)  # total loss and a gap: still returns
    assert np.isnan(q.returns[0, 0])
    assert frequency.compound(np.array([[-1.0], [0.1], [0.1]]), labels).returns[0, 0] == -1.0


def test_align_errors():
    with pytest.raises(InputValueError, match="195903 more than once"):
        frequency.align([195903, 195903], [195903])
    with pytest.raises(InputValueError, match="share no period"):
        frequency.align([195903], [1959.1])


def test_macro_factors_from_statsmodels_macrodata():
    m = load_macro()
    raw = macrodata.load_pandas().data
    np.testing.assert_allclose(m["GDP"].iloc[0], raw.realgdp[1] / raw.realgdp[0] - 1)
    np.testing.assert_allclose(m["Infl"].iloc[-1], raw.infl.iloc[-1] / 400)
    np.testing.assert_allclose(m["dUnemp"].iloc[-1], (raw.unemp.iloc[-1] - raw.unemp.iloc[-2]) / 100)
    assert macro_labels(m).iloc[[0, -1]].tolist() == [195906, 200909]


def test_shipped_months_meet_every_macro_quarter(quarterly):
    ind, _sv, macro, labels = quarterly
    assert ind.shape == (202, 12) and macro.shape == (202, 3) and np.isfinite(ind).all()
    assert labels[0] == 195906 and labels[-1] == 200909


def test_mimicking_gdp_equals_statsmodels_ols(quarterly):
    _, sv, macro, _ = quarterly
    res = mimicking.mimicking(macro[:, 0], sv)
    ref = sm.OLS(macro[:, 0], sm.add_constant(sv)).fit()
    np.testing.assert_allclose(np.r_[res.intercept, res.weights], ref.params, rtol=1e-10)
    np.testing.assert_allclose(res.stderr, ref.bse, rtol=1e-10)
    np.testing.assert_allclose(res.r2, ref.rsquared, rtol=1e-10)
    np.testing.assert_allclose(res.tracking_corr, np.corrcoef(macro[:, 0], sv @ res.weights)[0, 1], rtol=1e-10)
    np.testing.assert_allclose(res.returns, sv @ res.weights, rtol=1e-12)


def test_mimicking_returns_fill_the_months_where_a_quarterly_factor_is_missing():
    rng = np.random.default_rng(2)
    base = rng.normal(0.01, 0.05, (90, 4))
    w = np.array([0.3, -0.1, 0.2, 0.05])
    g = base @ w + rng.normal(0, 1e-3, 90)
    g[np.arange(90) % 3 != 2] = np.nan  # observed once a quarter
    res = mimicking.mimicking(g, base)
    assert res.nobs == 30 and np.isfinite(res.returns).all()
    np.testing.assert_allclose(res.weights, w, atol=0.01)
    assert res.tracking_corr > 0.99


def test_mimicking_hostile_inputs():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(20, 3))
    with pytest.raises(InputShapeError, match="factor has 19 values but base_returns has 20 rows"):
        mimicking.mimicking(np.zeros(19), base)
    with pytest.raises(InsufficientDataError, match="present in 4 rows"):
        mimicking.mimicking(np.r_[np.ones(4), np.full(16, np.nan)], base)
    dup = np.column_stack([base, base[:, 0]])
    with pytest.raises(CollinearityError, match="base_returns column 4"):
        mimicking.mimicking(rng.normal(size=20), dup)


def test_frequency_on_a_pandas_index_shape():
    """Another shape: 2 assets over 5 years to annual, labels from a pandas period range."""
    idx = pd.period_range("2001-01", periods=60, freq="M")
    r = np.random.default_rng(0).normal(0.01, 0.03, (60, 2))
    a = frequency.compound(r, yyyymm(idx), "year")
    np.testing.assert_allclose(a.returns, np.prod(1 + r.reshape(5, 12, 2), axis=1) - 1, rtol=1e-13)
    assert a.labels.tolist() == [200112, 200212, 200312, 200412, 200512]


def test_slower_labels_must_be_the_last_month_of_their_period():
    assert frequency.check_period_ends([195903, 195906], "quarter").tolist() == [195903, 195906]
    assert frequency.check_period_ends([195912, 196012], "year").size == 2
    with pytest.raises(InputValueError, match=r"row 2 is 195904, not the last month of a quarter.*1959Q1 is 195903"):
        frequency.check_period_ends([195903, 195904], "quarter", "align_to")
    with pytest.raises(InputValueError, match=r"row 1 is 195906, not the last month of a year"):
        frequency.check_period_ends([195906], "year", "align_to")
    with pytest.raises(InputValueError, match=r"row 1 is 195913, not a month"):
        frequency.check_period_ends([195913], "quarter", "align_to")
