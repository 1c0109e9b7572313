"""Weight bounds and turnover limits of the risk-based allocations, checked against cvxpy (issue 27 item 6);
the dense ERC by conjugate gradients (item 7)."""

import numpy as np
import pytest

from tests.peers import rpp_vanilla
from xlfactor.core import regression, risk
from xlfactor.errors import InputShapeError, InputValueError

cp = pytest.importorskip("cvxpy")
CLARABEL = {"solver": "CLARABEL", "tol_gap_abs": 1e-12, "tol_gap_rel": 1e-12, "tol_feas": 1e-12}


@pytest.fixture(scope="module")
def model(french_xy):
    y, x = french_xy
    fit = regression.ols(y, x)
    return risk.FactorModel.from_arrays(fit.loadings, risk.factor_covariance(x), fit.risk.specific_var)


def random_cov(n=12, seed=3):
    """A dense covariance of another shape than the shipped data's (12 assets, no factor structure)."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(40, n)) * rng.uniform(0.02, 0.08, n)
    return a.T @ a / 40


def cvx_budgeting(cov, b, lo=0.0, hi=1.0, current=None, turnover=None):
    """Spinu's problem over the cone of allowed weights: x = s w, w in the allowed set."""
    n = cov.shape[0]
    x, s = cp.Variable(n), cp.Variable()
    cons = [cp.sum(x) == s, x >= lo * s, x <= hi * s]
    if turnover is not None:
        cons.append(cp.norm1(x - s * current) <= turnover * s)
    cp.Problem(cp.Minimize(0.5 * cp.quad_form(x, cp.psd_wrap(cov)) - b @ cp.log(x)), cons).solve(**CLARABEL)
    return x.value / x.value.sum()


def cvx_minvar(cov, lo=0.0, hi=1.0, current=None, turnover=None):
    n = cov.shape[0]
    w = cp.Variable(n)
    cons = [cp.sum(w) == 1, w >= lo, w <= hi]
    if turnover is not None:
        cons.append(cp.norm1(w - current) <= turnover)
    cp.Problem(cp.Minimize(cp.quad_form(w, cp.psd_wrap(cov / np.trace(cov)))), cons).solve(**CLARABEL)
    return w.value


def spinu(cov, b, w):
    """The objective the constrained budgeting minimises over the allowed weights (scale-free form)."""
    return 0.5 * np.log(w @ cov @ w) - b @ np.log(w)


CASES = [
    {"min_weight": 0.02, "max_weight": 0.05},
    {"max_weight": 0.04},
    {"max_turnover": 0.1},
    {"min_weight": 0.01, "max_weight": 0.06, "max_turnover": 0.2},
]


@pytest.mark.parametrize("case", CASES)
def test_erc_and_minvar_under_constraints_match_cvxpy(model, case):
    n = model.n_assets
    cov = model.dense()
    current = np.full(n, 1 / n) if "max_turnover" in case else None
    lo, hi, t = case.get("min_weight", 0.0), case.get("max_weight", 1.0), case.get("max_turnover")
    erc = risk.allocate("erc", model=model, current=current, **case)
    ref = cvx_budgeting(cov, np.full(n, 1 / n), lo, hi, current, t)
    np.testing.assert_allclose(erc.weights, ref, atol=1e-7)
    assert spinu(cov, np.full(n, 1 / n), erc.weights) <= spinu(cov, np.full(n, 1 / n), ref) + 1e-12
    mv = risk.allocate("minvar", model=model, current=current, **case)
    np.testing.assert_allclose(mv.weights, cvx_minvar(cov, lo, hi, current, t), atol=1e-8)
    for res in (erc, mv):
        assert res.weights.min() >= lo - 1e-12 and res.weights.max() <= hi + 1e-12
        assert res.weights.sum() == pytest.approx(1.0, abs=1e-14)
        if t is not None:
            assert np.abs(res.weights - current).sum() <= t + 1e-9
        assert res.note  # names what binds


