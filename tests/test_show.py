"""Results that show themselves: every result class exported by xlfactor has a short readable repr (no array dumps),
a _repr_html_ table, and to_frame() with the result's numbers where it has a natural table."""

from __future__ import annotations

import numpy as np
import pytest

import xlfactor as xf
from xlfactor.labels import show


@pytest.fixture(scope="module")
def made():
    rng = np.random.default_rng(0)
    x = rng.normal(0, 0.04, size=(160, 3))
    y = x @ rng.normal(1, 0.4, size=(3, 6)) + rng.normal(0, 0.01, size=(160, 6))
    model = xf.latent_risk_model(y, k=2)
    fit = xf.ols(y, x)
    labels = np.array([200001 + 100 * (i // 12) + i % 12 for i in range(160)])
    return {
        "PenalizedResult": xf.lasso(y, x, [1e-3, 1e-4]),
        "CVResult": xf.cross_validate(y, x, folds=4),
        "RegressionResult": fit,
        "RiskSplit": fit.risk,
        "CapmResult": xf.capm(y, x[:, 0]),
        "Collinearity": xf.collinearity(x),
        "GRSResult": xf.grs(y, x),
        "PCAResult": xf.pca(y, 2),
        "FactorCount": xf.factor_count(y),
        "LatentVsNamed": xf.latent_vs_named(y, x, 2),
        "PremiaResult": xf.risk_premia(y, x),
        "MimickingResult": xf.mimicking(x[:, 1], y),
        "FactorModel": model,
        "RiskContributions": xf.risk_contributions(np.full(6, 1 / 6), model=model),
        "AllocationResult": xf.allocate("erc", model=model),
        "RollingResult": xf.rolling(y, x, 60, step=50),
        "BacktestResult": xf.backtest(y, x, 60, step=30, models=("ols",)),
        "Compounded": xf.compound(y[:, :2], labels, "quarter"),
        "FamaMacBethResult": xf.fama_macbeth(y, np.repeat(fit.coef[None, :, 1:], 160, 0)),
        "LatentRollingResult": xf.rolling_latent(y, 60, step=50, k=1),
        "FundamentalResult": xf.fundamental(
            np.repeat(np.arange(20), 15), np.tile(np.arange(15), 20), rng.normal(size=(300, 1)), rng.normal(size=300)
        ),
    }


def test_every_exported_result_class_is_covered(made):
    exported = {n for n in xf.__all__ if isinstance(getattr(xf, n), type) and not issubclass(getattr(xf, n), Exception)}
    assert exported <= set(made), exported - set(made)


@pytest.mark.parametrize("name", sorted(show._ROWS) + ["FamaMacBethResult"])
def test_repr_html_and_table(made, name):
    res = made[name]
    text = repr(res)
    assert text.startswith(f"{type(res).__name__}(") and len(text) < 1500 and "array([" not in text
    assert "<table" in res._repr_html_()
    if name in show._ROWS:
        frame = res.to_frame()
        assert len(frame) > 0 and frame.notna().any().any()


def test_to_frame_holds_the_numbers(made):
    res = made["PenalizedResult"]
    frame = res.to_frame()
    np.testing.assert_array_equal(frame.loc[(1e-4, 3), ["0", "1", "2"]].to_numpy(float), res.loadings[1, 3])
    cv = made["CVResult"].to_frame()
    np.testing.assert_array_equal(cv["mse"].to_numpy().reshape(100, 6), made["CVResult"].mse)


def test_a_large_table_says_how_many_rows_are_not_shown():
    """The repr of a large result showed its first 10 rows and said nothing of the others."""
    import xlfactor as xf
    from xlfactor import frames

    d = xf.load_french()
    ex = d.industries.sub(d.rf, axis=0).loc["1990":]
    res = frames.lasso(ex, d.factors.loc[ex.index], [1e-3, 1e-4])  # 2 lambdas x 12 assets: 24 rows
    text = repr(res)
    assert text.splitlines()[-1] == "... 14 more rows (24 in all); .to_frame() has them all"
    assert "<p>... 4 more rows (24 in all); .to_frame() has them all</p>" in res._repr_html_()
    small = frames.lasso(ex.iloc[:, :3], d.factors.loc[ex.index], [1e-3])
    assert "more rows" not in repr(small) and "more rows" not in small._repr_html_()
