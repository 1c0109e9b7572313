"""Risk forecasts judged as a risk team judges them: losses on many test portfolios, honest bands, pairwise tests.

Inputs are, per test portfolio, the realised return ``r_t`` of each out-of-sample period and the variance
``s_t`` forecast for it before it happened (one period per forecast). With ``z_t = r_t / sqrt(s_t)``:

- bias statistic: ``std(z, ddof=1)``; 1 when the forecasts are right (skfolio's ``bias_statistic``);
- QLIKE: ``mean(log s_t + r_t^2 / s_t)``, lower is better, minimised in expectation by the true variance
  (skfolio's ``qlike_loss``);
- MRAD: mean over every rolling ``window`` periods of ``|bias statistic in the window - 1|`` (Barra's mean
  rolling absolute deviation; ``window`` 12 = one year of months);
- variance calibration ratio: ``mean(r_t^2 / s_t)``; 1 when right (skfolio's
  ``portfolio_variance_calibration_ratio`` on each one-period test window, averaged);
- bands for the bias statistic: the normal band ``1 +- q / sqrt(2T)``, the kurtosis-adjusted band
  ``1 +- q sqrt((kappa - 1) / (4T))`` (delta method on the sample variance, kappa the sample kurtosis of z; it
  equals the normal band at kappa = 3) and a moving-block bootstrap interval of the statistic itself;
- Diebold-Mariano: ``mean(d) / sqrt(LRV(d) / T)`` for the loss differences ``d_t`` of two models, LRV the
  Newey-West (Bartlett) long-run variance; asymptotically standard normal, two-sided p-value.

And of the portfolio the backtest held: its one-way turnover (trades back to target from drifted weights) and the
dispersion of its realised risk contributions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from ..errors import InputShapeError, InputValueError, InsufficientDataError
from . import _validation as v

MRAD_WINDOW = 12  # periods in each rolling window of the MRAD: a year of monthly data
BLOCK = 12  # block length of the bootstrap (periods): a year of months, longer than the ~1-3 month
# autocorrelation of squared monthly returns, so that volatility clusters stay inside blocks
N_BOOT = 2000
SEED = 0
LOSSES = ("bias", "qlike", "mrad", "ratio")


def _pair(returns: ArrayLike, variances: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    r, s = np.asarray(returns, float), np.asarray(variances, float)
    if r.shape != s.shape:
        raise InputShapeError(f"returns is {r.shape} but variances is {s.shape}; pass one forecast per return.")
    if r.shape[-1] < 2:
        raise InsufficientDataError(f"{r.shape[-1]} period(s) to score; the statistics need at least 2.")
    if not (np.isfinite(r).all() and np.isfinite(s).all()):
        raise InputValueError("returns and variances must be finite; drop the periods without a forecast first.")
    if (s <= 0).any():
        raise InputValueError(f"variances must be > 0; the smallest is {s.min():.3g}.")
    return r, s


def bias_statistic(returns: ArrayLike, variances: ArrayLike) -> np.ndarray:
    """Standard deviation (ddof 1) of ``returns / sqrt(variances)`` along the last axis.

    Examples
    --------
    >>> bool(np.isclose(bias_statistic([1.0, -1.0, 1.0, -1.0], [1.0, 1.0, 1.0, 1.0]), np.sqrt(4 / 3)))
    True
    """
    r, s = _pair(returns, variances)
    return (r / np.sqrt(s)).std(axis=-1, ddof=1)


def qlike(returns: ArrayLike, variances: ArrayLike) -> np.ndarray:
    """QLIKE loss ``mean(log s + r^2 / s)`` along the last axis (lower is better).

    Examples
    --------
    >>> float(qlike([1.0, -1.0], [1.0, 1.0]))
    1.0
    """
    r, s = _pair(returns, variances)
    return (np.log(s) + r * r / s).mean(axis=-1)


def calibration_ratio(returns: ArrayLike, variances: ArrayLike) -> np.ndarray:
    """Variance calibration ratio ``mean(r^2 / s)`` along the last axis (1 when right).

    Examples
    --------
    >>> float(calibration_ratio([2.0, 0.0], [1.0, 1.0]))
    2.0
    """
    r, s = _pair(returns, variances)
    return (r * r / s).mean(axis=-1)


def mrad(returns: ArrayLike, variances: ArrayLike, window: int = MRAD_WINDOW) -> np.ndarray:
    """Mean over the rolling ``window``-period windows of ``|bias statistic - 1|``, along the last axis.

    Examples
    --------
    >>> bool(np.isclose(mrad([1.0, -1.0, 1.0, -1.0], [1.0] * 4, window=2), np.sqrt(2) - 1))
    True
    """
    r, s = _pair(returns, variances)
    window = v.check_nonneg_int(window, "window", minimum=2, maximum=r.shape[-1])
    z = np.lib.stride_tricks.sliding_window_view(r / np.sqrt(s), window, axis=-1)
    return np.abs(z.std(axis=-1, ddof=1) - 1.0).mean(axis=-1)


def normal_band(t: int, level: float = 0.95) -> tuple[float, float]:
    """``1 -+ q / sqrt(2T)``: where the bias statistic of right forecasts lies under normal returns.

    Examples
    --------
    >>> [round(b, 4) for b in normal_band(200)]
    [0.902, 1.098]
    """
    half = float(stats.norm.ppf(0.5 + level / 2) / np.sqrt(2.0 * t))
    return 1.0 - half, 1.0 + half


def kurtosis_band(returns: ArrayLike, variances: ArrayLike, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """``1 -+ q sqrt((kappa - 1) / (4T))`` with kappa the sample kurtosis (not excess) of z, along the last axis.

    Examples
    --------
    >>> z = np.array([1.0, -1.0] * 50)
    >>> [round(float(b), 4) for b in kurtosis_band(z, np.ones(100))]
    [1.0, 1.0]
    """
    r, s = _pair(returns, variances)
    kappa = stats.kurtosis(r / np.sqrt(s), axis=-1, fisher=False, bias=True)
    half = stats.norm.ppf(0.5 + level / 2) * np.sqrt((kappa - 1.0) / (4.0 * r.shape[-1]))
    return 1.0 - half, 1.0 + half


def block_bootstrap_interval(
    returns: ArrayLike,
    variances: ArrayLike,
    *,
    block: int = BLOCK,
    n_boot: int = N_BOOT,
    seed: int = SEED,
    level: float = 0.95,
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of the bias statistic by a moving-block bootstrap (Kuensch 1989), along the last axis.

    Each resample joins ``ceil(T / block)`` blocks of ``block`` consecutive periods with uniformly drawn starts
    (seeded), cut to T periods; the same resampled periods serve every series of the batch.

    Examples
    --------
    >>> z = np.random.default_rng(0).normal(size=240)
    >>> lo, hi = block_bootstrap_interval(z, np.ones(240), n_boot=500)
    >>> bool(lo < 1 < hi)
    True
    """
    r, s = _pair(returns, variances)
    t = r.shape[-1]
    block = v.check_nonneg_int(block, "block", minimum=1, maximum=t)
    z = r / np.sqrt(s)
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, t - block + 1, size=(n_boot, -(-t // block)))
    idx = (starts[:, :, None] + np.arange(block)).reshape(n_boot, -1)[:, :t]  # (B, T)
    boot = np.concatenate(
        [z[..., idx[c : c + 100]].std(axis=-1, ddof=1) for c in range(0, n_boot, 100)], axis=-1
    )  # (..., B), 100 resamples at a time to bound memory
    tail = 50 * (1 - level)
    return np.percentile(boot, tail, axis=-1), np.percentile(boot, 100 - tail, axis=-1)


def newey_west_lags(t: int) -> int:
    """``floor(4 (T / 100)^(2/9))``: the Newey-West (1994) rule, statsmodels' default."""
    return int(np.floor(4 * (t / 100.0) ** (2.0 / 9.0)))


def long_run_variance(d: np.ndarray, lags: int) -> float:
    """Newey-West (Bartlett kernel) long-run variance of a series around its mean (ddof 0)."""
    dc = d - d.mean()
    t = dc.size
    out = dc @ dc / t
    for lag in range(1, lags + 1):
        out += 2 * (1 - lag / (lags + 1)) * (dc[lag:] @ dc[:-lag]) / t
    return float(out)


def diebold_mariano(loss_a: ArrayLike, loss_b: ArrayLike, lags: int | None = None) -> tuple[float, float]:
    """Diebold-Mariano statistic and two-sided p-value for ``mean(loss_a - loss_b) = 0``.

    Negative: model a has the lower loss. HAC (Bartlett) variance with ``lags`` (default ``newey_west_lags``).

    Examples
    --------
    >>> stat, p = diebold_mariano([1.0, 2.0, 1.5, 2.5], [2.0, 2.0, 2.5, 2.5], lags=0)
    >>> round(stat, 4), round(p, 4)
    (-2.0, 0.0455)
    """
    a, b = np.asarray(loss_a, float), np.asarray(loss_b, float)
    if a.shape != b.shape or a.ndim != 1:
        raise InputShapeError(f"loss_a is {a.shape} and loss_b is {b.shape}; pass two series of the same periods.")
    d = a - b
    lags = newey_west_lags(d.size) if lags is None else v.check_nonneg_int(lags, "lags")
    lrv = long_run_variance(d, lags)
    if lrv <= 0:
        return 0.0, 1.0
    stat = d.mean() / np.sqrt(lrv / d.size)
    return float(stat), float(2 * stats.norm.sf(abs(stat)))


@dataclass(frozen=True, eq=False)
class Evaluation:
    """Losses of M models on P test portfolios over T periods (model axis first)."""

    models: tuple[str, ...]
    portfolios: tuple[str, ...]
    bias: np.ndarray  # (M, P)
    qlike: np.ndarray  # (M, P)
    mrad: np.ndarray  # (M, P)
    ratio: np.ndarray  # (M, P) variance calibration ratio
    kurtosis_low: np.ndarray  # (M, P) the kurtosis-adjusted 95% band of the bias statistic
    kurtosis_high: np.ndarray
    boot_low: np.ndarray  # (M, P) the block-bootstrap 95% interval of the bias statistic
    boot_high: np.ndarray
    dm: np.ndarray  # (M, M) Diebold-Mariano statistic of QLIKE (row model minus column model; < 0: row better)
    dm_pvalue: np.ndarray  # (M, M)
    periods: int

    def summary(self) -> dict[str, np.ndarray]:
        """Per model, (M,): each loss averaged over the portfolios, and the share of portfolios whose bias
        statistic lies outside its kurtosis-adjusted band (``outside``)."""
        outside = (self.bias < self.kurtosis_low) | (self.bias > self.kurtosis_high)
        return {
            "bias": self.bias.mean(axis=1),
            "qlike": self.qlike.mean(axis=1),
            "mrad": self.mrad.mean(axis=1),
            "ratio": self.ratio.mean(axis=1),
            "outside": outside.mean(axis=1),
        }


def evaluate(
    returns: ArrayLike,
    variances: ArrayLike,
    models=None,
    portfolios=None,
    *,
    window: int = MRAD_WINDOW,
    lags: int | None = None,
    block: int = BLOCK,
    n_boot: int = N_BOOT,
    seed: int = SEED,
) -> Evaluation:
    """Every loss of every model on every test portfolio, and the pairwise Diebold-Mariano tests.

    ``returns`` and ``variances`` are (M, P, T): model, test portfolio, period. The Diebold-Mariano loss of a
    model in period t is its QLIKE term ``log s + r^2 / s`` averaged over the P portfolios.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> r = rng.normal(size=(2, 3, 120))
    >>> ev = evaluate(r, np.stack([np.ones((3, 120)), np.full((3, 120), 4.0)]), ["right", "too high"])
    >>> bool(ev.summary()["qlike"][0] < ev.summary()["qlike"][1]) and bool(ev.dm[0, 1] < -2)
    True
    """
    r, s = _pair(returns, variances)
    if r.ndim != 3:
        raise InputShapeError(f"returns is {r.ndim}-dimensional; pass (models, portfolios, periods).")
    m, p, t = r.shape
    models = tuple(models or (f"model {i + 1}" for i in range(m)))
    portfolios = tuple(portfolios or (f"portfolio {i + 1}" for i in range(p)))
    per_period = (np.log(s) + r * r / s).mean(axis=1)  # (M, T)
    dm, pv = np.zeros((m, m)), np.ones((m, m))
    for i in range(m):
        for j in range(m):
            if i != j:
                dm[i, j], pv[i, j] = diebold_mariano(per_period[i], per_period[j], lags)
    k_lo, k_hi = kurtosis_band(r, s)
    b_lo, b_hi = block_bootstrap_interval(r, s, block=block, n_boot=n_boot, seed=seed)
    return Evaluation(
        models=models,
        portfolios=portfolios,
        bias=bias_statistic(r, s),
        qlike=qlike(r, s),
        mrad=mrad(r, s, min(window, t)),
        ratio=calibration_ratio(r, s),
        kurtosis_low=k_lo,
        kurtosis_high=k_hi,
        boot_low=b_lo,
        boot_high=b_hi,
        dm=dm,
        dm_pvalue=pv,
        periods=t,
    )


# --- the realised portfolio (the backtest's turnover and risk-contribution dispersion) ---------------------------


def one_way_trades(targets: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The walk-forward backtest's turnover: one-way trade ``0.5 sum |w_t - drifted w_{t-1}|`` before each period (T,), 0 before the first; cash (the
    rest of a target-volatility portfolio) earns nothing in excess of the risk-free rate."""
    g = targets * (1.0 + np.where(np.isfinite(y), y, 0.0))  # a missing return leaves the holding's value as it was
    drifted = g / (g.sum(axis=1, keepdims=True) + 1.0 - targets.sum(axis=1, keepdims=True))
    return np.append(0.0, 0.5 * np.abs(targets[1:] - drifted[:-1]).sum(axis=1))


def rc_dispersion(w: np.ndarray, r: np.ndarray) -> float:
    """The walk-forward backtest's risk-contribution dispersion: standard deviation across held assets of their percentage risk contributions under the realised
    (pairwise complete) covariance of ``r``, the returns of the period the weights were held; NaN under 2."""
    from numpy import ma

    if r.shape[0] < 2:
        return float("nan")
    cov = np.atleast_2d(ma.cov(ma.masked_invalid(r), rowvar=False, allow_masked=True).filled(0.0))
    sw = cov @ w
    var = w @ sw
    held = w > 0
    if var <= 0 or held.sum() < 2:
        return 0.0
    return float(np.std((w * sw / var)[held], ddof=0))


__all__ = [
    "Evaluation",
    "bias_statistic",
    "block_bootstrap_interval",
    "calibration_ratio",
    "diebold_mariano",
    "evaluate",
    "kurtosis_band",
    "long_run_variance",
    "mrad",
    "newey_west_lags",
    "normal_band",
    "one_way_trades",
    "qlike",
    "rc_dispersion",
]
