import subprocess
import sys

import pytest

from xlfactor import cli


def test_demo_prints_capm_table_for_industries(capsys):
    assert cli.main(["demo"]) == 0
    out = capsys.readouterr().out
    for name in ["NoDur", "Other", "alpha %/yr", "t(beta)", "R2", "systematic", "specific", "CAPM E[R]", "GRS test"]:
        assert name in out
    assert "1949-01 to 2017-03 (819 months)" in out


def test_demo_window_and_bad_window(capsys):
    assert cli.main(["demo", "--start", "1990-01", "--end", "1999-12", "--lags", "0"]) == 0
    assert "(120 months)" in capsys.readouterr().out
    assert cli.main(["demo", "--start", "2030-01"]) == 2
    assert "holds no months" in capsys.readouterr().err


def test_console_script_module_runs():
    out = subprocess.run([sys.executable, "-m", "xlfactor.cli", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("xlfactor ")


def test_demo_classic_errors(capsys):
    assert cli.main(["demo", "--lags", "none"]) == 0
    assert "t-stats classic" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [[], ["nope"], ["demo", "--lags", "-3"]])
def test_bad_command_line_exits_with_usage(argv):
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == 2


def test_lite_writes_files_and_refuses_to_overwrite(tmp_path, capsys):
    out = tmp_path / "lite"
    assert cli.main(["lite", "--out", str(out)]) == 0
    assert "from xlfactor.excel.udfs import *" in (out / "main.py").read_text()
    assert (out / "requirements.txt").read_text().strip().splitlines()[-1] == "xlfactor"
    assert cli.main(["lite", "--out", str(out)]) == 0  # same content: fine
    (out / "main.py").write_text("# my own code\n")
    assert cli.main(["lite", "--out", str(out)]) == 2
    assert "exists and differs; pass --force" in capsys.readouterr().err
    assert cli.main(["lite", "--out", str(out), "--force"]) == 0


def test_serve_print_only_writes_project_and_instructions(tmp_path):
    cmd = [sys.executable, "-m", "xlfactor.cli", "serve", "--dir", str(tmp_path / "srv"), "--port", "8765", "--print-only"]
    out = subprocess.run(cmd, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "http://127.0.0.1:8765/manifest" in out.stdout and "Upload My Add-in" in out.stdout
    assert "PolyForm Noncommercial" in out.stdout
    assert (tmp_path / "srv" / "custom_functions" / "__init__.py").exists()
