"""A second data set of another shape with a known answer: 1,200 months x 45 assets x 7 factors.

Returns are rf + F B' + e with loadings B drawn once (market loadings near 1, others sparse), so OLS
recovers B to within its standard errors and the template's numbers can be checked against the truth
as well as against the core.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

T, N, K = 1200, 45, 7
FACTORS = ["MKT", "SIZE", "VALUE", "MOM", "QUAL", "INV", "LIQ"]


def make(t: int = T, n: int = N, k: int = K, seed: int = 7, first_year: int = 1920):
    """(months YYYYMM from January of ``first_year``, rf, factors (t, k), returns (t, n), loadings B (n, k), factor
    names, asset names)."""
    rng = np.random.default_rng(seed)
    months = np.array([(first_year + i // 12) * 100 + i % 12 + 1 for i in range(t)])
    vol = np.array([0.045, 0.03, 0.03, 0.04, 0.02, 0.02, 0.025])[:k]
    mix = np.eye(k) + 0.25 * rng.standard_normal((k, k)) * (rng.random((k, k)) < 0.3)
    f = (rng.standard_normal((t, k)) @ mix.T) * vol + 0.004 * (np.arange(k) == 0)
    b = rng.normal(0, 0.4, (n, k)) * (rng.random((n, k)) < 0.5)
    b[:, 0] = rng.uniform(0.6, 1.4, n)
    rf = 0.002 + 0.001 * np.sin(np.arange(t) / 40)
    e = rng.standard_normal((t, n)) * rng.uniform(0.01, 0.04, n)
    r = rf[:, None] + f @ b.T + e
    names = [f"A{j + 1:02d}" for j in range(n)]
    return months, rf, f, r, b, FACTORS[:k] if k <= len(FACTORS) else [f"F{j + 1}" for j in range(k)], names


def write(folder: Path, t: int = T, n: int = N, k: int = K, seed: int = 7, first_year: int = 1920) -> dict:
    """returns.csv (dates as ISO month ends), factors.csv (with an RF column) in ``folder``; and the truth."""
    months, rf, f, r, b, fnames, anames = make(t, n, k, seed, first_year)
    dates = pd.to_datetime([str(m) for m in months], format="%Y%m") + pd.offsets.MonthEnd(0)
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(r, index=dates.strftime("%Y-%m-%d"), columns=anames).rename_axis("date").to_csv(folder / "returns.csv")
    pd.DataFrame(np.column_stack([f, rf]), index=dates.strftime("%Y-%m-%d"), columns=[*fnames, "RF"]).rename_axis(
        "date"
    ).to_csv(folder / "factors.csv")
    return {"returns": folder / "returns.csv", "factors": folder / "factors.csv", "loadings": b, "months": months}


def daily(t: int = 2000, n: int = 20, k: int = 5, seed: int = 11):
    """A daily data set of another shape (business days from 2014, ``n`` assets, ``k`` factors): a Dataset."""
    from xlfactor.workbook.dataset import Dataset

    _, rf, f, r, _, fnames, anames = make(t, n, k, seed)
    days = np.array(pd.bdate_range("2014-01-02", periods=t).strftime("%Y%m%d"), dtype=np.int64)
    scale = 1 / np.sqrt(21)  # monthly moves to daily ones
    return Dataset(
        days,
        rf / 21,
        f * scale,
        tuple(fnames),
        (r - rf[:, None]) * scale + rf[:, None] / 21,
        tuple(anames),
        f"Synthetic daily data: {n} assets, {k} factors",
        frequency="daily",
    )
