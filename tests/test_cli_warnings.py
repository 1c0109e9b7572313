"""Warnings of the command line: inputs that are legal but look like a mistake (swapped files, an annualisation
that contradicts the data's frequency). Each is one line on stderr, before any work; the run goes on."""

import numpy as np
import pandas as pd
import pytest

from xlfactor import cli, cli_options


def _write(path, dates, columns, seed):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(0.01 * rng.standard_normal((len(dates), len(columns))), index=dates, columns=columns)
    frame.index.name = "date"
    frame.to_csv(path)
    return str(path)


@pytest.fixture(scope="module")
def daily(tmp_path_factory):
    """The review's files: 600 business days x 7 assets (A0..A6), 3 factors (MKT, F2, F3)."""
    d = tmp_path_factory.mktemp("daily")
    days = pd.bdate_range("2020-01-01", periods=600).strftime("%Y-%m-%d")
    return _write(d / "r.csv", days, [f"A{i}" for i in range(7)], 1), _write(d / "f.csv", days, ["MKT", "F2", "F3"], 2)


def _run(argv, capsys):
    """The command, stopped by a bad --use-factors just after the data are read (no computing, no writing)."""
    assert cli.main([*argv, "--use-factors", "nope", "--out", "/nonexistent/never"]) == 2
    out = capsys.readouterr()
    assert "--use-factors takes names" in out.err
    return out.err


def test_more_factors_than_assets_warns_of_a_swap(daily, capsys):
    r, f = daily
    err = _run(["demo", "--returns", f, "--factors", r], capsys)
    warning = f"xlfactor: warning: 7 factors for 3 assets: did you swap --returns {f} and --factors {r}?"
    assert err.splitlines()[0] == warning
    err = _run(["demo", "--returns", r, "--factors", f], capsys)
    assert "warning" not in err


def test_the_shipped_monthly_data_question_a_daily_annualisation(capsys):
    err = _run(["demo", "--periods-per-year", "252"], capsys)
    assert err.startswith("xlfactor: warning: --periods-per-year 252 but the data are monthly (12 a year")


def test_more_factors_than_assets_is_only_a_warning():
    assert cli_options.swap_warning(["A", "B"], ["F1", "F2", "F3"], "a.csv", "b.csv") is not None
    assert cli_options.swap_warning(["A", "B", "C"], ["F1", "F2", "F3"], "a.csv", "b.csv") is None  # as many: fine
    assert cli_options.swap_warning(["A"], None, "a.csv", "french") is None  # the shipped factors


@pytest.mark.parametrize(
    ("given", "warns"), [(12, "daily"), (52, "daily"), (4, "daily"), (252, None), (260, None), (365, None)]
)
def test_periods_per_year_contradicting_daily_data_warns(daily, capsys, given, warns):
    r, f = daily
    err = _run(["demo", "--returns", r, "--factors", f, "--periods-per-year", str(given)], capsys)
    if warns is None:
        assert "warning" not in err
    else:
        first = err.splitlines()[0]
        assert first.startswith(f"xlfactor: warning: --periods-per-year {given} but the data are {warns} (")
        assert "252 a year" in first


