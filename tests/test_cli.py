import subprocess
import sys

import pytest

from xlfactor import cli


def test_demo_runs_the_procedure_and_writes_workbooks(tmp_path, capsys):
    out = tmp_path / "out"
    assert cli.main(["demo", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    for needle in ["[1/6]", "[6/6]", "Sample 196307 to 201703 (645 months)", "Market model", "GRS test",
                   "lasso: min", "Lasso loadings", "Ridge loadings", "Risk allocation (erc, lasso factor model)", "Specific", "Workbooks written"]:
        assert needle in text, needle
    lasso_table = text[text.index("Lasso loadings") : text.index("Ridge loadings")]
    assert "-0.000" not in lasso_table and " 0.000" in lasso_table  # exact zeros, unsigned
    assert sorted(p.name for p in out.iterdir()) == ["xlfactor_classic.xlsx", "xlfactor_officejs.xlsx", "xlfactor_preview.xlsx"]
    assert cli.main(["demo", "--out", str(out)]) == 2
    assert "exists; pass --force to overwrite" in capsys.readouterr().err
    assert cli.main(["demo", "--out", str(out), "--force", "--start", "199001", "--rule", "min", "--factors",
                     "Mkt-RF,HML", "--risk", "factor", "--factor-budgets", "3,1,1,1,1"]) == 0
    text = capsys.readouterr().out
    assert "Sample 199001 to 201703" in text and "factors: Mkt-RF, HML." in text and "factor budgets" in text


def test_demo_bad_inputs_exit_with_a_message(tmp_path, capsys):
    assert cli.main(["demo", "--start", "203001", "--out", str(tmp_path)]) == 2
    assert cli.main(["demo", "--factors", "Mkt,SMB", "--out", str(tmp_path)]) == 2
    assert "--factors takes names from Mkt-RF" in capsys.readouterr().err


def test_console_script_module_runs():
    out = subprocess.run([sys.executable, "-m", "xlfactor.cli", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("xlfactor ")


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
    cmd = [sys.executable, "-m", "xlfactor.cli", "serve", "--dir", str(tmp_path / "srv"), "--port", "8765", "--print-only"]
    out = subprocess.run(cmd, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "http://127.0.0.1:8765/manifest" in out.stdout and "Upload My Add-in" in out.stdout
    assert "PolyForm Noncommercial" in out.stdout
    assert (tmp_path / "srv" / "custom_functions" / "__init__.py").exists()
