"""Walk-forward backtest of the whole procedure: does a regularised risk model make better allocations?

At each rebalance date (every ``step`` periods) and for each model, on the trailing ``window`` periods only:
choose lambda by time-ordered CV inside the window (penalised models), fit the loadings, estimate the factor
covariance and the specific variances, build the factor-model covariance ``B F B' + D`` and allocate
(``risk.allocate``: erc, budget, invvol, factor, minvar, targetvol). The weights are then held (rebalanced to
the same weights each period, no drift) until the next date. Every estimate comes from ``rolling.rolling``,
so the estimation never sees a period it is then scored on.

Models (``options.BACKTEST_MODELS``): ``ols``; ``ridge`` and ``lasso`` with every factor penalised;
``lasso_market_free``: the lasso with the market (the first factor) unpenalised, xlfactor's default.

Reported per model (``BacktestResult.stats``), returns being the portfolio's excess returns:
- realised mean return and volatility, annualised with ``periods_per_year``;
- predicted volatility: the root mean square of the model's ex-ante volatilities over the periods held;
- ratio realised / predicted volatility;
- bias statistic: the standard deviation (ddof 1) of ``r_t / sigma_t`` (return over the volatility predicted
  for it); 1 for a model whose risk forecasts are right. Under that hypothesis and normal returns it lies in
  ``1 +- 1.96 / sqrt(2 T)`` with 95% probability (T periods): the band;
- turnover: one-way, ``0.5 * sum |w_t - w_{t-1}|`` per rebalance, averaged, and per year;
- risk-contribution dispersion: the cross-sectional standard deviation of the assets' percentage risk
  contributions, the weights measured under the realised covariance of the out-of-sample asset returns (one
  yardstick for every model), averaged over rebalances: 0 when risk is truly spread equally.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InsufficientDataError
from . import _validation as v
from . import risk, rolling
from .options import ALLOC_METHODS, BACKTEST_MODELS, DEFAULTS, market_first_weights

STATS = (
    ("return", "Realised return (annualised)"),
    ("volatility", "Realised volatility (annualised)"),
    ("predicted_vol", "Predicted volatility (annualised, RMS)"),
    ("vol_ratio", "Realised / predicted volatility"),
    ("bias", "Bias statistic (1 = forecasts right)"),
    ("bias_low", "Bias band, 95% low"),
    ("bias_high", "Bias band, 95% high"),
    ("turnover", "Turnover per rebalance (one-way)"),
    ("turnover_year", "Turnover per year (one-way)"),
    ("rc_dispersion", "Risk-contribution dispersion (st. dev. of % shares)"),
    ("periods", "Periods out of sample"),
    ("rebalances", "Rebalances"),
)


@dataclass(frozen=True, eq=False)
class BacktestResult:
    """Out-of-sample portfolios of every model (model axis first)."""

    models: tuple[str, ...]
    rebalances: np.ndarray  # (R,) the row at which each rebalance is made (the estimation window's last row)
    rows: np.ndarray  # (T,) the out-of-sample rows, from the row after the first rebalance to the last
    returns: np.ndarray  # (M, T) portfolio excess return of each period
    predicted_vol: np.ndarray  # (M, T) ex-ante volatility (per period) of the weights held in each period
    weights: np.ndarray  # (M, R, N)
    lambdas: np.ndarray  # (M, R) lambda chosen at each rebalance (NaN for OLS)
    rc_dispersion_path: np.ndarray  # (M, R)
    periods_per_year: float

    @property
    def cumulative(self) -> np.ndarray:
        """Growth of 1 invested in each model's portfolio (excess returns compounded), (M, T)."""
        return np.cumprod(1.0 + self.returns, axis=1)

    @property
    def stats(self) -> dict[str, np.ndarray]:
        """Each statistic of ``STATS`` per model, (M,)."""
        ppy, t = self.periods_per_year, self.returns.shape[1]
        z = self.returns / self.predicted_vol
        moves = 0.5 * np.abs(np.diff(self.weights, axis=1)).sum(axis=2)  # (M, R - 1)
        per_rebalance = moves.mean(axis=1) if moves.shape[1] else np.zeros(len(self.models))
        step = t / max(len(self.rebalances), 1)
        half = 1.96 / np.sqrt(2.0 * t)
        return {
            "return": self.returns.mean(axis=1) * ppy,
            "volatility": self.returns.std(axis=1, ddof=1) * np.sqrt(ppy),
            "predicted_vol": np.sqrt((self.predicted_vol ** 2).mean(axis=1) * ppy),
            "vol_ratio": self.returns.std(axis=1, ddof=1) / np.sqrt((self.predicted_vol ** 2).mean(axis=1)),
            "bias": z.std(axis=1, ddof=1),
            "bias_low": np.full(len(self.models), 1.0 - half),
            "bias_high": np.full(len(self.models), 1.0 + half),
            "turnover": per_rebalance,
            "turnover_year": per_rebalance * ppy / step,
            "rc_dispersion": self.rc_dispersion_path.mean(axis=1),
            "periods": np.full(len(self.models), float(t)),
            "rebalances": np.full(len(self.models), float(len(self.rebalances))),
        }


