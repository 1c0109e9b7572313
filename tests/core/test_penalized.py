import numpy as np
import pytest
from sklearn.linear_model import ElasticNet, Lasso, LassoCV, Ridge, lasso_path

from tests.conftest import synthetic
from xlfactor.core import cv, penalized, regression
from xlfactor.core.options import SolvePolicy
from xlfactor.core.penalized import descent, eigenbasis, linalg
from xlfactor.errors import (
    CollinearityError,
    InputShapeError,
    InputValueError,
    InsufficientDataError,
)


def sk_lasso(lam, **kw):
    return Lasso(alpha=lam, tol=1e-12, max_iter=1_000_000, **kw)


# --- ridge ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lam", [1e-4, 0.05, 3.0])
def test_ridge_matches_sklearn_on_30_portfolios(french_xy, lam):
    y, x = french_xy
    res = penalized.ridge(y, x, [lam])
    ref = Ridge(alpha=lam).fit(x, y)
    np.testing.assert_allclose(res.loadings[0], ref.coef_, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(res.intercept[0], ref.intercept_, rtol=1e-10, atol=1e-14)
    assert res.all_converged and res.nonzero[0].min() == 4


def test_ridge_grid_in_one_pass_equals_single_fits(french_xy):
    y, x = french_xy
    grid = [10.0, 1.0, 0.1, 0.001]
    path = penalized.ridge(y, x, grid)
    for i, lam in enumerate(grid):
        np.testing.assert_allclose(path.loadings[i], Ridge(alpha=lam).fit(x, y).coef_, rtol=1e-10, atol=1e-14)


def test_ridge_lambda_zero_is_ols(french_xy):
    y, x = french_xy
    np.testing.assert_allclose(penalized.ridge(y, x, [0.0]).loadings[0], regression.ols(y, x).loadings, rtol=1e-10)
    np.testing.assert_allclose(penalized.ridge(y, x, [1e-12]).loadings[0], regression.ols(y, x).loadings, rtol=1e-8)


def test_ridge_default_grid_spans_degrees_of_freedom(french_xy):
    y, x = french_xy
    res = penalized.ridge(y, x, None)
    d = np.linalg.eigvalsh(np.cov(x, rowvar=False) * (len(x) - 1))
    lam = res.lambdas[:, 0]
    df = (d[None, :] / (d[None, :] + lam[:, None])).sum(axis=1)
    assert lam.size == 100 and np.all(np.diff(lam) < 0)
    assert df[0] < 4 / 100 and df[-1] > 4 / 1.011


# --- lasso and elastic net -------------------------------------------------------------------------------------


@pytest.mark.parametrize("lam", [1e-5, 1e-4, 4e-4, 2e-3])
def test_lasso_matches_sklearn_on_30_portfolios(french_xy, lam):
    y, x = french_xy
    res = penalized.lasso(y, x, [lam])
    assert res.all_converged
    for j in range(y.shape[1]):
        ref = sk_lasso(lam).fit(x, y[:, j])
        np.testing.assert_allclose(res.loadings[0, j], ref.coef_, rtol=0, atol=1e-8)
        np.testing.assert_allclose(res.intercept[0, j], ref.intercept_, rtol=0, atol=1e-8)
        np.testing.assert_array_equal(res.loadings[0, j] == 0, ref.coef_ == 0)


@pytest.mark.parametrize("l1_ratio", [0.1, 0.5, 0.9])
def test_elastic_net_matches_sklearn(french_xy, l1_ratio):
    y, x = french_xy
    res = penalized.elastic_net(y, x, [1e-3, 2e-4], l1_ratio=l1_ratio)
    for i, lam in enumerate([1e-3, 2e-4]):
        for j in range(0, 30, 3):
            ref = ElasticNet(alpha=lam, l1_ratio=l1_ratio, tol=1e-12, max_iter=1_000_000).fit(x, y[:, j])
            np.testing.assert_allclose(res.loadings[i, j], ref.coef_, rtol=0, atol=1e-8)


def test_lasso_path_matches_sklearn_and_kkt_holds(french_xy):
    y, x = french_xy
    res = penalized.lasso(y, x)  # each asset's own 100-point grid
    assert res.all_converged and res.gap.max() < 1e-12
    n = len(x)
    xc, yc = x - x.mean(0), y - y.mean(0)
    for j in range(0, 30, 4):
        for i in range(0, 100, 11):
            lam, b = res.lambdas[i, j], res.loadings[i, j]
            np.testing.assert_allclose(b, sk_lasso(lam).fit(x, y[:, j]).coef_, rtol=0, atol=1e-8)
            grad = xc.T @ (yc[:, j] - xc @ b) / n  # KKT: = lam*sign(b) on the support, |.| <= lam off it
            on = b != 0
            np.testing.assert_allclose(grad[on], lam * np.sign(b[on]), rtol=1e-8)
            assert np.all(np.abs(grad[~on]) <= lam * (1 + 1e-9))


def spy(monkeypatch, name, arg=0):
    """Count the calls of ``penalized.linalg.<name>`` and the problems (columns of argument ``arg``) they are given
    (a spy only: the solver runs as it would)."""
    seen = {"calls": 0, "problems": 0}
    real = getattr(linalg, name)

    def counted(*args, **kw):
        seen["calls"] += 1
        seen["problems"] += args[arg].shape[1]
        return real(*args, **kw)

    monkeypatch.setattr(linalg, name, counted)
    return seen


AUTO = SolvePolicy()


@pytest.fixture(scope="module")
def many_factors():
    """20 correlated factors (condition 5e3), 12 assets, and scikit-learn's answers on them, computed for a grid
    the first time it is asked for (the five strategies share the data, so they share the reference)."""
    rng = np.random.default_rng(5)
    t, k, n = 400, 20, 12
    x = rng.normal(0, 0.02, size=(t, k)) @ (np.eye(k) + 0.3 * rng.normal(size=(k, k)))  # correlated factors
    b = rng.normal(0.5, 0.5, size=(n, k)) * (rng.random((n, k)) < 0.7)
    y = x @ b.T + rng.normal(0, 0.02, size=(t, n))
    cache: dict = {}

    def reference(kind, lambdas):
        key = (kind, lambdas.tobytes())
        if key not in cache:
            cache[key] = (_sk_path if kind == "path" else _sk_fold_errors)(y, x, lambdas)
        return cache[key]

    return y, x, reference


def _sk_path(y, x, lambdas):
    """scikit-learn's loadings at every 9th lambda of every 3rd asset."""
    return {
        (i, j): sk_lasso(lambdas[i, j]).fit(x, y[:, j]).coef_ for j in range(0, y.shape[1], 3) for i in range(0, 100, 9)
    }


def _sk_fold_errors(y, x, lambdas):
    """scikit-learn's held-out errors along the grid on each walk-forward fold, every 3rd asset: (L, F) each."""
    out = {}
    folds = cv.splits(len(x), 5, "walkforward")
    for j in range(0, y.shape[1], 3):
        errs = []
        for tr, te in folds:
            xm, ym = x[tr].mean(0), y[tr, j].mean()
            _, coefs, _ = lasso_path(x[tr] - xm, y[tr, j] - ym, alphas=lambdas[:, j], tol=1e-12, max_iter=100_000)
            errs.append((((y[te, j] - ym)[:, None] - (x[te] - xm) @ coefs) ** 2).mean(axis=0))
        out[j] = np.array(errs).T
    return out


@pytest.mark.parametrize("strategy", ["auto", "grouped", "inverse", "cholesky", "masked"])
def test_lasso_with_many_factors_matches_sklearn_along_its_path(monkeypatch, many_factors, strategy):
    """20 correlated factors (condition 5e3), so most active sets exceed ``small_k``: under ``auto`` and ``inverse``
    solved on their inactive loadings by the inverse Gram matrix; under ``grouped`` (no inverse) directly by Cholesky,
    grouped by size; under ``cholesky`` every size by Cholesky; under ``masked`` every full system by one elimination.
    The path and every fold's held-out errors against scikit-learn at tight tolerances."""
    y, x, reference = many_factors
    comp, chol = spy(monkeypatch, "_complement_solve", 2), spy(monkeypatch, "_cholesky_solve")
    masked = spy(monkeypatch, "_masked_solve", 1)
    res = penalized.lasso(y, x, strategy=strategy)
    assert res.all_converged and res.nonzero.max() > AUTO.small_k + 4  # the large systems are exercised
    by_inverse = strategy in ("auto", "inverse")
    expected = (by_inverse, strategy in ("grouped", "cholesky"), strategy == "masked")
    assert (comp["problems"] > 100, chol["calls"] > 0, masked["calls"] > 0) == expected  # the path under test
    for (i, j), ref in reference("path", res.lambdas).items():
        np.testing.assert_allclose(res.loadings[i, j], ref, rtol=0, atol=1e-8)
    got = cv.cross_validate(y, x, method="lasso", folds=5, scheme="walkforward", strategy=strategy)
    for j, err in reference("folds", got.lambdas).items():
        np.testing.assert_allclose(got.fold_mse[:, :, j], err, rtol=1e-7)


def test_a_batch_that_cholesky_refuses_is_solved_by_lu():
    """The LU fallback of the large active systems: a batch with one symmetric system that is not positive definite
    (Cholesky refuses the batch) is solved by LU, every system as ``numpy.linalg.solve`` solves it; an SPD batch by
    Cholesky gives the same numbers."""
    rng = np.random.default_rng(6)
    z = rng.normal(size=(5, 40, 14))
    spd = np.einsum("btk,btj->bkj", z, z) / 40
    rhs = rng.normal(size=(5, 14, 2))
    np.testing.assert_allclose(linalg.factor_solve(spd, rhs), np.linalg.solve(spd, rhs), rtol=1e-10, atol=1e-12)
    indefinite = spd.copy()
    indefinite[2] -= 2 * np.linalg.eigvalsh(spd[2]).mean() * np.eye(14)  # eigenvalues of both signs, nonsingular
    assert np.linalg.eigvalsh(indefinite[2]).min() < 0
    with pytest.raises(np.linalg.LinAlgError):
        np.linalg.cholesky(indefinite)
    np.testing.assert_allclose(
        linalg.factor_solve(indefinite, rhs), np.linalg.solve(indefinite, rhs), rtol=1e-10, atol=1e-12
    )


def test_large_systems_by_cholesky_equal_elimination():
    """The lasso path with every large system by Cholesky (strategy ``cholesky``) equals the one by Gaussian
    elimination (``masked``), on 16 factors."""
    rng = np.random.default_rng(6)
    x = rng.normal(0, 0.02, size=(200, 16))
    y = x @ rng.normal(0.5, 0.5, size=(16, 3)) + rng.normal(0, 0.02, size=(200, 3))
    ref = penalized.lasso(y, x, n_lambdas=30, strategy="masked")
    assert ref.nonzero.max() > AUTO.small_k
    got = penalized.lasso(y, x, n_lambdas=30, strategy="cholesky")
    np.testing.assert_allclose(got.loadings, ref.loadings, rtol=0, atol=1e-12)


def random_active_sets(rng, k, p, low):
    active = np.zeros((k, p), bool)
    for j, a in enumerate(rng.integers(low, k + 1, p)):
        active[rng.choice(k, a, replace=False), j] = True
    return active


@pytest.mark.parametrize("layout", ["block after block", "unordered", "many blocks"])
def test_large_active_systems_by_the_inverse_equal_the_direct_solve(monkeypatch, layout):
    """``_complement_solve`` (systems over half the factors, on well-conditioned blocks) against the direct solve of
    the same systems: 3 blocks, one of them ill-conditioned (an almost duplicated factor), so solved directly; the
    products by the inverses in both of ``_SharedGram.times``' layouts for few blocks; with many blocks, every
    system solved directly."""
    rng = np.random.default_rng(7)
    k, p = 16, 600
    z = rng.normal(size=(3, 500, k))
    z[2, :, 1] = z[2, :, 0] + 1e-4 * z[2, :, 1]
    gram = np.einsum("btk,btj->bkj", z, z) / 500
    blk = np.repeat(np.arange(3), p // 3)
    policy = SolvePolicy(many_blocks=2) if layout == "many blocks" else AUTO  # many blocks: as rolling windows
    if layout == "unordered":  # problems not laid out block after block
        blk = rng.permutation(blk)
    active = random_active_sets(rng, k, p, 1)
    c, s, w = rng.normal(size=(k, p)), np.sign(rng.normal(size=(k, p))), np.r_[0.0, np.ones(k - 1)]
    active[0] = True  # an unpenalised factor is always active
    s = np.where(active & (w > 0)[:, None], s, 0.0)
    shared = linalg.SharedGram(gram, blk, policy)
    assert (shared.runs is None) == (layout == "unordered")
    if layout == "many blocks":
        assert shared.inverse is None
    else:
        inv, well = shared.inverse
        assert well.tolist() == [True, True, False]
        np.testing.assert_allclose(inv[:2] @ gram[:2], np.broadcast_to(np.eye(k), (2, k, k)), atol=1e-12)
    comp = spy(monkeypatch, "_complement_solve", 2)
    u, v = linalg.active_solve(gram, blk, c, active, s, np.zeros(p), w, shared, np.arange(p), policy)
    big = 2 * active.sum(axis=0) > k
    if layout == "many blocks":
        assert comp["problems"] == 0
    else:
        assert comp["problems"] == (big & (blk < 2)).sum() > 200
    for j in range(p):
        a = active[:, j]
        ref = np.linalg.solve(gram[blk[j]][np.ix_(a, a)], np.c_[c[a, j], w[a] * s[a, j]])
        tol = 1e-11 if blk[j] < 2 else 1e-7  # the ill-conditioned block: any solver's rounding, times cond 1e8
        np.testing.assert_allclose(np.c_[u[a, j], v[a, j]], ref, rtol=tol, atol=tol * np.abs(ref).max())
        assert (u[~a, j] == 0).all() and (v[~a, j] == 0).all()


def test_lasso_grid_equals_lassocv_grid(french_xy):
    y, x = french_xy
    res = penalized.lasso(y, x)
    for j in range(30):
        ref = LassoCV(cv=2).fit(x, y[:, j])  # only its grid is compared (the fewest folds: it does not depend on them)
        np.testing.assert_allclose(res.lambdas[:, j], ref.alphas_, rtol=1e-12)


def test_lambda_max_gives_all_zeros(french_xy):
    y, x = french_xy
    lam_max = penalized.lasso(y, x).lambdas[0]
    above = penalized.lasso(y[:, :5], x, [lam_max[:5].max() * 1.0000001])
    assert (above.loadings == 0).all()
    for j in range(5):
        just_below = penalized.lasso(y[:, [j]], x, [lam_max[j] * 0.99])
        assert (just_below.nonzero[0] == 1).all()


def test_synthetic_sparse_truth_is_recovered():
    rng = np.random.default_rng(11)
    t, k, n = 1500, 8, 40
    x = rng.normal(0, 0.04, size=(t, k))
    b = np.zeros((n, k))
    b[:, :3] = rng.uniform(0.5, 1.5, size=(n, 3))
    y = x @ b.T + rng.normal(0, 0.02, size=(t, n))
    res = penalized.lasso(y, x, [2e-4])
    assert (res.loadings[0, :, 3:] == 0).mean() > 0.9  # most true zeros are exact zeros
    assert (res.loadings[0, :, :3] != 0).all()
    # near-orthogonal factors: the lasso shrinks each true loading by about lambda / Var(x)
    np.testing.assert_allclose(res.loadings[0, :, :3], b[:, :3] - 2e-4 / x[:, :3].var(0), atol=0.05)


def test_penalty_weights_match_rescaled_sklearn_lasso(french_xy):
    y, x = french_xy
    w = np.array([0.5, 1.0, 2.0, 1.5])
    res = penalized.lasso(y, x, [3e-4], penalty_weights=w)
    for j in range(0, 30, 5):
        ref = sk_lasso(3e-4).fit(x / w, y[:, j])  # b_k = u_k / w_k
        np.testing.assert_allclose(res.loadings[0, j], ref.coef_ / w, atol=1e-8)


def test_zero_penalty_weight_leaves_factor_unshrunk(french_xy):
    y, x = french_xy
    w = [0.0, 1.0, 1.0, 1.0]
    huge = penalized.lasso(y, x, [10.0], penalty_weights=w)
    ols_mkt = regression.ols(y, x[:, :1]).loadings[:, 0]
    np.testing.assert_allclose(huge.loadings[0, :, 0], ols_mkt, rtol=1e-10)
    assert (huge.loadings[0, :, 1:] == 0).all()
    ridge_huge = penalized.ridge(y, x, [1e12], penalty_weights=w)
    np.testing.assert_allclose(ridge_huge.loadings[0, :, 0], ols_mkt, rtol=1e-6)
    # and the lambda_max of the other factors is computed after removing the market
    res = penalized.lasso(y, x, None, penalty_weights=w)
    assert (res.loadings[0, :, 1:] == 0).all() and (res.loadings[1, :, 1:] != 0).any(axis=1).all()
    mid = penalized.lasso(y, x, [2e-4], penalty_weights=w)
    assert mid.all_converged


@pytest.mark.parametrize("method", ["ridge", "lasso"])
def test_standardize_matches_hand_standardised_fit(french_xy, method):
    y, x = french_xy
    sd = x.std(axis=0)  # 1/n, glmnet's convention
    lam = 0.5 if method == "ridge" else 2e-3
    res = penalized.fit(y, x, [lam], method=method, standardize=True)
    for j in range(0, 30, 6):
        model = Ridge(alpha=lam) if method == "ridge" else sk_lasso(lam)
        ref = model.fit(x / sd, y[:, j])
        np.testing.assert_allclose(res.loadings[0, j], ref.coef_ / sd, rtol=1e-8, atol=1e-9)
        np.testing.assert_allclose(res.intercept[0, j], ref.intercept_, rtol=1e-8, atol=1e-10)


def test_missing_values_match_dropping_rows(french_xy):
    y, x = french_xy
    y = y[:, :4].copy()
    y[:50, 0] = np.nan
    y[300:310, 2] = np.nan
    res = penalized.lasso(y, x, [3e-4])
    for j in range(4):
        keep = np.isfinite(y[:, j])
        ref = sk_lasso(3e-4).fit(x[keep], y[keep, j])
        np.testing.assert_allclose(res.loadings[0, j], ref.coef_, atol=1e-8)
        assert res.nobs[j] == keep.sum()


def test_non_convergence_is_reported():
    y, x, _, _ = synthetic(t=200, k=6, n=4, seed=2)
    x[:, 1] = x[:, 0] + 0.01 * x[:, 1]  # strongly correlated factors slow descent
    # the elastic net runs coordinate descent (the lasso's homotopy from lambda_max solves this exactly)
    res = penalized.elastic_net(y, x, [1e-6], l1_ratio=0.9, max_iter=1)
    assert not res.all_converged
    assert penalized.lasso(y, x, [1e-6], max_iter=1).all_converged


def test_bad_input_messages(french_xy):
    y, x = french_xy
    with pytest.raises(InputValueError, match=r"lambda must be >= 0; got -1"):
        penalized.lasso(y, x, [-1.0])
    with pytest.raises(InputValueError, match=r"l1_ratio must be >= 0 and <= 1; got 1.5"):
        penalized.elastic_net(y, x, [0.1], l1_ratio=1.5)
    with pytest.raises(InputValueError, match=r"l1_ratio is 0: that is ridge regression"):
        penalized.elastic_net(y, x, [0.1], l1_ratio=0)
    with pytest.raises(
        InputValueError, match=r"method must be one of ridge, lasso, enet; got 'laso'. Did you mean 'lasso'\?"
    ):
        penalized.fit(y, x, [0.1], method="laso")
    with pytest.raises(InputShapeError, match=r"penalty_weights has 2 values but there are 4 factors"):
        penalized.lasso(y, x, [0.1], penalty_weights=[1, 1])
    with pytest.raises(InputValueError, match=r"penalty_weights are all 0"):
        penalized.lasso(y, x, [0.1], penalty_weights=[0, 0, 0, 0])
    with pytest.raises(InputValueError, match=r"lambda row 2, column 1 is missing"):
        penalized.lasso(y, x, [0.1, np.nan])
    with pytest.raises(InputShapeError, match=r"returns has 819 rows but factors has 10"):
        penalized.ridge(y, x[:10], [0.1])
    const = x.copy()
    const[:, 2] = 0.0
    with pytest.raises(CollinearityError, match=r"factors column 3 is constant over the 819 rows"):
        penalized.lasso(y, const, [0.1])
    short = y[:, :2].copy()
    short[3:, 1] = np.nan
    with pytest.raises(
        InsufficientDataError, match=r"returns column 2 \('B'\) has 3 usable rows; a penalised regression on 4"
    ):
        penalized.lasso(short, x, [0.1], asset_names=["A", "B"])


def test_ridge_toward_a_prior_matches_the_closed_form_and_sklearn(french_xy):
    """(Xc'Xc + lam W)^-1 (Xc'yc + lam W b0), and sklearn Ridge on y - X b0 with b0 added back."""
    from sklearn.linear_model import Ridge

    y, x = french_xy
    b0 = np.array([1.0, 0.2, 0.0, -0.1])
    w = np.array([1.0, 2.0, 1.0, 0.5])
    lam = 0.05
    fit = penalized.fit(y, x, [lam], method="ridge", prior=b0, penalty_weights=w)
    xc, yc = x - x.mean(axis=0), y - y.mean(axis=0)
    closed = np.linalg.solve(xc.T @ xc + lam * np.diag(w), xc.T @ yc + (lam * w * b0)[:, None])
    np.testing.assert_allclose(fit.loadings[0], closed.T, rtol=1e-10)
    ref = Ridge(alpha=lam).fit(x, y - (x @ b0)[:, None])  # unit weights for sklearn
    np.testing.assert_allclose(
        penalized.fit(y, x, [lam], method="ridge", prior=b0).loadings[0], ref.coef_ + b0, rtol=1e-10
    )
    huge = penalized.fit(y, x, [1e9], method="ridge", prior=b0).loadings[0]
    np.testing.assert_allclose(huge, np.broadcast_to(b0, huge.shape), atol=1e-6)  # lambda -> infinity: the prior


def test_lasso_toward_a_prior_and_its_cross_validation(french_xy):
    from sklearn.linear_model import Lasso

    y, x = french_xy
    b0 = np.array([1.0, 0.0, 0.0, 0.0])
    lam = 2e-4
    fit = penalized.fit(y[:, :5], x, [lam], method="lasso", prior=b0)
    for j in range(5):
        ref = Lasso(alpha=lam, tol=1e-12, max_iter=100_000).fit(x, y[:, j] - x @ b0)
        np.testing.assert_allclose(fit.loadings[0, j], ref.coef_ + b0, atol=1e-8)
    shifted = cv.cross_validate(y[:, :5] - x @ b0[:, None], x, folds=4)
    toward = cv.cross_validate(y[:, :5], x, folds=4, prior=b0)
    np.testing.assert_allclose(toward.fold_mse, shifted.fold_mse, rtol=1e-10)


def test_prior_shapes(french_xy):
    y, x = french_xy
    per_asset = np.tile([1.0, 0.0, 0.0, 0.0], (y.shape[1], 1))
    a = penalized.fit(y, x, [0.1], method="ridge", prior=per_asset).loadings
    b = penalized.fit(y, x, [0.1], method="ridge", prior=[1.0, 0.0, 0.0, 0.0]).loadings
    np.testing.assert_allclose(a, b, rtol=1e-12)
    with pytest.raises(InputShapeError, match=r"prior has 3 values; give one per factor \(4\)"):
        penalized.fit(y, x, [0.1], method="ridge", prior=[1.0, 0.0, 0.0])


def test_solutions_reported_with_gap_zero_have_a_zero_duality_gap(french_xy):
    """The path reports gap 0 where the KKT check verified the exact solution: recompute the gap to be sure."""
    y, x = french_xy
    probs, _ = penalized.build_problems(y, x, [np.arange(len(x))], False)
    pen = penalized.Penalty([0, 1, 1, 1]).checked(4, "lasso")
    w = pen.weights
    grid = penalized.default_grid(probs, "lasso", pen, penalized.Grid().checked(), common=False)
    fit = penalized.enet_path(probs, grid, pen)
    g = np.ascontiguousarray(probs.gram[probs.block].transpose(1, 2, 0))
    worst = 0.0
    for i in range(0, 100, 3):
        l1 = probs.n * grid[i]
        gap = descent.duality_gap(g, probs.xty, probs.yty, fit.coef[i], l1, np.zeros_like(l1), w) / probs.yty
        zero = fit.gap[i] == 0
        assert zero.mean() > 0.9  # most problems are solved exactly on their active set
        worst = max(worst, float(np.abs(gap[zero]).max()))
    assert worst < 1e-12, worst


@pytest.mark.parametrize("n_lambdas", [100, 6])
@pytest.mark.parametrize("weights", [[1] * 12, [0] + [1] * 11])
def test_lasso_scores_by_events_equal_the_loop_over_lambdas(monkeypatch, weights, n_lambdas):
    """Cross-validation's lasso path (no coefficients kept, a descending grid) jumps from event to event
    (``_lasso_by_events``); its held-out errors, non-zero counts and convergence equal the loop over lambdas' (the
    path that keeps the coefficients), on 12 correlated factors, 4 folds and each problem's own grid down to 1e-4 of
    its lambda_max. On a coarse grid (6 lambdas) several events fall between two lambdas, so some exact steps fail
    and descent takes over."""
    rng = np.random.default_rng(11)
    t, k, n = 300, 12, 15
    x = rng.normal(0, 0.02, size=(t, k)) @ (np.eye(k) + 0.4 * rng.normal(size=(k, k)))
    y = x @ (rng.normal(0.5, 0.5, size=(k, n)) * (rng.random((k, n)) < 0.6)) + rng.normal(0, 0.02, size=(t, n))
    folds = cv.splits(t, 4, "walkforward")
    probs, test = penalized.build_problems(y, x, [tr for tr, _ in folds], False, [te for _, te in folds])
    pen = penalized.Penalty(weights).checked(k, "lasso")
    grid = penalized.default_grid(probs, "lasso", pen, penalized.Grid(n_lambdas, 1e-4).checked(), common=False)
    solves = spy(monkeypatch, "_masked_solve", 1)  # every exact step and every polish of a descent (K = 12)
    fallback = {"problems": 0}
    real = penalized.homotopy.solve

    def descent(g, *args):  # the problems whose exact step fails
        fallback["problems"] += g.shape[2]
        return real(g, *args)

    monkeypatch.setattr(penalized.homotopy, "solve", descent)
    loop = penalized.enet_path(probs, grid, pen, test=test, count=True)  # keep=True: the loop over lambdas
    by_loop, solves["calls"], failed, fallback["problems"] = solves["calls"], 0, fallback["problems"], 0
    events = penalized.enet_path(probs, grid, pen, keep=False, test=test, count=True)
    assert 0 < solves["calls"] < (by_loop / 2 if n_lambdas == 100 else by_loop + 1)  # a few batches, not one a lambda
    assert fallback["problems"] == failed and (failed > 0 or n_lambdas == 100)  # the same problems fail
    np.testing.assert_allclose(events.sse, loop.sse, rtol=1e-10, atol=1e-14)
    np.testing.assert_array_equal(events.nonzero, loop.nonzero)
    np.testing.assert_array_equal(events.converged, loop.converged.all(axis=0))


@pytest.mark.parametrize("cells", [None, 1])
@pytest.mark.parametrize("weights", [[1, 1, 1, 1], [0, 1, 1, 1]])
def test_ridge_on_many_blocks_at_once_equals_block_by_block(monkeypatch, french_xy, weights, cells):
    """Rolling windows give hundreds of small blocks, whose ridge paths and held-out errors are computed all at
    once (gathered per problem); they equal the block-by-block computation, for a common grid (given once, or
    repeated for every problem) and for one grid per problem; block by block several lambdas a step or (``cells``
    1) one lambda a step."""
    if cells is not None:
        monkeypatch.setattr(eigenbasis, "_CELLS", cells)
    y, x = french_xy
    starts = range(0, 400, 5)  # 80 training sets of 40 rows, each scored on the next 12
    probs, test = penalized.build_problems(
        y, x, [np.arange(a, a + 40) for a in starts], False, [np.arange(a + 40, a + 52) for a in starts]
    )
    assert probs.gram.shape[0] > AUTO.many_blocks
    w = penalized.Penalty(weights).checked(4, "ridge")
    common = np.logspace(1, -3, 7)
    own = common[:, None] * np.random.default_rng(0).uniform(0.5, 2.0, probs.xty.shape[1])  # (L, P)
    runs = []
    for policy in (AUTO, SolvePolicy(many_blocks=10**9)):  # gathered, then block by block
        runs.append(
            [
                eigenbasis.ridge_path(probs, common, w, policy),
                eigenbasis.ridge_path(probs, own, w, policy),
                eigenbasis.ridge_scores(probs, common[:, None], w, test, policy),
                eigenbasis.ridge_scores(probs, own, w, test, policy),
                eigenbasis.ridge_scores(probs, np.repeat(common[:, None], own.shape[1], axis=1), w, test, policy),
            ]
        )
    for gathered, blockwise in zip(*runs, strict=True):
        np.testing.assert_allclose(gathered, blockwise, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("policy", [SolvePolicy(lapack_per_k=0), AUTO], ids=["elimination", "lapack"])
def test_a_singular_masked_system_is_refused_by_lapack_not_answered_with_non_numbers(policy):
    """The masked elimination overwrites its scratch systems: the fallback for a singular one rebuilds them, so
    LAPACK sees the system itself (and refuses it) and a regular problem beside it is unaffected; a batch small
    enough for LAPACK straight away (``SolvePolicy.lapack_per_k``) is refused by it the same way."""
    x = np.random.default_rng(2).normal(size=(30, 3))
    x[:, 2] = x[:, 1]  # exactly collinear: singular when both are active
    g = x.T @ x
    ga = np.stack([g, np.eye(3) + g])  # (n, k, k): problem 0 singular, problem 1 regular
    c, ws = np.ones((3, 2)), np.zeros((3, 2))
    active = np.ones((3, 2), bool)
    with pytest.raises(np.linalg.LinAlgError):
        linalg._masked_solve(ga, c, active, ws, np.zeros(2), np.ones(3), policy)
    u, _ = linalg._masked_solve(ga[1:], c[:, 1:], active[:, 1:], ws[:, 1:], np.zeros(1), np.ones(3), policy)
    np.testing.assert_allclose(u[:, 0], np.linalg.solve(ga[1], c[:, 1]), rtol=1e-12)
