"""Labelled pandas faces of the core's computations, from ONE declarative mapping.

``AXES`` says, for each result class (and each function returning a bare array), which axis of each field is which:
``("lambda", "asset", "factor")`` for the lasso's loadings. ``INPUTS`` says which arguments are tables of periods
(aligned on their index) and which carry the asset or factor labels. ``face(core_function)`` turns a core function
into one that takes DataFrames/Series, aligns them, calls the core with arrays, and returns a ``Labelled`` result
whose fields are labelled DataFrames/Series (the raw result stays at ``.raw``). Nothing here computes.

Axis names and their labels: ``period`` (the aligned index), ``asset`` (the returns' columns), ``factor`` (the
factors' columns), ``lambda`` (the grid when it is common to every asset, else its position), ``fold`` (1..F),
``component`` (PC1..), ``rank`` (1..), ``criterion`` and ``k`` (from ``FactorCount``), ``window`` (the last period of
each window); ``a+b`` joins two axes (``factor+specific``: the factors, then ``specific``); a name that is not an
axis is a literal label.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ..core import cv, penalized, risk, statistical
from ..core.frequency import Compounded
from ..core.fundamental import FundamentalResult
from ..core.mimicking import MimickingResult
from ..core.premia import PremiaResult
from ..core.rolling import RollingResult
from ..core.statistical.riskmodel import LatentRollingResult
from ..errors import InputShapeError

# ---- the mapping: result class -> {field or property or method: axes} ---------------------------------------------
_PATH = ("lambda", "asset")
AXES: dict[Any, dict[str, tuple[str, ...]]] = {
    penalized.PenalizedResult: {
        "lambdas": _PATH,
        "intercept": _PATH,
        "loadings": (*_PATH, "factor"),
        "converged": _PATH,
        "gap": _PATH,
        "nobs": ("asset",),
        "nonzero": _PATH,
    },
    cv.CVResult: {
        "lambdas": _PATH,
        "fold_mse": ("lambda", "fold", "asset"),
        "nonzero": _PATH,
        "asset_var": ("asset",),
        "mse": _PATH,
        "mse_se": _PATH,
        "index": ("asset",),
        "best_lambda": ("asset",),
        "pooled_assets": ("asset",),
        "pooled_fold_loss": ("lambda", "fold"),
        "pooled_fold_mse": ("lambda", "fold"),
    },
    risk.FactorModel: {
        "loadings": ("asset", "factor"),
        "factor_cov": ("factor", "factor"),
        "specific_var": ("asset",),
        "dense": ("asset", "asset"),
        "diag": ("asset",),
    },
    risk.RiskContributions: {
        "weights": ("asset",),
        "marginal": ("asset",),
        "component": ("asset",),
        "exposures": ("factor",),
        "factor_variance": ("factor",),
        "percent": ("asset",),
        "factor_percent": ("factor+specific",),
    },
    risk.AllocationResult: {
        "weights": ("asset",),
        "target": ("budget",),
        "achieved": ("budget",),
        "contributions": ("asset",),
    },
    statistical.PCAResult: {
        "factors": ("period", "component"),
        "loadings": ("asset", "component"),
        "eigenvalues": ("rank",),
        "explained": ("rank",),
        "r2": ("asset",),
        "mean": ("asset",),
        "scale": ("asset",),
        "fitted": ("period", "asset"),
    },
    statistical.FactorCount: {"values": ("criterion", "k"), "eigenvalues": ("rank",), "explained": ("rank",)},
    statistical.LatentVsNamed: {
        "r2_latent": ("asset",),
        "r2_named": ("asset",),
        "canonical": ("component",),
        "latent_on_named": ("component",),
        "named_on_latent": ("factor",),
    },
    PremiaResult: {
        "premia": ("premium",),
        "cov": ("premium", "premium"),
        "betas": ("asset", "factor"),
        "alpha": ("asset",),
        "alpha_cov": ("asset", "asset"),
        "stderr": ("premium",),
        "tstat": ("premium",),
        "pvalues": ("premium",),
    },
    MimickingResult: {
        "weights": ("asset",),
        "stderr": ("intercept+asset",),
        "tstat": ("intercept+asset",),
        "returns": ("period",),
    },
    FundamentalResult: {
        "factor_returns": ("period", "factor"),
        "specific_var": ("asset",),
        "exposures": ("asset", "factor"),
        "r2": ("period",),
        "factor_cov": ("factor", "factor"),
    },
    RollingResult: {
        "lambdas": ("window",),
        "intercept": ("window", "asset"),
        "loadings": ("window", "asset", "factor"),
        "r2": ("window", "asset"),
        "factor_cov": ("window", "factor", "factor"),
        "specific_var": ("window", "asset"),
        "nobs": ("window", "asset"),
        "beta": ("window", "asset"),
    },
    Compounded: {"returns": ("period", "asset")},
    # functions returning a bare array
    risk.factor_covariance: {"": ("factor", "factor")},
    risk.specific_variance: {"": ("asset",)},
}
AXES[LatentRollingResult] = {
    **AXES[RollingResult],
    "loadings": ("window", "asset", "component"),
    "n_factors": ("window",),
    "factor_cov": ("window", "component", "component"),
}

# ---- the arguments: which are tables of periods (aligned on the index), and whose columns label what ----------------
PERIOD_TABLES = ("returns", "factors", "market", "rf", "named", "factor", "base_returns")
COLUMN_LABELS = {
    "returns": "asset",
    "base_returns": "asset",
    "factors": "factor",
    "named": "factor",
    "characteristics": "factor",
    "loadings": "factor",
}
# arguments labelled by asset or factor (not periods): put in the order of the names known (or naming them)
LABELLED_ARGS = {
    "weights": ("asset",),
    "budgets": ("budget",),
    "loadings": ("asset", "factor"),
    "cov": ("asset", "asset"),
    "factor_cov": ("factor", "factor"),
    "specific_var": ("asset",),
}
NAME_KEYWORDS = {
    "asset_names": "asset",
    "factor_names": "factor",
    "base_names": "asset",
    "characteristic_names": "factor",
}
# labels a result carries itself
# arguments a face fills from a table's index when not given (as YYYYMM month labels)
LABELS_FROM_INDEX = {"labels": "returns"}
RESULT_LABELS = {
    FundamentalResult: {"period": "periods", "asset": "assets", "factor": "factor_names"},
    Compounded: {"period": "labels"},
    statistical.FactorCount: {"criterion": "criteria", "k": "ks"},
}


def _derived(raw: Any, ctx: dict[str, pd.Index]) -> dict[str, pd.Index]:
    """Axes that depend on the result: a lambda grid common to every asset labels by value; allocation targets are
    per factor for factor budgeting; premia have an intercept first when fitted; windows end at a period."""
    out: dict[str, pd.Index] = {}
    lam = getattr(raw, "lambdas", None)
    if isinstance(raw, penalized.PenalizedResult | cv.CVResult) and lam is not None:
        common = bool(np.all(lam == lam[:, :1]))
        out["lambda"] = pd.Index(lam[:, 0], name="lambda") if common else pd.RangeIndex(lam.shape[0], name="step")
    if isinstance(raw, risk.AllocationResult) and "factor" in ctx:
        out["budget"] = ctx["factor"] if raw.method == "factor" else ctx.get("asset")
    elif "asset" in ctx:
        out["budget"] = ctx["asset"]
    if isinstance(raw, PremiaResult) and "factor" in ctx:
        out["premium"] = pd.Index(["intercept", *ctx["factor"]]) if raw.intercept else ctx["factor"]
    ends = getattr(raw, "ends", None)
    if ends is not None and "period" in ctx and np.ndim(ends) == 1:
        out["window"] = pd.Index(ctx["period"][np.asarray(ends) - 1], name="window end")
    return out


def _axis(name: str, n: int, ctx: dict[str, pd.Index]) -> pd.Index:
    """The labels of axis ``name`` of length ``n`` (positions when the context has none of that length)."""
    if "+" in name:
        labels = [lab for part in name.split("+") for lab in ctx.get(part, [part])]
        idx = pd.Index(labels)
    elif name in ctx and ctx[name] is not None:
        idx = ctx[name]
    elif name in ("fold", "rank", "component"):
        idx = pd.Index([f"PC{i + 1}" for i in range(n)] if name == "component" else range(1, n + 1), name=name)
    else:
        idx = pd.RangeIndex(n, name=name)
    return idx if len(idx) == n else pd.RangeIndex(n, name=name)


def label(value: Any, axes: tuple[str, ...], ctx: dict[str, pd.Index]) -> Any:
    """``value`` as a labelled Series (1 axis) or DataFrame (2 axes; 3 axes: the first two as a MultiIndex)."""
    arr = np.asarray(value)
    if arr.ndim != len(axes) or arr.ndim == 0 or arr.ndim > 3:
        return value
    idx = [_axis(a, s, ctx) for a, s in zip(axes, arr.shape, strict=True)]
    if arr.ndim == 1:
        return pd.Series(arr, index=idx[0], name=None)
    if arr.ndim == 2:
        return pd.DataFrame(arr, index=idx[0], columns=idx[1])
    rows = pd.MultiIndex.from_product([idx[0], idx[1]], names=[idx[0].name or axes[0], idx[1].name or axes[1]])
    return pd.DataFrame(arr.reshape(-1, arr.shape[2]), index=rows, columns=idx[2])


class Labelled:
    """A core result with labelled pandas views of its fields.

    Attribute access returns the field labelled by ``AXES`` (a DataFrame or Series), a method returns its result
    labelled likewise, anything else comes from the core result unchanged; ``raw`` is the core result itself.

    Attributes
    ----------
    raw : object
        The core's result (a frozen dataclass, or an array).
    labels : dict
        The labels of each axis (``asset``, ``factor``, ``period``, ...).

    Examples
    --------
    >>> import xlfactor as xf
    >>> from xlfactor import frames
    >>> data = xf.load_french()
    >>> excess = data.industries.sub(data.rf, axis=0).loc["1963-07":]
    >>> res = frames.ridge(excess, data.factors, [10.0])
    >>> print(res.loadings.loc[10.0].loc[["NoDur", "Enrgy"]].round(3))
    factor  Mkt-RF    SMB    HML    Mom
    asset
    NoDur    0.088  0.012 -0.009 -0.011
    Enrgy    0.090  0.005 -0.002 -0.005
    >>> res.raw.loadings.shape
    (1, 12, 4)
    """

    def __init__(self, raw: Any, labels: dict[str, pd.Index]) -> None:
        self.raw = raw
        self.labels = {**labels, **_derived(raw, labels)}
        self._axes = AXES.get(type(raw), {})

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        value = getattr(self.raw, name)
        axes = self._axes.get(name)
        if axes is None:
            return value
        if callable(value):
            return functools.wraps(value)(lambda *a, **k: label(value(*a, **k), axes, self.labels))
        return label(value, axes, self.labels)

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *dir(self.raw)})

    def fields(self) -> dict[str, Any]:
        """Every labelled field (and property) of the result, by name."""
        out = {}
        for name, axes in self._axes.items():
            value = getattr(self.raw, name, None)
            if value is not None and not callable(value):
                out[name] = label(value, axes, self.labels)
        return out

    def __repr__(self) -> str:
        from .show import labelled_repr

        return labelled_repr(self)

    def _repr_html_(self) -> str:
        from .show import result_html

        return result_html(self)

    def to_frame(self) -> pd.DataFrame | None:
        """The result's natural table (``show.TABLES``), labelled; None when it has none."""
        from .show import table

        return table(self.raw, self.labels)


