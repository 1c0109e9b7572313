"""The data a template is built on: the shipped Ken French data, or the user's own files.

A ``Dataset`` is periods (YYYYMM for monthly data, YYYYMMDD for daily), the risk-free rate, the factors
(excess returns; the first is the market) and the assets' total returns. ``from_files`` reads CSV or XLSX
files with dates in the first column and says exactly what is wrong with a bad file: the cell that is not a
number, the dates that repeat or do not match between files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .._files import spelled
from ..core.factors import LOW_VOL_RULE
from ..core.options import ASSET_SETS, DEFAULTS, describe
from ..errors import InputShapeError, InputValueError

MAX_FACTORS = 20  # the template's factor tables have room for this many
PERCENT_LIKE = {"monthly": 0.5, "daily": 0.1}  # a median absolute return above these a period: percentages
# (daily: 0.1 is a 10% median move a day, which no decimal series has; 0.5 let calm daily percentages through)


class DataFileError(InputValueError):
    """A returns, factors or rf file that cannot be used as it is."""


PERIOD_WORDS = {"quarterly": "quarter", "monthly": "month", "weekly": "week", "daily": "day"}
PERIODS_PER_YEAR = {"quarterly": 4, "monthly": 12, "weekly": 52, "daily": 252}


def _per_year(first: pd.Timestamp, last: pd.Timestamp, n: int) -> float:
    return (n - 1) / max((last - first).days / 365.25, 1e-9)


def cadence(periods: np.ndarray, frequency: str) -> str:
    """What the dates are. YYYYMM periods (one row a month at most) are "quarterly" when they come fewer than
    sqrt(4 x 12) = 6.9 times a year (quarter ends, as macro data come), else "monthly"; YYYYMMDD ones "weekly" when
    they come between 25 and 114 times a year, else "daily". The cut-offs are the geometric midpoints of the
    nominal counts (4, 12, 52, 252), as the command line's frequency warning reads them. Slower dates (semiannual,
    annual) are quarterly here too: the command line warns of them, and ``periods_per_year`` can be given."""
    if len(periods) < 2:
        return frequency
    p = np.asarray(periods, dtype=np.int64)
    if frequency == "monthly":
        first, last = (pd.Timestamp(year=int(x) // 100, month=int(x) % 100, day=1) for x in p[[0, -1]])
        return "quarterly" if _per_year(first, last, len(p)) < np.sqrt(4 * 12) else "monthly"
    try:
        first, last = (
            pd.Timestamp(year=int(x) // 10000, month=int(x) // 100 % 100, day=int(x) % 100) for x in p[[0, -1]]
        )
    except ValueError:  # not dates (a Dataset built by hand): daily, as before
        return "daily"
    per_year = _per_year(first, last, len(p))
    return "weekly" if np.sqrt(12 * 52) < per_year < np.sqrt(52 * 252) else "daily"


@dataclass(frozen=True)
class Dataset:
    periods: np.ndarray  # int, YYYYMM (monthly) or YYYYMMDD (daily), increasing
    rf: np.ndarray  # (T,) risk-free rate per period
    factors: np.ndarray  # (T, K) factor excess returns; column 0 is the market
    factor_names: tuple[str, ...]
    returns: np.ndarray  # (T, N) asset total returns
    asset_names: tuple[str, ...]
    title: str
    notes: tuple[str, ...] = ()
    default_start: int | None = None  # the template's sample start; None: the first period
    frequency: str = "monthly"

    @property
    def cadence(self) -> str:
        """quarterly, monthly, weekly or daily: what the dates are (quarterly data are written as months, YYYYMM, the
        quarter's last; weekly data as days, YYYYMMDD)."""
        return cadence(self.periods, self.frequency)

    @property
    def periods_per_year(self) -> int:
        return PERIODS_PER_YEAR[self.cadence]

    @property
    def period_word(self) -> str:
        return PERIOD_WORDS[self.cadence]

    @property
    def period_header(self) -> str:
        """The heading of a column of periods: Month or Quarter (YYYYMM numbers), else Date (YYYYMMDD)."""
        return {"monthly": "Month", "quarterly": "Quarter"}.get(self.cadence, "Date")

    @property
    def market(self) -> np.ndarray:
        """The market's excess return: the first factor."""
        return self.factors[:, 0]

    def shape(self) -> tuple[int, int, int]:
        return len(self.periods), self.returns.shape[1], self.factors.shape[1]


def as_period(given: int | None, data: Dataset, last: bool) -> int | None:
    """A window bound in the data's periods: a month (YYYYMM) given for daily data is its first day (a start) or
    its last (an end), a day given for monthly data is its month; compared as they were, 202006 lies before every
    day, so a start of 2020-06 on daily data silently began at the first day and an end of 2021-06 found none."""
    if given is None:
        return None
    given = int(given)
    if data.frequency != "monthly" and given < 1_000_000:
        return given * 100 + (31 if last else 1)
    if data.frequency == "monthly" and given >= 1_000_000:
        return given // 100
    return given


def french(assets: str = DEFAULTS["assets"], low_vol_from: str = DEFAULTS["low_vol_from"]) -> Dataset:
    """The shipped monthly Ken French data: five factors (with LowVol) and 12 industries or all 30 portfolios."""
    from ..data import load_french

    if assets not in ASSET_SETS:
        raise InputValueError(f"assets must be {describe('assets', default=False)}; got {assets!r}.")
    d = load_french()
    table = d.industries if assets == "industries" else d.portfolios
    factors = d.factor_table(low_vol_from)
    months = np.array([p.year * 100 + p.month for p in d.factors.index], dtype=np.int64)
    source = (
        "the 9 size/value portfolios (apart from the industries it explains)"
        if low_vol_from == "size_value"
        else "the 12 industries"
    )
    notes = (
        "Source: Kenneth R. French Data Library, as shipped by linearmodels (see xlfactor/data/PROVENANCE.md).",
        LOW_VOL_RULE.format(n=2 if low_vol_from == "size_value" else 4, window=36) + f" Built from {source}.",
    )
    return Dataset(
        months,
        d.rf.to_numpy(float),
        factors.to_numpy(float),
        tuple(factors.columns),
        table.to_numpy(float),
        tuple(table.columns),
        "Monthly Ken French factors and portfolios, 1949-01 to 2017-03",
        notes,
        default_start=196307,
    )


# --- the user's files ---------------------------------------------------------------------------------------------


def _read_table(path: Path, what: str) -> pd.DataFrame:
    """A CSV or XLSX file as text cells (dates in the first column, a header row).

    The header is read as a row of cells, not by pandas (which renames a repeated name ``A`` to ``A.1``), so that
    a repeated asset name is refused.
    """
    path = Path(path)
    if not path.exists():
        raise DataFileError(f"{what} file {path} does not exist.")
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".txt", ".xlsx", ".xlsm"):
        raise DataFileError(f"{what} file {path.name}: use .csv or .xlsx (got {suffix or 'no extension'}).")
    try:
        if suffix in (".csv", ".txt"):
            raw = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True, header=None)
        else:
            raw = pd.read_excel(path, dtype=object, header=None)
            raw = raw.map(lambda x: "" if x is None or (isinstance(x, float) and np.isnan(x)) else x)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise DataFileError(f"{what} file {path.name} cannot be read as a table: {exc}") from None
    if raw.shape[1] < 2:
        raise DataFileError(f"{what} file {path.name} needs dates in the first column and at least one data column.")
    if raw.shape[0] < 2:
        raise DataFileError(f"{what} file {path.name} has a header but no rows.")
    header = [str(c).strip() for c in raw.iloc[0]]
    df = raw.iloc[1:].reset_index(drop=True)
    df.columns = [h or f"Unnamed: {j}" for j, h in enumerate(header)]
    dup = df.columns[df.columns.duplicated()].tolist()
    if dup:
        raise DataFileError(f"{what} file {path.name}: column name {dup[0]!r} appears twice; names must be unique.")
    return df


