"""The user's own data: CSV/XLSX files read into the template, with clear errors for bad files."""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd
import pytest

from tests.workbook import synthetic
from xlfactor import cli
from xlfactor.workbook import dataset, procedure
from xlfactor.workbook.dataset import DataFileError
from xlfactor.workbook.template import Inputs


@pytest.fixture(scope="session")
def files(tmp_path_factory):
    """Session-scoped (not module): writing the files takes a second, so pytest-xdist may spread this module's
    tests over its workers (tests/conftest.py keeps a module's tests sharing a module-scoped fixture in one)."""
    return synthetic.write(tmp_path_factory.mktemp("data"))


def test_files_give_the_data_and_the_core_recovers_the_known_loadings(files):
    d = dataset.from_files(files["returns"], files["factors"], "RF")
    assert d.shape() == (1200, 45, 7) and d.factor_names[0] == "MKT" and d.frequency == "monthly"
    np.testing.assert_array_equal(d.periods, files["months"])  # month-end dates became YYYYMM
    res = procedure.run(Inputs(), data=d)
    x = np.column_stack([np.ones(len(d.periods)), d.factors])
    resid = (d.returns - d.rf[:, None]) - x @ res.ols.coef.T
    se = np.sqrt(np.diag(np.linalg.inv(x.T @ x)))[1:, None] * resid.std(axis=0, ddof=x.shape[1])[None, :]
    z = (res.ols.loadings - files["loadings"]).T / se
    assert np.abs(z).max() < 4.5 and 0.85 < z.std() < 1.15  # the truth, to sampling error (z ~ N(0, 1))
    assert len(res.months) == 1200 and res.allocation.weights.sum() == pytest.approx(1.0)


def test_xlsx_files_daily_dates_and_the_shipped_factors(tmp_path, files):
    r = pd.read_csv(files["returns"], index_col=0)
    r.to_excel(tmp_path / "r.xlsx")
    f = pd.read_csv(files["factors"], index_col=0)
    f.to_excel(tmp_path / "f.xlsx")
    d = dataset.from_files(tmp_path / "r.xlsx", tmp_path / "f.xlsx", "RF")
    assert d.shape() == (1200, 45, 7)
    days = r.iloc[:30].copy()
    days.index = pd.bdate_range("2020-01-01", periods=30).strftime("%Y-%m-%d")
    days.to_csv(tmp_path / "daily.csv")
    fd = f.iloc[:30].copy()
    fd.index = days.index
    fd.to_csv(tmp_path / "fdaily.csv")
    with pytest.raises(DataFileError, match="has a column 'RF', which reads as the risk-free rate"):
        dataset.from_files(tmp_path / "daily.csv", tmp_path / "fdaily.csv")  # not silently a factor
    fd.drop(columns="RF").to_csv(tmp_path / "fdaily.csv")
    daily = dataset.from_files(tmp_path / "daily.csv", tmp_path / "fdaily.csv")
    assert daily.frequency == "daily" and daily.periods[0] == 20200101 and (daily.rf == 0).all()
    assert "RF" not in daily.factor_names  # without --rf every other column is a factor, and rf is 0
    french_months = r.loc["1963-07-31":"1970-12-31"]
    french_months.to_csv(tmp_path / "ind.csv")
    shipped = dataset.from_files(tmp_path / "ind.csv", "french")
    assert shipped.factor_names == ("Mkt-RF", "SMB", "HML", "Mom", "LowVol") and shipped.periods[0] == 196307
    assert shipped.rf[0] == pytest.approx(dataset.french().rf[dataset.french().periods.tolist().index(196307)])


def _edit(path, out, row, col, value):
    df = pd.read_csv(path, dtype=str)
    df.iloc[row, col] = value
    df.to_csv(out, index=False)
    return out


@pytest.mark.parametrize(
    "change, message",
    [
        ((5, 3, "n/a?"), r"returns file bad.csv: row 7, column 'A03' holds 'n/a\?', which is not a number"),
        ((5, 0, "1920-05-31"), r"the date 1920-05-31 \(row 7\) repeats row 6"),
        ((5, 0, "hello"), r"row 7 has 'hello' in the date column, which is not a date"),
        ((5, 0, "2030-01-31"), r"not in increasing order"),
    ],
)
def test_bad_files_say_what_is_wrong_and_where(tmp_path, files, change, message):
    bad = _edit(files["returns"], tmp_path / "bad.csv", *change)
    with pytest.raises(DataFileError, match=message):
        dataset.from_files(bad, files["factors"], "RF")


