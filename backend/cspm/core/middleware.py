"""ASGI middleware: request context and metrics, security headers, request body limits."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterable

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cspm.core.logging import request_id_var, team_id_var, user_id_var
from cspm.core.metrics import Metrics

logger = logging.getLogger("cspm.http")

UNMATCHED_ROUTE = "<unmatched>"


class RequestContextMiddleware:
    """Request id, log context, access log line, and the HTTP metrics by route template."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex
        tokens = (request_id_var.set(request_id), team_id_var.set(None), user_id_var.set(None))
        status = 500
        response_started = False
        started = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception:
            status = 500
            logger.exception("unhandled error", extra={"path": scope.get("path")})
            if response_started:
                raise  # too late for an error answer; the server closes the connection
            # Answered here rather than by Starlette's outermost error middleware, so the 500 carries
            # the request id (to quote in a support request) and the security headers, and no details.
            body = json.dumps({"detail": "internal server error", "request_id": request_id}).encode()
            await send_wrapper({"type": "http.response.start", "status": 500,
                                "headers": [(b"content-type", b"application/json"),
                                            (b"content-length", str(len(body)).encode())]})
            await send_wrapper({"type": "http.response.body", "body": body})
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or UNMATCHED_ROUTE
            method = scope.get("method", "GET")
            self.metrics.http_requests.labels(method=method, route=template, status=str(status)).inc()
            self.metrics.http_latency.labels(method=method, route=template).observe(elapsed)
            if status >= 500:
                self.metrics.http_errors.labels(method=method, route=template).inc()
            logger.info(
                "request",
                extra={"method": method, "route": template, "status": status,
                       "duration_ms": round(elapsed * 1000, 2)},
            )
            for var, token in zip((request_id_var, team_id_var, user_id_var), tokens, strict=True):
                var.reset(token)


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
HSTS = (b"strict-transport-security", b"max-age=63072000; includeSubDomains")


class SecurityHeadersMiddleware:
    """Adds the security headers to every answer; HSTS only when the request came over TLS."""

    def __init__(self, app: ASGIApp, *, behind_tls_proxy: bool) -> None:
        self.app = app
        self.behind_tls_proxy = behind_tls_proxy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        over_tls = scope.get("scheme") == "https" or self.behind_tls_proxy

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [header for header in SECURITY_HEADERS if header[0] not in present]
                if over_tls:
                    extra.append(HSTS)
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_wrapper)


class BodySizeLimitMiddleware:
    """Refuses bodies over the limit with 413 before the route reads them.

    Report uploads and scanner callbacks get the larger limit; everything else is JSON
    that never needs more than a few hundred kilobytes.
    """

    def __init__(self, app: ASGIApp, *, default_limit: int, large_limit: int,
                 large_prefixes: Iterable[str]) -> None:
        self.app = app
        self.default_limit = default_limit
        self.large_limit = large_limit
        self.large_prefixes = tuple(large_prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        limit = self.large_limit if path.startswith(self.large_prefixes) else self.default_limit
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(send, limit)
            return
        received = 0
        refused = False

        async def limited_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    raise BodyTooLarge(limit)
            return message

        try:
            await self.app(scope, limited_receive, send)
        except BodyTooLarge:
            if refused:
                await self._refuse(send, limit)

    @staticmethod
    async def _refuse(send: Send, limit: int) -> None:
        body = json.dumps({"detail": f"request body larger than {limit} bytes"}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


class BodyTooLarge(HTTPException):
    """Raised from `receive` mid-body. An HTTPException, so FastAPI's body reader passes it on as a 413
    (it turns any other error while reading the body into a 400)."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=f"request body larger than {limit} bytes")
