import numpy as np
import pytest
from sklearn.linear_model import ElasticNetCV, Lasso, LassoCV, Ridge
from sklearn.model_selection import KFold, TimeSeriesSplit

from tests.conftest import synthetic
from tests.peers import ridge_search_per_asset
from xlfactor.core import cv
from xlfactor.errors import InputValueError, InsufficientDataError

# --- splitters --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "folds", "gap"), [(100, 5, 0), (101, 5, 3), (819, 4, 12), (30, 2, 1)])
def test_walkforward_equals_timeseriessplit(n, folds, gap):
    ours = cv.splits(n, folds, "walkforward", gap)
    ref = list(TimeSeriesSplit(n_splits=folds, gap=gap).split(np.zeros(n)))
    assert len(ours) == len(ref)
    for (tr, te), (rtr, rte) in zip(ours, ref, strict=True):
        np.testing.assert_array_equal(tr, rtr)
        np.testing.assert_array_equal(te, rte)


def test_blocked_folds_are_contiguous_and_purged():
    parts = cv.splits(23, 4, "blocked", gap=2)
    tests = [te for _, te in parts]
    np.testing.assert_array_equal(np.concatenate(tests), np.arange(23))
    assert [len(te) for te in tests] == [len(te) for _, te in KFold(4).split(np.zeros(23))]
    for tr, te in parts:
        assert np.all(np.diff(te) == 1)
        dist = np.abs(tr[:, None] - te[None, :]).min(axis=1)
        assert dist.min() > 2  # gap rows on each side are purged
        assert len(tr) + len(te) + sum(1 for r in range(23) if r not in tr and r not in te) == 23
    tr, te = parts[1]
    assert set(range(23)) - set(tr) - set(te) == {4, 5, 12, 13}


def test_kfold_is_shuffled_and_seeded():
    a, b, c = cv.splits(50, 5, "kfold", seed=1), cv.splits(50, 5, "kfold", seed=1), cv.splits(50, 5, "kfold", seed=2)
    assert all((x[1] == y[1]).all() for x, y in zip(a, b, strict=True))
    assert any((x[1] != y[1]).any() for x, y in zip(a, c, strict=True))
    assert not all(np.all(np.diff(te) == 1) for _, te in a)
    np.testing.assert_array_equal(np.sort(np.concatenate([te for _, te in a])), np.arange(50))


def test_splitter_errors():
    with pytest.raises(InputValueError, match=r"folds must be a whole number >= 2 and <= 100; got 1"):
        cv.splits(100, 1)
    with pytest.raises(
        InsufficientDataError, match=r"folds is 12 but walk-forward validation on 10 rows needs at least 13"
    ):
        cv.splits(10, 12, "walkforward")
    with pytest.raises(
        InsufficientDataError, match=r"folds is 6 but 10 rows give test blocks of fewer than 2 rows; use at most 5"
    ):
        cv.splits(10, 6, "blocked")
    with pytest.raises(InputValueError, match=r"folds must be a whole number >= 2 and <= 100; got 101"):
        cv.splits(10_000, 101)
    with pytest.raises(
        InsufficientDataError,
        match=r"a training set has only 0 rows; at least 6 are needed. Use fewer folds or a smaller gap",
    ):
        cv.splits(60, 5, "walkforward", gap=20, min_train=6)
    with pytest.raises(
        InputValueError,
        match=r"scheme must be one of blocked, walkforward, kfold; got 'walk'. Did you mean 'walkforward'",
    ):
        cv.splits(60, 5, "walk")
    with pytest.raises(InputValueError, match=r"gap must be a whole number >= 0; got -2"):
        cv.splits(60, 5, gap=-2)


# --- error curves against scikit-learn ---------------------------------------------------------------------------


def test_lasso_walkforward_equals_lassocv(french_xy):
    y, x = french_xy
    res = cv.cross_validate(y, x, method="lasso", folds=5, scheme="walkforward")
    assert res.converged and res.fold_mse.shape == (100, 5, 30)
    best = res.best_lambda("min")
    for j in range(0, 30, 3):  # 10 of the 30 scikit-learn fits: four industries, three size-value, three size-momentum
        ref = LassoCV(cv=TimeSeriesSplit(5), tol=1e-12, max_iter=1_000_000).fit(x, y[:, j])
        np.testing.assert_allclose(res.lambdas[:, j], ref.alphas_, rtol=1e-12)
        np.testing.assert_allclose(res.fold_mse[:, :, j], ref.mse_path_, rtol=1e-8)
        assert best[j] == pytest.approx(ref.alpha_, rel=1e-12)


