"""Reading a PDF back as a person would: its pages rendered to PNG by pdftoppm (poppler), its text by pypdf."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def pdftoppm(pdf: bytes, out: Path) -> list[Path]:
    binary = shutil.which("pdftoppm")
    if binary is None:
        pytest.fail("pdftoppm not found: install poppler-utils (scripts/system-packages.sh)")
    source = out / "report.pdf"
    source.write_bytes(pdf)
    subprocess.run([binary, "-png", "-r", "60", str(source), str(out / "page")], check=True, timeout=60)
    return sorted(out.glob("page-*.png"))


def pdf_text(pdf: bytes) -> str:
    """Every page's text, whitespace collapsed (a PDF breaks lines where its layout does)."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())
