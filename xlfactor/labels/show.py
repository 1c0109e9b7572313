"""Results that show themselves: a readable ``repr``, a ``_repr_html_`` table for notebooks and ``to_frame()`` for
every result class of the core, from the same mapping as the labelled faces (``AXES``) and ``TABLES`` below.

The core stays free of pandas: ``install()`` (run when ``labels`` is imported: by ``frames``, so on first use of a name
of ``xlfactor``) gives the core's result classes these three methods. A bare core result's table is labelled by position (``asset 0``...) or by the names it carries; the
labelled face of a result (``frames``) gives the same table with the assets', factors' and periods' labels.
"""

from __future__ import annotations

import dataclasses
import html
from typing import Any

import numpy as np
import pandas as pd

from ..core import backtest, results
from . import AXES, RESULT_LABELS, Labelled, _derived, label

# The natural table of a result: the axes of its rows, and the fields that fill its columns (a field with the row
# axes is one column; a field with one more axis spreads over that axis's labels).
TABLES: dict[type, tuple[tuple[str, ...], tuple[str, ...]]] = {}
_ROWS = {
    "PenalizedResult": (("lambda", "asset"), ("intercept", "loadings", "nonzero", "converged")),
    "CVResult": (("lambda", "asset"), ("mse", "mse_se", "nonzero")),
    "FactorModel": (("asset",), ("loadings", "specific_var")),
    "RiskContributions": (("asset",), ("weights", "marginal", "component", "percent")),
    "AllocationResult": (("asset",), ("weights", "contributions")),
    "PCAResult": (("asset",), ("loadings", "r2", "mean", "scale")),
    "FactorCount": (("criterion",), ("values",)),
    "LatentVsNamed": (("asset",), ("r2_latent", "r2_named")),
    "PremiaResult": (("premium",), ("premia", "stderr", "tstat", "pvalues")),
    "MimickingResult": (("asset",), ("weights",)),
    "FundamentalResult": (("period",), ("factor_returns", "r2")),
    "RollingResult": (("window", "asset"), ("intercept", "loadings", "r2", "specific_var", "nobs")),
    "LatentRollingResult": (("window", "asset"), ("intercept", "loadings", "r2", "specific_var", "nobs")),
    "RegressionResult": (("asset",), ("coef", "tstat", "r2", "adj_r2", "resid_vol", "nobs")),
    "RiskSplit": (("asset",), ("total_var", "specific_var", "factor_var")),
    "CapmResult": (("asset",), ("alpha", "beta", "tstat_alpha", "tstat_beta", "r2", "mean_return")),
    "Collinearity": (("factor",), ("vif",)),
    "GRSResult": (("asset",), ("alpha",)),
    "BacktestResult": (("model",), ()),
    "Compounded": (("period",), ("returns",)),
}
AXES.update(
    {
        results.RegressionResult: {
            "coef": ("asset", "intercept+factor"),
            "stderr": ("asset", "intercept+factor"),
            "tstat": ("asset", "intercept+factor"),
            "r2": ("asset",),
            "adj_r2": ("asset",),
            "resid_vol": ("asset",),
            "nobs": ("asset",),
            "resid_ss": ("asset",),
            "total_ss": ("asset",),
            "factor_ss": ("asset", "factor"),
        },
        results.RiskSplit: {"total_var": ("asset",), "specific_var": ("asset",), "factor_var": ("asset", "factor")},
        results.CapmResult: dict.fromkeys(
            ("alpha", "beta", "tstat_alpha", "tstat_beta", "r2", "mean_return", "mean_rf", "mean_premium"), ("asset",)
        ),
        results.Collinearity: {"corr": ("factor", "factor"), "vif": ("factor",)},
        results.GRSResult: {"alpha": ("asset",)},
        backtest.BacktestResult: {
            "returns": ("model", "row"),
            "predicted_vol": ("model", "row"),
            "lambdas": ("model", "rebalance"),
        },
    }
)


def _classes() -> list[type]:
    out = [c for c in AXES if isinstance(c, type)]
    return [*out, results.FamaMacBethResult]


def _short(value: Any) -> str:
    """A field in a line: a number to 4 significant digits, a short vector, or an array's dtype and shape."""
    if isinstance(value, float | np.floating):
        return f"{float(value):.4g}"
    if isinstance(value, np.ndarray):
        if value.ndim == 1 and value.size <= 6 and value.dtype.kind in "fiub":
            return "[" + ", ".join(_short(v) if value.dtype.kind == "f" else str(v) for v in value.tolist()) + "]"
        return f"<{value.dtype} array {'x'.join(map(str, value.shape))}>"
    if dataclasses.is_dataclass(value):
        return f"<{type(value).__name__}>"
    if isinstance(value, tuple | list) and any(isinstance(v, np.ndarray) for v in value):
        return f"<{type(value).__name__} of {len(value)} arrays>"
    text = " ".join(repr(value).split())
    return text if len(text) <= 60 else text[:57] + "..."


