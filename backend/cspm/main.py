"""The FastAPI application factory."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

from cspm import __version__
from cspm.api import register_all_routes
from cspm.core.container import ServiceContainer
from cspm.core.errors import install_error_handlers
from cspm.core.jobs import load_job_modules
from cspm.core.manifest import RouteModule
from cspm.core.middleware import (
    AuthenticateBeforeBodyMiddleware,
    BodyGuardMiddleware,
    RequestContextMiddleware,
    SecurityHeadersMiddleware,
)
from cspm.core.scheduler import UnifiedLifecycleScheduler
from cspm.core.settings import CoreSettings, resolve_core_settings
from cspm.web.spa import frontend_dist, mount_spa

logger = logging.getLogger(__name__)

SWAGGER_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)
JSON_BODY_LIMIT = 2 * 1024 * 1024
LARGE_BODY_PREFIXES = ("/api/findings/import", "/api/webhooks/")
# Evidence uploads: the route enforces ASSESSMENTS_EVIDENCE_MAX_BYTES (at most 15 MiB), plus the multipart envelope.
UPLOAD_BODY_LIMITS = ((re.compile(r"^/api/assessments/[^/]+/evidence$"), 16 * 1024 * 1024),)


def create_app(
    settings: CoreSettings | None = None,
    *,
    container: ServiceContainer | None = None,
    modules: Iterable[RouteModule] | None = None,
    mongodb_uri: str | None = None,
) -> FastAPI:
    """Build the app. The container starts in the lifespan, so importing costs no I/O."""
    settings = settings or (container.settings if container else resolve_core_settings())
    container = container or ServiceContainer(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not container.started:
            await container.start(mongodb_uri=mongodb_uri)
        for hook in app.state.startup_hooks:
            await hook(container)
        scheduler: UnifiedLifecycleScheduler | None = None
        if container.settings.in_process_scheduler:
            load_job_modules(None, container.settings.extra_job_modules)
            scheduler = UnifiedLifecycleScheduler(container)
            scheduler.start()
        try:
            yield
        finally:
            if scheduler is not None:
                await scheduler.stop()
            await container.stop()

    app = FastAPI(
        title="OffloadSecurity CSPM",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,  # served below with the content security policy the Swagger UI page needs
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    @app.get("/api/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        page = get_swagger_ui_html(openapi_url="/api/openapi.json", title="OffloadSecurity CSPM API")
        # The page loads Swagger UI from its CDN and starts it with an inline script; only here.
        page.headers["Content-Security-Policy"] = SWAGGER_CSP
        return page

    app.state.container = container
    app.state.startup_hooks = []
    install_error_handlers(app)
    app.state.mounted_modules = register_all_routes(app, container.integrity, modules)

    # Added last = runs first. Outermost to innermost: security headers (on every answer, the 500
    # that the request context writes for an unhandled error included), CORS, request context and
    # metrics (they see every answer, 413s included), the body guard, then authentication of
    # private routes before their body is read.
    if app.state.private_prefixes:
        app.add_middleware(AuthenticateBeforeBodyMiddleware, prefixes=app.state.private_prefixes,
                           authenticate=app.state.authenticate_before_body)
    app.add_middleware(BodyGuardMiddleware, default_limit=JSON_BODY_LIMIT,
                       large_limit=settings.max_upload_bytes, large_prefixes=LARGE_BODY_PREFIXES,
                       path_limits=UPLOAD_BODY_LIMITS)
    app.add_middleware(RequestContextMiddleware, metrics=container.metrics)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_credentials=True,
                           allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                           allow_headers=["Authorization", "Content-Type", "X-Team-ID", "X-Request-ID"],
                           expose_headers=["X-Request-ID"])
    app.add_middleware(SecurityHeadersMiddleware, behind_tls_proxy=settings.trusted_proxy_tls)
    mount_spa(app, frontend_dist())  # the dashboard at / when frontend/dist is built (setting FRONTEND_DIST)
    return app
