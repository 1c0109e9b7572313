import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from xlfactor import cli

# The tests reading the demo with every default share one run of it (tests/conftest.py: default_demo), in one
# pytest-xdist worker; the tests that need "the workbooks already exist" start from a copy of its three workbooks. The
# other demo and workbook tests on the default data run in that worker too, after it (after_demo): their models come
# from the Excel layer's caches the shared run filled (as within one `xlfactor demo`).
demo_group = pytest.mark.xdist_group("demo")
after_demo = pytest.mark.usefixtures("default_demo")


def _prebuilt(default_demo, folder: Path) -> Path:
    """``folder`` holding the three workbooks of the default inputs, as the shared demo wrote them."""
    shutil.copytree(default_demo.out, folder, dirs_exist_ok=True)
    return folder


@demo_group
def test_demo_runs_the_procedure_and_writes_workbooks(default_demo, tmp_path, capsys):
    assert default_demo.codes[0] == 0
    text = default_demo.text
    for needle in [
        "[1/7]",
        "[7/7] walk-forward backtest (60-month windows, every 12)",
        "Walk-forward backtest (60-month windows, rebalanced every 12 months;",  # the defaults, resolved
        "lasso_market_free",
        "bias",
        "Sample 196307 to 201703 (645 months)",
        "Market model",
        "GRS test",
        "lasso: min",
        "Lasso loadings",
        "Ridge loadings",
        "Risk allocation (erc, lasso factor model)",
        "Specific",
        "Workbooks written",
    ]:
        assert needle in text, needle
    writing = text[text.index("Writing the workbooks into") : text.index("Workbooks written")].splitlines()
    assert [
        ln.split(" ... (")[0] for ln in writing[1:] if ln
    ] == [  # progress by workbook (the demo was silent 12-16 s)
        f"  {name}: {what}"
        for name in ("xlfactor_classic.xlsx", "xlfactor_officejs.xlsx", "xlfactor_preview.xlsx")
        for what in ("computing and writing the sheets", "saving")
    ], writing
    lasso_table = text[text.index("Lasso loadings") : text.index("Ridge loadings")]
    assert "-0.000" not in lasso_table and " 0.000" in lasso_table  # exact zeros, unsigned
    assert sorted(p.name for p in default_demo.out.iterdir()) == [
        "xlfactor_classic.xlsx",
        "xlfactor_officejs.xlsx",
        "xlfactor_preview.xlsx",
    ]
    out = _prebuilt(default_demo, tmp_path / "out")
    assert cli.main(["demo", "--out", str(out)]) == 2
    assert "exists; pass --force to overwrite" in capsys.readouterr().err
    assert (
        cli.main(
            [
                "demo",
                "--out",
                str(out),
                "--force",
                "--start",
                "199001",
                "--rule",
                "min",
                "--use-factors",
                "Mkt-RF,HML",
                "--risk",
                "factor",
                "--factor-budgets",
                "3,1,1,1,1",
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "Sample 199001 to 201703" in text and "factors: Mkt-RF, HML." in text and "factor budgets" in text
    assert cli.main(["demo", "--out", str(out), "--force", "--risk", "factor", "--factor-budgets", "3,1"]) == 2
    assert (
        "--factor-budgets takes 5 numbers, one per factor in the order Mkt-RF,SMB,HML,Mom,LowVol"
        in capsys.readouterr().err
    )


def test_demo_bad_inputs_exit_with_a_message(tmp_path, capsys):
    assert cli.main(["demo", "--start", "203001", "--out", str(tmp_path)]) == 2
    assert cli.main(["demo", "--use-factors", "Mkt,SMB", "--out", str(tmp_path)]) == 2
    assert "--use-factors takes names from Mkt-RF" in capsys.readouterr().err


def test_console_script_module_runs():
    out = subprocess.run(
        [sys.executable, "-m", "xlfactor.cli", "--version"], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0 and out.stdout.startswith("xlfactor ")


def test_the_command_starts_without_the_computing_libraries():
    """`xlfactor --version`, `serve` and `lite` start without pandas, scipy, statsmodels or scikit-learn (1.5-2 s of
    imports): the package root loads its names on first use and the commands import what they use."""
    code = "import sys, xlfactor.cli; print(sorted({'pandas', 'scipy', 'statsmodels', 'sklearn'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@demo_group
@after_demo
def test_workbook_command_rebuilds_all_flavours(tmp_path, capsys):
    assert cli.main(["workbook", "--out", str(tmp_path)]) == 0
    assert len(list(tmp_path.glob("xlfactor_*.xlsx"))) == 3


@pytest.mark.parametrize("argv", [[], ["nope"], ["demo", "--rule", "best"]])
def test_bad_command_line_exits_with_usage(argv):
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == 2


def test_lite_writes_files_and_refuses_to_overwrite(tmp_path, capsys):
    out = tmp_path / "lite"
    assert cli.main(["lite", "--out", str(out)]) == 0
    assert "from xlfactor.excel.udfs import *" in (out / "main.py").read_text()
    assert "SOURCES = {" in (out / "main.py").read_text()  # xlfactor travels inside main.py
    assert (out / "requirements.txt").read_text().strip().splitlines()[-3:] == ["xlwings", "numpy", "scipy"]
    assert cli.main(["lite", "--out", str(out)]) == 0  # same content: fine
    (out / "main.py").write_text("# my own code\n")
    assert cli.main(["lite", "--out", str(out)]) == 2
    assert "exists and differs; pass --force" in capsys.readouterr().err
    assert cli.main(["lite", "--out", str(out), "--force"]) == 0


def test_serve_print_only_writes_project_and_instructions(tmp_path):
    cmd = [
        sys.executable,
        "-m",
        "xlfactor.cli",
        "serve",
        "--dir",
        str(tmp_path / "srv"),
        "--port",
        "8765",
        "--print-only",
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert "http://127.0.0.1:8765/manifest" in out.stdout and "Upload My Add-in" in out.stdout
    assert "PolyForm Noncommercial" in out.stdout
    assert (tmp_path / "srv" / "custom_functions" / "__init__.py").exists()


@demo_group
def test_workbook_refuses_to_overwrite_before_any_work(default_demo, tmp_path, capsys, monkeypatch):
    from xlfactor.workbook import template

    _prebuilt(default_demo, tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    monkeypatch.setattr(template.Template, "build", lambda *a, **k: pytest.fail("computed before refusing"))
    assert cli.main(["workbook", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith("exists; pass --force to overwrite it") and "\n" not in err
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


@demo_group
def test_a_failure_while_writing_leaves_the_old_workbooks(default_demo, tmp_path, monkeypatch):
    """The file handling of `xlfactor workbook --force` when the disk fills while the second workbook is written: a
    build that writes a small file stands in for the real one (the numbers are not this test's concern)."""
    from xlfactor.workbook import template

    _prebuilt(default_demo, tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def build_then_fail(self, path, flavor="classic", progress=None):
        Path(path).write_bytes(f"a new {flavor} workbook".encode())
        if flavor == "officejs":
            raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(template.Template, "build", build_then_fail)
    assert cli.main(["workbook", "--out", str(tmp_path), "--force"]) == 2
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before  # nothing replaced, no temporary left


def test_file_system_errors_are_one_line(tmp_path, capsys):
    target = tmp_path / "a-file"
    target.write_text("x")
    for argv in (
        ["workbook", "--out", str(target), "--force"],
        ["demo", "--out", str(target / "sub")],
        ["lite", "--out", str(target)],
        ["serve", "--dir", str(target), "--print-only"],
    ):
        assert cli.main(argv) == 2, argv
        err = capsys.readouterr().err.strip()
        assert err.startswith("xlfactor: ") and "\n" not in err and "Traceback" not in err, (argv, err)


def test_serve_offers_the_force_it_asks_for(tmp_path, capsys):
    assert cli.main(["serve", "--dir", str(tmp_path), "--print-only"]) == 0
    (tmp_path / "templates" / "manifest.xml").write_text("<mine/>")
    capsys.readouterr()
    assert cli.main(["serve", "--dir", str(tmp_path), "--print-only"]) == 2
    assert "pass --force" in capsys.readouterr().err
    assert cli.main(["serve", "--dir", str(tmp_path), "--print-only", "--force"]) == 0


@demo_group
def test_killed_mid_write_never_leaves_a_broken_workbook(default_demo, tmp_path):
    """Kill `xlfactor workbook --force` at spread-out moments: each target is a complete old or new workbook."""
    import signal
    import time
    import zipfile

    _prebuilt(default_demo, tmp_path)
    for delay in (0.4, 1.5, 2.8):  # spread over the run (the last while a workbook is written)
        proc = subprocess.Popen(
            [sys.executable, "-m", "xlfactor.cli", "workbook", "--out", str(tmp_path), "--force"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        for path in tmp_path.glob("xlfactor_*.xlsx"):
            with zipfile.ZipFile(path) as z:
                assert z.testzip() is None and "xl/workbook.xml" in z.namelist(), (delay, path)
    assert len(list(tmp_path.glob("xlfactor_*.xlsx"))) == 3


def test_serve_refuses_the_network_without_authentication(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("XLWINGS_AUTH_PROVIDERS", raising=False)
    assert cli.main(["serve", "--dir", str(tmp_path), "--host", "0.0.0.0", "--print-only"]) == 2
    err = capsys.readouterr().err
    assert (
        "--host 0.0.0.0 would let anyone on the network call the functions" in err and "XLWINGS_AUTH_PROVIDERS" in err
    )
    assert cli.main(["serve", "--dir", str(tmp_path), "--host", "::1", "--print-only"]) == 0  # loopback is fine
    monkeypatch.setenv("XLWINGS_AUTH_PROVIDERS", '["entraid"]')
    assert cli.main(["serve", "--dir", str(tmp_path), "--host", "0.0.0.0", "--print-only"]) == 0
    assert cli.main(["serve", "--dir", str(tmp_path), "--workers", "0", "--print-only"]) == 2


@demo_group
@after_demo
def test_demo_explains_unreachable_budgets_and_offers_minvar_and_targetvol(tmp_path, capsys, no_workbooks):
    """The note `xlfactor demo --risk factor` prints (its workbooks are not written: writing is tested above)."""
    assert cli.main(["demo", "--out", str(tmp_path), "--risk", "factor"]) == 0
    out = capsys.readouterr().out
    assert (
        "Note (factor): budgets not reachable with long-only weights; nearest shares found" in out and "Mkt-RF " in out
    )
    # the other new methods through the same inputs the CLI builds, without writing workbooks again
    from xlfactor.workbook import procedure

    def run(*argv):
        args = cli.build_parser().parse_args(["demo", *argv])
        return procedure.run(cli._inputs(args, cli._dataset(args)))

    predicted, _ = run("--risk", "targetvol", "--target-vol", "10").volatility()
    assert predicted == pytest.approx(0.10, rel=1e-9)
    minvar, erc = run("--risk", "minvar"), run()
    assert minvar.allocation.volatility < erc.allocation.volatility


def test_written_files_get_the_usual_permissions(tmp_path, monkeypatch):
    """The files' modes, whatever their content: a build that writes a small file stands in for the real one."""
    import os

    from xlfactor.workbook import template

    monkeypatch.setattr(template.Template, "build", lambda self, path, *a, **k: Path(path).write_bytes(b"xlsx"))
    mask = os.umask(0o022)
    try:
        assert cli.main(["workbook", "--out", str(tmp_path)]) == 0
        assert cli.main(["lite", "--out", str(tmp_path / "lite")]) == 0
        for path in [*tmp_path.glob("*.xlsx"), tmp_path / "lite" / "main.py"]:
            assert path.stat().st_mode & 0o777 == 0o644, path  # not mkstemp's 0600
    finally:
        os.umask(mask)


def test_backtest_prints_a_table_per_model_writes_csv_and_chart_and_refuses_to_overwrite(tmp_path, capsys):
    from matplotlib.image import imread

    argv = ["backtest", "--step", "24", "--out", str(tmp_path)]
    assert cli.main(argv) == 0
    text = capsys.readouterr().out
    assert "[8/8] lasso_market_free: 25 portfolios allocated (erc) ... (" in text  # progress, model by model
    head = next(ln for ln in text.splitlines() if ln.split()[:1] == ["ols"])
    assert head.split() == ["ols", "ridge", "lasso", "lasso_market_free"]
    # 25 rebalances every 24 months, the last at 2017-02 (row 644 of 645): the first at row 68 (1969-02)
    assert "Bias statistic (1 = forecasts right)" in text and "Out of sample, 196903 to 201703" in text
    png = imread(tmp_path / "backtest.png")
    assert png.shape[0] > 600 and png.shape[1] > 1000
    table = __import__("pandas").read_csv(tmp_path / "backtest.csv", index_col=0)
    assert table.shape == (645 - 68, 12) and table.index[0] == 196903
    assert cli.main(argv) == 2 and "pass --force" in capsys.readouterr().err


def test_backtest_on_the_users_files_of_another_shape(tmp_path, capsys):
    from tests.workbook import synthetic

    files = synthetic.write(tmp_path / "data", t=300, n=12, k=4)
    assert (
        cli.main(
            [
                "backtest",
                "--returns",
                str(files["returns"]),
                "--factors",
                str(files["factors"]),
                "--rf",
                "RF",
                "--window",
                "48",
                "--step",
                "12",
                "--models",
                "ols,lasso",
                "--no-chart",
                "--out",
                str(tmp_path / "out"),
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "12 assets, factors MKT, SIZE, VALUE, MOM" in text and "[4/4] lasso" in text
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["backtest.csv"]
    # one header row of self-describing names with units (it had three: return / ols / period)
    table = __import__("pandas").read_csv(tmp_path / "out" / "backtest.csv", index_col=0)
    assert table.index.name == "period" and list(table.columns) == [
        f"{m} {what}"
        for what in ("return (decimal per month)", "predicted vol (%/yr)", "cumulative (growth of 1)")
        for m in ("ols", "lasso")
    ]
    printed = next(ln for ln in text.splitlines() if ln.startswith("Predicted volatility (annualised, RMS)"))
    for m, shown in zip(("ols", "lasso"), printed.split()[-2:], strict=True):  # the console's %/yr, as RMS
        assert abs((table[f"{m} predicted vol (%/yr)"] ** 2).mean() ** 0.5 - float(shown.rstrip("%"))) < 0.006
    assert cli.main(["backtest", "--models", "ols,lars", "--out", str(tmp_path / "o2")]) == 2
    assert "--models takes ols, ridge, lasso, lasso_market_free, statistical; got 'lars'" in capsys.readouterr().err


def test_workbook_takes_the_start_options_and_opens_with_them(tmp_path, capsys):
    import openpyxl

    from xlfactor.core.options import describe

    argv = [
        "workbook",
        "--out",
        str(tmp_path),
        "--flavor",
        "preview",
        "--start",
        "199001",
        "--rule",
        "1se",
        "--use-factors",
        "Mkt-RF,HML",
        "--target-vol",
        "12",
        "--lags",
        "3",
        "--bt-window",
        "48",
        "--risk",
        "minvar",
    ]
    assert cli.main(argv) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["xlfactor_preview.xlsx"]
    ws = openpyxl.load_workbook(tmp_path / "xlfactor_preview.xlsx")["Start"]
    shown = {ws.cell(r, 2).value: ws.cell(r, 3).value for r in range(1, 40)}
    assert shown["Sample start"] == 199001 and shown[f"Lambda rule: {describe('rule', default=False)}"] == "1se"
    assert shown["Target volatility, % a year (risk allocation targetvol)"] == pytest.approx(0.12)
    assert shown["Newey-West lags for t-stats"] == 3 and shown["Backtest: estimation window (months)"] == 48
    assert shown[f"Risk allocation: {describe('risk_method', default=False)}"] == "minvar"
    use = {
        ws.cell(r, 2).value: ws.cell(r, 3).value
        for r in range(1, 80)
        if ws.cell(r, 2).value in ("Mkt-RF", "SMB", "HML", "Mom", "LowVol")
    }
    assert use == {"Mkt-RF": True, "SMB": False, "HML": True, "Mom": False, "LowVol": False}


def test_demo_and_workbook_share_options_and_output_folder():
    parser = cli.build_parser()
    sub = parser._subparsers._group_actions[0].choices

    def options(name):
        return {a.dest: (a.default, tuple(a.choices or ())) for a in sub[name]._actions if a.dest != "help"}

    demo, workbook = options("demo"), options("workbook")
    assert set(workbook) - set(demo) == {"flavor"} and set(demo) <= set(workbook)
    assert {k: demo[k] for k in demo} == {k: workbook[k] for k in demo}
    assert demo["out"][0] == workbook["out"][0] == options("backtest")["out"][0] == "xlfactor-output"
    assert workbook["flavor"][1] == ("all", "classic", "officejs", "preview")


def test_demo_says_each_steps_duration_and_that_returns_are_excess(tmp_path, capsys, no_workbooks):
    """What the demo prints while it computes (its workbooks are not written: writing is tested above)."""
    import re

    assert cli.main(["demo", "--out", str(tmp_path), "--start", "200001"]) == 0
    text = capsys.readouterr().out
    steps = re.findall(r"^\[(\d)/7\] .* \.\.\. (\d+\.\d\d) s$", text, re.M)
    assert [s for s, _ in steps] == list("1234567")
    assert (
        "Returns in excess of the risk-free rate" in text and "mean excess %/yr" in text and "CAPM E[R-rf] %/yr" in text
    )
    assert "Newey-West t-stats, 4 lags" in text  # 207 months: floor(4 * 2.07^(2/9)) = 4


def test_backtest_takes_the_barra_options_of_the_registry(tmp_path, capsys, monkeypatch):
    """--cov barra with its half-lives, regime adjustment, NW lags and specific shrinkage reach the core, and change
    the forecasts."""
    import pandas as pd

    from xlfactor import frames

    seen = {}
    original = frames.backtest

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return original(*args, **kwargs)

    monkeypatch.setattr(frames, "backtest", spy)
    common = ["backtest", "--models", "ols", "--step", "48", "--no-chart"]
    barra = [
        "--cov",
        "barra",
        "--halflife",
        "24",
        "--corr-halflife",
        "48",
        "--nw-lags",
        "1",
        "--regime-halflife",
        "12",
        "--specific-shrink",
        "0.1",
    ]
    assert cli.main([*common, *barra, "--out", str(tmp_path / "b")]) == 0
    assert {
        k: seen[k] for k in ("cov_method", "halflife", "corr_halflife", "nw_lags", "regime_halflife", "specific_shrink")
    } == {
        "cov_method": "barra",
        "halflife": 24.0,
        "corr_halflife": 48.0,
        "nw_lags": 1,
        "regime_halflife": 12.0,
        "specific_shrink": 0.1,
    }
    assert cli.main([*common, "--out", str(tmp_path / "p")]) == 0
    assert (seen["corr_halflife"], seen["nw_lags"], seen["regime_halflife"], seen["specific_shrink"]) == (
        None,
        0,
        None,
        0.0,
    )  # the registry's defaults: off
    capsys.readouterr()
    vol = [pd.read_csv(tmp_path / d / "backtest.csv", index_col=0)["ols predicted vol (%/yr)"] for d in ("b", "p")]
    assert (vol[0] - vol[1]).abs().max() > 1e-4 * 100 * 12**0.5
