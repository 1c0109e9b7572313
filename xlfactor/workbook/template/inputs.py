"""The Start sheet's inputs (``Inputs``) and the room the template keeps for data (``Capacity``)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ...core.options import CHOICES as OPTION_CHOICES
from ...core.options import COV_OPTION_USERS, DEFAULTS, market_first_weights
from ...errors import XLFactorError
from ..dataset import MAX_FACTORS, Dataset, as_period

# the Start sheet's text inputs (method: the lambda method charted)
CHOICES = {
    **{k: OPTION_CHOICES[k] for k in ("scheme", "rule", "loadings", "cov_method", "risk_method", "criterion")},
    "method": OPTION_CHOICES["curve_method"],
}
FLAGS = ("standardize",)  # TRUE/FALSE inputs
WHOLE_NUMBERS = {
    "folds": 2,
    "gap": 0,
    "lags": 0,
    "bt_window": 10,
    "bt_step": 1,
    "periods_per_year": 1,
    "nw_lags": 0,
}  # input: smallest allowed value
# Barra-style options of the factor covariance and specific risk (core.options.DEFAULTS; blank = off), offered on
# Start and passed on by the sheets when the Excel functions take them (FACTOR_COV, SPECIFIC_VAR, BACKTEST)
BARRA = ("nw_lags", "corr_halflife", "regime_halflife", "specific_shrink")
BT_DEFAULTS = {
    "quarterly": (20, 4),
    "monthly": (60, 12),
    "weekly": (104, 13),
    "daily": (252, 63),
}  # backtest window and step, by cadence


def udf_takes(function: str, argument: str) -> bool:
    """Whether the Excel function ``function`` (e.g. FACTOR_COV) has the argument ``argument``."""
    import inspect

    from ...excel import udfs

    fn = getattr(udfs, function.lower(), None)
    return fn is not None and argument in inspect.signature(fn).parameters


def newey_west_lags(periods: int) -> int:
    """Newey-West lags for ``periods`` observations: floor(4 (T/100)^(2/9)) (Newey and West 1994's rule).

    >>> newey_west_lags(645), newey_west_lags(120), newey_west_lags(2265)
    (6, 4, 8)
    """
    return int(4 * (max(int(periods), 1) / 100) ** (2 / 9))


@dataclass(frozen=True)
class Capacity:
    """Room on the Data sheet (periods, assets, factors) and in the factor tables (factors)."""

    periods: int = 20_000
    assets: int = 500
    factors: int = MAX_FACTORS

    @classmethod
    def for_data(cls, data: Dataset) -> Capacity:
        t, n, k = data.shape()
        return cls(periods=max(cls.periods, 2 * t), assets=max(cls.assets, 2 * n), factors=max(MAX_FACTORS, k))


@dataclass(frozen=True)
class Inputs:
    """The Start sheet's inputs. ``None`` means: from the data (window = all periods from the data's default
    start, every factor, the market unpenalised, budgets 1)."""

    start: int | None = None
    end: int | None = None  # None: the last period; the cell is =MAX(periods), so pasted rows enter the window
    use_factors: tuple[bool, ...] | None = None
    folds: int = DEFAULTS["folds"]
    scheme: str = DEFAULTS["scheme"]
    gap: int = DEFAULTS["gap"]
    rule: str = DEFAULTS["rule"]
    method: str = "lasso"  # penalty whose CV curve is charted: lasso or ridge
    lags: int | None = None  # Newey-West lags; None: newey_west_lags(periods in the window)
    cov_method: str = DEFAULTS["cov_method"]
    halflife: float = DEFAULTS["halflife"]
    nw_lags: int = DEFAULTS["nw_lags"]  # Newey-West lags of the factor covariance (sample and barra)
    corr_halflife: float | None = DEFAULTS["corr_halflife"]  # barra: of the correlations; None: halflife
    regime_halflife: float | None = DEFAULTS["regime_halflife"]  # barra: volatility regime adjustment; None: off
    specific_shrink: float = DEFAULTS["specific_shrink"]  # USE4's q: specific volatilities shrunk to their mean
    risk_method: str = DEFAULTS["risk_method"]
    loadings: str = DEFAULTS["loadings"]  # which loadings feed the risk model: ols, ridge or lasso
    standardize: bool = DEFAULTS["standardize"]
    penalty_weights: tuple[float, ...] | None = None  # per factor of the data; default market 0, others 1
    target_vol: float = DEFAULTS[
        "target_vol"
    ]  # risk method targetvol: the volatility aimed at, a year (decimal: 0.10 = 10%)
    periods_per_year: int | None = (
        None  # to annualise and de-annualise; None: the data's (4 quarterly, 12 monthly, 52 weekly, 252 daily)
    )
    factor_budgets: tuple[float, ...] | None = None
    asset_budgets: tuple[float, ...] | None = None
    criterion: str = DEFAULTS["criterion"]  # the number of latent factors on the Statistical sheet
    bt_window: int | None = None  # backtest: estimation window; default 60 months (104 weeks, 252 days)
    bt_step: int | None = (
        None  # backtest: periods between rebalances; default 12 months (13 weeks, 63 days): a quick recalculation
    )

    def cov_options(self) -> dict:
        """The covariance options the chosen ``cov_method`` reads (half-life and the Barra-style ones,
        ``options.COV_OPTION_USERS``), as keyword arguments of ``risk.factor_covariance`` and ``backtest``; those it
        ignores are left out (the core refuses them), as the template's formulas leave them out (``Template.cov_option``)."""
        method = self.cov_method.lower()
        return {name: getattr(self, name) for name, users in COV_OPTION_USERS.items() if method in users}

    def resolve(self, data: Dataset) -> Inputs:
        """Every input given: per-factor and per-asset tuples of the data's length, the window in periods."""
        _t, n, k = data.shape()

        def sized(values, default, what, length):
            values = tuple(default if values is None else values)
            if len(values) != length:
                raise XLFactorError(
                    f"{what} has {len(values)} values but the data has {length}; give one per "
                    f"{'factor' if length == k else 'asset'}."
                )
            return values

        given_start, given_end = as_period(self.start, data, False), as_period(self.end, data, True)
        start = int(data.default_start or data.periods[0]) if given_start is None else given_start
        end = int(data.periods[-1]) if given_end is None else given_end
        window = int(((data.periods >= start) & (data.periods <= end)).sum())
        first, last = int(data.periods[0]), int(data.periods[-1])
        if start > end or start > last or end < first:
            raise XLFactorError(
                f"the sample window {start} to {end} holds no period of the data ({first} to {last}); "
                "choose a start and an end (YYYYMM, or YYYYMMDD for daily data) within it, the start before the end."
            )
        return replace(
            self,
            start=start,
            end=end,
            lags=newey_west_lags(window) if self.lags is None else int(self.lags),
            use_factors=tuple(bool(u) for u in sized(self.use_factors, (True,) * k, "use_factors", k)),
            penalty_weights=tuple(
                float(w) for w in sized(self.penalty_weights, market_first_weights(k), "penalty_weights", k)
            ),
            factor_budgets=tuple(float(b) for b in sized(self.factor_budgets, (1.0,) * k, "factor_budgets", k)),
            asset_budgets=tuple(float(b) for b in sized(self.asset_budgets, (1.0,) * n, "asset_budgets", n)),
            periods_per_year=data.periods_per_year if self.periods_per_year is None else int(self.periods_per_year),
            bt_window=BT_DEFAULTS[data.cadence][0] if self.bt_window is None else int(self.bt_window),
            bt_step=BT_DEFAULTS[data.cadence][1] if self.bt_step is None else int(self.bt_step),
        )

    @property
    def target_vol_period(self) -> float:
        """The target volatility per period (what the allocation needs): a year's divided by sqrt(periods a year)."""
        assert self.periods_per_year is not None  # resolved (Inputs.resolve)
        return self.target_vol / self.periods_per_year**0.5

    def selected(self, values) -> list:
        assert self.use_factors is not None  # resolved (Inputs.resolve)
        return [v for v, u in zip(values, self.use_factors, strict=True) if u]
