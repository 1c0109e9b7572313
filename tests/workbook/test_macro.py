"""The macro example (demo section and Macro sheet) against linearmodels, the Shanken formula and the sheet's values."""

import warnings

import numpy as np
import pytest
from linearmodels.asset_pricing import LinearFactorModel, LinearFactorModelGMM

from xlfactor.core import frequency
from xlfactor.data.macro import MACRO_FACTORS, load_macro, macro_labels
from xlfactor.workbook import macro
from xlfactor.workbook.dataset import Dataset, french
from xlfactor.workbook.template import Template

START = 196307  # the template's default sample start on the shipped data


@pytest.fixture(scope="module")
def example():
    return macro.macro_example(french(), START, None)


def test_quarters_are_the_shipped_months_compounded(example):
    d = french()
    keep = d.periods >= START
    q = frequency.compound(np.column_stack([d.returns, d.rf])[keep], d.periods[keep], "quarter")
    i = np.flatnonzero(np.isin(q.labels, example.labels))
    np.testing.assert_allclose(example.excess, q.returns[i, :-1] - q.returns[i, -1:], rtol=1e-13)
    m = load_macro()
    rows = np.isin(macro_labels(m).to_numpy(), example.labels)
    np.testing.assert_array_equal(example.macro, m.to_numpy()[rows])
    assert example.labels[0] == 196309 and example.labels[-1] == 200909 and example.labels.size == 185


def test_two_pass_equals_linearmodels_and_shanken_the_formula(example):
    y, f = example.excess, example.macro
    ref = LinearFactorModel(y, f, risk_free=True).fit()
    for res in (example.plain, example.shanken):
        np.testing.assert_allclose(res.premia, ref.risk_premia, rtol=1e-10)
        np.testing.assert_allclose(res.betas, ref.betas, rtol=1e-10)
    lam = example.shanken.premia[1:]
    c = lam @ np.linalg.solve(np.cov(f, rowvar=False), lam)
    np.testing.assert_allclose(example.shanken.shanken_factor, 1 + c, rtol=1e-12)
    # Shanken scales the residual part of the plain variance by 1 + c; the factor-covariance part stays
    sf = np.zeros((4, 4))
    sf[1:, 1:] = np.cov(f, rowvar=False) / len(y)
    np.testing.assert_allclose(example.shanken.cov - sf, (1 + c) * (example.plain.cov - sf), rtol=1e-10, atol=1e-16)


def test_gmm_reaches_linearmodels_minimum_on_quarterly_macro_data(example):
    """The GMM objective has several minima here (Gauss-Newton alone stopped in another, J 12.2 against 9.7); from
    the two-pass start both now reach linearmodels' minimum."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = LinearFactorModelGMM(example.excess, example.macro, risk_free=True).fit(disp=0)
    np.testing.assert_allclose(example.gmm.premia, ref.risk_premia, atol=2e-6)  # linearmodels' BFGS precision
    np.testing.assert_allclose(example.gmm.tstat, ref.risk_premia_tstats, atol=2e-3)
    # J's weight comes from step 1, whose minimum linearmodels' BFGS reaches to about 1e-6: J agrees to 1e-5
    np.testing.assert_allclose(example.gmm.j_stat, ref.j_statistic.stat, rtol=1e-5)


def test_demo_lines_carry_the_figures(example):
    lines = macro.report(example)
    assert lines[0].startswith("Macro factors (quarterly, 196309 to 200909, 185 quarters; not traded)")
    assert f"{100 * example.shanken.premia[1]:10.3f}" in lines[3]
    assert f"Shanken factor 1 + c = {example.shanken.shanken_factor:.3f}" in lines[5]
    p, s = example.plain, example.shanken  # which J is which: both, labelled (the demo printed one, unlabelled)
    assert p.j_stat != s.j_stat
    assert (
        f"two-pass J({s.j_df}) = {p.j_stat:.2f} (p {p.j_pvalue:.3f}) plain, {s.j_stat:.2f} (p {s.j_pvalue:.3f}) "
        "with Shanken's correction" in lines[5]
    )
    assert "tracking correlation" in lines[-1]


@pytest.fixture(scope="module")
def sheet(tmp_path_factory):
    book = Template().build(tmp_path_factory.mktemp("macro") / "preview.xlsx", "preview")
    return book.sheets["Macro"]


def test_sheet_values_are_the_example(sheet, example):
    betas = np.array(sheet.blocks["betas"].values(), dtype=float)
    np.testing.assert_allclose(betas, example.shanken.betas.T, rtol=1e-12)
    spills = sorted((s for s in sheet.spills if s.c0 == 1 and s.shape == (4, 3)), key=lambda s: s.r0)
    assert len(spills) == 3
    for spill, res in zip(spills, (example.plain, example.shanken, example.gmm), strict=True):
        got = np.array(spill.values(), dtype=float)
        np.testing.assert_allclose(got, np.column_stack([res.premia, res.stderr, res.tstat]), rtol=1e-7, atol=1e-12)
    returns_q = np.array(sheet.blocks["returns_q"].values(), dtype=float)
    rf_q = np.array(sheet.blocks["rf_q"].values(), dtype=float)
    rows = np.isfinite(returns_q).all(axis=1)
    assert rows.sum() == 185
    np.testing.assert_allclose(returns_q[rows] - rf_q[rows], example.excess, rtol=1e-12, atol=1e-15)


def test_another_shape_and_data_without_the_quarters():
    """45 assets over 1920-2019 (synthetic): the example runs; daily data, or too short a window: left out."""
    from tests.workbook import synthetic

    months, rf, f, r, _b, fnames, anames = synthetic.make()
    data = Dataset(
        title="synthetic",
        periods=months,
        rf=rf,
        factors=f,
        returns=r,
        factor_names=tuple(fnames),
        asset_names=tuple(anames),
        frequency="monthly",
    )
    ex = macro.macro_example(data)
    assert ex.shanken.betas.shape == (45, len(MACRO_FACTORS)) and ex.labels.size == 202
    assert macro.macro_example(data, 200001, 200312) is None  # 16 quarters < MIN_QUARTERS
    daily = Dataset(
        title="daily",
        periods=np.arange(20100101, 20100101 + 300),
        rf=rf[:300],
        factors=f[:300],
        returns=r[:300],
        factor_names=tuple(fnames),
        asset_names=tuple(anames),
        frequency="daily",
    )
    assert macro.shared_quarters(daily) == 0 and macro.macro_example(daily) is None
