"""The README's ten-line pandas example runs and ends with long-only weights labelled by industry."""

from __future__ import annotations

import contextlib
import io
import pathlib
import re

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_the_ten_line_example_runs_to_weights():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## In ten lines of pandas") :]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    statements = [line for line in code.splitlines() if line.strip() and not line.startswith(("import", "from"))]
    assert len(statements) <= 11  # ten lines of work (one statement wraps) and the print
    ns: dict = {}
    with contextlib.redirect_stdout(io.StringIO()) as out:
        exec(compile(code, "README.md", "exec"), ns)
    weights = ns["weights"]
    assert list(weights.index) == list(ns["excess"].columns)
    assert np.isclose(weights.sum(), 1.0) and (weights > 0).all()
    assert "NoDur" in out.getvalue()


def test_the_ten_line_example_leaves_the_market_unpenalised_as_the_demo_does():
    """It used the Python default (every factor penalised) while the demo frees the market: the README says why."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## In ten lines of pandas") :]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    ns: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(code, "README.md", "exec"), ns)
    weights = list(ns["lasso"].penalty_weights)
    assert weights == [0, 1, 1, 1] and len(weights) == ns["factors"].shape[1]
    assert "penalty_weights=[0, 1, 1, 1]" in code and "unpenalised" in section[: section.index("## Python API")]


def test_capm_says_its_unit():
    import xlfactor as xf

    data = xf.load_french()
    table = xf.frames.capm(data.industries.loc["2000-01":], data.market, rf=data.rf)
    assert "per period" in table.attrs["units"] and "decimal" in table.attrs["units"]
    assert "alpha" in table.attrs["units"] and "CAPM E[R]" in table.attrs["units"]
    # visible where the table is seen (attrs are not printed), the documented column names unchanged
    assert table.columns.name == "returns, vols: decimal per period" and table.columns.name in str(table.head(2))
    assert {"alpha", "beta", "t(alpha)", "R2", "total vol", "mean", "CAPM E[R]", "nobs"} <= set(table.columns)