def test_enet_walkforward_equals_elasticnetcv(french_xy):
    y, x = french_xy
    res = cv.cross_validate(y[:, :6], x, method="enet", l1_ratio=0.5, folds=4, scheme="walkforward", gap=3)
    for j in range(6):
        ref = ElasticNetCV(l1_ratio=0.5, cv=TimeSeriesSplit(4, gap=3), tol=1e-12, max_iter=1_000_000).fit(x, y[:, j])
        np.testing.assert_allclose(res.fold_mse[:, :, j], ref.mse_path_, rtol=1e-8)
        assert res.best_lambda()[j] == pytest.approx(ref.alpha_, rel=1e-12)


def test_ridge_walkforward_equals_gridsearchcv(french_xy):
    """All 30 assets against GridSearchCV over Ridge, in one search that scores each asset on its own
    (tests/peers.py: 5 folds x 100 lambdas of fits, not that for every asset)."""
    y, x = french_xy
    res = cv.cross_validate(y, x, method="ridge", folds=5, scheme="walkforward")
    grid = res.lambdas[:, 0]
    assert res.common_grid
    fold_mse, mse, best = ridge_search_per_asset(x, y, grid, TimeSeriesSplit(5))
    np.testing.assert_allclose(res.fold_mse, fold_mse, rtol=1e-8)
    np.testing.assert_allclose(res.mse, mse, rtol=1e-8)
    np.testing.assert_array_equal(res.best_lambda(), grid[best])


def test_standardize_is_fitted_inside_each_training_fold(french_xy):
    y, x = french_xy
    grid = [3e-3, 1e-3, 3e-4]
    res = cv.cross_validate(y[:, :3], x, lambdas=grid, standardize=True, folds=3, scheme="blocked", gap=2)
    for f, (tr, te) in enumerate(cv.splits(len(x), 3, "blocked", 2)):
        sd = x[tr].std(axis=0)
        for i, lam in enumerate(grid):
            for j in range(3):
                m = Lasso(alpha=lam, tol=1e-12, max_iter=1_000_000).fit(x[tr] / sd, y[tr, j])
                mse = np.mean((y[te, j] - m.predict(x[te] / sd)) ** 2)
                assert res.fold_mse[i, f, j] == pytest.approx(mse, rel=1e-8)


# --- choosing lambda ----------------------------------------------------------------------------------------------


def test_one_se_rule_hand_checked():
    lambdas = np.array([1.0, 0.5, 0.25, 0.125, 0.0625])
    mean = np.array([[5.0], [3.2], [3.05], [3.0], [3.4]])
    se = np.array([[0.1], [0.1], [0.1], [0.3], [0.1]])
    # minimum 3.0 at 0.125 with se 0.3: bound 3.3; largest lambda with mean <= 3.3 is 0.5
    assert cv.one_se_index(mean, se, lambdas)[0] == 1


def test_paired_one_se_rule_hand_checked():
    """Fold errors that move together by block: the textbook SE accepts lambda 1.0, the paired SE does not."""
    lambdas = np.array([1.0, 0.5, 0.1])
    fold_err = np.array([[2.0, 4.0, 6.0], [1.1, 2.9, 5.3], [1.0, 3.0, 5.0]])[:, :, None]  # (L, F, 1)
    # minimum 3.0 at 0.1; textbook SE of [1, 3, 5] is 2/sqrt(3) = 1.155: 4.0 <= 4.155 takes lambda 1.0
    assert cv.choose_index(fold_err, lambdas, "min")[0] == 2
    assert cv.choose_index(fold_err, lambdas, "1SE")[0] == 0
    # paired: differences at 1.0 are [1, 1, 1] (mean 1 > SE 0); at 0.5 [0.1, -0.1, 0.3] (mean 0.1 <= SE 0.115)
    assert cv.choose_index(fold_err, lambdas, "1se_paired")[0] == 1


def test_one_se_rules_need_two_scored_folds():
    fold_err = np.array([[2.0, np.nan], [1.0, np.nan]])[:, :, None]
    assert cv.choose_index(fold_err, np.array([1.0, 0.5]), "min")[0] == 1
    for rule in ("1se", "1se_paired"):
        with pytest.raises(InsufficientDataError, match=rf"asset 1 has 1 scored fold\(s\); the rule '{rule}' needs"):
            cv.choose_index(fold_err, np.array([1.0, 0.5]), rule)