DATE_ORDERS = ("auto", "dayfirst", "monthfirst")  # how a.b.YYYY dates are read: found from the file, or as told
_AMBIGUOUS = r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})"  # day and month in either order, year last


def _two_field_dates(text: pd.Series, name: str, order: str, cli: bool = False) -> pd.Series:
    """Dates written a/b/YYYY (or with . or -): day first or month first as ``order`` says; with ``order`` auto,
    the one order under which every date is valid, or an error when both are (01/02/1980 is 1 February or 2 January)."""
    parts = text.str.extract(_AMBIGUOUS).astype(int)
    a, b, year = parts[0], parts[1], parts[2].where(parts[2] >= 100, parts[2] + 1900 + 100 * (parts[2] < 50))

    def read(day, month):
        return pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": day}), errors="coerce")

    readings = {"dayfirst": read(a, b), "monthfirst": read(b, a)}
    if order == "auto":
        valid = [o for o, dates in readings.items() if dates.notna().all()]
        if len(valid) == 2 and not readings["dayfirst"].equals(readings["monthfirst"]):
            day, month = (spelled(f"date_order={o!r}", f"--{o}", cli) for o in ("dayfirst", "monthfirst"))
            raise DataFileError(
                f"{name}: the dates (first: {text.iloc[0]!r}) can be read day first or month first; "
                f"pass {day} (01/02/1980 is 1 February) or {month} (2 January)."
            )
        # neither order reads every date: report the first bad one under the order that reads the most
        order = valid[0] if valid else max(readings, key=lambda o: readings[o].notna().sum())
    dates = readings[order]
    bad = np.flatnonzero(dates.isna().to_numpy())
    if bad.size:
        how = {"dayfirst": "day first", "monthfirst": "month first"}[order]
        raise DataFileError(f"{name}: row {bad[0] + 2} has {text.iloc[bad[0]]!r}, which is not a date read {how}.")
    return dates


