"""xlfactor.plot: every chart renders to a non-empty PNG with titled, labelled axes, from core results and from
their labelled faces, on the shipped data and on synthetic data of another shape; matplotlib loads only on use."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import xlfactor as xf
from xlfactor import frames, plot


@pytest.fixture(scope="module")
def shipped():
    data = xf.load_french()
    return data.industries.sub(data.rf, axis=0).loc["1963-07":], data.factors.loc["1963-07":]


def _synthetic(t=150, n=4, k=2, seed=1):
    rng = np.random.default_rng(seed)
    f = rng.normal(0, 0.04, size=(t, k))
    return f @ rng.normal(1, 0.3, size=(k, n)) + rng.normal(0, 0.01, size=(t, n)), f


def _charts(y, f):
    ols = frames.ols(y, f)[list(f.columns)]
    model = frames.factor_model(ols, frames.factor_covariance(f), frames.specific_variance(y, f, ols))
    return {
        "cv_curve": plot.cv_curve(frames.cross_validate(y, f, folds=4), asset=str(y.columns[-1])),
        "lasso_path": plot.lasso_path(frames.lasso(y, f), asset=1),
        "loadings": plot.loadings(
            {
                "OLS": ols,
                "ridge": frames.ridge(y, f, [0.5]).loadings.loc[0.5],
                "lasso": frames.lasso(y, f, [5e-4]).loadings.loc[5e-4],
            }
        ),
        "risk_contributions": plot.risk_contributions(
            frames.risk_contributions(pd.Series(1 / y.shape[1], index=y.columns), model=model)
        ),
        "backtest": plot.backtest(
            xf.backtest(y.to_numpy(), f.to_numpy(), 60, step=12, models=("ols", "ridge")), periods=y.index
        ),
        "scree": plot.scree(frames.pca(y, 2)),
    }


def _check(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=50)
    png = buf.getvalue()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    for ax in fig.axes:
        if ax.get_title():  # the scree plot's twin axis carries only its y label
            assert ax.get_xlabel() and ax.get_ylabel(), ax.get_title()
        else:
            assert ax.get_ylabel()
    assert all(ax.get_title() for ax in fig.axes if ax.get_xlabel())


@pytest.fixture(scope="module")
def shipped_charts(shipped):
    return _charts(*shipped)


@pytest.mark.parametrize("name", plot.__all__)
def test_every_chart_renders_on_the_shipped_data(shipped_charts, name):
    _check(shipped_charts[name])


def test_every_chart_renders_on_another_shape():
    y, f = _synthetic()
    idx = pd.period_range("2001-01", periods=len(y), freq="M")
    charts = _charts(pd.DataFrame(y, index=idx, columns=list("abcd")), pd.DataFrame(f, index=idx, columns=["m", "v"]))
    assert sorted(charts) == sorted(plot.__all__)
    for fig in charts.values():
        _check(fig)


def test_charts_draw_the_results_numbers(shipped):
    y, f = shipped
    res = frames.cross_validate(y, f, folds=5)
    ax = plot.cv_curve(res, asset="Enrgy").axes[0]
    j = list(y.columns).index("Enrgy")
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), res.raw.mse[:, j])
    assert ax.lines[1].get_xdata()[0] == res.raw.best_lambda("min")[j]
    assert ax.lines[2].get_xdata()[0] == res.raw.best_lambda("1se")[j]
    path = frames.lasso(y, f)
    ax = plot.lasso_path(path.raw, asset=j).axes[0]  # a core result works too (generic labels)
    np.testing.assert_array_equal(ax.lines[2].get_ydata(), path.raw.loadings[:, j, 2])
    bars = plot.scree(frames.pca(y, 3)).axes[0].patches
    np.testing.assert_allclose([b.get_height() for b in bars], 100 * xf.pca(y.to_numpy(), 3).explained)


def test_an_unknown_asset_is_named():
    y, f = _synthetic()
    res = frames.cross_validate(pd.DataFrame(y, columns=list("abcd")), pd.DataFrame(f), folds=3)
    with pytest.raises(ValueError, match="asset 'z' is not one of"):
        plot.cv_curve(res, asset="z")


def test_matplotlib_loads_only_when_a_chart_is_drawn():
    code = "import sys, xlfactor, xlfactor.plot; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_loadings_takes_a_dataframe_or_a_result_with_its_labels():
    """plot.loadings took only a mapping; a DataFrame was iterated as columns (shape (12,)) and refused."""
    import pandas as pd

    import xlfactor as xf
    from xlfactor import frames, plot
    from xlfactor.core import penalized

    d = xf.load_french()
    ex = d.industries.sub(d.rf, axis=0).loc["1990":, ["NoDur", "Durbl", "Manuf"]]
    f = d.factors.loc[ex.index, ["Mkt-RF", "SMB", "HML"]]
    table = pd.DataFrame(np.arange(9.0).reshape(3, 3) / 10, index=ex.columns, columns=f.columns)
    for given, legend in ((table, "loadings"), (frames.lasso(ex, f, [1e-3]), "lasso")):
        fig = plot.loadings(given)
        assert [ax.get_title() for ax in fig.axes] == ["Loadings on Mkt-RF", "Loadings on SMB", "Loadings on HML"]
        assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["NoDur", "Durbl", "Manuf"]
        assert fig.axes[0].get_legend_handles_labels()[1] == [legend]
    fig = plot.loadings({"ols": table, "lasso": frames.lasso(ex, f, [1e-3])})
    assert fig.axes[0].get_legend_handles_labels()[1] == ["ols", "lasso"]
    with pytest.raises(ValueError, match="the result holds loadings at 2 lambdas; pass one lambda's"):
        plot.loadings(penalized.fit(ex.to_numpy(), f.to_numpy(), [1e-3, 1e-4], method="lasso"))
    with pytest.raises(ValueError, match="the loadings are at 2 lambdas; pass one lambda's"):
        plot.loadings(frames.lasso(ex, f, [1e-3, 1e-4]))