def test_pooled_loss_normalised_and_like_with_like(french_xy):
    y, x = french_xy
    scaled = y.copy()
    scaled[:, 0] *= 10  # one very volatile asset
    res = cv.cross_validate(scaled, x, folds=5, pooled=True)
    norm = res.pooled_fold_loss("normalized")
    np.testing.assert_allclose(norm, (res.fold_mse / np.var(scaled, axis=0, ddof=1)).sum(axis=2), rtol=1e-12)
    # unnormalised, the volatile asset weighs 100 times the others; normalised, every asset counts alike
    assert res.pooled_lambda(loss="normalized") != res.pooled_lambda(loss="sum")
    late = y.copy()
    late[:205, 3] = np.nan  # asset 4 has no returns in the first fold (rows 1-205)
    gappy = cv.cross_validate(late, x, folds=4, pooled=True)
    assert not gappy.pooled_assets[3] and gappy.pooled_assets.sum() == 29
    complete = cv.cross_validate(np.delete(late, 3, axis=1), x, folds=4, pooled=True)
    np.testing.assert_allclose(gappy.pooled_fold_mse, complete.pooled_fold_mse, rtol=1e-10)


def test_one_se_on_real_curve_is_larger_and_within_bound(french_xy):
    y, x = french_xy
    res = cv.cross_validate(y, x, folds=5)
    i_min, i_1se = res.index("min"), res.index("1se")
    cols = np.arange(30)
    assert np.all(res.best_lambda("1se") >= res.best_lambda("min"))
    assert np.all(res.mse[i_1se, cols] <= res.mse[i_min, cols] + res.mse_se[i_min, cols])
    se_hand = res.fold_mse.std(axis=1, ddof=1) / np.sqrt(5)
    np.testing.assert_allclose(res.mse_se, se_hand)
    with pytest.raises(InputValueError, match=r"rule must be one of min, 1se, 1se_paired; got 'best'"):
        res.index("best")


def test_pooled_lambda_minimises_summed_error(french_xy):
    y, x = french_xy
    res = cv.cross_validate(y, x, folds=5, pooled=True)
    assert res.common_grid and np.all(res.lambdas == res.lambdas[:, :1])
    total = res.fold_mse.sum(axis=2).mean(axis=1)
    assert res.pooled_lambda("min") == res.lambdas[np.argmin(total), 0]
    assert res.pooled_lambda("1se") >= res.pooled_lambda("min")
    per_asset = cv.cross_validate(y, x, folds=5)
    with pytest.raises(InputValueError, match=r"a pooled lambda needs one grid for all assets"):
        per_asset.pooled_lambda()


def test_nonzero_counts_come_from_the_full_sample_path(french_xy):
    y, x = french_xy
    res = cv.cross_validate(y[:, :3], x, folds=5)
    assert (res.nonzero[0] == 0).all() and (res.nonzero[-1] >= 3).all()
    assert np.all(np.diff(res.nonzero.astype(int), axis=0).sum(axis=0) >= 3)


def test_cv_with_missing_values_scores_each_asset_on_its_rows(french_xy):
    y, x = french_xy
    y = y[:, :3].copy()
    y[:100, 1] = np.nan
    res = cv.cross_validate(y, x, lambdas=[1e-3, 1e-4], folds=4, scheme="blocked")
    tr, te = cv.splits(len(x), 4)[1]
    keep_tr, keep_te = tr[np.isfinite(y[tr, 1])], te[np.isfinite(y[te, 1])]
    m = Lasso(alpha=1e-4, tol=1e-12, max_iter=1_000_000).fit(x[keep_tr], y[keep_tr, 1])
    assert res.fold_mse[1, 1, 1] == pytest.approx(np.mean((y[keep_te, 1] - m.predict(x[keep_te])) ** 2), rel=1e-8)
    # ridge scores the folds only (the full sample's problems and their blocks set aside): the same rows
    ridge = cv.cross_validate(y, x, method="ridge", lambdas=[1e-3, 1e-1], folds=4, scheme="blocked")
    m = Ridge(alpha=1e-1).fit(x[keep_tr], y[keep_tr, 1])
    assert ridge.fold_mse[0, 1, 1] == pytest.approx(np.mean((y[keep_te, 1] - m.predict(x[keep_te])) ** 2), rel=1e-8)
    m = Ridge(alpha=1e-3).fit(x[tr], y[tr, 0])
    assert ridge.fold_mse[1, 1, 0] == pytest.approx(np.mean((y[te, 0] - m.predict(x[te])) ** 2), rel=1e-8)


def test_cv_bad_input():
    y, x, _, _ = synthetic(t=60, k=3, n=2)
    with pytest.raises(InputValueError, match=r"lambdas is empty"):
        cv.cross_validate(y, x, lambdas=np.array([]))
    with pytest.raises(InputValueError, match=r"lambdas must be >= 0"):
        cv.cross_validate(y, x, lambdas=[0.1, -0.1])
    with pytest.raises(InsufficientDataError, match=r"training set has only 0 rows"):
        cv.cross_validate(y, x, folds=5, scheme="walkforward", gap=60)
    with pytest.raises(InputValueError, match=r"folds must be a whole number >= 2 and <= 100; got 1"):
        cv.cross_validate(y, x, folds=1)
    with pytest.raises(InputValueError, match=r"n_lambdas must be a whole number >= 1 and <= 1000; got 0"):
        cv.cross_validate(y, x, n_lambdas=0)