def _check_index(name: str, obj: pd.Series | pd.DataFrame) -> None:
    if not obj.index.is_unique:
        dup = obj.index[obj.index.duplicated()][0]
        raise InputShapeError(f"{name} has the period {dup!r} more than once; give each period one row.")


def _align(tables: dict[str, pd.Series | pd.DataFrame]) -> tuple[dict[str, Any], pd.Index | None]:
    """The tables of periods restricted to the periods all of them have (in the first one's order)."""
    if not tables:
        return {}, None
    names = list(tables)
    idx = tables[names[0]].index
    for n in names:
        _check_index(n, tables[n])
    for n in names[1:]:
        common = idx.intersection(tables[n].index, sort=False)
        if common.empty:
            have = ", ".join(
                f"{m} {tables[m].index[0]!r}..{tables[m].index[-1]!r} ({type(tables[m].index).__name__})"
                for m in names
                if len(tables[m])
            )
            raise InputShapeError(
                f"{n} shares no period with {', '.join(names[: names.index(n)])}: {have}; give "
                "tables with a common index of periods."
            )
        idx = common
    return {n: t.loc[idx] for n, t in tables.items()}, idx


def _numeric(name: str, obj: pd.Series | pd.DataFrame) -> np.ndarray:
    try:
        return obj.to_numpy(dtype=float)
    except (TypeError, ValueError):
        frame = obj if isinstance(obj, pd.DataFrame) else obj.to_frame()
        bad = [c for c in frame.columns if not _is_numeric(frame[c])]
        raise InputShapeError(f"{name} has non-numeric column(s) {bad}; give numbers (NaN for missing).") from None