def model_options(model: str, n_factors: int) -> dict:
    """The ``rolling.rolling`` options of a backtest model."""
    model = v.choose(model, BACKTEST_MODELS, "model", BACKTEST_MODELS[-1])
    if model == "ols":
        return {"method": "ols"}
    if model == "lasso_market_free":
        return {"method": "lasso", "penalty_weights": market_first_weights(n_factors)}
    return {"method": model, "penalty_weights": [1.0] * n_factors}


def backtest(
    returns,
    factors,
    window: int,
    *,
    step: int = 1,
    models=BACKTEST_MODELS,
    alloc: str = DEFAULTS["risk_method"],
    budgets=None,
    target_vol: float | None = None,
    expanding: bool = False,
    folds: int = DEFAULTS["folds"],
    scheme: str = DEFAULTS["scheme"],
    gap: int = DEFAULTS["gap"],
    rule: str = DEFAULTS["rule"],
    cov_method: str = DEFAULTS["cov_method"],
    halflife: float | None = None,
    periods_per_year: float = 12.0,
    engine: str = "local",
    scheduler=None,
    progress=None,
) -> BacktestResult:
    """Walk-forward backtest (see the module docstring). ``returns`` are excess returns (subtract rf first).

    ``progress(done, total, what)`` is called after each model's estimation and each model's allocations
    (not when the result is remembered: the last few results are kept, keyed on the inputs' bytes and the
    options, so the template's sheet and the procedure that checks it compute a backtest once).
    """
    y = v.as_float_2d(returns, "returns")
    x = v.as_float_2d(factors, "factors")
    v.check_same_rows(y, x, "returns", "factors")
    models = tuple(v.choose(m, BACKTEST_MODELS, "model", BACKTEST_MODELS[-1]) for m in
                   ([models] if isinstance(models, str) else models))
    if not models:
        raise v.InputValueError(f"models is empty; name at least one of {', '.join(BACKTEST_MODELS)}.")
    ppy = v.check_number(periods_per_year, "periods_per_year", low=0.0, low_open=True)
    alloc = v.choose(alloc, ALLOC_METHODS, "alloc", DEFAULTS["risk_method"])
    budgets = None if budgets is None or alloc not in ("budget", "factor") else np.asarray(budgets, float)
    target_vol = None if target_vol is None or alloc != "targetvol" else float(target_vol)
    halflife = None if halflife is None or cov_method != "ewma" else float(halflife)
    return _backtest(y, x, int(window), int(step), models, alloc, budgets, target_vol, bool(expanding), int(folds),
                     str(scheme), int(gap), str(rule), str(cov_method), halflife, float(ppy), str(engine),
                     scheduler, progress=progress)


