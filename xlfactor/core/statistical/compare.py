"""Latent factors beside named ones: do the named factors span what the returns' own components find?

For k latent factors (``pca.pca``) and M named factors over the periods where every named factor is present:

- ``r2_latent`` / ``r2_named``: each asset's R2 on the k latent factors (``PCAResult.r2``) and on the named ones
  (OLS with an intercept, ``regression.ols``);
- ``canonical``: the canonical correlations between the latent and the named factor returns, min(k, M) of them,
  descending (the cosines of the principal angles between the two centred column spaces: singular values of
  ``Qa' Qb`` with ``Qa``, ``Qb`` orthonormal bases), statsmodels ``CanCorr``;
- ``latent_on_named``: each latent factor's R2 on the named factors (with an intercept), and ``latent_share``:
  the share of the latent factors' total variance the named factors explain (their explained variances summed
  over their variances summed); ``named_on_latent``: each named factor's R2 on the latent ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .. import _validation as v
from .. import regression
from ..options import DEFAULTS
from . import components as _pca


@dataclass(frozen=True, eq=False)
class LatentVsNamed:
    """Latent and named factors side by side (see the module docstring).

    Attributes
    ----------
    k : int
        Number of latent factors.
    r2_latent, r2_named : ndarray, shape (N,)
        Each asset's R2 on the k latent and on the named factors.
    canonical : ndarray, shape (min(k, M),)
        Canonical correlations between the latent and the named factor returns, descending.
    latent_on_named : ndarray, shape (k,)
        Each latent factor's R2 on the named factors.
    named_on_latent : ndarray, shape (M,)
        Each named factor's R2 on the latent ones.
    latent_share : float
        Share of the latent factors' total variance the named factors explain.
    rows : int
        Periods used (every named factor present).

    Examples
    --------
    >>> import numpy as np
    >>> f = np.random.default_rng(2).normal(size=(100, 1))
    >>> y = f @ np.ones((1, 5)) + 0.1 * np.random.default_rng(3).normal(size=(100, 5))
    >>> res = latent_vs_named(y, f, 1)
    >>> bool(res.canonical[0] > 0.99), res.rows
    (True, 100)
    """

    k: int
    r2_latent: np.ndarray  # (N,)
    r2_named: np.ndarray  # (N,)
    canonical: np.ndarray  # (min(k, M),)
    latent_on_named: np.ndarray  # (k,)
    named_on_latent: np.ndarray  # (M,)
    latent_share: float
    rows: int  # periods used (every named factor present)


def canonical_correlations(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Canonical correlations of two complete, full-rank tables with the same rows, descending."""
    qa = np.linalg.qr(a - a.mean(axis=0))[0]
    qb = np.linalg.qr(b - b.mean(axis=0))[0]
    return np.clip(np.linalg.svd(qa.T @ qb, compute_uv=False), 0.0, 1.0)


def r2_on(target: np.ndarray, regressors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(explained, total) sums of squares of each target column regressed on ``regressors`` with an intercept."""
    tc = target - target.mean(axis=0)
    q = np.linalg.qr(regressors - regressors.mean(axis=0))[0]
    fit = q @ (q.T @ tc)
    return (fit**2).sum(axis=0), (tc**2).sum(axis=0)


def latent_vs_named(
    returns: ArrayLike,
    named: ArrayLike,
    k: int,
    *,
    demean: bool = True,
    standardize: bool = DEFAULTS["pca_standardize"],
    asset_names: v.Names = None,
    factor_names: v.Names = None,
) -> LatentVsNamed:
    """Each asset's R2 on k latent vs on the named factors; canonical correlations; variance shares.

    Parameters
    ----------
    returns : array_like
        (T, N) excess returns; gaps are filled by the EM estimate (``pca.pca``), R2 measured on observed rows.
    named : array_like
        (T, M) named factor returns; periods where one is missing are left out of the comparisons between
        factors (every period still counts for the PCA).
    k : int
        Number of latent factors.
    demean, standardize : bool
        Preparation of the panel, as in ``pca.pca``.
    asset_names, factor_names : sequence of str, optional
        Names used in error messages.

    Returns
    -------
    LatentVsNamed

    Raises
    ------
    InputShapeError
        ``named`` covers other periods than ``returns``.
    CollinearityError
        A named factor that is constant or a combination of the others.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(size=(200, 2))
    >>> y = f @ rng.normal(size=(2, 10)) + 0.1 * rng.normal(size=(200, 10))
    >>> res = latent_vs_named(y, f, k=2)
    >>> bool(res.canonical.min() > 0.99), bool(res.latent_share > 0.98)
    (True, True)
    """
    y = v.as_float_2d(returns, "returns")
    g = v.as_float_2d(named, "named")
    v.check_same_rows(y, g, "returns", "named")
    rows = v.check_factor_columns(g, g.shape[1] + k + 2, "named", factor_names)
    where = f"the {int(rows.sum())} periods where every named factor is present"
    v.check_not_constant(g[rows], where, factor_names, "named")
    v.check_not_collinear(g[rows], where, "the comparison needs distinct factors.", factor_names)
    fit = _pca.pca(y, k, demean=demean, standardize=standardize, asset_names=asset_names)
    ols = regression.ols(y, g, asset_names=asset_names, factor_names=factor_names, factors_arg="named")
    f, gn = fit.factors[rows], g[rows]
    ess_l, tss_l = r2_on(f, gn)
    ess_n, tss_n = r2_on(gn, f)
    return LatentVsNamed(
        k=fit.k,
        r2_latent=fit.r2,
        r2_named=ols.r2,
        canonical=canonical_correlations(f, gn),
        latent_on_named=ess_l / tss_l,
        named_on_latent=ess_n / tss_n,
        latent_share=float(ess_l.sum() / tss_l.sum()),
        rows=int(rows.sum()),
    )


__all__ = ["LatentVsNamed", "canonical_correlations", "latent_vs_named"]