def _conform(name: str, obj: pd.Series | pd.DataFrame, dims: tuple[str, ...], ctx: dict[str, pd.Index]) -> Any:
    """``obj`` with each axis in the order of the names ``ctx`` has for it (an error naming what it lacks), or
    naming that axis in ``ctx`` when no names are known yet."""
    axes = [obj.index] if isinstance(obj, pd.Series) else [obj.index, obj.columns]
    if len(axes) != len(dims):
        return obj
    out = obj.copy()
    for i, (idx, dim) in enumerate(zip(axes, dims, strict=True)):
        labels = pd.Index(idx.map(str), name=dim)
        out = out.set_axis(labels, axis=i)
        if dim not in ctx:
            ctx[dim] = labels
            continue
        missing = ctx[dim].difference(labels)
        if len(missing):
            raise InputShapeError(f"{name} has no value for the {dim}(s) {list(missing)}.")
        extra = labels.difference(ctx[dim])
        if len(extra):
            raise InputShapeError(f"{name} has the {dim}(s) {list(extra)}, which the other arguments do not have.")
        out = out.reindex(ctx[dim], axis=i)
    return out


def _yyyymm(index: pd.Index) -> np.ndarray:
    """Month labels YYYYMM of a period or date index (a numeric index as it is)."""
    if isinstance(index, pd.PeriodIndex | pd.DatetimeIndex):
        return np.asarray(index.year * 100 + index.month)
    return np.asarray(index)