def _backtest(y, x, window, step, models, alloc, budgets, target_vol, expanding, folds, scheme, gap, rule, cov_method,
              halflife, ppy, engine, scheduler, progress=None) -> BacktestResult:
    n_rows = y.shape[0]
    if v.check_nonneg_int(window, "window", minimum=2) >= n_rows:
        raise InsufficientDataError(f"window is {window} periods but the data have {n_rows}; a backtest needs "
                                    "periods after the first window to score; shorten the window.")
    total = 2 * len(models)
    out = {name: [] for name in ("returns", "pred", "weights", "lambdas", "disp")}
    spans = rebalances = None
    for m, model in enumerate(models):
        # estimation on every window ending before the last row: each has at least one period to hold
        est = rolling.rolling(y[:-1], x[:-1], window, step=step, expanding=expanding, folds=folds, scheme=scheme,
                              gap=gap, rule=rule, cov_method=cov_method, halflife=halflife, engine=engine,
                              scheduler=scheduler, **model_options(model, x.shape[1]))
        if progress is not None:
            progress(2 * m + 1, total, f"{model}: estimated on {len(est.ends)} windows")
        if spans is None:
            rebalances = est.ends
            spans = np.append(rebalances, n_rows - 1)  # period t in (spans[j], spans[j + 1]] holds weights j
            oos = np.arange(rebalances[0] + 1, n_rows)
            if oos.size < 2:
                raise InsufficientDataError(f"the first rebalance is at period {rebalances[0] + 1} of {n_rows}, so "
                                            f"{oos.size} period is left to score; a backtest needs at least 2: use a "
                                            "shorter window or step.")
            held = np.searchsorted(spans, oos, side="left") - 1
            realised_cov = _realised_cov(y[oos])
        w, pred = _allocate_all(est, alloc, budgets, target_vol)
        r_oos = np.where(np.isfinite(y[oos]), y[oos], 0.0)  # a missing return counts as 0 for the period
        out["returns"].append(np.einsum("tn,tn->t", w[held], r_oos))
        out["pred"].append(pred[held])
        out["weights"].append(w)
        out["lambdas"].append(est.lambdas)
        out["disp"].append(np.array([_dispersion(wj, realised_cov) for wj in w]))
        if progress is not None:
            progress(2 * m + 2, total, f"{model}: {len(w)} portfolios allocated ({alloc})")
    return BacktestResult(models=models, rebalances=rebalances, rows=oos, returns=np.array(out["returns"]),
                          predicted_vol=np.array(out["pred"]), weights=np.array(out["weights"]),
                          lambdas=np.array(out["lambdas"]), rc_dispersion_path=np.array(out["disp"]),
                          periods_per_year=ppy)


def _allocate_all(est: rolling.RollingResult, alloc, budgets, target_vol):
    """Weights (R, N) and ex-ante volatility (R,) at each rebalance; assets without an estimate get weight 0."""
    n_reb, n = est.loadings.shape[:2]
    w, vol = np.zeros((n_reb, n)), np.empty(n_reb)
    for j in range(n_reb):
        have = np.isfinite(est.loadings[j]).all(axis=1) & np.isfinite(est.specific_var[j])
        if not have.any():
            raise InsufficientDataError(f"no asset has an estimate in the window ending at row {est.ends[j] + 1}.")
        model = risk.FactorModel.from_arrays(est.loadings[j, have], est.factor_cov[j], est.specific_var[j, have])
        b = np.asarray(budgets, float)[have] if alloc == "budget" and budgets is not None else budgets  # per asset
        res = risk.allocate(alloc, model=model, budgets=b, target_vol=target_vol)
        w[j, have] = res.weights
        vol[j] = res.risk.volatility
    return w, vol


def _realised_cov(r: np.ndarray) -> np.ndarray:
    """Sample covariance of the out-of-sample asset returns (pairwise complete)."""
    import numpy.ma as ma

    return np.atleast_2d(ma.cov(ma.masked_invalid(r), rowvar=False, allow_masked=True).filled(0.0))


def _dispersion(w: np.ndarray, cov: np.ndarray) -> float:
    """Standard deviation across held assets of their percentage risk contributions under ``cov``."""
    sw = cov @ w
    var = w @ sw
    held = w > 0
    if var <= 0 or held.sum() < 2:
        return 0.0
    return float(np.std((w * sw / var)[held], ddof=0))


__all__ = ["BacktestResult", "backtest", "model_options", "STATS"]