def test_budgets_under_bounds_on_another_shape_match_cvxpy():
    cov = random_cov()
    b = np.arange(1.0, 13.0) / 78
    free = risk.allocate("budget", cov=cov, budgets=b)
    res = risk.allocate("budget", cov=cov, budgets=b, min_weight=0.05, max_weight=0.12)
    assert free.weights.min() < 0.05 or free.weights.max() > 0.12  # the bounds bind
    np.testing.assert_allclose(res.weights, cvx_budgeting(cov, b, 0.05, 0.12), atol=1e-7)
    current = np.linspace(1, 2, 12) / np.linspace(1, 2, 12).sum()
    res = risk.allocate("budget", cov=cov, budgets=b, current=current, max_turnover=0.05)
    np.testing.assert_allclose(res.weights, cvx_budgeting(cov, b, current=current, turnover=0.05), atol=1e-7)
    assert "turnover 0.05 of 0.05 (binds)" in res.note


def test_constraints_that_do_not_bind_leave_the_answer_exact(model):
    free = risk.allocate("erc", model=model)
    res = risk.allocate("erc", model=model, min_weight=0.001, max_weight=0.5)
    np.testing.assert_array_equal(res.weights, free.weights)
    np.testing.assert_allclose(res.contributions, 1 / 30, atol=1e-10)


@pytest.mark.parametrize("base", ["erc", "minvar", "invvol", "budget"])
def test_target_volatility_scales_any_base(model, base):
    budgets = np.arange(1.0, 31.0) if base == "budget" else None
    inner = risk.allocate(base, model=model, budgets=budgets)
    res = risk.allocate("targetvol", model=model, target_vol=0.03, base=base, budgets=budgets)
    assert res.volatility == pytest.approx(0.03, rel=1e-12)
    np.testing.assert_allclose(res.weights / res.weights.sum(), inner.weights, rtol=1e-12)
    assert res.note.startswith("cash ") and (base == "erc") != (f"; {base} portfolio scaled" in res.note)


def test_target_volatility_of_a_constrained_base(model):
    cov = model.dense()
    res = risk.allocate("targetvol", model=model, target_vol=0.02, base="minvar", max_weight=0.04)
    w = cvx_minvar(cov, hi=0.04)
    np.testing.assert_allclose(res.weights, w * 0.02 / np.sqrt(w @ cov @ w), atol=1e-8)
    assert "at max_weight" in res.note


def test_bad_constraints_are_refused_with_reasons(model):
    with pytest.raises(InputValueError, match=r"min_weight 0\.1 is above max_weight 0\.05 for asset 1"):
        risk.allocate("erc", model=model, min_weight=0.1, max_weight=0.05)
    with pytest.raises(InputValueError, match=r"min_weight sums to 1\.5"):
        risk.allocate("erc", model=model, min_weight=0.05)
    with pytest.raises(InputValueError, match=r"max_weight sums to 0\.6"):
        risk.allocate("minvar", model=model, max_weight=0.02)
    with pytest.raises(InputShapeError, match="max_weight has 2 values but there are 30 assets"):
        risk.allocate("erc", model=model, max_weight=[0.5, 0.5])
    with pytest.raises(InputValueError, match="max_turnover needs current"):
        risk.allocate("erc", model=model, max_turnover=0.1)
    current = np.zeros(30)
    current[0] = 1.0
    # the bounds alone force selling 0.9 of asset 1 and buying it elsewhere: turnover 1.8 at least
    with pytest.raises(InputValueError, match=r"below the 1\.8 that the weight bounds need"):
        risk.allocate("erc", model=model, max_weight=0.1, current=current, max_turnover=1.0)
    with pytest.raises(InputValueError, match="not to 'invvol'"):
        risk.allocate("invvol", model=model, max_weight=0.1)
    with pytest.raises(InputValueError, match="base"):
        risk.allocate("targetvol", model=model, target_vol=0.02, base="targetvol")


