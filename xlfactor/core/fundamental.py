"""Fundamental (characteristics) factor model from a long table: one cross-sectional regression per period.

Each period regresses the assets' returns on ``[1, characteristics, industry dummies]`` by weighted least squares
(weights such as the square root of capitalisation; default equal). With industries the dummies and the intercept
are collinear; the industry factor returns are constrained to sum to zero, imposed by reparametrisation: the last
industry's dummy is subtracted from the others' and its return is minus the sum of theirs. The intercept is then
the return of the (equal-weighted across industries) market, and each industry's return is relative to it.

Outputs: factor returns per period (intercept, characteristics, industries), their covariance (ddof 1), specific
returns (the residuals, one per row of the table), each asset's specific variance (ddof 1 over its periods), and a
risk model ``FactorModel`` on the exposures of the last period, which ``risk.allocate`` accepts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ..errors import InputShapeError, InputValueError, InsufficientDataError
from . import _validation as v
from .risk import FactorModel


@dataclass(frozen=True, eq=False)
class FundamentalResult:
    """Factor returns, specific returns and risk of a characteristics model, and its risk model.

    Attributes
    ----------
    periods : ndarray, shape (P,)
        The periods, sorted.
    assets : ndarray, shape (A,)
        The assets of the last period, in order of first appearance.
    factor_names : tuple of str
        ``intercept``, the characteristics, then the industries.
    factor_returns : ndarray, shape (P, 1 + K + J)
        Per period; NaN rows for periods with too few assets. Industry returns sum to zero.
    specific_returns : ndarray, shape (n,)
        The residual of each row of the table (NaN where unused).
    specific_var : ndarray, shape (A,)
        Variance (ddof 1) of each last-period asset's specific returns.
    exposures : ndarray, shape (A, 1 + K + J)
        The last period's exposures: 1, characteristics, industry dummies.
    r2 : ndarray, shape (P,)
        Weighted cross-sectional R² per period.

    Examples
    --------
    >>> import numpy as np
    >>> per = np.repeat([1, 2, 3], 4)
    >>> ids = np.tile(["a", "b", "c", "d"], 3)
    >>> x = np.tile([[-1.0], [0.0], [1.0], [2.0]], (3, 1))
    >>> r = 0.01 + 0.02 * x[:, 0]
    >>> res = fundamental(per, ids, x, r)
    >>> np.round(res.factor_returns[0], 6).tolist(), res.model.loadings.shape
    ([0.01, 0.02], (4, 2))
    """

    periods: np.ndarray  # (P,) the periods, sorted
    assets: np.ndarray  # (A,) the assets of the last period, in order of first appearance
    factor_names: tuple  # ("intercept", characteristics..., industries...)
    factor_returns: np.ndarray  # (P, 1 + K + J), NaN rows for periods with too few assets
    specific_returns: np.ndarray  # (n,) residual of each row of the table (NaN where unused)
    specific_var: np.ndarray  # (A,) per asset of the last period
    exposures: np.ndarray  # (A, 1 + K + J) last period's exposures (1, characteristics, industry dummies)
    r2: np.ndarray  # (P,) weighted cross-sectional R² per period

    @property
    def factor_cov(self) -> np.ndarray:
        """Covariance (ddof 1) of the factor returns over the estimated periods."""
        used = self.factor_returns[np.isfinite(self.factor_returns).all(axis=1)]
        return np.atleast_2d(np.cov(used, rowvar=False))

    @property
    def model(self) -> FactorModel:
        """The risk model B F B' + D of the last period's assets."""
        return FactorModel.from_arrays(self.exposures, self.factor_cov, self.specific_var)


def _labels(values, name: str, n: int) -> np.ndarray:
    arr = np.asarray(values, dtype=object).ravel()
    if arr.size != n:
        raise InputShapeError(f"{name} has {arr.size} values but the table has {n} rows; give one per row.")
    missing = np.array([x is None or (isinstance(x, float) and np.isnan(x)) or x == "" for x in arr])
    if missing.any():
        raise InputValueError(f"{name} row {int(np.flatnonzero(missing)[0]) + 1} is blank; every row needs one.")
    return arr


def _codes(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique labels in order of first appearance, and each row's index into them."""
    index: dict = {}
    codes = np.array([index.setdefault(x, len(index)) for x in labels])
    return np.array(list(index), dtype=object), codes


def _design(chars: np.ndarray, industry: np.ndarray | None, n_ind: int) -> np.ndarray:
    """[1, characteristics, D_j - D_J for j < J]: the sum-to-zero constraint by reparametrisation."""
    cols = [np.ones((chars.shape[0], 1)), chars]
    if industry is not None:
        d = np.eye(n_ind)[industry]
        cols.append(d[:, :-1] - d[:, -1:])
    return np.column_stack(cols)


def expand(coef: np.ndarray, n_chars: int, n_ind: int) -> np.ndarray:
    """Factor returns from the reparametrised coefficients: the last industry's is minus the sum of the others'."""
    if not n_ind:
        return coef
    return np.concatenate([coef, [-coef[1 + n_chars :].sum()]])


