"""How many latent factors: Bai and Ng (2002) information criteria, Ahn and Horenstein (2013) ratios.

On the prepared panel Z (T x N, see ``pca.prepare``) with eigenvalues ``l_1 >= l_2 >= ...`` of ``Z'Z``, let
``V(k) = sum_{j > k} l_j / (N T)`` (the mean squared residual of k principal components) and
``g1 = (N + T) / (N T) ln(N T / (N + T))``, ``g2 = (N + T) / (N T) ln(min(N, T))``. For k = 1..kmax:

- Bai-Ng ``ic_p1 = ln V(k) + k g1``, ``ic_p2 = ln V(k) + k g2`` (chosen k: the smallest value);
- Bai-Ng ``pc_p1 = V(k) + k V(kmax) g1``, ``pc_p2 = V(k) + k V(kmax) g2`` (the smallest);
- Ahn-Horenstein eigenvalue ratio ``er = l_k / l_{k+1}`` and growth ratio
  ``gr = ln(V(k-1) / V(k)) / ln(V(k) / V(k+1))`` (the largest).

k is chosen among 1..kmax (the papers also allow 0: an analyst asking "how many" of a return panel has at least
the market). kmax is at most ``min(N, T') - 2`` (T' the rows less one if demeaned), so that ``V(kmax + 1) > 0``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ...errors import InputValueError, InsufficientDataError
from .. import _validation as v
from ..options import DEFAULTS, NUM_FACTOR_CRITERIA
from . import components as _pca

LARGER_IS_BETTER = ("er", "gr")
KMAX_DEFAULT = 8  # Bai and Ng's kmax in their simulations


@dataclass(frozen=True, eq=False)
class FactorCount:
    """The number of factors by each criterion, with the criteria's values for k = 1..kmax.

    Attributes
    ----------
    criteria : tuple of str
        The criteria's names, ``options.NUM_FACTOR_CRITERIA``.
    values : ndarray, shape (C, kmax)
        Each criterion at k = 1..kmax.
    chosen : dict
        Criterion name -> the k it chooses.
    eigenvalues, explained : ndarray, shape (q,)
        Variances of the leading components (q >= kmax + 1) and their shares of the total variance.
    kmax : int
        The largest k considered.
    em_converged : bool
        False when the EM fill of the gaps did not converge in ``max_iter`` iterations: the criteria are then those
        of its last fill (a warning, shown by FACTOR_COUNT's output "note" and the Statistical sheet).
    em_change : float
        The EM fill's last relative change (0 for a complete panel).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> res = factor_count(rng.normal(size=(120, 1)) @ rng.normal(size=(1, 30)) + rng.normal(size=(120, 30)))
    >>> res.values.shape, res.chosen["er"], res.ks[:3].tolist()
    ((6, 8), 1, [1, 2, 3])
    """

    criteria: tuple[str, ...]  # names, ``options.NUM_FACTOR_CRITERIA``
    values: np.ndarray  # (C, kmax) each criterion at k = 1..kmax
    chosen: dict  # criterion -> k
    eigenvalues: np.ndarray  # (q,) variances of the leading components (q >= kmax + 1)
    explained: np.ndarray  # (q,) their shares of the total variance
    kmax: int
    em_converged: bool = True  # False: the criteria are those of the EM's last fill (not converged in max_iter)
    em_change: float = 0.0  # the EM fill's last relative change (0 for a complete panel)

    @property
    def ks(self) -> np.ndarray:
        return np.arange(1, self.kmax + 1)


def max_kmax(t: int, n: int, demean: bool) -> int:
    return min(n, t - int(demean)) - 2


def criteria_values(lam: np.ndarray, total: np.ndarray, t, n, kmax: int) -> np.ndarray:
    """(..., C, kmax) values of every criterion from the leading ``kmax + 1`` eigenvalues of Z'Z (``lam`` (...,
    q >= kmax + 1), descending) and their total ``total`` (...,); ``t`` and ``n`` broadcast against ``total``."""
    lam = lam[..., : kmax + 1]
    nt = np.asarray(n * t, float)[..., None]
    tail = np.concatenate([np.asarray(total, float)[..., None], total[..., None] - np.cumsum(lam, axis=-1)], axis=-1)
    tail = np.maximum(tail, 0.0) / nt  # V(0), ..., V(kmax + 1)
    k = np.arange(1, kmax + 1)
    scale = np.asarray((n + t), float)[..., None] / nt
    g1, g2 = scale * np.log(1.0 / scale), scale * np.log(np.minimum(n, t))[..., None]
    vk = tail[..., 1 : kmax + 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        out = {
            "ic_p1": np.log(vk) + k * g1,
            "ic_p2": np.log(vk) + k * g2,
            "pc_p1": vk + k * tail[..., kmax : kmax + 1] * g1,
            "pc_p2": vk + k * tail[..., kmax : kmax + 1] * g2,
            "er": lam[..., :kmax] / lam[..., 1 : kmax + 1],
            "gr": np.log(tail[..., :kmax] / vk) / np.log(vk / tail[..., 2 : kmax + 2]),
        }
    return np.stack([out[c] for c in NUM_FACTOR_CRITERIA], axis=-2)


def choose_k(values: np.ndarray) -> np.ndarray:
    """(..., C) the k (1-based) each criterion chooses from ``criteria_values``."""
    sign = np.array([-1.0 if c in LARGER_IS_BETTER else 1.0 for c in NUM_FACTOR_CRITERIA])[:, None]
    scored = np.where(np.isfinite(values), values * sign, np.inf)
    return scored.argmin(axis=-1) + 1


def check_kmax(kmax, t: int, n: int, demean: bool) -> int:
    top = max_kmax(t, n, demean)
    if top < 1:
        raise InsufficientDataError(
            f"returns is {t} x {n}; counting factors needs at least 3 assets and {3 + int(demean)} periods."
        )
    if kmax is None or (isinstance(kmax, str) and not kmax.strip()):
        return min(KMAX_DEFAULT, top)
    return v.check_nonneg_int(kmax, "kmax", minimum=1, maximum=top)


def factor_count(
    returns: ArrayLike,
    kmax: int | None = None,
    *,
    demean: bool = True,
    standardize: bool = DEFAULTS["pca_standardize"],
    tol: float = _pca.EM_TOL,
    max_iter: int = _pca.EM_MAX_ITER,
    asset_names: v.Names = None,
) -> FactorCount:
    """The number of latent factors in a return panel by each criterion of ``options.NUM_FACTOR_CRITERIA``.

    Parameters
    ----------
    returns : array_like
        (T, N) returns, periods down the rows; gaps are filled by the EM estimate with ``kmax`` factors. If it
        does not converge in ``max_iter`` iterations the criteria are those of its last fill, flagged by
        ``em_converged`` (with kmax factors of few assets, an asset with a long gap can take a component of its
        own, whose fill the data do not pin down: one of the 12 shipped industries starting 5 years late).
    kmax : int, optional
        Largest number of factors considered, 1 to ``min(N, T - 1) - 2``; default ``min(8, that)``.
    demean, standardize : bool
        Preparation of the panel, as in ``pca``.
    tol, max_iter : float, int
        EM stopping rule for a panel with gaps.
    asset_names : sequence of str, optional
        Names used in error messages.

    Returns
    -------
    FactorCount
        Each criterion's values for k = 1..kmax and its choice.

    Raises
    ------
    InsufficientDataError
        A panel too small to count factors in, or an asset with too few numbers.
    InputValueError
        kmax out of range, or a constant asset with ``standardize``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> f, b = rng.normal(size=(240, 3)), rng.normal(size=(100, 3))
    >>> res = factor_count(f @ b.T + rng.normal(size=(240, 100)))
    >>> res.chosen["ic_p2"], res.chosen["er"]
    (3, 3)
    """
    x = v.as_float_2d(returns, "returns")
    t, n = x.shape
    kmax = check_kmax(kmax, t, n, demean or standardize)
    tol = v.check_number(tol, "tol", low=0.0, low_open=True)
    change = 0.0
    if not np.isfinite(x).all():
        observed = _pca.check_coverage(x, kmax, asset_names)
        x, _, change = _pca.em_fill(
            x,
            kmax,
            demean,
            standardize,
            observed,
            tol,
            v.check_nonneg_int(max_iter, "max_iter", minimum=1),
            asset_names,
            strict=False,
        )
    z, _, _ = _pca.prepare(x, demean, standardize, asset_names)
    lam, _ = _pca.top_components(z, kmax + 1)
    total = float(np.einsum("ij,ij->", z, z))
    if lam[kmax] <= total * 1e-14:
        raise InputValueError(f"the returns have fewer than {kmax + 1} independent components; lower kmax.")
    values = criteria_values(lam, np.asarray(total), t, n, kmax)
    chosen = dict(zip(NUM_FACTOR_CRITERIA, (int(c) for c in choose_k(values)), strict=True))
    ddof = 1 if (demean or standardize) else 0
    return FactorCount(
        criteria=NUM_FACTOR_CRITERIA,
        values=values,
        chosen=chosen,
        eigenvalues=lam / (t - ddof),
        explained=lam / total,
        kmax=kmax,
        em_converged=bool(change < tol),
        em_change=change,
    )


__all__ = ["FactorCount", "check_kmax", "choose_k", "criteria_values", "factor_count"]
