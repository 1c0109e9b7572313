"""The pandas wrappers: labels and date alignment around the core's numbers."""

import numpy as np
import pytest

from xlfactor import frames
from xlfactor.core import regression


def test_ols_table_is_labelled_core_output(french):
    ex = french.industries.sub(french.rf, axis=0)
    table = frames.ols(ex, french.factors, lags=6)
    fit = regression.ols(ex.to_numpy(), french.factors.to_numpy(), lags=6)
    assert list(table.index) == list(ex.columns)
    assert list(table.columns[:5]) == ["alpha", "Mkt-RF", "SMB", "HML", "Mom"]
    np.testing.assert_array_equal(table[["alpha", "Mkt-RF", "SMB", "HML", "Mom"]].to_numpy(), fit.coef)
    np.testing.assert_array_equal(table["t(HML)"].to_numpy(), fit.tstat[:, 3])
    np.testing.assert_array_equal(table["R2"].to_numpy(), fit.r2)


def test_dates_are_aligned_by_inner_join(french):
    ex = french.industries.sub(french.rf, axis=0)
    short = french.factors.iloc[100:300]
    table = frames.ols(ex, short)
    assert (table["nobs"] == 200).all()
    np.testing.assert_allclose(
        table["Mkt-RF"], regression.ols(ex.iloc[100:300].to_numpy(), short.to_numpy()).loadings[:, 0]
    )


def test_capm_risk_split_and_tests(french):
    table = frames.capm(french.industries, french.market, rf=french.rf.iloc[:-12])  # rf shorter: aligned
    assert (table["nobs"] == 819 - 12).all()
    np.testing.assert_allclose(table["total vol"] ** 2, table["systematic vol"] ** 2 + table["specific vol"] ** 2)
    split = frames.risk_split(french.industries.sub(french.rf, axis=0), french.factors)
    np.testing.assert_allclose(split["systematic var"], split[[f"var({c})" for c in french.factors]].sum(axis=1))
    _, vif, cond = frames.collinearity(french.factors)
    assert list(vif.index) == list(french.factors.columns) and cond == pytest.approx(
        regression.collinearity(french.factors.to_numpy()).condition_number
    )
    g = frames.grs(french.industries.sub(french.rf, axis=0), french.factors)
    assert g["df1"] == 12 and 0 <= g["p-value"] <= 1
    betas = frames.ols(french.industries.sub(french.rf, axis=0), french.factors)[list(french.factors.columns)]
    fm = frames.fama_macbeth(french.industries.sub(french.rf, axis=0), betas, lags=6)
    assert list(fm.index) == ["intercept", *french.factors.columns] and (fm["periods"] == 819).all()


@pytest.mark.parametrize("fn", ["ols", "capm", "risk_split", "grs", "collinearity", "rolling", "backtest"])
def test_the_hand_written_tables_check_periods_and_numbers_as_the_generated_faces(french, fn):
    """The review: a text column gave pandas' bare 'could not convert string to float' (no argument named), tables
    with no common period 'returns is empty', and a repeated date 'returns has 646 rows but factors has 645'."""
    from xlfactor.errors import InputShapeError

    y = french.industries.sub(french.rf, axis=0).loc["1963-07":"1990-12"]
    x = french.factors.loc[y.index]

    def call(y, x):
        if fn == "collinearity":
            return frames.collinearity(x)
        if fn == "capm":
            return frames.capm(y, x["Mkt-RF"], rf=french.rf, market_is="excess")
        extra = {"rolling": (60,), "backtest": (60,)}.get(fn, ())
        return getattr(frames, fn)(y, x, *extra)

    with pytest.raises(InputShapeError, match=r"non-numeric column\(s\) \['(NoDur|Mkt-RF)'\]"):
        call(y.assign(NoDur="x"), x.astype(object).assign(**{"Mkt-RF": "x"}) if fn == "collinearity" else x)
    if fn != "collinearity":
        with pytest.raises(InputShapeError, match="shares no period with"):
            call(y.loc[:"1970-12"], x.loc["1980-01":])
        with pytest.raises(InputShapeError, match=r"has the period .* more than once"):
            call(y.iloc[[0, *range(len(y))]], x)
