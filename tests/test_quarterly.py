"""Quarterly data (as macro data come): read as quarters, annualised with 4 a year, and never matched with factors of
another cadence.

Quarterly returns written as dates (1964-03-31, ...) were read as monthly: annualised with 12 a year (alphas and
means 3 times too large; the command line only warned) and, with the shipped monthly factors, each quarter was
regressed on the factor return of its last month. The data here are the shipped 12 industries and Ken French
factors compounded to quarters (213 x 12 x 4: another shape than the shipped monthly 645 x 12 x 5).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from xlfactor import compound
from xlfactor.cli_options import periods_warning
from xlfactor.data import load_french
from xlfactor.errors import InputValueError
from xlfactor.workbook import dataset, procedure
from xlfactor.workbook.dataset import DataFileError
from xlfactor.workbook.macro import macro_example
from xlfactor.workbook.template.inputs import Inputs

FACTORS = ["Mkt-RF", "SMB", "HML", "Mom"]


def _dated(values: np.ndarray, labels: np.ndarray, columns: list[str]) -> pd.DataFrame:
    """Rows labelled YYYYMM written as the month's last day (2016-12-31), as a spreadsheet saves dates."""
    ends = pd.PeriodIndex([f"{p // 100}-{p % 100:02d}" for p in labels], freq="M").to_timestamp(how="end")
    return pd.DataFrame(values, index=pd.Index(ends.strftime("%Y-%m-%d"), name="date"), columns=columns)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = load_french()
    months = np.array([p.year * 100 + p.month for p in d.factors.index])
    keep = months >= 196401
    months = months[keep]
    monthly = {
        "returns": (d.industries.to_numpy()[keep], list(d.industries.columns)),
        "factors": (np.column_stack([d.factors[FACTORS].to_numpy()[keep], d.rf.to_numpy()[keep]]), [*FACTORS, "RF"]),
    }
    folder = tmp_path_factory.mktemp("quarterly")
    paths = {}
    for name, (values, columns) in monthly.items():
        q = compound(values, months, to="quarter")
        _dated(q.returns, q.labels, columns).to_csv(folder / f"{name}_q.csv")
        _dated(values, months, columns).to_csv(folder / f"{name}_m.csv")
        paths[name] = (folder / f"{name}_q.csv", folder / f"{name}_m.csv")
    return paths


def test_quarterly_files_are_read_as_quarters_and_annualised_with_four(files):
    data = dataset.from_files(files["returns"][0], files["factors"][0], rf="RF")
    assert (data.cadence, data.periods_per_year, data.period_word, data.period_header) == (
        "quarterly",
        4,
        "quarter",
        "Quarter",
    )
    assert len(data.periods) == 213 and data.periods[0] == 196403 and data.title.endswith("(quarterly)")
    assert periods_warning(None, data.periods, data.frequency, data.periods_per_year) is None
    done = Inputs().resolve(data)
    assert (done.periods_per_year, done.bt_window, done.bt_step) == (4, 20, 4)  # 5 years, rebalanced yearly
    res = procedure.run(Inputs(), data=data)
    assert res.periods_per_year == 4
    # the CAPM per quarter equals statsmodels' OLS on the quarterly excess returns
    y = data.returns - data.rf[:, None]
    ols = sm.OLS(y[:, 0], sm.add_constant(data.factors[:, 0])).fit()
    assert res.capm.alpha[0] == pytest.approx(ols.params[0], rel=1e-10)
    assert res.capm.beta[0] == pytest.approx(ols.params[1], rel=1e-10)
    _, realised = res.volatility()
    assert realised == pytest.approx(np.std(y @ res.allocation.weights, ddof=1) * 2, rel=1e-12)  # sqrt(4)


def test_monthly_files_written_as_dates_stay_monthly(files):
    data = dataset.from_files(files["returns"][1], files["factors"][1], rf="RF")
    assert (data.cadence, data.periods_per_year, len(data.periods)) == ("monthly", 12, 639)


@pytest.mark.parametrize(
    ("returns", "factors", "rf", "says"),
    [
        ("q", "french", None, "the shipped French factors are monthly but the returns are quarterly"),
        ("q", "m", "RF", "the factors file factors_m.csv is monthly but the returns are quarterly"),
        ("m", "q", "RF", "the factors file factors_q.csv is quarterly but the returns are monthly"),
    ],
)
def test_factors_of_another_cadence_are_refused(files, returns, factors, rf, says):
    pick = {"q": 0, "m": 1}
    path = files["factors"][pick[factors]] if factors != "french" else "french"
    with pytest.raises(DataFileError, match=says) as exc:
        dataset.from_files(files["returns"][pick[returns]], path, rf=rf)
    if returns == "q" and factors != "q":
        assert "compound the months to quarters first (xlfactor.compound" in str(exc.value)


