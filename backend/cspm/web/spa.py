"""mount_spa: serves the built dashboard at / with a fallback to index.html for client routes.

The fallback never answers for the API's own prefixes (/api, /health, /metrics): those keep
their 404/405 answers exactly as without the dashboard. Hashed build assets are cached for a
year; index.html is revalidated on every load so a new release is picked up at once.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.requests import Request
from starlette.routing import Match, Route
from starlette.types import Scope

from cspm.core.settings import load
from cspm.web.settings import WebSettings

logger = logging.getLogger(__name__)

RESERVED_PREFIXES = ("/api", "/health", "/metrics")
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


def is_reserved(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in RESERVED_PREFIXES)


class SPARoute(Route):
    """A GET/HEAD catch-all that does not even match the API's reserved prefixes."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope.get("type") == "http" and is_reserved(scope.get("path", "")):
            return Match.NONE, {}
        return super().matches(scope)


def frontend_dist() -> Path:
    """The dashboard build directory from the FRONTEND_DIST setting."""
    return load(WebSettings).frontend_dist


def mount_spa(app: FastAPI, dist_dir: Path | str | None) -> bool:
    """Serve `dist_dir` at / when it holds an index.html; returns whether it was mounted."""
    if dist_dir is None:
        return False
    root = Path(dist_dir).resolve()
    index = root / "index.html"
    if not index.is_file():
        logger.info("dashboard not served: no index.html", extra={"frontend_dist": str(root)})
        return False

    async def serve(request: Request) -> Response:
        relative = request.path_params.get("path", "")
        if relative:
            candidate = (root / relative).resolve()
            if candidate.is_relative_to(root) and candidate.is_file():
                cache = IMMUTABLE if candidate.parent.name == "assets" else REVALIDATE
                return FileResponse(candidate, headers={"Cache-Control": cache})
            if "." in relative.rsplit("/", 1)[-1]:
                # A missing file (an old asset hash, a typo): never answer it with the HTML page.
                return JSONResponse({"detail": "Not Found"}, status_code=404)
        return FileResponse(index, headers={"Cache-Control": REVALIDATE})

    route: Any = SPARoute("/{path:path}", serve, methods=["GET", "HEAD"], include_in_schema=False)
    app.router.routes.append(route)
    logger.info("dashboard served at /", extra={"frontend_dist": str(root)})
    return True
