import numpy as np
import pandas as pd
import pytest

from xlfactor.data import FACTORS, INDUSTRIES, SIZE_MOMENTUM, SIZE_VALUE, load_french


def test_shipped_copy_equals_linearmodels(french):
    french_lm = pytest.importorskip("linearmodels.datasets.french")
    ref = french_lm.load()
    assert len(ref) == 819
    np.testing.assert_array_equal(french.factors.to_numpy(), ref[["MktRF", "SMB", "HML", "Mom"]].to_numpy())
    np.testing.assert_array_equal(french.rf.to_numpy(), ref["RF"].to_numpy())
    np.testing.assert_array_equal(french.portfolios.to_numpy(), ref[INDUSTRIES + SIZE_VALUE + SIZE_MOMENTUM].to_numpy())
    assert list(french.factors.index.to_timestamp()) == list(pd.DatetimeIndex(ref["dates"]))


def test_loader_shapes_and_index(french):
    assert list(french.factors.columns) == FACTORS
    assert french.industries.shape == (819, 12)
    assert french.size_value.shape == french.size_momentum.shape == (819, 9)
    assert french.portfolios.shape == (819, 30)
    assert str(french.factors.index[0]) == "1949-01" and str(french.factors.index[-1]) == "2017-03"
    assert french.factors.index.freqstr == "M"
    np.testing.assert_allclose(french.market, french.factors["Mkt-RF"] + french.rf)


def test_loader_returns_independent_copies():
    a = load_french()
    a.factors.iloc[0, 0] = 99.0
    assert load_french().factors.iloc[0, 0] != 99.0


@pytest.mark.parametrize(("source", "n"), [("size_value", 2), ("industries", 4)])
def test_low_volatility_factor_by_hand(french, source, n):
    lv = french.low_vol(source)
    assert lv.iloc[:36].isna().all() and lv.iloc[36:].notna().all()
    ind = french.size_value if source == "size_value" else french.industries
    t = 500
    vol = ind.iloc[t - 36 : t].std()
    low, high = vol.nsmallest(n).index, vol.nlargest(n).index
    assert lv.iloc[t] == pytest.approx(ind.iloc[t][low].mean() - ind.iloc[t][high].mean(), rel=1e-12)
    assert french.factor_table(source)["LowVol"].equals(lv)
    assert list(french.five_factors.columns) == ["Mkt-RF", "SMB", "HML", "Mom", "LowVol"]
    # low-volatility industries have lower market betas: the factor loads negatively on the market
    assert np.corrcoef(lv.iloc[36:], french.factors["Mkt-RF"].iloc[36:])[0, 1] < 0
    assert french.five_factors["LowVol"].equals(french.low_vol("size_value"))  # the default
