"""One rf rule (issue 23 item 5) through xlwings' classic call_udf: CAPM_BETA, CAPM_ER and ROLLING_BETA take the
market as a total return (default) or, with market_is "excess", as Mkt-RF; every rf help text says what rf is
subtracted from."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.excel import winstubs
from xlfactor.core import options
from xlfactor.data import load_french
from xlfactor.excel import helptext, udfs


@pytest.fixture(scope="module")
def shipped():
    d = load_french()
    since = d.factors.index >= pd.Period("1963-07", "M")
    return d.industries[since], d.factors["Mkt-RF"][since], d.rf[since], d.market[since]


def _cells(a):
    return winstubs.com([[float(v) for v in row] for row in np.atleast_2d(a)])


def _call(name, *args):
    n = len(getattr(udfs, name).__xlfunc__["args"])
    com = [winstubs.MISSING if a is None else a for a in args] + [winstubs.MISSING] * (n - len(args))
    return np.array(winstubs.call(udfs, name, *com), dtype=float)


# (positional arguments before rf, between rf and market_is) of each function
LAYOUT = {"capm_beta": ((), (None, None)), "capm_er": ((), ()), "rolling_beta": ((60, 12), (None, None))}


def test_excel_functions_take_both_spellings(shipped):
    r, mkt_rf, rf, total = shipped
    y, rf_c = _cells(r.to_numpy()[-240:, :4]), _cells(rf.to_numpy()[-240:, None])
    tot, exc = _cells(total.to_numpy()[-240:, None]), _cells(mkt_rf.to_numpy()[-240:, None])
    for name, (before, between) in LAYOUT.items():
        as_total = _call(name, y, tot, *before, rf_c)
        as_excess = _call(name, y, exc, *before, rf_c, *between, "excess")
        np.testing.assert_allclose(as_excess, as_total, rtol=1e-10, err_msg=name)
        wrong = _call(name, y, exc, *before, rf_c)  # the default takes the market as a total return
        assert np.abs(wrong - as_total).max() > 1e-4, name


def test_every_rf_help_text_says_what_rf_is_subtracted_from():
    market_funcs = {"capm_beta", "capm_er", "rolling_beta"}
    for name in udfs.__all__:
        argmap = getattr(udfs, name).__xlfunc__.get("argmap", {})
        if "rf" not in argmap:
            continue
        doc = argmap["rf"]["doc"]
        assert "subtracted from the returns" in doc, name
        if name in market_funcs:
            assert doc == helptext.RF_MARKET and "market_is" in argmap, name
            assert "total (default)" in argmap["market_is"]["doc"]
        else:
            assert doc == helptext.RF and "returns only" in doc, name
    assert options.CHOICES["market_is"] == ("total", "excess")
