"""The Statistical sheet: its numbers are the core's on the excess returns of the Market model sheet."""

import numpy as np
import pytest

from xlfactor.core import statistical
from xlfactor.core.options import NUM_FACTOR_CRITERIA
from xlfactor.workbook.template import Inputs, Template


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    path = tmp_path_factory.mktemp("stat") / "preview.xlsx"
    return Template(inputs=Inputs(criterion="ic_p1")).build(path, "preview")


def test_statistical_sheet_is_the_core_on_the_window(book):
    y = np.array(book.block("Market model", "excess").values(), dtype=float)
    named = np.array(book.block("Factors", "factors").values(), dtype=float)
    count = statistical.factor_count(y)
    assert book.block("Statistical", "chosen").values()[0] == [count.chosen[c] for c in NUM_FACTOR_CRITERIA]
    k = count.chosen["ic_p1"]  # the criterion on Start (8 here; the default er chooses 1)
    assert book.block("Statistical", "k").value() == k
    np.testing.assert_allclose(np.array(book.block("Statistical", "criteria").values(), float)[:, 1:], count.values.T)
    lvn = statistical.latent_vs_named(y, named, k)
    np.testing.assert_allclose(np.array(book.block("Statistical", "r2").values(), float), [lvn.r2_latent, lvn.r2_named])
    np.testing.assert_allclose(np.array(book.block("Statistical", "canonical").values(), float)[:, 0], lvn.canonical)
    assert book.block("Statistical", "latent_share").value() == pytest.approx(lvn.latent_share)
    scree = np.array(book.block("Statistical", "scree").values(), float)
    np.testing.assert_allclose(scree[:, 1], statistical.pca(y, 1, exact=True).eigenvalues[: y.shape[1]])


def test_scree_chart_marks_the_k_in_use(book):
    charts = {title: series for _, title, series in book.charts}
    marker = charts["Scree: share of variance by principal component, k in use marked"][1]
    sheet = book.sheets["Statistical"]
    k = book.block("Statistical", "k").value()
    scree = book.block("Statistical", "scree").values()
    xs, ys = (sheet_values(sheet, marker[key]) for key in ("categories", "values"))
    assert xs == [k, k] and ys == [0.0, scree[k - 1][2]]


def sheet_values(sheet, address: str) -> list:
    from openpyxl.utils.cell import range_boundaries

    c0, r0, c1, r1 = range_boundaries(address.split("!")[1].replace("$", ""))
    return [sheet.get(r - 1, c - 1) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)]