def fundamental(
    periods: ArrayLike,
    assets: ArrayLike,
    characteristics: ArrayLike,
    returns: ArrayLike,
    *,
    industries: ArrayLike | None = None,
    weights: ArrayLike | None = None,
    characteristic_names: v.Names = None,
) -> FundamentalResult:
    """Characteristics model by per-period weighted cross-sectional regressions on a long table.

    Parameters
    ----------
    periods, assets : array_like
        One label per row (numbers or text).
    characteristics : array_like
        n x K exposures known at the start of each row's period (NaN: the row is left out).
    returns : array_like
        n returns over the row's period (NaN: left out).
    industries : array_like, optional
        One industry label per row (at least two industries); constrained to sum to zero.
    weights : array_like, optional
        Positive regression weights per row, e.g. the square root of capitalisation.
    characteristic_names : sequence of str, optional

    Returns
    -------
    FundamentalResult

    Raises
    ------
    InputShapeError, InputValueError
        Columns of different lengths, blank labels, non-positive weights, a single industry.
    InsufficientDataError
        Fewer than 2 periods with more assets than factors.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> per = np.repeat(np.arange(24), 30); ids = np.tile(np.arange(30), 24)
    >>> x = rng.normal(size=(720, 1)); r = 0.01 + 0.02 * x[:, 0] + rng.normal(0, 0.001, 720)
    >>> res = fundamental(per, ids, x, r)
    >>> np.round(res.factor_returns.mean(axis=0), 2)
    array([0.01, 0.02])
    """
    x = v.as_float_2d(characteristics, "characteristics")
    n, k = x.shape
    y = v.as_float_1d(returns, "returns")
    if y.size != n:
        raise InputShapeError(f"returns has {y.size} values but characteristics has {n} rows; one return per row.")
    per_names, per = _codes(_labels(periods, "periods", n))
    asset_names, asset = _codes(_labels(assets, "assets", n))
    ind, n_ind, ind_names = None, 0, []
    if industries is not None:
        names, ind = _codes(_labels(industries, "industries", n))
        n_ind, ind_names = names.size, [str(s) for s in names]
        if n_ind < 2:
            raise InputValueError(
                f"industries has one industry ({ind_names[0]}); it duplicates the intercept. "
                "Leave industries blank or give at least two."
            )
    w = np.ones(n) if weights is None else v.as_float_1d(weights, "weights")
    if w.size != n:
        raise InputShapeError(f"weights has {w.size} values but the table has {n} rows; one weight per row.")
    if (w[np.isfinite(w)] <= 0).any():
        raise InputValueError(f"weights row {int(np.flatnonzero(w <= 0)[0]) + 1} is not positive; weights must be > 0.")
    z = _design(x, ind, n_ind)
    p = z.shape[1]
    ok = np.isfinite(y) & np.isfinite(z).all(axis=1) & np.isfinite(w)
    pair = per * asset_names.size + asset
    _, first, counts = np.unique(pair, return_index=True, return_counts=True)
    if (counts > 1).any():
        i = int(first[np.flatnonzero(counts > 1)[0]])
        raise InputValueError(
            f"asset {asset_names[asset[i]]} appears more than once in period {per_names[per[i]]} "
            f"(first at row {i + 1}); each asset needs one row per period."
        )
    keys = per_names.astype(float) if _numeric(per_names) else per_names.astype(str)
    order = np.argsort(keys, kind="stable")
    rank_of = np.empty_like(order)
    rank_of[order] = np.arange(order.size)
    n_per = per_names.size
    fret = np.full((n_per, p + (n_ind > 0)), np.nan)
    r2 = np.full(n_per, np.nan)
    resid = np.full(n, np.nan)
    for s in range(n_per):
        rows = np.flatnonzero(ok & (per == s))
        if rows.size <= p:
            continue
        sw = np.sqrt(w[rows])
        coef, _, rank, _ = np.linalg.lstsq(z[rows] * sw[:, None], y[rows] * sw, rcond=None)
        if rank < p:
            continue
        e = y[rows] - z[rows] @ coef
        resid[rows] = e
        ybar = np.average(y[rows], weights=w[rows])
        r2[rank_of[s]] = 1.0 - (w[rows] * e**2).sum() / (w[rows] * (y[rows] - ybar) ** 2).sum()
        fret[rank_of[s]] = expand(coef, k, n_ind)
    used = np.isfinite(fret).all(axis=1).sum()
    if used < 2:
        raise InsufficientDataError(
            f"{used} period(s) have more assets with complete rows than the {p} factors "
            "(and exposures that separate them); the model needs at least 2."
        )
    chars = (
        [str(c) for c in characteristic_names]
        if characteristic_names is not None
        else [f"characteristic {j + 1}" for j in range(k)]
    )
    last = order[-1]
    last_rows = np.flatnonzero(per == last)
    assets_last = asset[last_rows]
    exposures = np.column_stack(
        [np.ones(last_rows.size), x[last_rows]] + ([np.eye(n_ind)[ind[last_rows]]] if ind is not None else [])
    )
    spec = np.array(
        [
            np.nanvar(resid[asset == a], ddof=1) if np.isfinite(resid[asset == a]).sum() > 1 else np.nan
            for a in assets_last
        ]
    )
    if not np.isfinite(spec).all() or not np.isfinite(exposures).all():
        j = int(np.flatnonzero(~np.isfinite(spec) | ~np.isfinite(exposures).all(axis=1))[0])
        raise InsufficientDataError(
            f"asset {asset_names[assets_last[j]]} of the last period has missing "
            "characteristics or fewer than 2 estimated periods; its risk is unknown."
        )
    return FundamentalResult(
        periods=per_names[order],
        assets=asset_names[assets_last],
        factor_names=("intercept", *chars, *ind_names),
        factor_returns=fret,
        specific_returns=resid,
        specific_var=spec,
        exposures=exposures,
        r2=r2,
    )


def _numeric(labels: np.ndarray) -> bool:
    return all(isinstance(a, (int, float, np.integer, np.floating)) for a in labels)
