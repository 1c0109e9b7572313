"""Walk-forward backtest of the whole procedure: does a regularised risk model make better allocations?

At each rebalance date (every ``step`` periods) and for each model, on the trailing ``window`` periods only:
choose lambda by time-ordered CV inside the window (penalised models), fit the loadings, estimate the factor
covariance and the specific variances, build the factor-model covariance ``B F B' + D`` and allocate
(``risk.allocate``: erc, budget, invvol, factor, minvar, targetvol). The weights are then held (rebalanced to
the same weights each period) until the next date. Every estimate comes from ``rolling.rolling``, so the
estimation never sees a period it is then scored on.

Forecast conventions: specific variances ``RSS / (n - K - 1)`` (``risk.specific_variance``'s); the factor
covariance ``cov_method`` with the Barra-style options ``corr_halflife``, ``nw_lags``, ``regime_halflife`` and
the shrinkage ``specific_shrink`` of specific risk (``risk.factor_covariance``, ``risk.shrink_specific``).
A period in which an asset held has no return is scored on the other assets held, their weights renormalised,
and so is the variance forecast for it (never counted as a zero return); a period in which no asset held has a
return is refused.

Models (``options.BACKTEST_MODELS``): ``ols``; ``ridge`` and ``lasso`` with every factor penalised;
``lasso_market_free``: the lasso with the market (the first factor) unpenalised, xlfactor's default; on request
(``options.BACKTEST_LATENT``) ``statistical``: latent factors, the principal components of each window's returns,
k chosen in each window by ``options.DEFAULTS["criterion"]`` (``statistical.rolling_latent``).

Reported per model (``BacktestResult.stats``), returns being the portfolio's excess returns:
- realised mean return and volatility, annualised with ``periods_per_year``;
- predicted volatility: the root mean square of the model's ex-ante volatilities over the periods held;
- ratio realised / predicted volatility;
- bias statistic: the standard deviation (ddof 1) of ``r_t / sigma_t``; 1 for right forecasts. Three 95%
  ranges (``evaluation``): the normal band ``1 +- 1.96 / sqrt(2T)``, the kurtosis-adjusted band, and the
  moving-block bootstrap interval of the statistic (blocks of 12 periods, seeded);
- the evaluation on many test portfolios (each asset, equal weight, the model's own ERC and minimum-variance
  portfolios and ``n_random`` seeded long-only portfolios): QLIKE, MRAD and the variance calibration ratio
  averaged over them, and the share whose bias statistic lies outside its kurtosis-adjusted band
  (``BacktestResult.evaluation`` has them all, with pairwise Diebold-Mariano tests);
- turnover: one-way, ``0.5 * sum |w_target - w_drifted|`` each period: the trades that reset the weights that
  drifted with the period's returns (a missing return leaves its holding unchanged) and, at a rebalance, those
  to the new weights; averaged per period and per year;
- risk-contribution dispersion: the cross-sectional standard deviation of the held assets' percentage risk
  contributions under the realised covariance of each rebalance's own holding period (NaN for a holding
  period under 2 periods), averaged over rebalances: 0 when risk is truly spread equally.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..errors import InsufficientDataError
from . import _validation as v
from . import evaluation, risk, rolling
from .options import ALLOC_METHODS, BACKTEST_LATENT, BACKTEST_MODELS, DEFAULTS, CovOptions, market_first_weights
from .statistical.riskmodel import LatentRollingResult, rolling_latent

N_RANDOM = 20  # seeded long-only test portfolios (flat Dirichlet, seed RANDOM_SEED)
RANDOM_SEED = 0

STATS = (
    ("return", "Realised return (annualised)"),
    ("volatility", "Realised volatility (annualised)"),
    ("predicted_vol", "Predicted volatility (annualised, RMS)"),
    ("vol_ratio", "Realised / predicted volatility"),
    ("bias", "Bias statistic (1 = forecasts right)"),
    ("bias_low", "Bias band if returns were normal, 95% low"),
    ("bias_high", "Bias band if returns were normal, 95% high"),
    ("bias_kurt_low", "Bias band, kurtosis-adjusted, 95% low"),
    ("bias_kurt_high", "Bias band, kurtosis-adjusted, 95% high"),
    ("bias_boot_low", "Bias statistic, block-bootstrap 95% low"),
    ("bias_boot_high", "Bias statistic, block-bootstrap 95% high"),
    ("qlike", "QLIKE, mean over test portfolios (lower is better)"),
    ("mrad", "MRAD, mean over test portfolios (0 = right)"),
    ("var_ratio", "Variance calibration ratio, mean over test portfolios"),
    ("outside", "Test portfolios outside their kurtosis-adjusted band"),
    ("turnover", "Turnover per period (one-way, with drift resets)"),
    ("turnover_year", "Turnover per year (one-way)"),
    ("rc_dispersion", "Risk-contribution dispersion (st. dev. of % shares)"),
    ("periods", "Periods out of sample"),
    ("rebalances", "Rebalances"),
)


@dataclass(frozen=True, eq=False)
class BacktestResult:
    """Out-of-sample portfolios of every model (model axis first).

    Attributes
    ----------
    models : tuple of str
        The risk models, in the order of the first axis.
    rebalances : ndarray of int, shape (R,)
        The row at which each rebalance is made (its estimation window's last row).
    rows : ndarray of int, shape (T,)
        The out-of-sample rows, from the row after the first rebalance to the last.
    returns : ndarray, shape (M, T)
        Each model's portfolio excess return in each out-of-sample period.
    predicted_vol : ndarray, shape (M, T)
        The ex-ante volatility (per period) of the weights held in each period.
    weights : ndarray, shape (M, R, N)
        The weights set at each rebalance.
    lambdas : ndarray, shape (M, R)
        The lambda chosen at each rebalance (NaN for OLS).
    rc_dispersion_path : ndarray, shape (M, R)
        The risk-contribution dispersion of each rebalance's weights.
    periods_per_year : float
        For annualising the statistics.
    trades : ndarray, shape (M, T)
        The one-way trade before each period (at the first, the initial purchase).
    test_portfolios : tuple of str
        The names of the P test portfolios the forecasts are evaluated on (each asset, equal weight, the model's
        ERC and minimum-variance portfolios, the seeded random ones).
    test_returns, test_variances : ndarray, shape (M, P, T)
        Each test portfolio's return and its variance forecast in each period (NaN where it has none).

    Derived (properties): ``cumulative`` (growth of 1, (M, T)) and ``stats`` (each statistic of ``STATS`` per
    model).

    Examples
    --------
    >>> import numpy as np
    >>> from xlfactor import backtest
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(0, 0.04, size=(120, 2))
    >>> y = f @ [[1.0, 0.8, 1.2], [0.5, -0.3, 0.0]] + rng.normal(0, 0.01, size=(120, 3))
    >>> res = backtest(y, f, 60, step=12, models=("ols", "lasso"))
    >>> res.returns.shape, res.weights.shape, res.rebalances
    ((2, 49), (2, 5, 3), array([ 70,  82,  94, 106, 118]))
    >>> bool(np.allclose(res.weights.sum(axis=2), 1.0))
    True
    """

    models: tuple[str, ...]
    rebalances: np.ndarray  # (R,) the row at which each rebalance is made (the estimation window's last row)
    rows: np.ndarray  # (T,) the out-of-sample rows, from the row after the first rebalance to the last
    returns: np.ndarray  # (M, T) portfolio excess return of each period
    predicted_vol: np.ndarray  # (M, T) ex-ante volatility (per period) of the weights held in each period
    weights: np.ndarray  # (M, R, N)
    lambdas: np.ndarray  # (M, R) lambda chosen at each rebalance (NaN for OLS)
    rc_dispersion_path: np.ndarray  # (M, R), NaN for a holding period under 2 periods
    trades: np.ndarray  # (M, T) one-way trade before each period (0 before the first: the initial purchase)
    test_portfolios: tuple[str, ...]  # (P,) names of the test portfolios
    test_returns: np.ndarray  # (M, P, T) NaN where a test portfolio has no forecast or no return
    test_variances: np.ndarray  # (M, P, T) the variance forecast for each
    periods_per_year: float

    @property
    def cumulative(self) -> np.ndarray:
        """Growth of 1 invested in each model's portfolio (excess returns compounded), (M, T)."""
        return np.cumprod(1.0 + self.returns, axis=1)

    @cached_property
    def evaluation(self) -> evaluation.Evaluation:
        """Every loss of every model on the test portfolios scored in every period (``evaluation.evaluate``)."""
        keep = np.isfinite(self.test_returns).all(axis=(0, 2)) & np.isfinite(self.test_variances).all(axis=(0, 2))
        return evaluation.evaluate(
            self.test_returns[:, keep],
            self.test_variances[:, keep],
            self.models,
            tuple(np.array(self.test_portfolios)[keep]),
        )

    @property
    def stats(self) -> dict[str, np.ndarray]:
        """Each statistic of ``STATS`` per model, (M,)."""
        ppy, t, m = self.periods_per_year, self.returns.shape[1], len(self.models)
        var = self.predicted_vol**2
        low, high = evaluation.normal_band(t)
        k_lo, k_hi = evaluation.kurtosis_band(self.returns, var)
        b_lo, b_hi = evaluation.block_bootstrap_interval(self.returns, var)
        summ = self.evaluation.summary()
        per_period = self.trades[:, 1:].mean(axis=1) if t > 1 else np.zeros(m)
        with np.errstate(invalid="ignore"):
            disp = np.array([np.nan if np.isnan(d).all() else np.nanmean(d) for d in self.rc_dispersion_path])
        return {
            "return": self.returns.mean(axis=1) * ppy,
            "volatility": self.returns.std(axis=1, ddof=1) * np.sqrt(ppy),
            "predicted_vol": np.sqrt(var.mean(axis=1) * ppy),
            "vol_ratio": self.returns.std(axis=1, ddof=1) / np.sqrt(var.mean(axis=1)),
            "bias": evaluation.bias_statistic(self.returns, var),
            "bias_low": np.full(m, low),
            "bias_high": np.full(m, high),
            "bias_kurt_low": k_lo,
            "bias_kurt_high": k_hi,
            "bias_boot_low": b_lo,
            "bias_boot_high": b_hi,
            "qlike": summ["qlike"],
            "mrad": summ["mrad"],
            "var_ratio": summ["ratio"],
            "outside": summ["outside"],
            "turnover": per_period,
            "turnover_year": per_period * ppy,
            "rc_dispersion": disp,
            "periods": np.full(m, float(t)),
            "rebalances": np.full(m, float(len(self.rebalances))),
        }


def model_options(model: str, n_factors: int) -> dict:
    """The ``rolling.rolling`` options of a backtest model."""
    model = v.choose(model, BACKTEST_MODELS, "model", BACKTEST_MODELS[-1])
    free = market_first_weights(n_factors)
    if model == "ols" or (model == "lasso_market_free" and not any(free)):  # the market alone, unpenalised: OLS
        return {"method": "ols"}
    if model == "lasso_market_free":
        return {"method": "lasso", "penalty_weights": free}
    return {"method": model, "penalty_weights": [1.0] * n_factors}


def backtest(
    returns: ArrayLike,
    factors: ArrayLike,
    window: int,
    *,
    step: int = 1,
    models: str | Sequence[str] = BACKTEST_MODELS,
    alloc: str = DEFAULTS["risk_method"],
    budgets: ArrayLike | None = None,
    target_vol: float | None = None,
    expanding: bool = False,
    folds: int = DEFAULTS["folds"],
    scheme: str = DEFAULTS["scheme"],
    gap: int = DEFAULTS["gap"],
    rule: str = DEFAULTS["rule"],
    cov_method: str = DEFAULTS["cov_method"],
    halflife: float | None = None,
    corr_halflife: float | None = DEFAULTS["corr_halflife"],
    nw_lags: int = DEFAULTS["nw_lags"],
    regime_halflife: float | None = DEFAULTS["regime_halflife"],
    specific_shrink: float = DEFAULTS["specific_shrink"],
    n_random: int = N_RANDOM,
    periods_per_year: float = 12.0,
    engine: str = "local",
    scheduler: Any = None,
    progress: Callable[..., object] | None = None,
    factor_names: Sequence[str] | None = None,
) -> BacktestResult:
    """Walk-forward backtest (see the module docstring). ``returns`` are excess returns (subtract rf first).

    ``progress(done, total, what)`` is called after each model's estimation and each model's allocations
    (not when the result is remembered: the last few results are kept, keyed on the inputs' bytes and the
    options, so the template's sheet and the procedure that checks it compute a backtest once).

    Parameters
    ----------
    returns : array_like, shape (T, N)
        Asset excess returns, periods down rows; NaN is a missing value.
    factors : array_like, shape (T, K)
        Factor returns over the same periods, the market first.
    window : int
        Rows of each estimation window.
    step : int, default 1
        Rows between rebalances.
    models : str or sequence of str
        Risk models among ``options.BACKTEST_MODELS`` (ols, ridge, lasso, lasso_market_free). Default: all.
    alloc : str
        The allocation (``xlfactor.allocate``'s methods); default from ``options.DEFAULTS``.
    budgets : array_like, optional
        Risk budgets for ``alloc`` "budget" (per asset) or "factor" (per factor).
    target_vol : float, optional
        Volatility per period for ``alloc`` "targetvol".
    expanding : bool, default False
        Estimate on every row up to the rebalance instead of a trailing window.
    folds, scheme, gap, rule
        The time-ordered cross-validation choosing lambda inside each window.
    cov_method : str
        The factor covariance ("sample", "ewma", "ledoitwolf"); ``halflife`` for "ewma".
    halflife : float, optional
        EWMA half-life in periods.
    corr_halflife, nw_lags, regime_halflife : float or None, int, float or None
        The Barra-style options of the factor covariance (``risk.factor_covariance``): the correlations'
        half-life (None: ``halflife``'s), Newey-West lags, and the volatility-regime adjustment's half-life;
        None / 0 switch them off.
    specific_shrink : float
        Bayesian shrinkage ``q`` of specific volatilities towards their mean (``risk.shrink_specific``; 0: none).
    periods_per_year : float, default 12.0
        For the annualised statistics.
    engine : {"local", "dask"}, default "local"
        Where the windows are estimated (``xlfactor.rolling``).
    scheduler : dask.distributed.Client or str, optional
        The Dask cluster for ``engine="dask"``.
    progress : callable, optional
        ``progress(done, total, what)`` as the work advances.
    factor_names : sequence of str, optional
        The factors' names, for messages (a collinear factor is named).
    n_random : int
        Seeded long-only random test portfolios in the forecast evaluation (default ``N_RANDOM``).

    Returns
    -------
    BacktestResult
        Per model: out-of-sample returns, predicted volatilities, weights, lambdas; ``.stats`` and
        ``.cumulative``.

    Raises
    ------
    InputShapeError
        When ``returns`` and ``factors`` have different numbers of rows.
    InputValueError
        For bad values or options (an unknown model or allocation, no model, ...).
    InsufficientDataError
        When the data leave no out-of-sample period, or a period inside the sample has no return for any asset
        held (trailing periods without any return, a month not yet in, are left out instead).

    Examples
    --------
    >>> import xlfactor as xf
    >>> data = xf.load_french()
    >>> excess = data.industries.sub(data.rf, axis=0).loc["1963-07":].to_numpy()
    >>> res = xf.backtest(excess, data.factors.loc["1963-07":].to_numpy(), 60, step=12, models=("ols",))
    >>> print(res.models, res.returns.shape, round(float(res.stats["vol_ratio"][0]), 1))
    ('ols',) (1, 577) 1.0
    """
    y, x = v.returns_and_factors(returns, factors)
    # the latest periods with no return at all (a month not yet in: blank cells at the foot of a sheet) are not
    # scored; a period with no return inside the sample is refused (see Raises)
    have = np.flatnonzero(np.isfinite(y).any(axis=1))
    y, x = (y[: have[-1] + 1], x[: have[-1] + 1]) if have.size else (y, x)
    models = tuple(
        v.choose(m, BACKTEST_MODELS + BACKTEST_LATENT, "model", BACKTEST_MODELS[-1])
        for m in ([models] if isinstance(models, str) else models)
    )
    if not models:
        raise v.InputValueError(f"models is empty; name at least one of {', '.join(BACKTEST_MODELS)}.")
    ppy = v.check_number(periods_per_year, "periods_per_year", low=0.0, low_open=True)
    alloc = v.choose(alloc, ALLOC_METHODS, "alloc", DEFAULTS["risk_method"])
    risk.check_used(alloc, budgets, target_vol, selector="alloc")  # budgets or target_vol alloc ignores: refused
    if budgets is not None:  # checked once here: per asset for "budget", per factor for "factor" (a row from Excel too)
        per_factor = alloc == "factor"
        budgets = risk.check_budgets(
            budgets, x.shape[1] if per_factor else y.shape[1], "factors" if per_factor else "assets"
        )
    target_vol = None if target_vol is None else float(target_vol)
    cov_method = v.choose(cov_method, risk.COV_METHODS, "cov_method", DEFAULTS["cov_method"])
    risk.check_cov_used(
        cov_method,
        "cov_method",
        halflife=halflife,
        corr_halflife=corr_halflife,
        nw_lags=nw_lags,
        regime_halflife=regime_halflife,
    )
    halflife = None if halflife is None else float(halflife)
    opts = CovOptions(
        cov_method,
        halflife,
        None if corr_halflife is None else float(corr_halflife),
        v.check_nonneg_int(nw_lags, "nw_lags"),
        None if regime_halflife is None else float(regime_halflife),
        v.check_number(specific_shrink, "specific_shrink", low=0.0),
    )
    if alloc == "factor" and budgets is not None and any(m in BACKTEST_LATENT for m in models):
        raise v.InputValueError(
            "budgets per factor cannot be given with the statistical model: its latent factors "
            "and their number change from window to window; leave budgets empty (equal) or "
            "drop the statistical model."
        )
    if opts.adjusted:  # the options are checked once on the whole sample
        risk.factor_covariance(
            x,
            opts.cov_method,
            halflife,
            corr_halflife=opts.corr_halflife,
            nw_lags=opts.nw_lags,
            regime_halflife=opts.regime_halflife,
        )
    return _backtest(
        y,
        x,
        int(window),
        int(step),
        models,
        alloc,
        budgets,
        target_vol,
        bool(expanding),
        int(folds),
        str(scheme),
        int(gap),
        str(rule),
        opts,
        v.check_nonneg_int(n_random, "n_random"),
        float(ppy),
        str(engine),
        scheduler,
        progress=progress,
        factor_names=factor_names,
    )


def _backtest(
    y,
    x,
    window,
    step,
    models,
    alloc,
    budgets,
    target_vol,
    expanding,
    folds,
    scheme,
    gap,
    rule,
    opts: CovOptions,
    n_random,
    ppy,
    engine,
    scheduler,
    progress=None,
    factor_names=None,
) -> BacktestResult:
    n_rows = y.shape[0]
    if v.check_nonneg_int(window, "window", minimum=2) >= n_rows:
        raise InsufficientDataError(
            f"window is {window} periods but the data have {n_rows}; a backtest needs "
            "periods after the first window to score; shorten the window."
        )
    total = 2 * len(models)
    names = ("returns", "pred", "weights", "lambdas", "disp", "trades", "test_r", "test_s")
    out: dict[str, list] = {name: [] for name in names}
    rebalances = oos = held = None
    for m, model in enumerate(models):
        # estimation on every window ending before the last row: each has at least one period to hold
        # y, x checked already: ``checked`` skips the conversion
        est = (
            rolling_latent(
                y[:-1], window, step=step, expanding=expanding, cov_method=opts.cov_method, halflife=opts.halflife
            )
            if model in BACKTEST_LATENT
            else rolling.rolling.checked(
                y[:-1],
                x[:-1],
                window,
                step=step,
                expanding=expanding,
                folds=folds,
                scheme=scheme,
                gap=gap,
                rule=rule,
                cov_method=opts.cov_method,
                halflife=opts.halflife,
                engine=engine,
                scheduler=scheduler,
                factor_names=factor_names,
                **model_options(model, x.shape[1]),
            )
        )
        if progress is not None:
            progress(2 * m + 1, total, f"{model}: estimated on {len(est.ends)} windows")
        if rebalances is None:
            rebalances = est.ends
            spans = np.append(rebalances, n_rows - 1)  # period t in (spans[j], spans[j + 1]] holds weights j
            oos = np.arange(rebalances[0] + 1, n_rows)
            if oos.size < 2:
                raise InsufficientDataError(
                    f"the first rebalance is at period {rebalances[0] + 1} of {n_rows}, so "
                    f"{oos.size} period is left to score; a backtest needs at least 2: use a "
                    "shorter window or step."
                )
            held = np.searchsorted(spans, oos, side="left") - 1
        assert rebalances is not None and oos is not None and held is not None  # set at the first model
        models_j = [_risk_model(est, j, x, opts, factor_names) for j in range(len(rebalances))]
        w = _allocate_all(models_j, est, alloc, budgets, target_vol)
        r, s = _scored(w[held][:, None, :], models_j, held, y[oos])
        if not np.isfinite(r).all():
            t = int(np.flatnonzero(~np.isfinite(r[:, 0]))[0])
            raise InsufficientDataError(
                f"row {oos[t] + 1}: no asset held has a return, so the portfolio cannot be "
                "scored; fill or drop that row."
            )
        tw = _test_weights(models_j, w, y.shape[1], n_random)  # (R, P, N)
        tr, ts = _scored(tw[held], models_j, held, y[oos])
        out["returns"].append(r[:, 0])
        out["pred"].append(np.sqrt(s[:, 0]))
        out["weights"].append(w)
        out["lambdas"].append(est.lambdas)
        out["disp"].append(np.array([evaluation.rc_dispersion(w[j], y[oos][held == j]) for j in range(len(w))]))
        out["trades"].append(evaluation.one_way_trades(w[held], y[oos]))
        out["test_r"].append(tr.T)
        out["test_s"].append(ts.T)
        if progress is not None:
            progress(2 * m + 2, total, f"{model}: {len(w)} portfolios allocated ({alloc})")
    assert rebalances is not None and oos is not None  # models is never empty (checked by the caller)
    n = y.shape[1]
    tests = (
        *(f"asset {i + 1}" for i in range(n)),
        "equal weight",
        "ERC",
        "minimum variance",
        *(f"random {i + 1}" for i in range(n_random)),
    )
    return BacktestResult(
        models=models,
        rebalances=rebalances,
        rows=oos,
        returns=np.array(out["returns"]),
        predicted_vol=np.array(out["pred"]),
        weights=np.array(out["weights"]),
        lambdas=np.array(out["lambdas"]),
        rc_dispersion_path=np.array(out["disp"]),
        trades=np.array(out["trades"]),
        test_portfolios=tests,
        test_returns=np.array(out["test_r"]),
        test_variances=np.array(out["test_s"]),
        periods_per_year=ppy,
    )


def _window_factors(est: rolling.RollingResult, j: int, x: np.ndarray) -> tuple[np.ndarray, int]:
    """(factor returns over window j, their number K): the named factors, or the window's own latent ones (their
    number changes from window to window; the rolling result's loadings are padded to the largest)."""
    if isinstance(est, LatentRollingResult):
        return est.window_factors(j)
    return x[est.starts[j] : est.ends[j] + 1], x.shape[1]


RISK_MODEL_RTOL = 1e-6  # a window's B F B' + D must hold the assets' variances to this (FactorModel.rounding)


def _risk_model(est: rolling.RollingResult, j: int, x: np.ndarray, opts: CovOptions, names=None):
    """The assets with an estimate in window j and their factor model under the forecast conventions; refused
    (naming the factors) where nearly collinear factors leave its variances less accurate than RISK_MODEL_RTOL."""
    have = np.isfinite(est.loadings[j]).all(axis=1) & np.isfinite(est.specific_var[j])
    if not have.any():
        raise InsufficientDataError(f"no asset has an estimate in the window ending at row {est.ends[j] + 1}.")
    factors, k = _window_factors(est, j, x)
    n_obs = est.nobs[j, have]
    spec = est.specific_var[j, have] * (n_obs - 1) / np.maximum(n_obs - k - 1, 1)  # RSS / (n - K - 1)
    spec = risk.shrink_specific(spec, opts.specific_shrink)
    f = est.factor_cov[j, :k, :k]
    if opts.adjusted:
        f = risk.factor_covariance(
            factors,
            opts.cov_method,
            opts.halflife,
            corr_halflife=opts.corr_halflife,
            nw_lags=opts.nw_lags,
            regime_halflife=opts.regime_halflife,
        )
    model = risk.FactorModel.from_arrays(est.loadings[j, have, :k], f, spec)
    if (error := model.rounding()) > RISK_MODEL_RTOL:
        where = f"the window ending at row {est.ends[j] + 1}"
        v.refuse_inaccurate_model(factors, where, error, RISK_MODEL_RTOL, names)
    return have, model


def _allocate_all(models_j, est, alloc, budgets, target_vol) -> np.ndarray:
    """Weights (R, N) at each rebalance; assets without an estimate get weight 0."""
    w = np.zeros((len(models_j), est.loadings.shape[1]))
    for j, (have, model) in enumerate(models_j):
        b = np.asarray(budgets, float)[have] if alloc == "budget" and budgets is not None else budgets  # per asset
        w[j, have] = risk.allocate(alloc, model=model, budgets=b, target_vol=target_vol).weights
    return w


def _test_weights(models_j, w: np.ndarray, n: int, n_random: int) -> np.ndarray:
    """(R, P, N): each asset (NaN row when it has no estimate), equal weight, the model's ERC and minimum-variance
    portfolios and ``n_random`` seeded long-only portfolios, each on the assets with an estimate."""
    rand = np.random.default_rng(RANDOM_SEED).dirichlet(np.ones(n), size=n_random)
    out = np.zeros((len(models_j), n + 3 + n_random, n))
    for j, (have, model) in enumerate(models_j):
        out[j, :n] = np.where(have[:, None], np.eye(n), np.nan)
        out[j, n, have] = 1.0 / have.sum()
        out[j, n + 1, have] = risk.allocate("erc", model=model).weights
        out[j, n + 2, have] = risk.allocate("minvar", model=model).weights
        out[j, n + 3 :] = rand * have / (rand * have).sum(axis=1, keepdims=True)
    return out


def _scored(wt: np.ndarray, models_j, held: np.ndarray, y: np.ndarray):
    """Returns and variance forecasts (T, P) of the weights ``wt`` (T, P, N) held in each period: the assets
    without a return that period are left out and the others' weights scaled to the same sum (NaN if none is
    left; the sum is below 1 for a target-volatility portfolio holding cash)."""
    present = np.isfinite(y)[:, None, :]
    kept = np.where(present, wt, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        wt = kept * (wt.sum(axis=2, keepdims=True) / kept.sum(axis=2, keepdims=True))
    r = np.einsum("tpn,tn->tp", wt, np.where(np.isfinite(y), y, 0.0))
    s = np.empty(r.shape)
    for j, (have, model) in enumerate(models_j):
        at = held == j
        u = wt[at][:, :, have]  # (t, P, n_have)
        beta = u @ model.loadings
        s[at] = np.einsum("tpk,kl,tpl->tp", beta, model.factor_cov, beta) + (u * u) @ model.specific_var
    return r, s


__all__ = ["STATS", "BacktestResult", "CovOptions", "backtest", "model_options"]
