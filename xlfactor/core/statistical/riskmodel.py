"""Latent-factor risk models ``B F B' + D``: on one sample, and re-estimated on every window of a backtest.

On the prepared panel (``pca.prepare``) with k components: loadings ``B = diag(scale) V_k`` (returns' units),
factor returns ``F = Z V_k`` with covariance ``F_cov`` (``risk.factor_covariance``; for ``sample`` it is
``diag(eigenvalues[:k])``), specific variances the forecast convention of every model, ``RSS / (n - k - 1)``
of each asset's residual ``y - F B'`` on its observed rows (``risk.specific_variance(y, F, B)``: the Excel
chain ``SPECIFIC_VAR(returns, PCA_FACTORS(...), PCA_LOADINGS(...))`` gives the same). With the sample
covariance on a complete panel the model's variances are the sample variances plus ``k / (n - k - 1)`` of
the residual variances (the residuals are orthogonal to the factors).

``rolling_latent`` keeps the descriptive ``RSS / (n - 1)`` of ``rolling.RollingResult`` (the backtest applies
the degrees of freedom of each window's k).

k is given, or chosen by a criterion of ``count`` (``options.NUM_FACTOR_CRITERIA``) up to ``kmax``.

On rolling or expanding windows (``rolling_latent``) the windows are stacked and decomposed together (one
batched ``eigh`` of the N x N Gram matrices); in each window only the assets with a number in every period of
the window are modelled (the others get NaN, so an allocation leaves them out), and k is chosen per window.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ...errors import InsufficientDataError
from .. import _validation as v
from .. import risk, rolling
from .._threads import single_threaded
from ..options import DEFAULTS, NUM_FACTOR_CRITERIA
from . import components as _pca
from . import count

BATCH_CELLS = 4_000_000  # floats stacked per batch of windows (32 MB)


def _choose_k(k, criterion, kmax, t, n, demean):
    """(k or None, kmax, criterion index): a fixed k, or the criterion that will choose it."""
    if k is not None and not (isinstance(k, str) and not k.strip()):
        return _pca.check_k(k, min(n, t - int(demean))), None, None
    crit = v.choose(criterion, NUM_FACTOR_CRITERIA, "criterion", DEFAULTS["criterion"])
    return None, count.check_kmax(kmax, t, n, demean), NUM_FACTOR_CRITERIA.index(crit)


def latent_risk_model(
    returns: ArrayLike,
    k: int | None = None,
    *,
    criterion: str = DEFAULTS["criterion"],
    kmax: int | None = None,
    standardize: bool = DEFAULTS["pca_standardize"],
    cov_method: str = DEFAULTS["cov_method"],
    halflife: float | None = None,
    asset_names: v.Names = None,
) -> risk.FactorModel:
    """The latent-factor risk model ``B F B' + D`` of a return panel (see the module docstring).

    Parameters
    ----------
    returns : array_like
        (T, N) excess returns; gaps are filled by the EM estimate.
    k : int, optional
        Number of latent factors; None: chosen by ``criterion`` among 1..kmax.
    criterion : str
        One of ``options.NUM_FACTOR_CRITERIA`` (default ``options.DEFAULTS["criterion"]``).
    kmax : int, optional
        Largest k the criterion considers (default ``min(8, min(N, T - 1) - 2)``).
    standardize : bool
        Components of the correlation rather than the covariance.
    cov_method, halflife
        Factor covariance, as ``risk.factor_covariance``.
    asset_names : sequence of str, optional
        Names used in error messages.

    Returns
    -------
    risk.FactorModel
        Accepted by ``risk.allocate`` and ``risk.risk_contributions`` like any other.

    Raises
    ------
    InsufficientDataError
        Too few periods or assets, or an asset with too few numbers.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = rng.normal(0, 0.04, (240, 1)) @ np.ones((1, 8)) + rng.normal(0, 0.02, (240, 8))
    >>> model = latent_risk_model(y, k=1)
    >>> resid_var = y.var(axis=0, ddof=1) - model.loadings[:, 0] ** 2 * model.factor_cov[0, 0]
    >>> bool(np.allclose(model.specific_var, resid_var * 239 / 238))
    True
    """
    x = v.as_float_2d(returns, "returns")
    t, n = x.shape
    k, kmax, c = _choose_k(k, criterion, kmax, t, n, True)
    if k is None:
        res = count.factor_count(x, kmax, standardize=standardize, asset_names=asset_names)
        k = res.chosen[NUM_FACTOR_CRITERIA[c]]
    fit = _pca.pca(x, k, standardize=standardize, asset_names=asset_names)
    loadings = fit.loadings * fit.scale[:, None]
    cov_method = v.choose(cov_method, risk.COV_METHODS, "cov_method", "sample")
    risk.check_cov_used(cov_method, "cov_method", halflife=halflife)
    f_cov = (
        np.diag(fit.eigenvalues[:k])
        if cov_method == "sample"
        else risk.factor_covariance(fit.factors, cov_method, halflife)
    )
    return risk.FactorModel.from_arrays(loadings, f_cov, risk.specific_variance(x, fit.factors, loadings))


@dataclass(frozen=True, eq=False)
class LatentRollingResult(rolling.RollingResult):
    """``rolling.RollingResult`` of latent factors: loadings padded with zero columns to the largest k."""

    n_factors: np.ndarray | None = None  # (W,) k in each window
    factor_returns: tuple = ()  # per window, its latent factor returns (rows of the window, its own k columns)

    def window_factors(self, w: int) -> tuple[np.ndarray, int]:
        """(factor returns over window w, its number of factors k): what a risk model of window w is made of."""
        assert self.n_factors is not None
        return self.factor_returns[w], int(self.n_factors[w])


def rolling_latent(
    returns: ArrayLike,
    window: int,
    *,
    step: int = 1,
    expanding: bool = False,
    k: int | None = None,
    criterion: str = DEFAULTS["criterion"],
    kmax: int | None = None,
    standardize: bool = DEFAULTS["pca_standardize"],
    cov_method: str = DEFAULTS["cov_method"],
    halflife: float | None = None,
) -> LatentRollingResult:
    """Latent-factor risk models on rolling or expanding windows (``rolling.windows``), k fixed or chosen in each.

    Parameters
    ----------
    returns : array_like
        (T, N) excess returns.
    window, step, expanding
        The windows, as ``rolling.windows``.
    k, criterion, kmax, standardize, cov_method, halflife
        As ``latent_risk_model``, applied in each window.

    Returns
    -------
    LatentRollingResult
        Per window: loadings (W, N, K) with K the largest k (zero columns beyond the window's k), factor
        covariance, specific variances, R2, the window means as ``intercept``, ``n_factors``, and
        ``factor_returns`` (the window's k latent factor returns, rows of the window; ``window_factors(w)``).

    Raises
    ------
    InsufficientDataError
        A window with fewer than 3 assets present in each of its periods.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = rng.normal(0, 0.04, (120, 1)) @ np.ones((1, 8)) + rng.normal(0, 0.02, (120, 8))
    >>> res = rolling_latent(y, 60, step=12)
    >>> res.loadings.shape[:2], res.n_factors.tolist()
    ((6, 8), [1, 1, 1, 1, 1, 1])
    """
    y = v.as_float_2d(returns, "returns")
    spans = np.array(rolling.windows(y.shape[0], window, step, expanding)).reshape(-1, 2)
    cov_method = v.choose(cov_method, risk.COV_METHODS, "cov_method", DEFAULTS["cov_method"])
    risk.check_cov_used(cov_method, "cov_method", halflife=halflife)
    if cov_method != "sample":
        risk.factor_covariance(y[:, :1], cov_method, halflife)  # checks halflife once
    groups: dict = {}
    for w, (a, b) in enumerate(spans):
        have = np.isfinite(y[a : b + 1]).all(axis=0)
        if have.sum() < 3:
            raise InsufficientDataError(
                f"the window of rows {a + 1}-{b + 1} has {int(have.sum())} asset(s) with a "
                "number in every period; a latent-factor model needs at least 3."
            )
        groups.setdefault((b - a + 1, have.tobytes()), []).append(w)
    n_win, n = len(spans), y.shape[1]
    parts = []
    for (length, mask), members in groups.items():
        have = np.frombuffer(mask, dtype=bool)
        fixed, top, c = _choose_k(k, criterion, kmax, length, int(have.sum()), True)
        size = max(1, BATCH_CELLS // (length * int(have.sum())))
        for i in range(0, len(members), size):
            ws = np.array(members[i : i + size])
            stack = np.stack([y[spans[w, 0] : spans[w, 1] + 1][:, have] for w in ws])
            with single_threaded():  # many small decompositions (586 eigh of 30 x 30: 0.3 s, 6-20 s on 2 threads)
                parts.append((ws, have, _estimate(stack, fixed, top, c, standardize, cov_method, halflife)))
    width = max(p[2]["loadings"].shape[2] for p in parts)
    out = {
        "intercept": np.full((n_win, n), np.nan),
        "loadings": np.full((n_win, n, width), np.nan),
        "r2": np.full((n_win, n), np.nan),
        "specific_var": np.full((n_win, n), np.nan),
        "factor_cov": np.zeros((n_win, width, width)),
        "nobs": np.zeros((n_win, n), int),
        "n_factors": np.zeros(n_win, int),
    }
    factor_returns: list = [None] * n_win
    for ws, have, est in parts:
        kw = est["loadings"].shape[2]
        cols = np.flatnonzero(have)
        out["loadings"][np.ix_(ws, cols)] = 0.0
        out["loadings"][np.ix_(ws, cols, np.arange(kw))] = est["loadings"]
        out["factor_cov"][:, :kw, :kw][ws] = est["factor_cov"]
        for name in ("intercept", "r2", "specific_var"):
            out[name][np.ix_(ws, cols)] = est[name]
        out["nobs"][np.ix_(ws, cols)] = spans[ws, 1:] - spans[ws, :1] + 1
        out["n_factors"][ws] = est["n_factors"]
        for w, fr, kf in zip(ws, est["factors"], est["n_factors"], strict=True):
            factor_returns[w] = fr[:, :kf]
    return LatentRollingResult(
        method="statistical",
        starts=spans[:, 0],
        ends=spans[:, 1],
        lambdas=np.full(n_win, np.nan),
        factor_returns=tuple(factor_returns),
        **out,
    )


def _estimate(stack: np.ndarray, k, kmax, c, standardize: bool, cov_method: str, halflife) -> dict:
    """Every window's model from a stack of complete windows of one length (G, L, n), decomposed together."""
    g, length, n = stack.shape
    mean = stack.mean(axis=1)
    z = stack - mean[:, None, :]
    scale = np.sqrt((z**2).mean(axis=1)) if standardize else np.ones((g, n))
    if standardize:
        flat = np.argwhere(~(scale > 0))
        if flat.size:
            raise v.InputValueError(
                f"an asset ({flat[0][1] + 1}th of those present) is constant over a window; "
                "it cannot be standardised: set standardize to FALSE."
            )
        z = z / scale[:, None, :]
    lam, vec = np.linalg.eigh(np.matmul(z.transpose(0, 2, 1), z))
    lam, vec = np.clip(lam[:, ::-1], 0.0, None), vec[:, :, ::-1]
    total = lam.sum(axis=1)
    if k is None:
        kw = count.choose_k(count.criteria_values(lam, total, length, n, kmax))[:, c]
        width = int(kw.max())
    else:
        kw, width = np.full(g, k), k
    keep = np.arange(width) < kw[:, None]  # (G, width) the window's own components
    load = vec[:, :, :width] * _pca.signs(vec[:, :, :width]) * keep[:, None, :]
    var = lam[:, :width] / (length - 1) * keep
    factors = np.matmul(z, load)  # (G, L, width), zero beyond each window's k
    if cov_method == "sample":
        f_cov = var[:, :, None] * np.eye(width)
    else:  # on the window's own k factors only (a zero column would change a shrinkage target or a correlation)
        f_cov = np.zeros((g, width, width))
        for i, (fw, kf) in enumerate(zip(factors, kw, strict=True)):
            f_cov[i, :kf, :kf] = risk.factor_covariance(fw[:, :kf], cov_method, halflife)
    total_var = (z**2).sum(axis=1) / (length - 1)
    spec = np.maximum(total_var - ((load**2) * var[:, None, :]).sum(axis=2), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        r2 = 1.0 - spec / total_var
    return {
        "intercept": mean,
        "loadings": load * scale[:, :, None],
        "factor_cov": f_cov,
        "specific_var": spec * scale**2,
        "r2": r2,
        "n_factors": kw,
        "factors": factors,
    }


__all__ = ["LatentRollingResult", "latent_risk_model", "rolling_latent"]