def test_dense_erc_by_conjugate_gradients_reaches_1e_10():
    m = risk.FactorModel(*[np.asarray(a) for a in _synthetic(400)])
    cov = m.dense()
    res = risk.allocate("erc", cov=cov, tol=1e-10)
    np.testing.assert_allclose(res.contributions, 1 / 400, atol=1e-10)
    np.testing.assert_allclose(res.weights, risk.allocate("erc", model=m).weights, rtol=1e-7)
    van = rpp_vanilla()
    if van is not None:
        np.testing.assert_allclose(res.weights, van.design(cov, np.full(400, 1 / 400), 1e-12, 100_000), rtol=1e-7)


def _synthetic(n, k=4, seed=5):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(5 * k, k))
    return rng.normal(0.6, 0.5, size=(n, k)), a.T @ a / (5 * k) * 1e-3, rng.uniform(2e-4, 8e-4, n)


def test_jacobi_sweeps_start_newton_where_they_contract():
    from xlfactor.core.risk.allocation import JACOBI_TARGET, _jacobi_start

    b = np.full(400, 1 / 400)
    strong = risk.FactorModel(*[np.asarray(a) for a in _synthetic(400, k=20)])
    x, sx, sweeps = _jacobi_start(strong, b, strong.diag())
    assert sweeps >= 2  # each sweep at least halves the error, down to JACOBI_TARGET
    np.testing.assert_allclose(x * sx, b, rtol=JACOBI_TARGET)
    assert x @ sx == pytest.approx(1.0, rel=1e-12)
    cov = strong.dense()
    res = risk.allocate("erc", cov=cov, tol=1e-10)
    np.testing.assert_allclose(res.contributions, 1 / 400, atol=1e-10)
    np.testing.assert_allclose(res.weights, risk.allocate("erc", model=strong).weights, rtol=1e-7)
    np.testing.assert_allclose(res.weights, van_or_model(cov, strong), rtol=1e-7)


def van_or_model(cov, m):
    van = rpp_vanilla()
    n = cov.shape[0]
    return (
        van.design(cov, np.full(n, 1 / n), 1e-12, 100_000) if van is not None else risk.allocate("erc", model=m).weights
    )


def test_covariance_check_by_blocks():
    cov = risk.FactorModel(*[np.asarray(a) for a in _synthetic(300)]).dense()
    assert np.array_equal(cov, cov.T)  # U U' + diag(d): exactly symmetric
    assert risk.check_covariance(cov) is cov  # exactly symmetric: no copy
    nudged = cov.copy()
    nudged[290, 200] += 1e-12 * np.abs(cov).max()  # below the 1e-10 tolerance: symmetrised
    out = risk.check_covariance(nudged)
    assert np.array_equal(out, out.T) and out[290, 200] == (nudged[290, 200] + nudged[200, 290]) / 2
    nudged[290, 200] += 1e-6 * np.abs(cov).max()  # in the second and third blocks of 128 rows: found and named
    with pytest.raises(InputValueError, match=r"not symmetric: row 201, column 291 is .* but row 291, column 201"):
        risk.check_covariance(nudged)
    bad = cov.copy()
    bad[7, 200] = bad[200, 7] = 2 * np.sqrt(cov[7, 7] * cov[200, 200])  # a correlation of 2
    with pytest.raises(InputValueError, match="not positive semi-definite"):
        risk.allocate("erc", cov=bad)


def test_jacobi_sweeps_with_negative_correlations():
    from xlfactor.core.risk.allocation import JACOBI_TARGET, _jacobi_start

    vol = np.array([0.1, 0.2, 0.15, 0.3, 0.25])
    corr = np.full((5, 5), -0.15) + 1.15 * np.eye(5)  # every pair -0.15: each c_i < 0 once weights are similar
    cov = corr * np.outer(vol, vol)
    b = np.array([0.1, 0.15, 0.2, 0.25, 0.3])
    x, sx, sweeps = _jacobi_start(risk.DenseCov(cov), b, np.diag(cov))
    assert sweeps >= 3 and (sx - np.diag(cov) * x < 0).all()
    np.testing.assert_allclose(x * sx, b, rtol=JACOBI_TARGET)
    res = risk.allocate("budget", cov=cov, budgets=b, tol=1e-13)
    np.testing.assert_allclose(res.contributions, b, atol=1e-13)