def test_misaligned_and_percent_files(tmp_path, files):
    f = pd.read_csv(files["factors"], index_col=0)
    f.iloc[12:].to_csv(tmp_path / "late.csv")
    with pytest.raises(ValueError, match=r"late.csv has no row for 12 of the returns' periods \(first: 192001, 1920"):
        dataset.from_files(files["returns"], tmp_path / "late.csv", "RF")
    (pd.read_csv(files["returns"], index_col=0) * 100).to_csv(tmp_path / "pct.csv")
    with pytest.raises(DataFileError, match="Divide the file by 100"):
        dataset.from_files(tmp_path / "pct.csv", files["factors"], "RF")
    with pytest.raises(DataFileError, match="no such file, and no such column of the factors file"):
        dataset.from_files(files["returns"], files["factors"], "Rf")
    with pytest.raises(DataFileError, match="does not exist"):
        dataset.from_files(tmp_path / "nope.csv", files["factors"])
    with pytest.raises(DataFileError, match="the shipped French factors are monthly"):
        days = pd.read_csv(files["returns"], index_col=0).iloc[:5]
        days.index = pd.bdate_range("2020-01-01", periods=5).strftime("%Y-%m-%d")
        days.to_csv(tmp_path / "d.csv")
        dataset.from_files(tmp_path / "d.csv", "french")


# The CLI with the user's files, in three tests that pytest-xdist can run at once (as one test they took
# 100-120 s, the suite's longest): workbook, demo, and the shipped data when no --returns is given.


@pytest.fixture(scope="session")
def cli_files(files, tmp_path_factory):
    """The user's files the CLI reads: the last 360 months (1990-2019) and first 16 assets of ``files``, with its 7
    factors and RF. Still another shape than the shipped data (more assets than its 12, 7 factors, not 5), and
    still sharing 79 quarters with the Macro sheet's macrodata; the whole 1200 x 45 took 26 s a command (the
    template's numbers on that shape are tests/workbook's)."""
    folder = tmp_path_factory.mktemp("cli_data")
    r = pd.read_csv(files["returns"], index_col=0).iloc[-360:, :16]
    r.to_csv(folder / "returns.csv")
    pd.read_csv(files["factors"], index_col=0).iloc[-360:].to_csv(folder / "factors.csv")
    return {"returns": folder / "returns.csv", "factors": folder / "factors.csv"}


def test_cli_workbook_takes_the_users_files(tmp_path, cli_files, capsys):
    files = cli_files
    out = tmp_path / "wb"
    argv = [
        "workbook",
        "--returns",
        str(files["returns"]),
        "--factors",
        str(files["factors"]),
        "--rf",
        "RF",
        "--out",
        str(out),
    ]
    assert cli.main(argv) == 0
    text = capsys.readouterr().out
    assert "16 assets, 7 factors" in text and "xlfactor_officejs.xlsx: Lambda (cross-validation) ... (" in text
    wb = openpyxl.load_workbook(out / "xlfactor_classic.xlsx", data_only=True)
    data = wb["Data"]
    assert [data.cell(3, c).value for c in (2, 4, 6)] == [360, 7, 16]  # periods, factors, assets counted
    assert data.cell(6, 3).value == "MKT" and data.cell(7, 1).value == 199001
    assert cli.main(argv) == 2 and "pass --force" in capsys.readouterr().err  # nothing overwritten
    bad = _edit(files["returns"], tmp_path / "bad.csv", 3, 2, "x")
    assert (
        cli.main(
            [
                "workbook",
                "--returns",
                str(bad),
                "--factors",
                str(files["factors"]),
                "--rf",
                "RF",
                "--out",
                str(tmp_path / "w2"),
            ]
        )
        == 2
    )
    assert "row 5, column 'A02' holds 'x'" in capsys.readouterr().err
    assert not (tmp_path / "w2").exists()


