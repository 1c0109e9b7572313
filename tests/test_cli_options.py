"""Bad command-line values: one line each, naming the option, in the core's words, before any computation
(argparse's exit code 2 kept); options a method ignores refused."""

from __future__ import annotations

import numpy as np
import pytest

from xlfactor import cli, cli_data
from xlfactor.errors import InputValueError


def _one_line_error(argv, capsys) -> str:
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr()
    lines = err.err.strip().splitlines()
    assert len(lines) == 1, err.err  # argparse printed its whole usage before the message
    assert err.out == ""  # nothing computed
    return lines[0]


BAD = [  # (command, option, value, what the line says)
    ("demo", "--start", "2015-13", "argument --start: a period is YYYYMM (a month, e.g. 201501 or 2015-01)"),
    ("demo", "--start", "201513", "argument --start: a period is YYYYMM"),
    ("demo", "--end", "2015-1", "argument --end: a period is YYYYMM"),
    ("workbook", "--end", "20150231", "argument --end: a period is YYYYMM"),
    ("backtest", "--start", "jan2015", "argument --start: a period is YYYYMM"),
    ("demo", "--folds", "1", "argument --folds: folds must be a whole number >= 2 and <= 100; got 1"),
    ("backtest", "--folds", "x", "argument --folds: folds must be a whole number >= 2 and <= 100; got 'x'"),
    ("workbook", "--folds", "101", "argument --folds: folds must be a whole number >= 2 and <= 100; got 101"),
    ("demo", "--gap", "-1", "argument --gap: gap must be a whole number >= 0; got -1"),
    ("demo", "--lags", "2.5", "argument --lags: lags must be a whole number >= 0; got 2.5"),
    ("demo", "--bt-window", "1", "argument --bt-window: bt_window must be a whole number >= 2; got 1"),
    ("workbook", "--bt-step", "0", "argument --bt-step: bt_step must be a whole number >= 1; got 0"),
    ("demo", "--periods-per-year", "0", "argument --periods-per-year: periods_per_year must be a whole number >= 1"),
    ("demo", "--halflife", "0", "argument --halflife: halflife must be > 0; got 0"),
    ("demo", "--target-vol", "-5", "argument --target-vol: target_vol must be > 0; got -5"),
    ("demo", "--cov", "ewm", "argument --cov/--cov-method: invalid choice: 'ewm'"),
    ("backtest", "--window", "-5", "argument --window: window must be a whole number >= 2; got -5"),
    ("backtest", "--step", "0", "argument --step: step must be a whole number >= 1; got 0"),
    ("backtest", "--halflife", "abc", "argument --halflife: halflife must be a number; got 'abc'"),
    ("backtest", "--corr-halflife", "nan", "argument --corr-halflife: corr_halflife must be a number; got nan"),
    ("backtest", "--nw-lags", "-2", "argument --nw-lags: nw_lags must be a whole number >= 0; got -2"),
    ("backtest", "--regime-halflife", "-1", "argument --regime-halflife: regime_halflife must be > 0"),
    ("backtest", "--specific-shrink", "-0.1", "argument --specific-shrink: specific_shrink must be >= 0"),
    ("backtest", "--alloc", "factor", "argument --alloc: invalid choice: 'factor'"),
    ("serve", "--port", "0", "argument --port: port must be a whole number >= 1 and <= 65535; got 0"),
]


@pytest.mark.parametrize(("command", "option", "value", "says"), BAD, ids=[f"{c}{o}={v}" for c, o, v, _ in BAD])
def test_a_bad_option_value_is_one_line_naming_the_option(tmp_path, capsys, command, option, value, says):
    line = _one_line_error(
        [command, option, value, *(["--dir" if command == "serve" else "--out", str(tmp_path)])], capsys
    )
    assert line.startswith(f"xlfactor {command}: {says}"), line
    assert line.endswith(f"(xlfactor {command} --help lists the options)") and ".;" not in line