def test_the_frequency_is_read_from_the_dates():
    monthly = np.array([200001 + 100 * (m // 12) + m % 12 for m in range(60)])
    weekly = np.array(pd.date_range("2020-01-03", periods=200, freq="W-FRI").strftime("%Y%m%d").astype(int))
    quarterly = np.array(pd.date_range("2000-03-31", periods=40, freq="QE").strftime("%Y%m%d").astype(int))
    days = np.array(pd.bdate_range("2020-01-01", periods=600).strftime("%Y%m%d").astype(int))
    assert cli_options.detected_frequency(monthly, "monthly")[0] == "monthly"
    assert cli_options.detected_frequency(weekly, "daily")[0] == "weekly"
    assert cli_options.detected_frequency(quarterly, "daily")[0] == "quarterly"
    assert cli_options.detected_frequency(days, "daily")[0] == "daily"
    assert cli_options.periods_warning(12, monthly, "monthly") is None
    assert cli_options.periods_warning(None, days, "daily") is None  # the default follows the data
    assert "annualising with 252 periods a year (the default) but the data are weekly" in (
        cli_options.periods_warning(None, weekly, "daily")
    )
    assert "weekly (52 a year" in cli_options.periods_warning(12, weekly, "daily")
    assert cli_options.periods_warning(52, weekly, "daily") is None
    assert "monthly" in cli_options.periods_warning(252, monthly, "monthly")
    assert cli_options.periods_warning(8, monthly, "monthly") is None  # within 1.5x: a reason is plausible


def test_backtest_takes_the_periods_per_year_its_warning_asks_for(tmp_path, capsys):
    """Weekly data: the warning said 'pass --periods-per-year 52', and backtest refused it (the annualised table,
    backtest.csv's %/yr column and the chart kept 252 a year, volatilities 2.2 times too high). Weekly dates now
    default to 52; 252 given is warned of, and used."""
    weeks = pd.date_range("2015-01-02", periods=160, freq="W-FRI").strftime("%Y-%m-%d")
    r, f = _write(tmp_path / "r.csv", weeks, ["A", "B", "C"], 3), _write(tmp_path / "f.csv", weeks, ["MKT", "F2"], 4)
    base = ["backtest", "--returns", r, "--factors", f, "--models", "ols", "--window", "52", "--step", "13"]
    vols = {}
    for given in (None, 52, 252):
        flag = [] if given is None else ["--periods-per-year", str(given)]
        out = tmp_path / f"out{given}"
        assert cli.main([*base, *flag, "--no-chart", "--out", str(out)]) == 0
        err = capsys.readouterr().err
        assert ("pass --periods-per-year 52" in err) == (given == 252)
        vols[given] = pd.read_csv(out / "backtest.csv", index_col=0)["ols predicted vol (%/yr)"].to_numpy()
    np.testing.assert_allclose(vols[252] / vols[52], (252 / 52) ** 0.5, rtol=1e-12)
    np.testing.assert_array_equal(vols[None], vols[52])


def test_backtest_chart_draws_the_ratio_when_three_years_are_more_than_the_sample(tmp_path, monkeypatch, capsys):
    """105 weeks out of sample: the trailing-3-year (156-week) ratio panel was empty, with hour ticks on its axis;
    it now uses a shorter trailing span and says which."""
    import matplotlib.pyplot as plt

    figures = []
    monkeypatch.setattr(plt, "close", lambda fig=None: figures.append(fig))
    weeks = pd.date_range("2015-01-02", periods=160, freq="W-FRI").strftime("%Y-%m-%d")
    r, f = _write(tmp_path / "r.csv", weeks, ["A", "B", "C"], 3), _write(tmp_path / "f.csv", weeks, ["MKT", "F2"], 4)
    argv = ["backtest", "--returns", r, "--factors", f, "--models", "ols", "--window", "52", "--step", "13"]
    assert cli.main([*argv, "--periods-per-year", "52", "--out", str(tmp_path / "out")]) == 0
    capsys.readouterr()
    (ratio,) = [a for a in figures[0].axes if a.get_title().startswith("Realised / predicted")]
    assert "trailing 52 periods" in ratio.get_title()  # half the 105 out of sample, not 156
    assert np.isfinite(ratio.lines[0].get_ydata()).sum() == 105 - 52 + 1


@pytest.mark.parametrize(
    ("flags", "start", "end"),
    [
        (["--start", "2020-06"], 20200601, None),  # was 202006: before every day, so the window began 20200101
        (["--start", "202006", "--end", "2021-06"], 20200601, 20210631),  # was 202106: before every day
        (["--start", "20200603"], 20200603, None),
    ],
)
def test_a_month_given_for_daily_data_is_its_first_or_last_day(daily, flags, start, end):
    r, f = daily
    from xlfactor.workbook.template import Inputs

    args = cli.build_parser().parse_args(["demo", "--returns", r, "--factors", f, *flags])
    data = cli._dataset(args)
    assert (args.start, args.end) == (start, end)
    given = cli.build_parser().parse_args(["demo", *flags])  # the Python API's Inputs read them the same way
    done = Inputs(start=given.start, end=given.end).resolve(data)
    assert (done.start, done.end) == (start, end or int(data.periods[-1]))
    args = cli.build_parser().parse_args(["backtest", "--start", "2015-01-31", "--end", "20161231"])
    cli._dataset(args)  # the shipped monthly data: a day is its month
    assert (args.start, args.end) == (201501, 201612)
