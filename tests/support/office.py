"""Print a DOCX the way a reader would: LibreOffice converts it to PDF, pdftotext reads it.

The tests that use it are skipped where LibreOffice, poppler-utils or a CJK font is missing
(``skip_without_office``).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest


def has_cjk_font() -> bool:
    """Whether fontconfig knows a Chinese font (without one the PDF has no Chinese text)."""
    if not shutil.which("fc-list"):
        return False
    listed = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True)
    return bool(listed.stdout.strip())


def _missing() -> str:
    """Why the PDF tests cannot run here ("" when they can)."""
    if not (shutil.which("soffice") and shutil.which("pdftotext")):
        return "needs soffice (libreoffice-writer-nogui) and pdftotext (poppler-utils) on PATH"
    if not has_cjk_font():
        return "no CJK font installed (fonts-noto-cjk or fonts-wqy-microhei)"
    return ""


_MISSING = _missing()
skip_without_office = pytest.mark.skipif(bool(_MISSING), reason=_MISSING or "LibreOffice found")


def docx_to_pdf(docx: Path, outdir: Path) -> Path:
    """Convert with a LibreOffice profile of its own: two soffice processes sharing one
    profile (parallel tests, a desktop session) wait for each other or fail silently."""
    profile = Path(tempfile.mkdtemp(prefix="lo-profile-", dir=outdir))
    converted = subprocess.run(
        ["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless",
         "--convert-to", "pdf", "--outdir", str(outdir), str(docx)],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    pdf = outdir / f"{docx.stem}.pdf"
    # soffice exits 0 even when it could not convert: the file is the proof
    assert pdf.exists(), f"soffice wrote no PDF: {converted.stdout} {converted.stderr}"
    return pdf


def pdf_text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