def test_folds_1_is_refused_at_parse_time_in_the_cores_words(tmp_path, capsys, monkeypatch):
    """--folds 1 used to be refused after the regressions had run (step 3 of 7)."""
    from xlfactor.core import cv

    ran = []
    monkeypatch.setattr(cli, "_dataset", lambda args: ran.append(1))
    line = _one_line_error(["demo", "--folds", "1", "--out", str(tmp_path)], capsys)
    assert not ran
    with pytest.raises(InputValueError) as core:
        cv.CVOptions(folds=1).checked()
    assert str(core.value).rstrip(".") in line


@pytest.mark.parametrize("text", ["2015-01", "2015/01", "201501", " 201501 "])
def test_a_month_is_read_in_its_usual_spellings(text):
    args = cli.build_parser().parse_args(["demo", "--start", text, "--end", "2016-02-29"])
    assert (args.start, args.end) == (201501, 20160229)


@pytest.mark.parametrize(
    ("argv", "method", "option"),
    [
        (["backtest", "--halflife", "12"], "sample", "halflife"),
        (["backtest", "--cov", "ledoitwolf", "--halflife", "12"], "ledoitwolf", "halflife"),
        (["backtest", "--cov", "ewma", "--nw-lags", "2"], "ewma", "nw_lags"),
        (["backtest", "--cov", "ewma", "--corr-halflife", "24"], "ewma", "corr_halflife"),
        (["backtest", "--cov", "sample", "--regime-halflife", "6"], "sample", "regime_halflife"),
        (["demo", "--cov-method", "sample", "--halflife", "12"], "sample", "halflife"),
        (["demo", "--cov", "ledoitwolf", "--halflife", "6"], "ledoitwolf", "halflife"),
    ],
)
def test_a_covariance_option_the_method_ignores_is_refused_in_the_clis_words(tmp_path, capsys, argv, method, option):
    """It was refused in the core's words ("cov_method 'sample' ignores halflife"): Python names on a command line."""
    from xlfactor.core.options import COV_OPTION_USERS, DEFAULTS, ignored

    assert cli.main([*argv, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr()
    flag, users = "--" + option.replace("_", "-"), COV_OPTION_USERS[option]
    mark = " (the default)" if method == DEFAULTS["cov_method"] else ""
    says = f"xlfactor: --cov {method}{mark} does not use {flag}; leave it empty or choose --cov {' or '.join(users)}.\n"
    assert err.err == says and err.out == ""  # before the data is read
    # the wording of Python and Excel (options.ignored), in the command line's names
    assert err.err == f"xlfactor: {ignored(flag, method, users, '--cov', DEFAULTS['cov_method'])}\n"
    assert "cov_method" not in err.err and "'" not in err.err


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (
            ["demo", "--target-vol", "5"],
            "--risk erc (the default) does not use --target-vol; leave it empty or choose --risk targetvol.",
        ),
        (
            ["demo", "--risk", "minvar", "--factor-budgets", "4,1,1,1,1"],
            "--risk minvar does not use --factor-budgets; leave it empty or choose --risk factor.",
        ),
    ],
)
def test_an_allocation_option_the_method_ignores_is_refused(tmp_path, capsys, argv, says):
    assert cli.main([*argv, "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith(f"xlfactor: {says}")


def test_the_options_help_names_units():
    """Every option taking a number says in what unit (periods, %/yr) or what it counts."""
    import argparse

    parser = cli.build_parser()
    subs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    for name in ("demo", "workbook", "backtest"):
        for action in subs[name]._actions:
            if action.type is not None and action.type.__name__ in ("whole number", "number"):
                text = action.help or ""
                assert any(u in text for u in ("period", "%/yr", "folds", "shrinkage", "a year")), (name, action.dest)


@pytest.fixture(scope="module")
def late_asset(tmp_path_factory):
    """Monthly files 2005-2016 of another shape (5 assets, 3 factors), asset NEWCO listed from 2010-01 only."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(1)
    dates = pd.date_range("2005-01-31", "2016-12-31", freq="ME").strftime("%Y-%m-%d")
    f = pd.DataFrame(rng.normal(0, 0.04, (len(dates), 3)), index=dates, columns=["MKT", "SMB", "HML"])
    r = pd.DataFrame(
        f.values @ rng.normal(1, 0.3, (3, 5)) + rng.normal(0, 0.02, (len(dates), 5)),
        index=dates,
        columns=["AAPL", "MSFT", "IBM", "NEWCO", "XOM"],
    )
    r.loc[:"2009-12-31", "NEWCO"] = np.nan
    folder = tmp_path_factory.mktemp("late")
    r.rename_axis("date").to_csv(folder / "r.csv")
    f.rename_axis("date").to_csv(folder / "f.csv")
    return folder


@pytest.mark.parametrize(
    ("window", "says"),
    [
        (
            ["--end", "201003"],
            "asset NEWCO (returns column 4) has 3 month(s) with a return in the window 200501 to "
            "201003 (its returns run 201001 to 201612); the regressions on 3 factor(s) with 3 Newey-West lags need at "
            "least 5: move --start or --end, or leave NEWCO out of the returns file.",
        ),
        (["--end", "2009-12"], "asset NEWCO (returns column 4) has 0 month(s) with a return in the window 200501"),
        (
            ["--end", "201104"],
            "asset NEWCO (returns column 4) has 1 month(s) with a return in the training rows of "
            "CV fold 5 in the window 200501 to 201104 (its returns run 201001 to 201612); cross-validation on 3",
        ),
        (
            ["--start", "201001", "--end", "201003"],
            "the window 201001 to 201003 holds 3 months; the regressions on 3 "
            "factor(s) with 1 Newey-West lags need at least 5: move --start earlier or --end later (the data run 200501 "
            "to 201612).",
        ),
        (
            ["--start", "2010-01", "--end", "2012-12"],
            "--bt-window 60 is not shorter than the window 201001 to 201212 (36 months)",
        ),
        (  # the review: found after six steps of computing, as 'use a shorter window or step' (the core's words)
            ["--start", "2010-01", "--end", "2015-02"],
            "--bt-window 60 and --bt-step 12 leave 1 month to score in the window 201001 to 201502 (62 months;",
        ),
    ],
)
@pytest.mark.parametrize("command", ["demo", "workbook"])
def test_a_window_an_asset_cannot_fill_names_the_asset_and_its_dates(
    late_asset, tmp_path, capsys, command, window, says
):
    """`--end 201003` said 'returns column 4 has only 3 usable rows' after the first steps had run."""
    argv = [command, "--returns", str(late_asset / "r.csv"), "--factors", str(late_asset / "f.csv"), *window]
    assert cli.main([*argv, "--out", str(tmp_path)]) == 2
    out = capsys.readouterr()
    assert out.err.startswith(f"xlfactor: {says}") and len(out.err.splitlines()) == 1, out.err
    assert "[2/7]" not in out.out and not list(tmp_path.iterdir())  # refused before computing or writing


def test_the_core_names_the_asset_where_the_cli_cannot_foresee(late_asset):
    """The procedure passes the assets' names to the core, so its own messages say 'NEWCO', not 'column 4'."""
    from xlfactor.errors import InsufficientDataError
    from xlfactor.workbook import dataset, procedure
    from xlfactor.workbook.template import Inputs

    data = dataset.from_files(late_asset / "r.csv", late_asset / "f.csv")
    with pytest.raises(InsufficientDataError, match=r"returns column 4 \('NEWCO'\) has only 3 usable rows"):
        procedure.run(Inputs(end=201003), data=data)
    with pytest.raises(InsufficientDataError, match=r"returns column 4 \('NEWCO'\) has 0 usable rows in the training"):
        procedure.run(Inputs(end=201102, lags=0), data=data)


def test_swapped_files_are_named(late_asset, tmp_path, capsys):
    """--returns given the factors file and --factors the returns file: said, wherever the swap shows."""
    import pandas as pd

    r, f = str(late_asset / "r.csv"), str(late_asset / "f.csv")
    full = tmp_path / "full.csv"
    pd.read_csv(r, index_col=0).fillna(0.01).to_csv(full)
    swap = f"did you swap --returns {f} and --factors "
    for returns, factors in ((f, r), (f, str(full))):  # a gap in the 'factors' fails; a full file would compute
        assert cli.main(["demo", "--returns", returns, "--factors", factors, "--out", str(tmp_path / "o")]) == 2
        err = capsys.readouterr().err
        assert "the returns file's columns MKT, SMB, HML are factor names and the factors file has none" in err
        assert swap + factors + "?" in err and len(err.splitlines()) == 1
    assert cli.main(["workbook", "--returns", f, "--out", str(tmp_path / "o")]) == 2
    assert f"are factor names, not assets: --returns takes the assets' returns (did you mean --factors {f}?)" in (
        capsys.readouterr().err
    )
    assert not (tmp_path / "o").exists()


def test_a_swap_is_not_suspected_of_ordinary_files():
    import argparse

    args = argparse.Namespace(returns="r.csv", factors="f.csv")
    assert cli_data._swapped(args, ["AAPL", "MSFT", "IBM"], ["MKT", "SMB", "HML"]) is None
    assert cli_data._swapped(args, ["AAPL", "MOM", "IBM"], ["F1", "F2"]) is None  # one asset named like a factor
    assert cli_data._swapped(args, ["AAPL", "MSFT"], ["F1", "F2", "F3"]) is None  # more factors than assets, few
    assert cli_data._swapped(args, ["Mkt-RF", "SMB"], ["A", "B"]) is not None
    assert "has 25 columns and the returns file 3" in cli_data._swapped(
        args, ["A", "B", "C"], [f"X{i}" for i in range(25)]
    )


def test_a_missing_factor_value_names_the_factor(late_asset, tmp_path):
    import numpy as np
    import pandas as pd

    from xlfactor.workbook import dataset

    f = pd.read_csv(late_asset / "f.csv", index_col=0)
    f.iloc[3, 1] = np.nan
    f.to_csv(tmp_path / "f.csv")
    with pytest.raises(dataset.DataFileError, match=r"^SMB of the factors file f.csv is missing for period 200504; "):
        dataset.from_files(late_asset / "r.csv", tmp_path / "f.csv")


def test_refusing_to_overwrite_names_the_callers_way_to_force(tmp_path, capsys, monkeypatch):
    """template.build_all told a Python caller to 'pass --force' (a command-line flag)."""
    from xlfactor.workbook import template

    (tmp_path / template.FILE_NAMES["preview"]).write_bytes(b"old")
    monkeypatch.setattr(template.Template, "build", lambda *a, **k: pytest.fail("computed before refusing"))
    with pytest.raises(FileExistsError) as exc:
        template.build_all(tmp_path, flavors=("preview",))
    assert exc.value.strerror == "exists; pass force=True to overwrite it" and "--force" not in str(exc.value)
    assert cli.main(["workbook", "--flavor", "preview", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.strip().endswith("exists; pass --force to overwrite it") and "force=True" not in err


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--models", "ols,foo"], "--models takes ols, ridge, lasso, lasso_market_free, statistical; got 'foo'."),
        (["--models", " , "], "--models takes ols, ridge, lasso, lasso_market_free, statistical; got ' , '."),
        (["--scheduler", "tcp://127.0.0.1:1"], "--scheduler is for --engine dask; pass --engine dask or drop"),
    ],
)
def test_backtest_names_its_own_options(tmp_path, capsys, argv, says):
    """The review: 'model must be one of ...' and 'scheduler is for engine 'dask'; pass engine='dask'' (the core's
    Python names) after the header was printed; README: a bad value is one line naming the option."""
    assert cli.main(["backtest", *argv, "--out", str(tmp_path)]) == 2
    out = capsys.readouterr()
    assert out.err.startswith(f"xlfactor: {says}") and not out.out, out


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--window", "1000"], "--window 1000 is not shorter than the window 196307 to 201703 (645 months)"),
        (["--start", "201201", "--window", "60", "--step", "12"], "--window 60 and --step 12 leave 1 month to score"),
    ],
)
def test_backtest_refuses_a_window_it_cannot_score_in_its_own_words(tmp_path, capsys, argv, says):
    """The review: 'window is 1000 periods but the data have 645' (the core's name), after the header."""
    assert cli.main(["backtest", *argv, "--out", str(tmp_path)]) == 2
    out = capsys.readouterr()
    assert out.err.startswith(f"xlfactor: {says}") and not out.out, out


