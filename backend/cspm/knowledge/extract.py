"""Text of an uploaded document: Markdown and plain text as UTF-8, PDF through pypdf (maintained, pure Python)."""

from __future__ import annotations

import io
import logging
from pathlib import PurePosixPath

from pypdf import PdfReader
from pypdf.errors import PdfReadError

KINDS = {".md": "markdown", ".markdown": "markdown", ".txt": "text", ".text": "text", ".pdf": "pdf"}
logging.getLogger("pypdf").setLevel(logging.ERROR)  # malformed-object warnings per page are noise


class DocumentError(ValueError):
    """The document cannot be read; the message says why (shown to the uploader)."""


def kind_of(filename: str) -> str:
    suffix = PurePosixPath(filename).suffix.lower()
    if suffix not in KINDS:
        raise DocumentError(f"{filename!r}: only Markdown (.md), text (.txt) and PDF (.pdf) documents are accepted")
    return KINDS[suffix]


def extract_text(filename: str, data: bytes, *, max_chars: int, max_pages: int) -> tuple[str, str]:
    """(kind, text) of the document; raises ``DocumentError`` for empty, binary or unreadable files."""
    kind = kind_of(filename)
    if not data.strip():
        raise DocumentError(f"{filename!r} is empty")
    if kind == "pdf":
        text = _pdf_text(filename, data, max_pages)
    else:
        if b"\x00" in data[:8192]:
            raise DocumentError(f"{filename!r} is binary, not {kind}")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DocumentError(f"{filename!r} is not UTF-8 text (byte {exc.start})") from None
    text = text.replace("\r\n", "\n").strip()
    if not text:
        raise DocumentError(f"{filename!r} has no text to index")
    return kind, text[:max_chars]


def _pdf_text(filename: str, data: bytes, max_pages: int) -> str:
    if not data.startswith(b"%PDF-"):
        raise DocumentError(f"{filename!r} is not a PDF (no %PDF- header)")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise DocumentError(f"{filename!r} is encrypted; upload it without a password")
        pages = [page.extract_text() or "" for page in reader.pages[:max_pages]]
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise DocumentError(f"{filename!r}: the PDF cannot be read ({type(exc).__name__})") from None
    text = "\n\n".join(page.strip() for page in pages if page.strip())
    if not text:
        raise DocumentError(f"{filename!r}: the PDF has no extractable text (scanned images are not read)")
    return text