def _is_numeric(col: pd.Series) -> bool:
    try:
        col.to_numpy(dtype=float)
    except (TypeError, ValueError):
        return False
    return True


def face(fn: Callable, name: str | None = None) -> Callable:
    """The labelled pandas face of core function ``fn``: DataFrames/Series in (tables of periods aligned on their
    index), a ``Labelled`` result out (or a labelled table for a function returning an array)."""
    sig = inspect.signature(fn)
    sig = sig.replace(
        parameters=[q.replace(default=None) if q.name in LABELS_FROM_INDEX else q for q in sig.parameters.values()]
    )

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        bound = sig.bind(*args, **kwargs)
        given = bound.arguments
        extra = given.pop(next((p.name for p in sig.parameters.values() if p.kind == p.VAR_KEYWORD), ""), {})
        ctx: dict[str, pd.Index] = {}
        periods = {k: v for k, v in given.items() if k in PERIOD_TABLES and isinstance(v, pd.Series | pd.DataFrame)}
        aligned, ctx_period = _align(periods)
        if ctx_period is not None:
            ctx["period"] = ctx_period
        for k in COLUMN_LABELS:  # the columns of the tables name the assets and factors
            if isinstance(given.get(k), pd.DataFrame) and (k in PERIOD_TABLES or k == "characteristics"):
                ctx.setdefault(COLUMN_LABELS[k], pd.Index(given[k].columns.map(str), name=COLUMN_LABELS[k]))
        if "model" in given and isinstance(given["model"], Labelled):
            ctx = {**given["model"].labels, **ctx}
            given["model"] = given["model"].raw
        for k, axes in LABELLED_ARGS.items():  # put labelled vectors and matrices in the order of those names
            if isinstance(given.get(k), pd.Series | pd.DataFrame):
                dims = tuple(
                    "factor" if a == "budget" and given.get("method") == "factor" else "asset" if a == "budget" else a
                    for a in axes
                )
                given[k] = _conform(k, given[k], dims, ctx)
        for key, source in LABELS_FROM_INDEX.items():
            if key in sig.parameters and given.get(key) is None and source in aligned:
                given[key] = _yyyymm(aligned[source].index)
        for k, v in list(given.items()):
            table = aligned.get(k, v)
            if isinstance(table, pd.Series | pd.DataFrame):
                given[k] = _numeric(k, table)
        for key, axis in NAME_KEYWORDS.items():
            if key in sig.parameters and axis in ctx and given.get(key) is None and _names_fit(key, given):
                given[key] = list(ctx[axis])
        raw = fn(**given, **extra)
        if fn is statistical.latent_risk_model:  # its factors are latent: principal components
            ctx["factor"] = pd.Index([f"PC{i + 1}" for i in range(raw.loadings.shape[1])], name="factor")
        for axis, field in RESULT_LABELS.get(type(raw), {}).items():
            ctx[axis] = pd.Index([str(s) if axis != "k" else s for s in getattr(raw, field)], name=axis)
        if "" in AXES.get(fn, {}):
            return label(raw, AXES[fn][""], ctx)
        return Labelled(raw, ctx)

    params = [q if q.annotation is not q.empty else q.replace(annotation=Any) for q in sig.parameters.values()]
    wrapper.__signature__ = sig.replace(parameters=params, return_annotation=Any)  # type: ignore[attr-defined]
    return wrapper


