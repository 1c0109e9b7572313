"""Bad command-line values: one line each, naming the option, in the core's words, before any computation
(argparse's exit code 2 kept); options a method ignores refused."""

from __future__ import annotations

import pytest

from xlfactor import cli
from xlfactor.core import risk
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
    ("serve", "--workers", "0", "argument --workers: workers must be a whole number >= 1; got 0"),
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
        (["workbook", "--cov", "ledoitwolf", "--halflife", "6"], "ledoitwolf", "halflife"),
    ],
)
def test_a_covariance_option_the_method_ignores_is_refused_in_the_cores_words(tmp_path, capsys, argv, method, option):
    assert cli.main([*argv, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr()
    with pytest.raises(InputValueError) as core:
        risk.check_cov_used(method, "cov_method", **{option: 2})
    assert err.err == f"xlfactor: {core.value}\n" and err.out == ""  # before the data is read


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["demo", "--target-vol", "5"], "--risk erc ignores --target-vol (only --risk targetvol uses it)"),
        (["workbook", "--risk", "minvar", "--factor-budgets", "4,1,1,1,1"], "--risk minvar ignores --factor-budgets"),
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