def _fields(obj: Any) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)} if dataclasses.is_dataclass(obj) else {}


def result_repr(self: Any) -> str:
    """``Name(field=value, ...)`` with arrays as their shape: one line per field when it would not fit in one."""
    parts = [f"{k}={_short(v)}" for k, v in _fields(self).items()]
    one = f"{type(self).__name__}({', '.join(parts)})"
    return one if len(one) <= 100 else f"{type(self).__name__}(\n    " + ",\n    ".join(parts) + ",\n)"


def _context(raw: Any) -> dict[str, pd.Index]:
    ctx: dict[str, pd.Index] = {}
    for axis, field in RESULT_LABELS.get(type(raw), {}).items():
        ctx[axis] = pd.Index([str(s) if axis != "k" else s for s in getattr(raw, field)], name=axis)
    if isinstance(raw, backtest.BacktestResult):
        ctx["model"] = pd.Index(raw.models, name="model")
    return {**ctx, **_derived(raw, ctx)}


def table(raw: Any, ctx: dict[str, pd.Index] | None = None) -> pd.DataFrame | None:
    """The natural table of ``raw`` (see ``TABLES``), labelled by ``ctx`` (default: what the result carries)."""
    rows, names = _ROWS.get(type(raw).__name__, ((), ()))
    if not rows:
        return None
    ctx = {**_context(raw), **(ctx or {})}
    axes = AXES.get(type(raw), {})
    if isinstance(raw, backtest.BacktestResult):
        return pd.DataFrame(raw.stats, index=pd.Index(raw.models, name="model"))
    cols: dict[str, Any] = {}
    spread = [n for n in names if len(axes.get(n, ())) == len(rows) + 1]
    for n in names:
        value = label(getattr(raw, n), axes[n], ctx)
        if len(axes[n]) == len(rows):
            cols[n] = value.stack() if isinstance(value, pd.DataFrame) else value
        elif len(axes[n]) == len(rows) + 1:
            for c in value.columns:
                cols[str(c) if len(spread) == 1 else f"{n} {c}"] = value[c]
    return pd.DataFrame(cols)


def to_frame(self: Any) -> pd.DataFrame:
    """The result's natural table as a DataFrame (one row per asset, lambda and asset, period, ...).

    Labelled by position, or by the names the result carries; ``xlfactor.frames``' faces label it fully.
    """
    out = table(self)
    if out is None:
        raise TypeError(f"{type(self).__name__} has no single natural table; use its fields.")
    return out


def result_html(self: Any) -> str:
    """The fields as a small HTML table, then the natural table (its first 20 rows) when there is one."""
    raw = getattr(self, "raw", self)
    rows = "".join(
        f"<tr><td>{html.escape(k)}</td><td>{html.escape(_short(v))}</td></tr>" for k, v in _fields(raw).items()
    )
    out = f"<b>{html.escape(type(raw).__name__)}</b><table><tr><th>field</th><th>value</th></tr>{rows}</table>"
    frame = table(raw, self.labels if isinstance(self, Labelled) else None)
    if frame is not None:
        out += frame.head(HTML_ROWS).to_html(float_format=lambda v: f"{v:.4g}")
        more = _not_shown(frame, HTML_ROWS, len(frame.columns))
        out += f"<p>{html.escape(more)}</p>" if more else ""
    return out


REPR_ROWS, REPR_COLUMNS, HTML_ROWS = 10, 8, 20  # how much of the natural table a repr and the HTML table show


def _not_shown(frame: pd.DataFrame, rows: int, columns: int) -> str:
    """'... 350 more rows (360 in all) and 2 more columns; .to_frame() has them all', or '' when all show."""
    parts = [f"{len(frame) - rows} more rows ({len(frame)} in all)"] if len(frame) > rows else []
    parts += [f"{frame.shape[1] - columns} more columns"] if frame.shape[1] > columns else []
    return f"... {' and '.join(parts)}; .to_frame() has them all" if parts else ""


def labelled_repr(self: Labelled) -> str:
    frame = table(self.raw, self.labels)
    head = f"Labelled {type(self.raw).__name__} (fields: {', '.join(self.fields())})"
    if frame is None:
        return head
    more = _not_shown(frame, REPR_ROWS, REPR_COLUMNS)
    return f"{head}\n{frame.head(REPR_ROWS).to_string(max_cols=REPR_COLUMNS)}" + (f"\n{more}" if more else "")


def install() -> None:
    """Give every result class of the core its ``__repr__``, ``_repr_html_`` and ``to_frame``."""
    for cls in _classes():
        cls.__repr__ = result_repr  # type: ignore[method-assign,assignment]
        cls._repr_html_ = result_html  # type: ignore[attr-defined]
        if type(cls).__name__ != "Labelled" and cls.__name__ in _ROWS:
            cls.to_frame = to_frame  # type: ignore[attr-defined]