def _names_fit(key: str, given: dict[str, Any]) -> bool:
    """Whether the labels of ``key`` belong to the argument that names them (base_names: base_returns)."""
    return not (key == "base_names" and "base_returns" not in given)


def face_doc(name: str, fn: Callable, example: list[str]) -> str:
    """The docstring of face ``name`` of ``fn``: a summary, the core's Parameters/Returns/Raises (the Returns
    naming the ``Labelled`` result and its axes), and ``example`` (doctest lines) as its Examples."""
    doc = inspect.cleandoc(fn.__doc__ or "")
    if "Parameters\n" in doc:
        body = doc[doc.index("Parameters\n") : doc.index("Examples\n") if "Examples\n" in doc else len(doc)]
    else:  # the core documents its arguments in prose: the prose, then one line per argument
        prose = doc.split("Examples\n")[0].rstrip("- \n")
        params = "".join(
            f"{q}\n    As in ``{fn.__name__}`` (a table may be a DataFrame/Series).\n"
            for q in inspect.signature(fn).parameters
        )
        body = (
            f"{prose}\n\nParameters\n----------\n{params}\nReturns\n-------\nLabelled\n"
            "    The result, labelled.\n\nRaises\n------\nXLFactorError\n    Invalid input, naming the argument.\n"
        )
    res = inspect.signature(fn).return_annotation
    target = (
        fn
        if "" in AXES.get(fn, {})
        else next((c for c in AXES if getattr(c, "__name__", None) == res), fn if isinstance(fn, type) else None)
    )
    axes = "; ".join(f"{k or 'the array'}: {' x '.join(v)}" for k, v in AXES.get(target, {}).items())
    return (
        f"Labelled pandas face of ``{fn.__module__}.{fn.__qualname__}``: tables in, labelled tables out.\n\n"
        "Tables of periods (DataFrame/Series) are aligned on their common index (an error names a table that "
        "shares no period or repeats one); their columns label the assets and factors.\n"
        f"Labelled axes: {axes}.\n\n" + body.rstrip() + "\n\nExamples\n--------\n" + "\n".join(example) + "\n"
    )


from . import show  # noqa: E402  (results that show themselves: it needs the mapping above)

show.install()
