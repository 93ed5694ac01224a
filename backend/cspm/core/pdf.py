"""HTML to PDF with WeasyPrint, for every report the platform prints.

Reports are built from tool and user text, so the renderer never fetches a URL: no request leaves
the server through an ``<img src>`` or a stylesheet a report happens to contain (no SSRF).
WeasyPrint loads Pango when it is imported: that cost is paid by the first PDF only, and a server
without Pango answers 503 for PDFs while everything else (CSV, JSON, Markdown) still works.
"""

from __future__ import annotations

import html
from typing import Any

from cspm.core.errors import ServiceUnavailable


def escape(value: object) -> str:
    """A value as HTML text for a report (None as nothing): tool and user text never becomes markup."""
    return html.escape("" if value is None else str(value))


def no_fetching() -> Any:
    """WeasyPrint's URL fetcher with every protocol refused."""
    from weasyprint.urls import URLFetcher  # noqa: PLC0415 - loads Pango

    return URLFetcher(allowed_protocols=(), allow_redirects=False, timeout=1)


def html_to_pdf(html: str, *, what: str, instead: str) -> bytes:
    """``html`` as PDF bytes; ``what`` names the report and ``instead`` what still works in a 503's reason."""
    try:
        from weasyprint import HTML  # noqa: PLC0415 - loads Pango
    except OSError as exc:
        raise ServiceUnavailable(f"{what} is unavailable on this server (WeasyPrint cannot load Pango: {exc}); "
                                 f"{instead}") from None
    return bytes(HTML(string=html, url_fetcher=no_fetching()).write_pdf())
