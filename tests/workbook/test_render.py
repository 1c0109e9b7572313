"""Render the values-only template with LibreOffice and check every chart sheet shows its charts.

Both the shipped data and a data set of another shape (1,200 x 45 x 7). The PNGs of the last run are
kept in previews/shipped/ and previews/other/ (one per sheet) for a person to look at.
"""

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from xlfactor.workbook.template import Template

ROOT = Path(__file__).resolve().parents[2]
PREVIEWS = ROOT / "previews"
CHART_SHEETS = {"Market model", "Lambda", "Loadings", "Risk"}


def _ppm(path: Path) -> np.ndarray:
    data = path.read_bytes()
    parts = data.split(maxsplit=4)  # P6, width, height, maxval, pixels
    w, h = int(parts[1]), int(parts[2])
    return np.frombuffer(parts[4][: w * h * 3], dtype=np.uint8).reshape(h, w, 3)


@pytest.mark.parametrize("data_set", ["shipped", "other"])
def test_values_copy_renders_with_charts(tmp_path, data_set):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice or not shutil.which("pdftoppm"):
        if os.environ.get("CI"):
            pytest.fail("LibreOffice or poppler-utils missing: .ci/run installs them")
        pytest.skip("LibreOffice (libreoffice-calc-nogui) and poppler-utils are not installed")
    if data_set == "shipped":
        template = Template()
    else:  # 1,200 months x 45 assets x 7 factors from CSV files
        from tests.workbook import synthetic
        from xlfactor.workbook.dataset import from_files

        files = synthetic.write(tmp_path / "data")
        template = Template(data=from_files(files["returns"], files["factors"], "RF"))
    book = template.build(tmp_path / "xlfactor_preview.xlsx", "preview")
    env = {**os.environ, "HOME": str(tmp_path)}  # a fresh LibreOffice profile
    subprocess.run([soffice, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path),
                    str(tmp_path / "xlfactor_preview.xlsx")], check=True, capture_output=True, timeout=300, env=env)
    pdf = tmp_path / "xlfactor_preview.pdf"
    assert pdf.exists(), sorted(p.name for p in tmp_path.iterdir())
    subprocess.run(["pdftoppm", "-r", "60", str(pdf), str(tmp_path / "page")], check=True, timeout=120)
    pages = sorted(tmp_path.glob("page-*.ppm"))
    names = list(book.sheets)
    assert len(pages) == len(names), f"{len(pages)} pages for sheets {names}"
    folder = PREVIEWS / data_set
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "80", "-png", str(pdf), str(folder / "sheet")], check=True, timeout=120)
    for name, page in zip(names, pages, strict=True):
        img = _ppm(page).astype(int)
        ink = (img.min(axis=2) < 200).mean()
        coloured = ((img.max(axis=2) - img.min(axis=2)) > 60).mean()  # chart fills; tables are grey and pale
        assert ink > 0.001, f"sheet {name} rendered blank"
        if name in CHART_SHEETS:  # a chart with empty series shows colour only in its legend keys (~0.03%)
            assert coloured > 0.0006, f"sheet {name}: no chart visible ({coloured:.4%} coloured pixels)"
    for i, name in enumerate(names, start=1):
        src = folder / f"sheet-{i}.png"
        if src.exists():
            src.replace(folder / f"{i}-{name.replace(' ', '_')}.png")