def test_work_beyond_the_memory_limit_is_refused_with_a_message(monkeypatch, french_xy):
    from xlfactor.core import cv as cvmod

    y, x = french_xy
    monkeypatch.setattr(cvmod, "MAX_WORK_BYTES", 1024)
    with pytest.raises(ValueError, match=r"GiB of coefficients \(100 lambdas x 4 factors x 30 assets x 5 folds\)"):
        cvmod.cross_validate.__wrapped__(y[200:], x[200:], method="lasso")


@pytest.mark.parametrize("standardize", [False, True])
def test_ridge_cv_errors_equal_the_closed_form_with_penalty_weights(french_xy, standardize):
    """Held-out errors scored in the eigenbasis equal (X'X + lambda W)^-1 X'y fold by fold, an unpenalised market included."""
    y, x = french_xy
    y = y[:, :6]
    w = np.array([0.0, 1.0, 2.0, 0.5])
    res = cv.cross_validate(
        y, x, method="ridge", folds=4, scheme="blocked", gap=3, penalty_weights=w, standardize=standardize
    )
    for f, (tr, te) in enumerate(cv.splits(len(x), 4, "blocked", 3)):
        xm, ym = x[tr].mean(0), y[tr].mean(0)
        sd = (x[tr] - xm).std(0) if standardize else np.ones(4)
        xs, xt = (x[tr] - xm) / sd, (x[te] - xm) / sd
        for i in range(0, 100, 9):
            lam = res.lambdas[i, 0]
            b = np.linalg.solve(xs.T @ xs + lam * np.diag(w), xs.T @ (y[tr] - ym))
            want = (((y[te] - ym) - xt @ b) ** 2).mean(axis=0)
            np.testing.assert_allclose(res.fold_mse[i, f], want, rtol=1e-9)


@pytest.mark.parametrize("pooled", [False, True])
def test_at_lambda_max_only_the_unpenalised_loadings_are_non_zero(french, pooled):
    """At the top of the grid (each asset's lambda_max, or the widest) every penalised loading is 0: a factor
    whose gradient only ties the bound there has not entered (the curve's non-zero counts start at the
    unpenalised factors), on the shipped data and on synthetic data of another shape."""
    y = french.portfolios.sub(french.rf, axis=0).to_numpy()
    x = french.five_factors.to_numpy()
    for weights, want in ((None, 0), ([0, 1, 1, 1, 1], 1)):
        res = cv.cross_validate(y, x, method="lasso", pooled=pooled, penalty_weights=weights)
        assert (res.nonzero[0] == want).all(), res.nonzero[0]
    for seed in range(3):
        ys, xs, _, _ = synthetic(t=300, k=6, n=20, seed=seed)
        assert (cv.cross_validate(ys, xs, method="lasso", pooled=pooled).nonzero[0] == 0).all()


# --- options validated once -------------------------------------------------------------------------------------


def _public_calls():
    from xlfactor.core import backtest, penalized, rolling

    return {
        "penalized.fit": lambda y, x: penalized.fit(y, x, [1e-3], method="lasso"),
        "cv.cross_validate": lambda y, x: cv.cross_validate(y, x, method="ridge", folds=3),
        "rolling.rolling": lambda y, x: rolling.rolling(y, x, 40, step=20, method="lasso", folds=3, n_lambdas=5),
        "backtest.backtest": lambda y, x: backtest.backtest(y, x, 40, step=20, folds=3, alloc="invvol"),
    }


@pytest.mark.parametrize("call", ["penalized.fit", "cv.cross_validate", "rolling.rolling", "backtest.backtest"])
def test_returns_are_checked_once_per_public_call(monkeypatch, call):
    """A backtest estimates four models by rolling windows, each a penalised fit: the returns are converted and
    checked once, at the public entry, not once per layer (it was five times in a backtest)."""
    from xlfactor.core import _validation

    seen = []
    real = _validation.as_float_2d

    def counted(values, name, **kw):
        seen.append(name)
        return real(values, name, **kw)

    monkeypatch.setattr(_validation, "as_float_2d", counted)
    y, x, _, _ = synthetic(t=120 + len(call), k=3, n=4, seed=len(call))  # a shape of its own: no cached result
    _public_calls()[call](y, x)
    assert seen.count("returns") == 1, seen  # (factors: risk.factor_covariance converts each window's again)