def test_cli_demo_takes_the_users_files(tmp_path, cli_files, capsys):
    files = cli_files
    assert (
        cli.main(
            [
                "demo",
                "--returns",
                str(files["returns"]),
                "--factors",
                str(files["factors"]),
                "--rf",
                "RF",
                "--use-factors",
                "MKT,SIZE,VALUE",
                "--out",
                str(tmp_path / "demo"),
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "Sample 199001 to 201912 (360 months); 16 assets; factors: MKT, SIZE, VALUE." in text


def test_cli_workbook_without_returns_uses_the_shipped_data(tmp_path, files, capsys, monkeypatch):
    """The data and flavour the command hands to the build (a build that records them and writes a small file stands
    in for the real one: the shipped data's workbooks are tests/test_cli.py's and tests/workbook's)."""
    from xlfactor.workbook.template import Template

    assert cli.main(["workbook", "--factors", str(files["factors"]), "--out", str(tmp_path / "w3")]) == 2
    assert "need --returns FILE" in capsys.readouterr().err
    built = []

    def build(self, path, flavor="classic", progress=None):
        built.append((self.data, flavor))
        path.write_bytes(b"xlsx")

    monkeypatch.setattr(Template, "build", build)
    assert cli.main(["workbook", "--flavor", "classic", "--out", str(tmp_path / "w4")]) == 0
    assert [p.name for p in (tmp_path / "w4").iterdir()] == ["xlfactor_classic.xlsx"]
    shipped = dataset.french()
    assert [flavor for _, flavor in built] == ["classic"] and built[0][0].title == shipped.title
    np.testing.assert_array_equal(built[0][0].returns, shipped.returns)


def test_daily_data_builds_a_template_in_days(tmp_path):
    """Daily periods (YYYYMMDD), 3 factors, 8 assets: labels speak of days and the volatility target is per day.
    Three years of business days (756): the daily backtest's 252-day window and 63-day step still leave 8
    rebalances (1,500 days took twice the time, most of it in the backtest's block bootstrap)."""
    from xlfactor.workbook.template import Template

    t = 756
    _, rf, f, r, _, fnames, anames = synthetic.make(t=t, n=8, k=3, seed=5)
    days = np.array(pd.bdate_range("2015-01-01", periods=t).strftime("%Y%m%d"), dtype=np.int64)
    data = dataset.Dataset(days, rf / 21, f / 5, tuple(fnames), r / 5, tuple(anames), "daily", frequency="daily")
    book = Template(data=data).build(tmp_path / "daily.xlsx", "preview")
    start = openpyxl.load_workbook(tmp_path / "daily.xlsx")["Start"]
    labels = [start.cell(r, 2).value for r in range(1, 30)]
    assert "EWMA half-life (days)" in labels and "Target volatility, % a year (risk allocation targetvol)" in labels
    assert book.block("Start", "target_vol_period").value() == pytest.approx(0.10 / 252**0.5)
    assert book.block("Start", "start").value() == days[0] and book.block("Factors", "months").shape == (t, 1)
    assert book.block("Market model", "capm").values()[6] == [float(t)] * 8  # observations


def test_an_asset_starting_late_builds_with_the_em_warning_on_statistical(tmp_path):
    """One of the 12 industries starting 5 years into the window (a user's unbalanced panel): FACTOR_COUNT's EM
    (kmax = 8 factors of 12 assets) does not converge; the workbook builds and the Statistical sheet says so in a
    warning cell (it used to stop the build on Statistical!B6)."""
    from xlfactor.workbook.template import Template

    d = dataset.french()
    keep = d.periods >= 196307
    r = d.returns[keep].copy()
    r[:60, 7] = np.nan
    late = dataset.Dataset(d.periods[keep], d.rf[keep], d.factors[keep], d.factor_names, r, d.asset_names, "late")
    book = Template(data=late).build(tmp_path / "late.xlsx", "preview")
    note = book.block("Statistical", "em_note").value()
    assert note.startswith("Warning: the EM fill of the blanks did not converge (last relative change")
    assert book.block("Statistical", "k").value() >= 1 and len(book.block("Statistical", "scree").values()) == 12
