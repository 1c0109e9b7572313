"""Budgets reach the backtest as Excel gives them (a row) or as Python does (a vector), and are checked once."""

import numpy as np
import pytest

from xlfactor.core import backtest
from xlfactor.errors import InputShapeError, InputValueError


@pytest.fixture(scope="module")
def panel():
    rng = np.random.default_rng(3)
    f = rng.normal(0, 0.04, size=(96, 2))
    y = f @ rng.normal(1, 0.3, size=(2, 5)) + rng.normal(0, 0.02, size=(96, 5))
    return y, f


def test_budgets_as_a_row_equal_budgets_as_a_vector(panel):
    y, f = panel
    b = np.arange(1.0, 6.0)
    run = dict(step=12, models=("ols",), alloc="budget")
    flat = backtest.backtest(y, f, 48, budgets=b, **run)
    row = backtest.backtest(y, f, 48, budgets=b[None, :], **run)
    np.testing.assert_allclose(row.weights, flat.weights, rtol=1e-12)
    assert not np.allclose(flat.weights, backtest.backtest(y, f, 48, step=12, models=("ols",)).weights)


def test_budgets_of_the_wrong_size_or_sign_are_refused(panel):
    y, f = panel
    with pytest.raises(InputShapeError, match="budgets has 4 values but there are 5 assets"):
        backtest.backtest(y, f, 48, step=12, models=("ols",), alloc="budget", budgets=[1, 1, 1, 1])
    with pytest.raises(InputValueError, match="budgets must be > 0"):
        backtest.backtest(y, f, 48, step=12, models=("ols",), alloc="factor", budgets=[1, -1])
