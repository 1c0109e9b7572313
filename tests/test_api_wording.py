"""Errors say how to fix them in the caller's own words: a Python keyword (``force=True``) from the API, the
command's flag (``--force``) from the CLI. The functions the CLI shares with the Python API: the runtimes' project
writers and server (``excel.runtimes``) and the user's data files (``workbook.dataset.from_files``)."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.test_user_files_read import _pair
from xlfactor import cli
from xlfactor.errors import XLFactorError
from xlfactor.excel import runtimes
from xlfactor.workbook import dataset
from xlfactor.workbook.dataset import DataFileError


@pytest.mark.parametrize("write", [runtimes.write_lite_files, runtimes.write_server_project])
def test_project_writers_say_force_true_in_python_and_force_flag_in_the_cli(write, tmp_path, capsys):
    written = write(tmp_path)
    first = written[0] if isinstance(written, list) else tmp_path / "custom_functions" / "__init__.py"
    first.write_text("# my own code\n")
    with pytest.raises(FileExistsError, match=r"exists and differs; pass force=True to overwrite it") as exc:
        write(tmp_path)
    assert "--force" not in str(exc.value)
    command = ["lite", "--out"] if write is runtimes.write_lite_files else ["serve", "--print-only", "--dir"]
    assert cli.main([*command, str(tmp_path)]) == 2
    assert "exists and differs; pass --force to overwrite it" in capsys.readouterr().err


def test_serve_names_host_and_workers_as_the_caller_spells_them(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("XLWINGS_AUTH_PROVIDERS", raising=False)
    with pytest.raises(XLFactorError, match=r"^host='0.0.0.0' would let anyone on the network"):
        runtimes.serve(tmp_path, host="0.0.0.0", run=False)
    with pytest.raises(XLFactorError, match=r"^workers must be 1 or more; got 0\.$"):
        runtimes.serve(tmp_path, run=False, workers=0)
    assert cli.main(["serve", "--dir", str(tmp_path), "--print-only", "--workers", "0"]) == 2
    assert "--workers must be 1 or more; got 0." in capsys.readouterr().err


def test_data_files_name_the_keyword_from_python(tmp_path, capsys):
    r, f, _ = _pair(tmp_path, "%d/%m/%Y")
    with pytest.raises(DataFileError, match=r"pass date_order='dayfirst' \(01/02/1980 .*date_order='monthfirst'") as e:
        dataset.from_files(r, f)
    assert "--" not in str(e.value)
    with pytest.raises(DataFileError, match=r"^rf='nofile.csv': no such file, and no such column of the factors file"):
        dataset.from_files(r, f, rf="nofile.csv", date_order="dayfirst")
    days = pd.DataFrame({"A": [0.01, 0.02] * 30}, index=pd.bdate_range("2020-01-01", periods=60).rename("date"))
    days.to_csv(tmp_path / "d.csv")
    with pytest.raises(
        DataFileError, match=r"are monthly but the returns are daily: .*; pass daily ones as factors=\.\.\.\.$"
    ):
        dataset.from_files(tmp_path / "d.csv", "french")
    assert cli.main(["workbook", "--returns", str(tmp_path / "d.csv"), "--out", str(tmp_path / "w")]) == 2
    assert "pass daily ones with --factors." in capsys.readouterr().err
    assert cli.main(["workbook", "--returns", str(r), "--factors", str(f), "--rf", "nofile.csv", "--dayfirst"]) == 2
    assert "--rf nofile.csv: no such file" in capsys.readouterr().err