def _periods(column: pd.Series, name: str, date_order: str = "auto", cli: bool = False) -> tuple[np.ndarray, str]:
    """Dates (YYYYMM / YYYYMMDD numbers, year-first dates, a/b/YYYY in the order ``date_order`` says or the file
    shows, or any other form pandas reads unambiguously) as YYYYMM if monthly, else YYYYMMDD."""
    text = column.map(lambda x: x.strftime("%Y-%m-%d") if hasattr(x, "strftime") else str(x).strip())
    blank = np.flatnonzero(text.eq("").to_numpy())
    if blank.size:
        raise DataFileError(f"{name}: row {blank[0] + 2} has no date in the first column.")
    digits = text.str.fullmatch(r"\d{6}(\.0)?|\d{8}(\.0)?")
    if digits.all():
        t = text.str.replace(".0", "", regex=False)
        fmt = "%Y%m" if t.str.len().eq(6).all() else "%Y%m%d"
        dates = pd.to_datetime(t, format=fmt, errors="coerce")
    elif text.str.fullmatch(_AMBIGUOUS).all():
        dates = _two_field_dates(text, name, date_order, cli)
    else:
        dates = pd.to_datetime(text, errors="coerce", format="mixed", dayfirst=date_order == "dayfirst")
    bad = np.flatnonzero(dates.isna().to_numpy())
    if bad.size:
        raise DataFileError(
            f"{name}: row {bad[0] + 2} has {text.iloc[bad[0]]!r} in the date column, which is not a date."
        )
    months = (dates.dt.year * 100 + dates.dt.month).to_numpy(np.int64)
    days = months * 100 + dates.dt.day.to_numpy(np.int64)
    monthly = len(np.unique(months)) == len(months)  # one row a month; else daily (days must not repeat)
    out = months if monthly else days
    repeat = pd.Series(out).duplicated().to_numpy()
    if repeat.any():
        i = int(np.flatnonzero(repeat)[0])
        first = int(np.flatnonzero(out == out[i])[0])
        raise DataFileError(
            f"{name}: the date {text.iloc[i]} (row {i + 2}) repeats row {first + 2}; each period must appear once."
        )
    down = np.flatnonzero(np.diff(out) < 0)
    if down.size:
        raise DataFileError(
            f"{name}: the dates are not in increasing order (row {int(down[0]) + 3}); sort the file by date."
        )
    return out, "monthly" if monthly else "daily"


MISSING_TEXT = ("", "NA", "NAN", "N/A", "#N/A")  # cells read as missing values


def _numbers(df: pd.DataFrame, name: str, floor: float | None = None, freq: str = "monthly") -> np.ndarray:
    """The data columns as floats; blanks are missing values; anything else that is not a number is an error, and
    so is a value below ``floor`` (-1 for returns: no asset loses more than everything), checked after the
    percent-like scale so that a file of percentages is told to divide by 100."""
    out = np.empty(df.shape, dtype=float)
    for j, col in enumerate(df.columns):
        cells = df[col]
        values = pd.to_numeric(cells, errors="coerce").to_numpy(dtype=float)
        failed = np.isnan(values)
        if failed.any():
            text = cells[failed].map(lambda x: str(x).strip())
            missing = text.str.upper().isin(MISSING_TEXT).to_numpy()
            if not missing.all():
                i = int(np.flatnonzero(failed)[np.flatnonzero(~missing)[0]])
                raise DataFileError(
                    f"{name}: row {i + 2}, column {col!r} holds {str(cells.iloc[i]).strip()!r}, which is not a number."
                )
        out[:, j] = values
    if np.isinf(out).any():
        raise DataFileError(f"{name}: infinite values; use blanks for missing values.")
    med = np.nanmedian(np.abs(out)) if np.isfinite(out).any() else 0.0
    if med > PERCENT_LIKE[freq]:
        raise DataFileError(
            f"{name}: the median absolute value is {med:.3g}; returns must be decimals (0.012 for "
            "1.2%). Divide the file by 100 if it holds percentages."
        )
    if floor is not None and (out < floor).any():
        i, j = np.argwhere(out < floor)[0]
        raise DataFileError(
            f"{name}: row {i + 2}, column {df.columns[j]!r} holds {out[i, j]:.6g}, a loss of more than "
            "100%; returns are decimals (-0.05 for -5%) and cannot be below -1."
        )
    return out