def test_the_readme_lists_every_option_of_demo_workbook_and_backtest():
    """The README's option list lacked the barra options and --method."""
    import argparse
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    table = readme[readme.index("### Command-line options") :]
    parser = cli.build_parser()
    subs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    missing = {
        flag
        for name in ("demo", "workbook", "backtest")
        for action in subs[name]._actions
        for flag in action.option_strings
        if flag.startswith("--") and flag != "--help" and f"`{flag}" not in table
    }
    assert not missing, sorted(missing)


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (
            ["--risk", "factor", "--factor-budgets", "1,1,1,1,-1"],
            "--factor-budgets must be > 0 for every factor; LowVol's is -1.",
        ),
        (
            ["--risk", "factor", "--factor-budgets", "1,0,1,1,1"],
            "--factor-budgets must be > 0 for every factor; SMB's is 0.",
        ),
        (["--penalty-weights", "1,1,-2,1,1"], "--penalty-weights must be >= 0 for every factor; HML's is -2."),
        (["--penalty-weights", "1,1,nan,1,1"], "--penalty-weights takes 5 numbers, one per factor"),
    ],
)
def test_per_factor_numbers_are_checked_before_computing(tmp_path, capsys, argv, says):
    """A negative factor budget was refused at step 6 of 7 as 'value 5 ... drop that asset' (a factor)."""
    assert cli.main(["demo", *argv, "--out", str(tmp_path)]) == 2
    out = capsys.readouterr()
    assert out.err.startswith(f"xlfactor: {says}") and "[2/7]" not in out.out


