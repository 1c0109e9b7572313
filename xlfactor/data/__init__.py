"""The shipped monthly Ken French data (see PROVENANCE.md beside this file)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import pandas as pd

from ..core._validation import choose
from ..core.factors import low_volatility
from ..core.options import DEFAULTS, LOW_VOL_SOURCES

FACTORS = ["Mkt-RF", "SMB", "HML", "Mom"]
INDUSTRIES = ["NoDur", "Durbl", "Manuf", "Enrgy", "Chems", "BusEq", "Telcm", "Utils", "Shops", "Hlth", "Money", "Other"]
SIZE_VALUE = [f"S{s}V{v}" for s in (1, 3, 5) for v in (1, 3, 5)]
SIZE_MOMENTUM = [f"S{s}M{m}" for s in (1, 3, 5) for m in (1, 3, 5)]


@dataclass(frozen=True)
class FrenchData:
    """Monthly Ken French data, 1949-01 to 2017-03, decimal returns, indexed by month (Period)."""

    factors: pd.DataFrame  # Mkt-RF, SMB, HML, Mom (excess returns)
    rf: pd.Series  # risk-free rate per month
    industries: pd.DataFrame  # 12 industry portfolios, total returns
    size_value: pd.DataFrame  # 9 size/value portfolios, total returns
    size_momentum: pd.DataFrame  # 9 size/momentum portfolios, total returns

    @property
    def portfolios(self) -> pd.DataFrame:
        """All 30 portfolios (industries, size/value, size/momentum), total returns."""
        return pd.concat([self.industries, self.size_value, self.size_momentum], axis=1)

    def low_vol(self, source: str = DEFAULTS["low_vol_from"]) -> pd.Series:
        """Low-volatility factor (rule: ``core.factors.LOW_VOL_RULE``) built from ``source``: the 9 size/value
        portfolios (default; 2 long, 2 short), or the 12 industries (4 and 4).

        The default keeps the factor apart from the 12 industries the template explains: built from them, it
        explains them partly by construction (R² of the industries on the five factors rises accordingly).
        """
        source = choose(source, LOW_VOL_SOURCES, "low_vol_from", DEFAULTS["low_vol_from"])
        universe, n = (self.size_value, 2) if source == "size_value" else (self.industries, 4)
        return pd.Series(low_volatility(universe.to_numpy(), n=n), index=universe.index, name="LowVol")

    def factor_table(self, low_vol_from: str = DEFAULTS["low_vol_from"]) -> pd.DataFrame:
        """Market, size, value, momentum and low volatility: Mkt-RF, SMB, HML, Mom, LowVol."""
        return pd.concat([self.factors, self.low_vol(low_vol_from)], axis=1)

    @property
    def five_factors(self) -> pd.DataFrame:
        """The five factors with the default low-volatility factor (see ``factor_table``)."""
        return self.factor_table()

    @property
    def market(self) -> pd.Series:
        """The market's total return, Mkt-RF + RF."""
        return (self.factors["Mkt-RF"] + self.rf).rename("Market")


def raw_table() -> pd.DataFrame:
    """The shipped CSV as one DataFrame indexed by month."""
    return _raw().copy()


@lru_cache(maxsize=1)
def _raw() -> pd.DataFrame:
    with resources.files(__package__).joinpath("french_monthly.csv").open("r") as fh:
        df = pd.read_csv(fh, dtype={"month": str})
    df.index = pd.PeriodIndex(df.pop("month"), freq="M", name="month")
    return df


def load_french() -> FrenchData:
    """Load the shipped monthly Ken French data as DataFrames indexed by month.

    819 months, 1949-01 to 2017-03, simple decimal returns per month, from Ken French's Data Library as
    redistributed by linearmodels (provenance and checks in ``xlfactor/data/PROVENANCE.md``). No network:
    the CSV ships with the package and is read once per process.

    Returns
    -------
    FrenchData
        ``factors`` (Mkt-RF, SMB, HML, Mom: excess or long-short returns), ``rf`` (the risk-free rate per
        month), ``industries`` (12 industry portfolios), ``size_value`` and ``size_momentum`` (9 portfolios
        each), all total returns; ``portfolios`` (the 30 together), ``market`` (Mkt-RF + RF), ``low_vol()``
        and ``factor_table()`` (the four factors plus a low-volatility factor built from the portfolios).

    Raises
    ------
    OSError
        When the installed package lacks its data file (a broken installation).

    See Also
    --------
    xlfactor.frames.ols : labelled regressions on these tables.

    Examples
    --------
    >>> import xlfactor as xf
    >>> data = xf.load_french()
    >>> data.industries.shape
    (819, 12)
    >>> list(data.factors.columns)
    ['Mkt-RF', 'SMB', 'HML', 'Mom']
    >>> print(data.factors.iloc[:2].round(4))
             Mkt-RF     SMB     HML     Mom
    month
    1949-01  0.0023  0.0181  0.0117 -0.0292
    1949-02 -0.0293 -0.0189 -0.0091 -0.0041
    """
    df = raw_table()
    return FrenchData(
        factors=df[FACTORS],
        rf=df["RF"],
        industries=df[INDUSTRIES],
        size_value=df[SIZE_VALUE],
        size_momentum=df[SIZE_MOMENTUM],
    )
