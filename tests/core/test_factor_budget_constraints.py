"""Factor risk budgeting under weight bounds and a turnover limit (issue 27 item 6): the nearest factor shares over
the allowed weights, against a hand-solved case and a scipy reference."""

import numpy as np
import pytest
from scipy import optimize

from xlfactor.core import risk


def pure_factor_model(f1=0.04, f2=0.01):
    """Assets 1-2 load only on factor 1, assets 3-4 only on factor 2, uncorrelated factors: factor 1's share of the
    systematic variance is f1 W1^2 / (f1 W1^2 + f2 W2^2), W1 = w1 + w2, W2 = 1 - W1."""
    b = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    return risk.FactorModel.from_arrays(b, np.diag([f1, f2]), np.full(4, 1e-3))


def share1(w1, f1=0.04, f2=0.01):
    return f1 * w1**2 / (f1 * w1**2 + f2 * (1 - w1) ** 2)


def test_bounds_give_the_hand_solved_nearest_shares():
    m = pure_factor_model()
    free = risk.allocate("factor", model=m)  # equal shares: W1 = 1/3 (0.04 W1^2 = 0.01 W2^2)
    assert free.feasible and free.weights[:2].sum() == pytest.approx(1 / 3, abs=1e-8)
    # min_weight 0.2 forces W1 >= 0.4: the nearest shares have W1 = 0.4 exactly
    res = risk.allocate("factor", model=m, min_weight=0.2)
    assert res.weights[:2].sum() == pytest.approx(0.4, abs=1e-9)
    s = share1(0.4)
    np.testing.assert_allclose(res.achieved, [s, 1 - s], atol=1e-9)
    assert res.distance == pytest.approx(np.sqrt(2) * (s - 0.5), abs=1e-9)
    assert not res.feasible and "at min_weight" in res.note and res.weights.min() >= 0.2 - 1e-12


def test_turnover_limit_gives_the_hand_solved_nearest_shares():
    m = pure_factor_model()
    current = np.array([0.4, 0.4, 0.1, 0.1])  # W1 = 0.8; the budgets want W1 = 1/3
    res = risk.allocate("factor", model=m, current=current, max_turnover=0.2)
    # moving weight between the groups costs twice the move: W1 can fall to 0.7 at most
    assert res.weights[:2].sum() == pytest.approx(0.7, abs=1e-9)
    assert res.distance == pytest.approx(np.sqrt(2) * (share1(0.7) - 0.5), abs=1e-9)
    assert np.abs(res.weights - current).sum() <= 0.2 + 1e-9
    assert "turnover 0.2 of 0.2 (binds)" in res.note


def test_reachable_budgets_inside_the_bounds_are_met():
    m = pure_factor_model()
    res = risk.allocate("factor", model=m, max_weight=0.5, min_weight=0.1)  # W1 = 1/3 is allowed
    assert res.feasible and res.distance < 1e-8
    assert res.weights.min() >= 0.1 - 1e-12 and res.weights.max() <= 0.5 + 1e-12


def scipy_nearest(m, b, lo, hi, starts=6, seed=7):
    """The reference: trust-constr on ||shares - b||^2 written from the definition, from seeded starts (6: on both
    budget sets below, each of 12 starts ends at the same optimum to trust-constr's precision, within 2.4e-8 of
    the answer; the best of 6 is 5e-9 from it, the best of 12 3e-9)."""
    n = m.n_assets

    def dist2(w):
        beta = m.loadings.T @ w
        parts = beta * (m.factor_cov @ beta)
        r = parts / parts.sum() - b
        return r @ r

    best = np.inf
    rng = np.random.default_rng(seed)
    cons = [optimize.LinearConstraint(np.ones((1, n)), 1.0, 1.0)]
    for _ in range(starts):
        w0 = np.clip(rng.dirichlet(np.ones(n)), lo, hi)
        sol = optimize.minimize(
            dist2, w0 / w0.sum(), method="trust-constr", bounds=[(lo, hi)] * n, constraints=cons,
            options={"xtol": 1e-12, "gtol": 1e-12, "maxiter": 2000},
        )  # fmt: skip
        best = min(best, np.sqrt(dist2(sol.x)))
    return best


def random_model(n=8, k=3, seed=11):
    """Another shape: 8 assets, 3 correlated factors, loadings of both signs."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(20, k))
    return risk.FactorModel.from_arrays(rng.normal(0.5, 0.6, (n, k)), a.T @ a / 20 * 1e-3, rng.uniform(1e-4, 5e-4, n))


@pytest.mark.parametrize("budgets", [[1 / 3] * 3, [0.6, 0.3, 0.1]])
def test_bounded_nearest_shares_match_a_scipy_reference(budgets):
    m = random_model()
    b = np.asarray(budgets)
    res = risk.allocate("factor", model=m, budgets=b, min_weight=0.05, max_weight=0.2)
    assert res.weights.min() >= 0.05 - 1e-12 and res.weights.max() <= 0.2 + 1e-12
    assert res.weights.sum() == pytest.approx(1.0, abs=1e-14)
    free = risk.allocate("factor", model=m, budgets=b)
    assert free.weights.max() > 0.2 or free.weights.min() < 0.05  # the bounds bind
    ref = scipy_nearest(m, b, 0.05, 0.2)
    assert res.distance == pytest.approx(ref, abs=1e-6)
    assert res.distance >= free.distance - 1e-12  # constraints never bring the shares nearer


def test_target_volatility_of_constrained_factor_budgets():
    m = random_model()
    inner = risk.allocate("factor", model=m, max_weight=0.2)
    res = risk.allocate("targetvol", model=m, target_vol=0.01, base="factor", max_weight=0.2)
    np.testing.assert_allclose(res.weights / res.weights.sum(), inner.weights, rtol=1e-12)
    assert res.volatility == pytest.approx(0.01, rel=1e-12)
