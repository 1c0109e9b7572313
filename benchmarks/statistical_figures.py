"""The README's figures on latent vs named factors, computed on the shipped data (not typed by hand).

Run: python benchmarks/statistical_figures.py            (print the Markdown block)
     python benchmarks/statistical_figures.py --write     (replace the block in README.md between its markers)

Data: the 12 industries' excess returns and the five named factors (Mkt-RF, SMB, HML, Mom, LowVol) from 1963-07
to 2017-03 (645 months, the CLI's default window). Latent factors: principal components of the covariance.
The backtest row: ``xlfactor backtest --models ols,statistical`` (60-month windows, rebalanced monthly, ERC).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from xlfactor.core import backtest, statistical
from xlfactor.core.options import DEFAULTS, NUM_FACTOR_CRITERIA
from xlfactor.workbook.dataset import french

README = Path(__file__).resolve().parents[1] / "README.md"
START, END = "<!-- statistical-figures:start -->", "<!-- statistical-figures:end -->"
BACKTEST_STATS = (
    ("vol_ratio", "realised / predicted volatility", "{:.3f}"),
    ("bias", "bias statistic", "{:.3f}"),
    ("qlike", "QLIKE (mean over test portfolios)", "{:.3f}"),
    ("mrad", "MRAD", "{:.3f}"),
    ("outside", "test portfolios outside their band", "{:.1%}"),
    ("volatility", "realised volatility (a year)", "{:.2%}"),
)


def data():
    """The template's and the CLI's shipped data set from its default start (LowVol from the size/value
    portfolios): excess returns, named factors, their names."""
    d = french()
    keep = d.periods >= d.default_start
    return (d.returns[keep] - d.rf[keep, None], d.factors[keep], list(d.asset_names), list(d.factor_names))


def figures(with_backtest: bool = True) -> str:
    y, x, assets, names = data()
    count = statistical.factor_count(y)
    k = count.chosen[DEFAULTS["criterion"]]
    m = x.shape[1]
    by_k = {kk: statistical.latent_vs_named(y, x, kk) for kk in sorted({k, m})}
    same = by_k[m]
    lines = [
        f"On the shipped data ({y.shape[0]} months from 1963-07, {y.shape[1]} industries' excess returns; "
        f"named factors {', '.join(names)}), computed by `benchmarks/statistical_figures.py`:",
        "",
    ]
    lines += [
        "| criterion | " + " | ".join(NUM_FACTOR_CRITERIA) + " |",
        "|---|" + "---|" * len(NUM_FACTOR_CRITERIA),
        "| k chosen (of 1 to 8) | " + " | ".join(str(count.chosen[c]) for c in NUM_FACTOR_CRITERIA) + " |",
        "",
    ]
    bai_ng = {count.chosen[c] for c in NUM_FACTOR_CRITERIA if c not in ("er", "gr")}
    lines += [
        (
            f"Bai and Ng's criteria run to kmax on {y.shape[1]} assets (their penalties are built for large N); "
            if bai_ng == {count.kmax}
            else ""
        )
        + f"Ahn and Horenstein's eigenvalue ratio finds {count.chosen['er']} and growth ratio "
        f"{count.chosen['gr']}: the first component explains {count.explained[0]:.1%} of the variance, the "
        f"second {count.explained[1]:.1%}.",
        "",
    ]
    lines += [
        "| asset | R² on " + " | R² on ".join(f"{kk} latent" for kk in by_k) + f" | R² on the {m} named |",
        "|---|" + "---|" * (len(by_k) + 1),
    ]
    for j, a in enumerate(assets):
        lines.append(
            f"| {a} | " + " | ".join(f"{r.r2_latent[j]:.1%}" for r in by_k.values()) + f" | {same.r2_named[j]:.1%} |"
        )
    lines.append(
        "| mean | "
        + " | ".join(f"{r.r2_latent.mean():.1%}" for r in by_k.values())
        + f" | {same.r2_named.mean():.1%} |"
    )
    lines += [
        "",
        f"Canonical correlations between the {m} latent and the {m} named factors: "
        + ", ".join(f"{c:.3f}" for c in same.canonical)
        + f"; the named factors explain {same.latent_share:.1%} "
        f"of the {m} latent factors' variance (each: "
        + ", ".join(f"{r:.1%}" for r in same.latent_on_named)
        + f"); {by_k[k].latent_share:.1%} of the first {k}'s.",
    ]
    if with_backtest:
        bt = backtest.backtest(y, x, 60, models=("ols", "statistical"))
        st = bt.stats
        lines += [
            "",
            "The walk-forward backtest (`xlfactor backtest --models ols,statistical`: 60-month windows, "
            f"rebalanced monthly, ERC, {int(st['periods'][0])} months out of sample; the statistical model "
            f"re-chooses k by {DEFAULTS['criterion']} in each window):",
            "",
            "| model | " + " | ".join(label for _, label, _ in BACKTEST_STATS) + " |",
            "|---|" + "---|" * len(BACKTEST_STATS),
        ]
        for i, model in enumerate(bt.models):
            lines.append(f"| {model} | " + " | ".join(fmt.format(st[key][i]) for key, _, fmt in BACKTEST_STATS) + " |")
    return "\n".join(lines)


def block(text: str) -> str:
    return f"{START}\n{text}\n{END}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="replace the block in README.md")
    args = ap.parse_args()
    text = figures()
    if not args.write:
        print(text)
        return
    readme = README.read_text(encoding="utf-8")
    a, b = readme.index(START), readme.index(END) + len(END)
    README.write_text(readme[:a] + block(text) + readme[b:], encoding="utf-8")
    print(f"wrote {README}")


if __name__ == "__main__":
    main()