RF_NAMES = frozenset(["rf", "riskfree", "risk_free", "rf_rate", "t_bill", "tbill"])  # lower case, - and space as _
RF_PERCENT_LIKE = 0.05  # a risk-free rate's median above 5% a period (80% a year monthly): percentages
RETURN_FLOOR = -1.0  # a total return below -100% is impossible: a typo or percentages with a sign slip


def _read(path, what: str, date_order: str = "auto", floor: float | None = None, cli: bool = False):
    df = _read_table(path, what)
    name = f"{what} file {Path(path).name}"
    periods, freq = _periods(df.iloc[:, 0], name, date_order, cli)
    data = df.iloc[:, 1:]
    return periods, freq, _numbers(data, name, floor, freq), [str(c) for c in data.columns]


def _align(periods: np.ndarray, other: np.ndarray, values: np.ndarray, what: str) -> np.ndarray:
    """``values`` (rows of ``other`` periods) at the returns' periods; every returns period must be there."""
    pos = {int(p): i for i, p in enumerate(other)}
    missing = [int(p) for p in periods if int(p) not in pos]
    if missing:
        shown = ", ".join(str(p) for p in missing[:3])
        plural = what.startswith("shipped")  # "shipped French factors"; else "factors file f.csv", "rf file r.csv"
        raise InputShapeError(
            f"the {what} {'have' if plural else 'has'} no row for {len(missing)} of the returns' periods (first: "
            f"{shown}); the {what} {'cover' if plural else 'covers'} {other[0]} to {other[-1]}. The dates must match "
            "period by period."
        )
    return values[[pos[int(p)] for p in periods]]


def _same_cadence(returns: str, other: str, what: str, verb: str = "is", where: str = "") -> None:
    """Refuse factors or a risk-free rate (``what``, which ``verb`` other) of another cadence than the returns': matched
    date by date, monthly factors against quarterly returns would take each quarter's last month for the quarter (a
    silently wrong regression). ``where``: how the caller passes other factors (after "pass daily ones")."""
    if other == returns:
        return
    one, many = PERIOD_WORDS[returns], PERIOD_WORDS[other]
    how = f"pass {returns} ones{where}"
    if (other, returns) == ("monthly", "quarterly"):
        how = "compound the months to quarters first (xlfactor.compound in Python, COMPOUND_RETURNS in Excel)"
    raise DataFileError(
        f"{what} {verb} {other} but the returns are {returns}: each {one} would be matched with a single {many}'s "
        f"value; {how}."
    )


