"""Charts of xlfactor's results (matplotlib, imported only when a chart is drawn).

Each function takes a core result or its labelled face (``xlfactor.frames``; labels then name the assets, factors
and periods) and returns a ``matplotlib.figure.Figure`` drawn without pyplot (no global state, no display needed):
``fig.savefig("cv.png")`` writes it, a notebook shows it. Nothing here computes a model: the numbers come from the
results; only their presentation (a rolling bias statistic, cumulative shares) is derived here.

Examples
--------
>>> import xlfactor as xf
>>> from xlfactor import frames, plot
>>> data = xf.load_french()
>>> excess = data.industries.sub(data.rf, axis=0).loc["1963-07":]
>>> fig = plot.cv_curve(frames.cross_validate(excess, data.factors, folds=5), asset="Enrgy")
>>> fig.axes[0].get_title()
'Cross-validated error of Enrgy (lasso, 5 folds)'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .core import evaluation

__all__ = ["cv_curve", "lasso_path", "loadings", "risk_contributions", "backtest", "scree"]


def _figure(nrows: int = 1, ncols: int = 1, size: tuple[float, float] = (8.0, 4.5)) -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError:  # pragma: no cover - the plot extra is not installed
        raise ImportError('xlfactor.plot needs matplotlib: pip install ".[plot]" in the xlfactor folder.') from None
    fig = Figure(figsize=size, layout="constrained")
    fig.subplots(nrows, ncols, squeeze=False)
    return fig


def _unwrap(res: Any) -> tuple[Any, dict]:
    """(the core result, the labels of its axes: {} for a bare core result)."""
    return (res.raw, dict(res.labels)) if hasattr(res, "raw") else (res, {})


def _names(labels: dict, axis: str, n: int, prefix: str) -> list[str]:
    idx = labels.get(axis)
    return [str(s) for s in idx] if idx is not None and len(idx) == n else [f"{prefix}{i + 1}" for i in range(n)]


def _which(asset: int | str, names: list[str]) -> int:
    if isinstance(asset, str):
        if asset not in names:
            raise ValueError(f"asset {asset!r} is not one of {names}.")
        return names.index(asset)
    return int(asset)


def cv_curve(result: Any, asset: int | str = 0, rules: Sequence[str] = ("min", "1se")) -> Any:
    """The cross-validated error curve of one asset, its one-standard-error band and the lambdas the rules pick.

    Parameters
    ----------
    result : CVResult or its labelled face
        From ``xlfactor.cross_validate`` or ``frames.cross_validate``.
    asset : int or str
        The asset (position, or name with a labelled result).
    rules : sequence of str
        The rules whose picks are marked (``options.RULES``).

    Returns
    -------
    matplotlib.figure.Figure
        Mean held-out MSE against lambda (log scale), the band mean +- one standard error, a vertical line per rule.

    Raises
    ------
    ValueError
        An asset that is not in the result.

    Examples
    --------
    >>> import numpy as np
    >>> from xlfactor import cross_validate, plot
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(100, 3))
    >>> fig = plot.cv_curve(cross_validate(x @ [[1.0], [0.0], [0.5]] + rng.normal(size=(100, 1)), x))
    >>> [line.get_label() for line in fig.axes[0].lines]
    ['mean error', 'min', '1se']
    """
    raw, labels = _unwrap(result)
    names = _names(labels, "asset", raw.lambdas.shape[1], "asset ")
    j = _which(asset, names)
    lam, mse, se = raw.lambdas[:, j], raw.mse[:, j], raw.mse_se[:, j]
    fig = _figure()
    ax = fig.axes[0]
    ax.plot(lam, mse, color="C0", label="mean error")
    ax.fill_between(lam, mse - se, mse + se, color="C0", alpha=0.2, label="_band")
    for i, rule in enumerate(rules):
        pick = raw.lambdas[raw.index(rule)[j], j]
        ax.axvline(pick, color=f"C{i + 1}", linestyle="--", label=rule)
        ax.annotate(
            f"{rule}: {pick:.3g}",
            (pick, 1 - 0.08 * (i + 1)),
            xycoords=("data", "axes fraction"),
            color=f"C{i + 1}",
            ha="left",
            fontsize=8,
        )
    ax.set_xscale("log")
    ax.set_xlabel("lambda (log scale)")
    ax.set_ylabel("held-out mean squared error")
    ax.set_title(f"Cross-validated error of {names[j]} ({raw.method}, {raw.fold_mse.shape[1]} folds)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def lasso_path(result: Any, asset: int | str = 0) -> Any:
    """Each factor's loading of one asset along the lambda path.

    Parameters
    ----------
    result : PenalizedResult or its labelled face
        A path (several lambdas) from ``lasso``, ``elastic_net`` or ``ridge``.
    asset : int or str
        The asset (position, or name with a labelled result).

    Returns
    -------
    matplotlib.figure.Figure
        One line per factor against lambda (log scale, largest on the left).

    Raises
    ------
    ValueError
        An asset that is not in the result.

    Examples
    --------
    >>> import numpy as np
    >>> from xlfactor import lasso, plot
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(100, 3))
    >>> fig = plot.lasso_path(lasso(x @ [[1.0], [0.0], [0.5]] + rng.normal(size=(100, 1)), x))
    >>> [line.get_label() for line in fig.axes[0].lines[:3]], fig.axes[0].get_xlabel()
    (['factor 1', 'factor 2', 'factor 3'], 'lambda (log scale)')
    """
    raw, labels = _unwrap(result)
    names = _names(labels, "asset", raw.lambdas.shape[1], "asset ")
    j = _which(asset, names)
    factors = _names(labels, "factor", raw.loadings.shape[2], "factor ")
    fig = _figure()
    ax = fig.axes[0]
    for k, name in enumerate(factors):
        ax.plot(raw.lambdas[:, j], raw.loadings[:, j, k], label=name)
    ax.axhline(0.0, color="black", linewidth=0.6)
    ax.set_xscale("log")
    ax.invert_xaxis()
    ax.set_xlabel("lambda (log scale)")
    ax.set_ylabel("loading")
    ax.set_title(f"{raw.method.capitalize()} path of {names[j]}'s loadings")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def _loadings_table(value: Any) -> Any:
    """(N, K) loadings from a table, or from a result's ``loadings`` (one lambda's of a penalised result)."""
    table = getattr(value, "loadings", value) if not hasattr(value, "columns") else value
    if hasattr(table, "columns") and table.index.nlevels > 1:  # (lambda, asset) rows of a penalised face
        if table.index.get_level_values(0).nunique() != 1:
            raise ValueError(
                f"the loadings are at {table.index.get_level_values(0).nunique()} lambdas; pass one lambda's, "
                "e.g. {'lasso': result.loadings.xs(lam)}."
            )
        return table.droplevel(0)
    if hasattr(table, "columns") or np.ndim(table) != 3:
        return table
    if np.shape(table)[0] != 1:
        raise ValueError(
            f"the result holds loadings at {np.shape(table)[0]} lambdas; pass one lambda's, "
            "e.g. {'lasso': result.loadings[i]}."
        )
    return np.asarray(table)[0]


def loadings(tables: Any, factor_names: Sequence[str] | None = None, asset_names: Sequence[str] | None = None) -> Any:
    """Loadings of every asset per factor, side by side for several estimators (e.g. OLS, ridge, lasso).

    Parameters
    ----------
    tables : DataFrame, result, or mapping of str to array_like, DataFrame or result
        One estimator's loadings (a DataFrame assets x factors, or a result with ``loadings``: a ``frames`` face,
        a core result at one lambda), or {estimator name: loadings} for several; DataFrames and ``frames`` results
        bring their own labels.
    factor_names, asset_names : sequence of str, optional
        Labels for arrays.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per factor, one group of bars per asset, one bar per estimator.

    Raises
    ------
    ValueError
        Tables of different shapes.

    Examples
    --------
    >>> import numpy as np
    >>> from xlfactor import plot
    >>> fig = plot.loadings({"OLS": np.eye(2), "ridge": 0.8 * np.eye(2)}, ["f1", "f2"], ["a", "b"])
    >>> [ax.get_title() for ax in fig.axes]
    ['Loadings on f1', 'Loadings on f2']
    >>> import pandas as pd
    >>> table = pd.DataFrame([[1.0, 0.2], [0.9, -0.1]], index=["NoDur", "Durbl"], columns=["Mkt-RF", "SMB"])
    >>> [ax.get_title() for ax in plot.loadings(table).axes]
    ['Loadings on Mkt-RF', 'Loadings on SMB']
    """
    if not isinstance(tables, Mapping):  # one estimator's: a DataFrame or a result
        tables = {str(getattr(getattr(tables, "raw", tables), "method", "") or "loadings"): tables}
    tables = {k: _loadings_table(v) for k, v in tables.items()}
    arrays = {k: np.asarray(v, float) for k, v in tables.items()}
    shapes = {a.shape for a in arrays.values()}
    if len(shapes) != 1 or len(next(iter(shapes))) != 2:
        raise ValueError(f"the loadings tables must all be (assets x factors) of one shape; got {sorted(shapes)}.")
    n, k = next(iter(shapes))
    first = next(iter(tables.values()))
    assets = list(asset_names) if asset_names is not None else [str(a) for a in getattr(first, "index", range(n))]
    factors = list(factor_names) if factor_names is not None else [str(c) for c in getattr(first, "columns", range(k))]
    fig = _figure(k, 1, (max(8.0, 0.6 * n + 2), 2.4 * k + 0.6))
    width = 0.8 / len(arrays)
    pos = np.arange(n)
    for f, ax in enumerate(fig.axes):
        for m, (name, arr) in enumerate(arrays.items()):
            ax.bar(pos + (m - (len(arrays) - 1) / 2) * width, arr[:, f], width, label=name)
        ax.axhline(0.0, color="black", linewidth=0.6)
        ax.set_xticks(pos, assets, fontsize=8)
        ax.set_ylabel("loading")
        ax.set_xlabel("asset", fontsize=8)
        ax.set_title(f"Loadings on {factors[f]}")
        ax.grid(alpha=0.3, axis="y")
    fig.legend(*fig.axes[0].get_legend_handles_labels(), loc="outside upper center", ncol=len(arrays), fontsize=8)
    return fig


def risk_contributions(result: Any) -> Any:
    """Each asset's and each factor's share of the portfolio's risk.

    Parameters
    ----------
    result : RiskContributions or its labelled face
        From ``xlfactor.risk_contributions`` (with a factor model for the factor panel).

    Returns
    -------
    matplotlib.figure.Figure
        Left: percent of volatility by asset; right: percent of variance by factor and the specific part.

    Raises
    ------
    ValueError
        Never for a valid result.

    Examples
    --------
    >>> import numpy as np
    >>> from xlfactor import FactorModel, plot
    >>> from xlfactor import risk_contributions as rc
    >>> m = FactorModel(np.array([[1.0], [0.5]]), np.array([[0.04]]), np.array([0.01, 0.02]))
    >>> fig = plot.risk_contributions(rc(np.array([0.5, 0.5]), model=m))
    >>> [ax.get_title() for ax in fig.axes]
    ['Risk contributions by asset', 'Risk contributions by factor']
    """
    raw, labels = _unwrap(result)
    assets = _names(labels, "asset", raw.percent.shape[0], "asset ")
    fig = _figure(1, 2, (11.0, 4.5))
    a1, a2 = fig.axes
    a1.bar(assets, 100 * raw.percent, color="C0")
    a1.set_title("Risk contributions by asset")
    a1.set_xlabel("asset")
    a1.set_ylabel("% of portfolio volatility")
    a1.tick_params(axis="x", labelrotation=45, labelsize=8)
    if raw.exposures is not None:
        share = 100 * np.asarray(raw.factor_percent)
        factors = [*_names(labels, "factor", share.size - 1, "factor "), "specific"]
        a2.bar(factors, share, color=[*(["C1"] * (share.size - 1)), "C7"])
    a2.set_title("Risk contributions by factor")
    a2.set_xlabel("factor")
    a2.set_ylabel("% of portfolio variance")
    for ax in (a1, a2):
        ax.axhline(0.0, color="black", linewidth=0.6)
        ax.grid(alpha=0.3, axis="y")
    return fig


def backtest(result: Any, periods: ArrayLike | None = None, window: int = 36) -> Any:
    """The walk-forward backtest: cumulative returns, predicted vs realised volatility, and the bias statistic.

    Parameters
    ----------
    result : BacktestResult
        From ``xlfactor.backtest``.
    periods : array_like, optional
        A label per row of the data the backtest ran on (e.g. the returns' index) for the x axis; default rows.
    window : int
        Periods of the trailing window of realised volatility and of the rolling bias statistic.

    Returns
    -------
    matplotlib.figure.Figure
        Three panels: growth of 1 per model; trailing realised vs average predicted volatility; the trailing bias
        statistic with its 95% band under right forecasts (``evaluation.normal_band``).

    Raises
    ------
    ValueError
        A window shorter than 2 periods or longer than the out-of-sample span.

    Examples
    --------
    >>> import numpy as np
    >>> from xlfactor import backtest, plot
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(0, 0.04, size=(160, 2))
    >>> y = f @ [[1.0, 0.8, 1.2], [0.5, -0.3, 0.0]] + rng.normal(0, 0.01, size=(160, 3))
    >>> fig = plot.backtest(backtest(y, f, 60, step=12, models=("ols", "ridge")), window=24)
    >>> [ax.get_title() for ax in fig.axes][2]
    'Bias statistic over trailing 24 periods (95% band of right forecasts)'
    """
    t = result.returns.shape[1]
    if not 2 <= window <= t:
        raise ValueError(f"window is {window}; give 2 to {t} (the out-of-sample periods).")
    x = np.asarray(periods)[result.rows] if periods is not None else result.rows
    if periods is not None and not np.issubdtype(np.asarray(x).dtype, np.number):
        x = np.array([str(p) for p in x], dtype=object)
    fig = _figure(3, 1, (10.0, 10.0))
    a1, a2, a3 = fig.axes
    z = result.returns / result.predicted_vol
    lo, hi = evaluation.normal_band(window)
    for m, name in enumerate(result.models):
        a1.plot(np.arange(t), result.cumulative[m], label=name)
        real = _rolling(result.returns[m], window, lambda w: w.std(axis=-1, ddof=1))
        pred = _rolling(result.predicted_vol[m] ** 2, window, lambda w: np.sqrt(w.mean(axis=-1)))
        a2.plot(np.arange(window - 1, t), real, color=f"C{m}", label=f"{name} realised")
        a2.plot(np.arange(window - 1, t), pred, color=f"C{m}", linestyle="--", label=f"{name} predicted")
        a3.plot(np.arange(window - 1, t), _rolling(z[m], window, lambda w: w.std(axis=-1, ddof=1)), label=name)
    a3.axhspan(lo, hi, color="grey", alpha=0.2, label="95% band")
    a3.axhline(1.0, color="black", linewidth=0.6)
    a1.set_yscale("log")
    close = (result.cumulative.max(axis=0) / result.cumulative.min(axis=0)).max() < 1.05
    a1.set_title(
        "Cumulative excess return (growth of 1, log scale)"
        + ("; the models' portfolios nearly coincide" if close and len(result.models) > 1 else "")
    )
    a1.set_ylabel("growth of 1")
    a2.set_title(f"Volatility per period: realised over trailing {window} periods vs predicted (RMS)")
    a2.set_ylabel("volatility per period")
    a3.set_title(f"Bias statistic over trailing {window} periods (95% band of right forecasts)")
    a3.set_ylabel("std of return / predicted vol")
    ticks = np.linspace(0, t - 1, min(t, 8)).astype(int)
    for ax in (a1, a2, a3):
        ax.set_xlabel("period")
        ax.set_xticks(ticks, [str(x[i]) for i in ticks], fontsize=8)
        ax.legend(fontsize=7, ncol=min(4, 2 * len(result.models)), loc="best")
        ax.grid(alpha=0.3)
    return fig


def _rolling(values: np.ndarray, window: int, stat: Any) -> np.ndarray:
    return stat(np.lib.stride_tricks.sliding_window_view(values, window))


def scree(result: Any) -> Any:
    """The scree plot of the statistical factors: each principal component's share of variance, and the total.

    Parameters
    ----------
    result : PCAResult or FactorCount, or their labelled faces
        From ``xlfactor.pca`` or ``xlfactor.factor_count`` (both carry ``explained``).

    Returns
    -------
    matplotlib.figure.Figure
        Bars: the share of each component; line: the cumulative share (right axis).

    Raises
    ------
    ValueError
        Never for a valid result.

    Examples
    --------
    >>> import numpy as np
    >>> from xlfactor import pca, plot
    >>> rng = np.random.default_rng(0)
    >>> fig = plot.scree(pca(rng.normal(size=(80, 1)) @ np.ones((1, 6)) + rng.normal(size=(80, 6)), 2))
    >>> fig.axes[0].get_title()
    'Scree plot: variance explained by each principal component'
    """
    raw, _ = _unwrap(result)
    share = 100 * np.asarray(raw.explained, float)
    pos = np.arange(1, share.size + 1)
    fig = _figure()
    ax = fig.axes[0]
    ax.bar(pos, share, color="C0", label="share")
    twin = ax.twinx()
    twin.plot(pos, np.cumsum(share), color="C1", marker="o", label="cumulative")
    twin.set_ylim(0, 105)
    twin.set_ylabel("cumulative % of variance")
    ax.set_xticks(pos)
    ax.set_xlabel("principal component")
    ax.set_ylabel("% of variance")
    ax.set_title("Scree plot: variance explained by each principal component")
    ax.grid(alpha=0.3, axis="y")
    return fig
