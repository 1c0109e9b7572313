"""Measure a rendered workbook's pages: text height (pdftotext -bbox) and how much of each page is empty.

``render(xlsx)`` converts a workbook to PDF with LibreOffice (a fresh profile); ``pages(pdf)`` returns per
page the median text size in points (the height of a word's box divided by ``BOX``, 1.30: measured on
LibreOffice's DejaVu Sans, Calibri's stand-in, a sheet printed at 100% and 76% gives 11.0 and 8.4 pt), the word
count, and the empty share: the page's height split into 40 bands, the share of bands below the page's
first band with ink down to the footer that hold no ink (pdftoppm at 40 dpi), so a blank band left by
unused room, or a page left short, counts and the margins do not.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

BANDS = 40
BOX = 1.30  # a word box's height over the font size (DejaVu Sans as LibreOffice prints it)
WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">')


@dataclass(frozen=True)
class Page:
    number: int
    words: int
    median_height: float  # points: the median font size of the page's words
    empty: float  # share of the bands below the first inked one that have no ink
    text_width: float  # share of the page width between the leftmost and the rightmost word
    footer: str  # the words at the bottom of the page (the sheet's name and the page number)


def tools() -> tuple[str, str] | None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    return (soffice, shutil.which("pdftoppm")) if soffice and shutil.which("pdftoppm") else None


def render(xlsx: Path, soffice: str, home: Path) -> Path:
    """The workbook as PDF beside it (LibreOffice headless, profile in ``home``)."""
    env = {**os.environ, "HOME": str(home)}
    subprocess.run(
        [soffice, "--headless", "--convert-to", "pdf", "--outdir", str(xlsx.parent), str(xlsx)],
        check=True,
        capture_output=True,
        timeout=300,
        env=env,
    )
    pdf = xlsx.with_suffix(".pdf")
    assert pdf.exists(), sorted(p.name for p in xlsx.parent.iterdir())
    return pdf


def _ppm(path: Path) -> np.ndarray:
    data = path.read_bytes()
    parts = data.split(maxsplit=4)  # P6, width, height, maxval, pixels
    w, h = int(parts[1]), int(parts[2])
    return np.frombuffer(parts[4][: w * h * 3], dtype=np.uint8).reshape(h, w, 3)


def empty_share(img: np.ndarray) -> float:
    """Share of the page's bands, from the first with ink down to the footer (the last 8%), with no ink."""
    ink = (img.min(axis=2) < 200).any(axis=1)[: int(0.92 * img.shape[0])]
    bands = np.array([band.any() for band in np.array_split(ink, BANDS)])
    if not bands.any():
        return 1.0
    below = bands[np.argmax(bands) :]
    return float(1 - below.mean())


def pages(pdf: Path, workdir: Path) -> list[Page]:
    text = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True, timeout=120
    ).stdout
    subprocess.run(["pdftoppm", "-r", "40", str(pdf), str(workdir / "measure")], check=True, timeout=120)
    images = sorted(workdir.glob("measure-*.ppm"))
    out = []
    for i, (chunk, image) in enumerate(zip(text.split("<page ")[1:], images, strict=True), start=1):
        width = float(re.search(r'width="([\d.]+)"', chunk).group(1))
        height = float(re.search(r'height="([\d.]+)"', chunk).group(1))
        footer = " ".join(w for y, w in re.findall(r'yMin="([\d.]+)"[^>]*>([^<]*)<', chunk) if float(y) > 0.93 * height)
        boxes = np.array([[float(v) for v in m] for m in WORD.findall(chunk)]).reshape(-1, 4)
        heights = (boxes[:, 3] - boxes[:, 1]) / BOX
        span = (boxes[:, 2].max() - boxes[:, 0].min()) / width if len(boxes) else 0.0
        out.append(
            Page(
                i,
                len(boxes),
                float(np.median(heights)) if len(boxes) else 0.0,
                empty_share(_ppm(image)),
                float(span),
                footer,
            )
        )
    return out
