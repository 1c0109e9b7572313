"""What the default install brings (issue 23 item 10: `xlfactor backtest` writes its chart on it)."""

from __future__ import annotations

import re
from pathlib import Path

import tomllib

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def _requirement_names(specs: list[str]) -> set[str]:
    return {re.split(r"[<>=!~\[; ]", s, maxsplit=1)[0].lower() for s in specs}


def test_matplotlib_is_a_core_dependency():
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    assert "matplotlib" in _requirement_names(project["dependencies"])
