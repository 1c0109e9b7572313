"""Traded versus non-traded factors: the flags as the data say, and the alpha-based statistics that refuse or adapt."""

import numpy as np
import pandas as pd
import pytest

from xlfactor import frames
from xlfactor.core import frequency, regression
from xlfactor.data import load_french
from xlfactor.data.macro import load_macro
from xlfactor.errors import InputValueError


@pytest.fixture(scope="module")
def quarterly():
    """The industries' quarterly excess returns and the macro series on the same quarters (1959Q2-2009Q3)."""
    d = load_french()
    months = np.array([p.year * 100 + p.month for p in d.industries.index])
    q = frequency.compound(np.column_stack([d.industries.to_numpy(), d.rf.to_numpy()]), months, "quarter")
    m = load_macro()
    labels = m.index.year * 100 + 3 * m.index.quarter
    i, _ = frequency.align(q.labels, labels)
    excess = pd.DataFrame(q.returns[i, :-1] - q.returns[i, -1:], index=m.index, columns=d.industries.columns)
    return excess, m


def test_the_data_say_which_factors_are_traded():
    m = load_macro()
    assert frames.traded(m) == [False] * 3 and frames.traded(m[["GDP"]]) == [False]
    assert frames.traded(m["Infl"]) == [False] and frames.traded(m.loc["1970Q1":]) == [False] * 3
    assert frames.traded(load_french().factors) is None  # says nothing: traded, as the returns functions assume
    mixed = m.assign(Mkt=0.01)
    assert frames.traded(mixed) == [False, False, False, True]  # a column the flags do not name: traded
    one = m.copy()
    one.attrs["traded"] = True
    assert frames.traded(one) == [True] * 3


def test_grs_refuses_what_the_data_mark_not_traded(quarterly):
    excess, m = quarterly
    with pytest.raises(InputValueError, match=r"GRS test needs traded factors .*column 1 .*RISK_PREMIA"):
        frames.grs(excess, m)
    unmarked = m.copy()
    unmarked.attrs = {}
    assert np.isfinite(frames.grs(excess, unmarked)["GRS F"])  # unmarked: taken as returns, as before


def test_capm_adapts_for_a_market_that_is_not_traded(quarterly):
    excess, m = quarterly
    table = frames.capm(excess, m["GDP"])
    assert "CAPM E[R]" not in table and "alpha" not in table
    res = regression.capm(excess.to_numpy(), m["GDP"].to_numpy())
    np.testing.assert_allclose(table["intercept"], res.alpha, rtol=1e-12)
    np.testing.assert_allclose(table["beta"], res.beta, rtol=1e-12)
    gdp = m["GDP"].copy()
    gdp.attrs = {}
    assert "CAPM E[R]" in frames.capm(excess, gdp)


def test_core_capm_refuses_the_expected_return_of_a_non_traded_market(quarterly):
    excess, m = quarterly
    y, g = excess.to_numpy(), m["GDP"].to_numpy()
    fit = regression.capm(y, g, traded=False)
    np.testing.assert_allclose(fit.beta, regression.capm(y, g).beta, rtol=1e-15)
    with pytest.raises(InputValueError, match="CAPM expected return needs traded factors"):
        _ = fit.expected_return
    assert np.isfinite(regression.capm(y, g).expected_return).all()


def test_ols_table_names_the_intercept_of_factors_not_traded(quarterly):
    excess, m = quarterly
    table = frames.ols(excess, m)
    assert "alpha" not in table and "t(intercept)" in table
    res = regression.ols(excess.to_numpy(), m.to_numpy())
    np.testing.assert_allclose(table["intercept"], res.intercept, rtol=1e-12)
    unmarked = m.copy()
    unmarked.attrs = {}
    assert "alpha" in frames.ols(excess, unmarked)
