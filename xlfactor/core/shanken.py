"""Shanken's (1992) errors-in-variables correction and traded versus non-traded factors.

Premia estimated on estimated betas have a larger sampling variance than Fama-MacBeth's standard errors say:
``V = ((1 + c) A S_e A' + S_f*) / T`` with ``c = lam' S_f^-1 lam`` (the factor premia's squared Sharpe ratio),
``A S_e A' / T`` the part of the Fama-MacBeth variance from the residuals and ``S_f*`` the factor covariance
bordered with zeros for the intercept. Given a Fama-MacBeth covariance ``V_FM = (A S_e A' + S_f*) / T``,
``V = (1 + c) (V_FM - S_f* / T) + S_f* / T``.

A factor is *traded* when it is the (excess) return of a portfolio: then its alpha-based tests (GRS, CAPM expected
returns) are meaningful. Growth rates and changes of macro series are not; their premia come from the cross-section
(``premia``) or from a mimicking portfolio (``mimicking``). Unless told otherwise every factor counts as traded,
as the returns-based functions always assumed; the shipped macro series are marked not traded
(``xlfactor.data.macro.TRADED``; ``load_macro`` puts them in the frame's ``attrs["traded"]``, which ``frames.grs``
and ``frames.capm`` read: the default is what the data say, and all traded for data that say nothing).
"""

from __future__ import annotations

import numpy as np

from ..errors import InputShapeError, InputValueError, InsufficientDataError
from . import _validation as v


def shanken_covariance(
    resid_part: np.ndarray, factor_cov: np.ndarray, c: float, nobs: int, intercept: bool
) -> np.ndarray:
    """``((1 + c) A S_e A' + S_f*) / T`` given ``A S_e A'``, ``S_f``, ``c`` and ``T``.

    Examples
    --------
    >>> shanken_covariance(np.eye(1), np.eye(1), 0.5, 10, False).tolist()
    [[0.25]]
    """
    p = resid_part.shape[0]
    border = np.zeros((p, p))
    border[int(intercept) :, int(intercept) :] = factor_cov
    return ((1.0 + c) * resid_part + border) / nobs


def correct_fama_macbeth(
    cov_fm: np.ndarray, premia: np.ndarray, factors, used_periods: np.ndarray
) -> tuple[np.ndarray, float]:
    """Shanken-corrected covariance of Fama-MacBeth premia (intercept first) and ``1 + c``.

    ``factors`` (T x K, the factors whose full-sample betas were the exposures) give ``S_f`` (ddof 1) over the
    periods ``used_periods`` (a boolean mask of length T) where every factor is present.
    """
    f = v.as_float_2d(factors, "factors")
    k = premia.size - 1
    if f.shape[1] != k:
        raise InputShapeError(
            f"factors has {f.shape[1]} columns but the exposures have {k}; pass the factors whose "
            "betas are the exposures, one column each, in the same order."
        )
    if f.shape[0] != used_periods.size:
        raise InputShapeError(
            f"factors has {f.shape[0]} rows but returns has {used_periods.size}; both must cover the same periods."
        )
    rows = used_periods & np.isfinite(f).all(axis=1)
    if rows.sum() < k + 2:
        raise InsufficientDataError(
            f"factors is present in {rows.sum()} of the periods used; the Shanken correction needs at least {k + 2}."
        )
    s_f = np.atleast_2d(np.cov(f[rows], rowvar=False))
    v.check_not_constant(f[rows], "the periods used")
    c = float(premia[1:] @ np.linalg.solve(s_f, premia[1:]))
    t = int(used_periods.sum())
    fm_resid = cov_fm * t
    fm_resid[1:, 1:] -= s_f
    return shanken_covariance(fm_resid, s_f, c, t, True), 1.0 + c


def traded_flags(traded, n_factors: int, factor_names: v.Names = None) -> np.ndarray:
    """One flag per factor: None means every factor is traded; one value applies to all.

    Examples
    --------
    >>> traded_flags([True, False], 2).tolist()
    [True, False]
    """
    if traded is None:
        return np.ones(n_factors, bool)
    flags = np.atleast_1d(np.asarray(traded)).ravel()
    if flags.dtype.kind not in "biuf" or not np.isin(flags.astype(float), (0.0, 1.0)).all():
        raise InputValueError("traded must be TRUE/FALSE (or 1/0) per factor.")
    flags = flags.astype(bool)
    if flags.size == 1:
        return np.full(n_factors, flags[0])
    if flags.size != n_factors:
        raise InputShapeError(f"traded has {flags.size} values but there are {n_factors} factors; give one per factor.")
    return flags


def require_traded(traded, n_factors: int, what: str, factor_names: v.Names = None) -> None:
    """Refuse a returns-based statistic when a factor is not traded, pointing at the alternatives."""
    flags = traded_flags(traded, n_factors, factor_names)
    if not flags.all():
        j = int(np.flatnonzero(~flags)[0])
        raise InputValueError(
            f"{what} needs traded factors (returns of portfolios), but factors {v.label('column', j, factor_names)} "
            "is not traded; price it by its risk premium (premia, RISK_PREMIA) and test the pricing errors with "
            "their J test instead, or use the factor's mimicking portfolio."
        )
