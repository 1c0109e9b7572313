"""One rf rule (issue 23 item 5): rf is subtracted from the returns everywhere; from the market too only when
``market_is`` is total (the default). Both spellings of the shipped data give the same fit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from xlfactor import frames
from xlfactor.core import regression
from xlfactor.data import load_french
from xlfactor.errors import InputValueError


@pytest.fixture(scope="module")
def shipped():
    d = load_french()
    since = d.factors.index >= pd.Period("1963-07", "M")  # the template's default start, as the review used
    return d.industries[since], d.factors["Mkt-RF"][since], d.rf[since], d.market[since]  # market: Mkt-RF + RF


def test_both_spellings_give_the_same_capm_fit_on_the_shipped_data(shipped):
    r, mkt_rf, rf, total = shipped
    a = regression.capm(r.to_numpy(), total.to_numpy(), rf=rf.to_numpy())  # default: total
    b = regression.capm(r.to_numpy(), mkt_rf.to_numpy(), rf=rf.to_numpy(), market_is="excess")
    np.testing.assert_allclose(b.beta, a.beta, rtol=1e-12)
    np.testing.assert_allclose(b.alpha, a.alpha, rtol=1e-10)
    np.testing.assert_allclose(b.expected_return, a.expected_return, rtol=1e-12)
    ref = sm.OLS((r["NoDur"] - rf).to_numpy(), sm.add_constant(mkt_rf.to_numpy())).fit()
    np.testing.assert_allclose([b.alpha[0], b.beta[0]], ref.params, rtol=1e-10)
    assert round(b.beta[0], 4) == 0.7946 and round(100 * b.alpha[0], 2) == 0.28  # the figures (NoDur)


def test_excess_market_spelled_as_total_is_the_silent_error_the_option_prevents(shipped):
    r, mkt_rf, rf, _ = shipped
    wrong = regression.capm(r.to_numpy(), mkt_rf.to_numpy(), rf=rf.to_numpy(), market_is="total")
    assert round(wrong.beta[0], 4) == 0.7865 and round(100 * wrong.alpha[0], 2) == 0.59  # what the review saw


def test_market_is_is_checked(shipped):
    r, mkt_rf, rf, _ = shipped
    with pytest.raises(
        InputValueError, match=r"market_is must be one of total, excess; got 'exces'. Did you mean 'excess'"
    ):
        regression.capm(r.to_numpy(), mkt_rf.to_numpy(), rf=rf.to_numpy(), market_is="exces")


def test_frames_capm_takes_both_spellings(shipped):
    r, mkt_rf, rf, total = shipped
    a = frames.capm(r, total, rf=rf)
    b = frames.capm(r, mkt_rf, rf=rf, market_is="excess")
    pd.testing.assert_series_equal(a["beta"], b["beta"], rtol=1e-12)