def test_demo_and_workbook_take_starts_barra_options_and_the_demo_uses_them():
    """issue 24 item 8: every Start option from the command line; the demo's risk model reads them."""
    from xlfactor.core import risk
    from xlfactor.workbook import procedure

    argv = ["--cov", "barra", "--nw-lags", "2", "--corr-halflife", "48", "--regime-halflife", "24"]
    argv += ["--specific-shrink", "0.1"]
    for command in ("demo", "workbook"):
        args = cli.build_parser().parse_args([command, *argv])
        inputs = cli._inputs(args, cli._dataset(args))
        assert (inputs.nw_lags, inputs.corr_halflife, inputs.regime_halflife, inputs.specific_shrink) == (
            2,
            48,
            24,
            0.1,
        )
    res = procedure.run(inputs)
    f, y = res.factors, res.returns - res.rf[:, None]
    expected = risk.factor_covariance(f, "barra", 36, corr_halflife=48, nw_lags=2, regime_halflife=24)
    np.testing.assert_allclose(res.factor_cov, expected, rtol=1e-12)
    plain = risk.specific_variance(y, f, res.risk_loadings)
    np.testing.assert_allclose(res.specific_var, risk.shrink_specific(plain, 0.1), rtol=1e-12)
    assert not np.allclose(res.specific_var, plain)