def from_files(
    returns,
    factors="french",
    rf=None,
    low_vol_from: str = DEFAULTS["low_vol_from"],
    date_order: str = "auto",
    *,
    cli: bool = False,
) -> Dataset:
    """A data set from the user's files.

    ``returns``: assets' total returns (CSV/XLSX, dates first). ``factors``: a file of factor excess returns
    (the first column after the dates is the market's), or ``"french"`` for the shipped monthly factors.
    ``rf``: a file (dates, one column), the name of a column of the factors file, or None: the shipped RF with
    ``factors="french"``, else 0 (then the returns are taken to be excess returns already). ``date_order``: how
    dates written a/b/YYYY are read: ``"auto"`` (the one order under which every date is valid; an error when both
    are), ``"dayfirst"`` or ``"monthfirst"``. A return below -100% is an error, and so is a factor column named as
    the risk-free rate (``RF_NAMES``: RF, risk_free, ...) that ``rf`` does not take. ``cli``: messages name the
    command's flags (--dayfirst, --factors, --rf), else these keywords.
    """
    if date_order not in DATE_ORDERS:
        raise InputValueError(f"date_order must be one of {', '.join(DATE_ORDERS)}; got {date_order!r}.")
    periods, freq, r, names = _read(returns, "returns", date_order, RETURN_FLOOR, cli)
    kind = cadence(periods, freq)
    notes = [f"Returns: {Path(returns).name} ({len(periods)} {kind} periods, {len(names)} assets)."]
    shipped = str(factors).lower() == "french"
    if shipped:
        _same_cadence(
            kind, "monthly", "the shipped French factors", "are", f" {spelled('as factors=...', 'with --factors', cli)}"
        )
        base = french(low_vol_from=low_vol_from)
        fp, fv, fnames, base_rf = base.periods, base.factors, list(base.factor_names), base.rf
        notes.append("Factors: the shipped Ken French factors (Mkt-RF, SMB, HML, Mom) and LowVol; see PROVENANCE.md.")
    else:
        fp, ffreq, fv, fnames = _read(factors, "factors", date_order, cli=cli)
        _same_cadence(kind, cadence(fp, ffreq), f"the factors file {Path(factors).name}")
        base_rf = None
    where = "shipped French factors" if shipped else f"factors file {Path(factors).name}"
    if rf is not None and not shipped and str(rf) in fnames:  # a column of the factors file
        j = fnames.index(str(rf))
        rf_values = _align(periods, fp, fv[:, j], where)
        fv, fnames = np.delete(fv, j, axis=1), fnames[:j] + fnames[j + 1 :]
        notes.append(f"RF: column {rf} of {Path(factors).name}.")
    elif rf is not None:
        if not Path(rf).exists():
            raise DataFileError(
                f"{spelled(f'rf={str(rf)!r}', f'--rf {rf!s}', cli)}: no such file"
                + ("" if shipped else ", and no such column of the factors file")
                + "."
            )
        rp, rfreq, rv, _ = _read(rf, "rf", date_order, RETURN_FLOOR, cli)
        _same_cadence(kind, cadence(rp, rfreq), f"the rf file {Path(rf).name}")
        if rv.shape[1] != 1:
            raise DataFileError(f"rf file {Path(rf).name} must hold one column after the dates; it has {rv.shape[1]}.")
        rf_values = _align(periods, rp, rv[:, 0], f"rf file {Path(rf).name}")
        notes.append(f"RF: {Path(rf).name}.")
    elif shipped:
        assert base_rf is not None  # the shipped factors carry their rf
        rf_values = _align(periods, fp, base_rf, where)
    else:
        rf_values = np.zeros(len(periods))
        notes.append("RF: none given, so 0: the returns are taken to be excess returns.")
    if rf is not None and np.nanmedian(np.abs(rf_values)) > RF_PERCENT_LIKE:
        raise DataFileError(
            f"{spelled(f'rf={str(rf)!r}', f'--rf {rf!s}', cli)}: the risk-free rate's median is {np.nanmedian(np.abs(rf_values)):.3g} a period; "
            "a rate is a decimal per period (0.003 for 0.3% a month). Divide it by 100 if it holds percentages."
        )
    rate = [n for n in fnames if n.strip().lower().replace("-", "_").replace(" ", "_") in RF_NAMES]
    if rate and not shipped:  # the Ken French layout (Mkt-RF, SMB, HML, RF) without --rf RF: RF would be a factor
        raise DataFileError(
            f"the factors file {Path(factors).name} has a column {rate[0]!r}, which reads as the risk-free rate, not "
            f"a factor: pass {spelled(f'rf={rate[0]!r}', f'--rf {rate[0]}', cli)} to subtract it from the returns, or rename "
            "the column to keep it as a factor."
        )
    f = _align(periods, fp, fv, where)
    if not shipped:
        notes.append(f"Factors: {Path(factors).name} ({', '.join(fnames)}); the first, {fnames[0]}, is the market.")
    if not 1 <= len(fnames) <= MAX_FACTORS:
        raise InputShapeError(f"the template takes 1 to {MAX_FACTORS} factors; the factors have {len(fnames)}.")
    if np.isnan(f).any() or np.isnan(rf_values).any():
        i = int(np.flatnonzero(np.isnan(f).any(axis=1) | np.isnan(rf_values))[0])
        gaps = [n for n, gap in zip(fnames, np.isnan(f[i]), strict=True) if gap] + (
            ["RF"] if np.isnan(rf_values[i]) else []
        )
        raise DataFileError(
            f"{' and '.join(gaps[:3])} of the {where} {'is' if len(gaps) == 1 else 'are'} missing for period "
            f"{periods[i]}; factors and RF need a value in every period of the returns file."
        )
    clash = set(names) & set(fnames)
    if clash:
        raise DataFileError(f"{sorted(clash)[0]!r} names both an asset and a factor; rename one.")
    first, last = periods[0], periods[-1]
    return Dataset(
        periods,
        np.asarray(rf_values, float),
        np.asarray(f, float),
        tuple(fnames),
        r,
        tuple(names),
        f"Your data: {len(names)} assets, {len(fnames)} factors, {first} to {last} ({kind})",
        tuple(notes),
        frequency=freq,
    )


__all__ = ["Dataset", "DataFileError", "as_period", "french", "from_files", "MAX_FACTORS"]
