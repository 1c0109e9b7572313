"""The proof that a dense covariance is PSD: by its factor form where it has one, else by a Cholesky; refusals
unchanged (risk/psd.py)."""

import numpy as np
import pytest

from tests.peers import rpp_vanilla
from xlfactor.core import risk
from xlfactor.core.risk.psd import FACTOR_MIN, factor_form_bound
from xlfactor.errors import InputValueError

N = 800
assert N >= FACTOR_MIN


def factor_matrix(k, seed=5, n=N):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(5 * k + 1, k))
    b = rng.normal(0.6, 0.5, size=(n, k))
    return b, a.T @ a / (5 * k + 1) * 1e-3, rng.uniform(2e-4, 8e-4, n)


@pytest.mark.parametrize(("k", "n"), [(0, N), (3, N), (20, N), (7, 701)])  # 701: even and odd rows differ in number
def test_factor_form_bound_proves_a_factor_models_matrix(k, n):
    s = risk.FactorModel(*factor_matrix(k, n=n)).dense()
    bound = factor_form_bound(s)
    low = np.linalg.eigvalsh(s)[0]
    assert 0 < bound <= low and bound > 0.99 * low  # proven, below the smallest eigenvalue, and close to it
    assert risk.check_covariance(s) is s


def test_factor_form_bound_proves_an_industry_model_sorted_by_industry():
    """Market and 20 industries, each asset in one, assets sorted by industry: each industry's block lies within one
    half of the rows, so the halves' cross block alone does not show it (even and odd rows do)."""
    rng = np.random.default_rng(3)
    ind = np.sort(rng.integers(0, 20, N))
    b = np.zeros((N, 21))
    b[:, 0] = rng.normal(1.0, 0.3, N)
    b[np.arange(N), 1 + ind] = rng.normal(1.0, 0.3, N)
    s = risk.FactorModel(b, np.diag(np.r_[2e-3, rng.uniform(2e-4, 1e-3, 20)]), rng.uniform(2e-4, 8e-4, N)).dense()
    bound = factor_form_bound(s)
    assert 0 < bound <= np.linalg.eigvalsh(s)[0]


def test_factor_form_bound_declines_a_matrix_without_one():
    z = np.random.default_rng(0).normal(size=(N + 300, N))
    assert factor_form_bound(np.cov(z, rowvar=False)) == -np.inf  # no low rank off the diagonal: the Cholesky decides
    risk.check_covariance(np.cov(z, rowvar=False))  # and the Cholesky proves it


def test_not_psd_refused_and_near_psd_accepted_as_before():
    b, f, d = factor_matrix(5)
    s = risk.FactorModel(b, f, d).dense()
    bad = s.copy()
    bad[7, 600] = bad[600, 7] = 2 * np.sqrt(s[7, 7] * s[600, 600])  # a correlation of 2: off the factor form
    assert factor_form_bound(bad) < 0
    with pytest.raises(InputValueError, match=r"covariance is not positive semi-definite \(smallest eigenvalue -"):
        risk.allocate("erc", cov=bad)
    b[3] = 0.0  # asset 4 loads on no factor: its variance is its specific variance alone
    for d3, ok in [(-1e-4, False), (-1e-12 * s.diagonal().max(), True)]:  # well below 0; within 1e-10 of the scale
        d[3] = d3
        s = risk.FactorModel(b, f, d).dense()
        assert factor_form_bound(s) < 0  # a negative specific variance is never proven by the form
        if ok:
            assert risk.check_covariance(s) is s  # near-PSD: accepted by the Cholesky's 1e-10 shift, as before
        else:
            with pytest.raises(InputValueError, match=r"not positive semi-definite \(smallest eigenvalue -0.0001\)"):
                risk.check_covariance(s)


def test_dense_erc_proved_by_its_factor_form_reaches_1e_10():
    m = risk.FactorModel(*factor_matrix(10, seed=9))
    cov = m.dense()
    res = risk.allocate("erc", cov=cov, tol=1e-10)
    np.testing.assert_allclose(res.contributions, 1 / N, atol=1e-10)
    np.testing.assert_allclose(res.weights, risk.allocate("erc", model=m).weights, rtol=1e-7)
    van = rpp_vanilla()
    if van is not None:
        np.testing.assert_allclose(res.weights, van.design(cov, np.full(N, 1 / N), 1e-12, 100_000), rtol=1e-7)


def test_target_volatility_proves_a_dense_matrix_once(monkeypatch):
    from xlfactor.core.risk import psd

    calls = []
    prove = psd.prove_psd
    monkeypatch.setattr(psd, "prove_psd", lambda *a: calls.append(1) or prove(*a))
    cov = risk.FactorModel(*factor_matrix(3, n=60)).dense()
    erc = risk.allocate("erc", cov=cov)
    calls.clear()
    tv = risk.allocate("targetvol", cov=cov, target_vol=0.5 * erc.volatility)
    assert len(calls) == 1  # its base portfolio (ERC) reuses the checked matrix
    np.testing.assert_allclose(tv.weights, 0.5 * erc.weights, rtol=1e-12)
