"""The README's figures on latent vs named factors are the code's (benchmarks/statistical_figures.py)."""

from benchmarks import statistical_figures as sf


def test_readme_statistical_figures_are_current():
    readme = sf.README.read_text(encoding="utf-8")
    block = readme[readme.index(sf.START) + len(sf.START) : readme.index(sf.END)].strip()
    cheap = sf.figures(with_backtest=False)  # the backtest row (30 s) is checked by its own tests
    assert block.startswith(cheap), "run `python benchmarks/statistical_figures.py --write`"
    assert "| statistical |" in block and "| ols |" in block
