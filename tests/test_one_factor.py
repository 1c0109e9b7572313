"""A one-factor (CAPM-only) model through the CLI, and collinear factors refused with names everywhere."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import xlfactor
from xlfactor import cli
from xlfactor.core import backtest as walkforward
from xlfactor.errors import CollinearityError
from xlfactor.workbook import FILE_NAMES


def _write(tmp_path, factors: dict[str, np.ndarray], n_assets: int = 7, seed: int = 0):
    rng = np.random.default_rng(seed)
    t = len(next(iter(factors.values())))
    dates = pd.bdate_range("2020-01-01", periods=t)
    f = pd.DataFrame(factors, index=dates)
    beta = rng.uniform(0.5, 1.5, (f.shape[1], n_assets))
    r = pd.DataFrame(f.to_numpy() @ beta + 0.01 * rng.standard_normal((t, n_assets)), index=dates)
    r.columns = [f"A{i}" for i in range(n_assets)]
    f.index.name = r.index.name = "date"
    r.to_csv(tmp_path / "r.csv")
    f.to_csv(tmp_path / "f.csv")
    return str(tmp_path / "r.csv"), str(tmp_path / "f.csv")


@pytest.fixture
def one(tmp_path):
    mkt = 0.01 * np.random.default_rng(1).standard_normal(600)
    return _write(tmp_path, {"MKT": mkt})


@pytest.fixture
def collinear(tmp_path):
    rng = np.random.default_rng(2)
    mkt, f2 = 0.01 * rng.standard_normal((2, 600))
    return _write(tmp_path, {"MKT": mkt, "F2": f2, "F3": f2 + 1e-10 * rng.standard_normal(600)})


def test_demo_with_one_factor_says_the_penalised_models_are_ols(one, tmp_path, capsys):
    r, f = one
    argv = ["demo", "--returns", r, "--factors", f, "--bt-window", "252", "--bt-step", "63"]
    assert cli.main([*argv, "--out", str(tmp_path / "d1")]) == 0
    out = capsys.readouterr().out
    assert out.count("ridge and lasso are OLS") == 1 and "cross-validating" not in out
    assert "Workbooks written" in out  # the Lambda sheet says there is no lambda (tests/workbook)
    argv = ["workbook", "--returns", r, "--factors", f, "--flavor", "preview", "--out", str(tmp_path / "w")]
    assert cli.main(argv) == 0
    assert "ridge and lasso are OLS" in capsys.readouterr().out and (tmp_path / "w" / FILE_NAMES["preview"]).exists()


def test_demo_with_the_single_factor_penalised_runs_ridge_and_lasso(one, tmp_path, capsys, no_workbooks):
    """What the demo prints (its workbooks are not written: the test above and tests/workbook write them)."""
    r, f = one
    argv = ["demo", "--returns", r, "--factors", f, "--penalty-weights", "1", "--bt-window", "252", "--bt-step", "63"]
    assert cli.main([*argv, "--out", str(tmp_path / "d2")]) == 0
    out = capsys.readouterr().out
    assert "cross-validating" in out and "are OLS" not in out


def test_backtest_with_one_factor_runs_every_model(one, tmp_path, capsys):
    r, f = one
    argv = ["backtest", "--returns", r, "--factors", f, "--window", "252", "--step", "21"]
    assert cli.main([*argv, "--out", str(tmp_path / "bt")]) == 0
    # the market-free lasso of one factor is OLS, exactly
    assert walkforward.model_options("lasso_market_free", 1) == {"method": "ols"}


def test_backtest_names_collinear_factors_as_demo_does(collinear, tmp_path, capsys):
    r, f = collinear
    assert cli.main(["backtest", "--returns", r, "--factors", f, "--window", "252", "--step", "21"]) == 2
    bt = capsys.readouterr().err
    assert cli.main(["demo", "--returns", r, "--factors", f, "--out", str(tmp_path / "d")]) == 2
    demo = capsys.readouterr().err
    assert "'F3'" in bt and "'F2'" in bt and "1e+08" in bt
    assert "'F3'" in demo and "1e+08" in demo


@pytest.mark.parametrize("method", ["lasso", "enet"])
def test_near_collinear_factors_are_refused_by_name_not_a_numpy_error(method):
    for seed in range(3):  # each seed gave numpy's LinAlgError: Singular matrix before the check
        rng = np.random.default_rng(seed)
        x = rng.standard_normal((200, 3))
        x[:, 2] = x[:, 1] + 1e-10 * rng.standard_normal(200)
        y = x @ rng.standard_normal((3, 5)) + 0.1 * rng.standard_normal((200, 5))
        with pytest.raises(CollinearityError, match="column 3 is nearly a linear combination of column 2"):
            xlfactor.cross_validate(y, x, method=method)
        with pytest.raises(CollinearityError, match="column 3 is nearly a linear combination of column 2"):
            xlfactor.lasso(y, x, [0.01]) if method == "lasso" else xlfactor.elastic_net(y, x, [0.01])