def test_an_rf_file_of_another_cadence_is_refused(files, tmp_path):
    rf = pd.read_csv(files["factors"][1], index_col=0)[["RF"]]
    rf.to_csv(tmp_path / "rf_m.csv")
    with pytest.raises(DataFileError, match=r"the rf file rf_m\.csv is monthly but the returns are quarterly"):
        dataset.from_files(files["returns"][0], files["factors"][0], rf=tmp_path / "rf_m.csv")


def test_weekly_returns_against_daily_factors_are_refused(tmp_path):
    """Fridays are days too: weekly returns used to be matched with the daily factor return of each Friday."""
    days = pd.bdate_range("2020-01-01", periods=520)
    rng = np.random.default_rng(0)
    daily = pd.DataFrame(rng.normal(0, 0.01, (520, 2)), index=days.strftime("%Y-%m-%d"), columns=["Mkt", "SMB"])
    fridays = days[days.day_of_week == 4]
    weekly = pd.DataFrame(rng.normal(0, 0.02, (len(fridays), 3)), index=fridays.strftime("%Y-%m-%d"))
    daily.to_csv(tmp_path / "f.csv")
    weekly.to_csv(tmp_path / "r.csv")
    with pytest.raises(DataFileError, match=r"the factors file f\.csv is daily but the returns are weekly"):
        dataset.from_files(tmp_path / "r.csv", tmp_path / "f.csv")


def test_quarterly_returns_compound_as_they_are_to_quarters_and_four_at_a_time_to_years():
    months = np.array([199001 + i for i in range(12)] + [199101 + i for i in range(12)])
    r = np.random.default_rng(1).normal(0.01, 0.04, (24, 3))
    q = compound(r, months, "quarter")
    again = compound(q.returns, q.labels, "quarter")
    assert again.labels.tolist() == q.labels.tolist() and again.first_row.tolist() == list(range(8))
    np.testing.assert_allclose(again.returns, q.returns, rtol=1e-15)
    np.testing.assert_allclose(compound(q.returns, q.labels, "year").returns, compound(r, months, "year").returns)
    late = compound(q.returns[1:], q.labels[1:], "year")  # from 1990Q2: the first complete year is 1991
    assert late.labels.tolist() == [199112] and late.first_row.tolist() == [3]
    with pytest.raises(InputValueError, match=r"row 3 \(199012\) skips 1 quarter\(s\) after 199006"):
        compound(r[:3], [199003, 199006, 199012], "quarter")
    with pytest.raises(InputValueError, match=r"row 2 \(199004\) skips 2 month\(s\) after 199001"):
        compound(r[:3], [199001, 199004, 199005], "quarter")  # monthly with a gap, not quarterly
    with pytest.raises(InputValueError, match="row 1 is 199002, not the last month of a quarter"):
        compound(r[:3], [199002, 199005, 199008], "quarter")


def test_the_macro_example_on_quarterly_data_is_the_monthly_datas(files):
    """The Macro sheet used to say "needs monthly data" to quarterly data; compounded or given, the same quarters."""
    monthly = dataset.from_files(files["returns"][1], files["factors"][1], rf="RF")
    quarterly = dataset.from_files(files["returns"][0], files["factors"][0], rf="RF")
    a, b = macro_example(monthly), macro_example(quarterly)
    assert a is not None and b is not None and a.labels.tolist() == b.labels.tolist() and len(a.labels) >= 150
    np.testing.assert_allclose(b.excess, a.excess, rtol=1e-12, atol=1e-15)
    for res in ("plain", "shanken", "gmm"):
        np.testing.assert_allclose(getattr(b, res).premia, getattr(a, res).premia, rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize(("months", "name", "count"), [((6, 12), "semiannual", 2), ((12,), "annual", 1)])
def test_dates_slower_than_quarterly_are_warned_of(months, name, count):
    """Read as quarterly (4 a year), semiannual and annual dates would be annualised 2 and 4 times over, unquestioned:
    the command line's frequency warning names them."""
    periods = [y * 100 + m for y in range(1990, 2020) for m in months]
    said = periods_warning(None, periods, "monthly", 4)
    assert said is not None and f"the data are {name} ({count} a year" in said
    assert f"pass --periods-per-year {count}" in said
    assert periods_warning(count, periods, "monthly", 4) is None
