"""The Start sheet's inputs: periods a year read by the formulas, target volatility a year, Newey-West lags by rule."""

import math

import numpy as np
import openpyxl
import pytest

from xlfactor.workbook.dataset import french
from xlfactor.workbook.template import Inputs, Template
from xlfactor.workbook.template.inputs import newey_west_lags


@pytest.mark.parametrize("t", [1, 36, 60, 99, 100, 101, 645, 1200, 2265, 20_000])
def test_newey_west_lags_follow_the_rule(t):
    assert newey_west_lags(t) == math.floor(4 * (t / 100) ** (2 / 9))


def test_lags_default_to_the_rule_for_the_window():
    data = french()
    assert Inputs().resolve(data).lags == 6  # 645 months
    assert Inputs(start=201001).resolve(data).lags == 3  # 87 months: floor(4 * 0.87^(2/9)) = floor(3.88)
    assert Inputs(lags=2).resolve(data).lags == 2


@pytest.fixture(scope="module")
def quarterly(tmp_path_factory):
    """The shipped data's preview built twice: periods a year 12 (the data's) and 4 (typed on Start)."""
    folder = tmp_path_factory.mktemp("ppy")
    small = Inputs(start=200001, bt_window=36, bt_step=12)
    return {
        ppy: (
            folder / f"{ppy}.xlsx",
            Template(Inputs(**{**small.__dict__, "periods_per_year": ppy})).build(folder / f"{ppy}.xlsx", "classic"),
        )
        for ppy in (12, 4)
    }


def test_backtest_formulas_read_periods_a_year_from_start(quarterly):
    path, book = quarterly[12]
    ppy = book.block("Start", "periods_per_year")
    assert ppy.value() == 12
    calls = [text for _, ws, _, text in _formulas(path) if "BACKTEST(" in text]
    assert len(calls) == 2
    for text in calls:
        assert ppy.a1() in text or ppy.a1().replace("'Start'", "Start") in text, text
        assert "12.0" not in text and "252.0" not in text


def test_periods_a_year_annualise_the_backtest(quarterly):
    """Annualised volatility = per-period volatility x sqrt(periods a year): 12 vs 4 gives sqrt(3)."""
    rows = {}
    for ppy, (_, book) in quarterly.items():
        s = book.block("Backtest", "bt_summary")
        rows[ppy] = {r[0]: r[1:] for r in s.values()}
    label = "Realised volatility (annualised)"
    np.testing.assert_allclose(np.array(rows[12][label]) / np.array(rows[4][label]), math.sqrt(3), rtol=1e-12)


def test_target_volatility_is_a_year_on_start_and_per_period_in_formulas(quarterly):
    path, book = quarterly[4]
    tv, per = book.block("Start", "target_vol"), book.block("Start", "target_vol_period")
    assert tv.value() == 0.10 and per.value() == pytest.approx(0.10 / 2)
    ws = openpyxl.load_workbook(path)["Start"]
    assert ws.cell(tv.r0 + 1, tv.c0 + 1).number_format.endswith("%")
    risk = [text for _, wsx, _, text in _formulas(path) if "RISK_ALLOC(" in text]
    assert risk and all(per.a1().replace("'Start'", "Start") in t or per.a1() in t for t in risk)


def _formulas(path):
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                text = getattr(cell.value, "text", cell.value)
                if isinstance(text, str) and text.startswith("="):
                    yield wb, ws, cell, text


def test_barra_options_on_start_reach_the_formulas(tmp_path):
    """Issue 27.4: Start offers the Barra-style options and FACTOR_COV, SPECIFIC_VAR and BACKTEST get them."""
    from xlfactor.core import risk
    from xlfactor.workbook.template import Inputs, Template
    from xlfactor.workbook.template.inputs import udf_takes

    if not (udf_takes("FACTOR_COV", "nw_lags") and udf_takes("SPECIFIC_VAR", "shrink")):
        pytest.skip("the Excel functions do not take the Barra-style options yet")
    inp = Inputs(cov_method="barra", nw_lags=2, corr_halflife=48, regime_halflife=12, specific_shrink=0.1)
    plain, barra = (Template(inputs=i).build(tmp_path / f"{j}.xlsx", "classic") for j, i in enumerate((Inputs(), inp)))
    start, r = barra.sheets["Start"], barra.sheets["Risk"]
    assert [start.blocks[k].value() for k in ("nw_lags", "corr_halflife", "regime_halflife", "specific_shrink")] == [
        2,
        48,
        12,
        0.1,
    ]
    fx = np.array(barra.sheets["Factors"].blocks["factors"].values(), float)
    want = risk.factor_covariance(fx, "barra", inp.halflife, corr_halflife=48, nw_lags=2, regime_halflife=12)
    np.testing.assert_allclose(np.array(r.blocks["cov"].values(), float), want, rtol=1e-12)
    spec = [np.array(b.sheets["Risk"].blocks["specific_var"].values(), float) for b in (plain, barra)]
    assert np.abs(spec[1] - spec[0]).max() > 1e-6  # the shrinkage reaches SPECIFIC_VAR
    bt = [b.sheets["Backtest"].blocks["bt_summary"].values()[3][1:] for b in (plain, barra)]
    assert bt[0] != bt[1]  # and the backtest's predicted volatilities


def test_covariance_options_reach_the_formulas_only_for_the_methods_that_read_them(quarterly):
    """Issue 23.4: Start's half-life (and the Barra-style options) went to FACTOR_COV and BACKTEST whatever the
    method drop-down said; a function refuses an option its method does not read, so each is passed as
    IF(the method reads it, the cell, "") with the readers from options.COV_OPTION_USERS."""
    from xlfactor.core.options import COV_OPTION_USERS

    path, book = quarterly[12]
    calls = [text.replace("'", "") for _, _, _, text in _formulas(path) if "FACTOR_COV(" in text or "BACKTEST(" in text]
    assert len(calls) == 3  # FACTOR_COV on Risk, BACKTEST's summary and its series
    method = book.block("Start", "cov_method").a1().replace("'", "")
    for name, users in COV_OPTION_USERS.items():
        ref = book.block("Start", name).a1().replace("'", "")
        cond = "OR(" + ",".join(f'{method}="{m}"' for m in users) + ")"
        for text in calls:
            assert f'IF({cond},{ref},"")' in text, (name, text)
            assert text.count(ref) == 1, (name, text)  # never passed bare
