"""ASGI middleware: request context and metrics, security headers, request body guards, authentication first."""

from __future__ import annotations

import codecs
import json
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cspm.core.errors import CSPMError, error_response
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
# API answers carry tokens (login, refresh, MFA), one-time secrets (API tokens, MFA enrolment,
# recovery codes, webhook keys) and team data: no browser or proxy cache keeps them.
NO_STORE = (b"cache-control", b"no-store")
NO_STORE_PREFIX = "/api/"


class SecurityHeadersMiddleware:
    """Adds the security headers to every answer; HSTS only when the request came over TLS;
    ``Cache-Control: no-store`` on API answers that do not set their own."""

    def __init__(self, app: ASGIApp, *, behind_tls_proxy: bool) -> None:
        self.app = app
        self.behind_tls_proxy = behind_tls_proxy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        over_tls = scope.get("scheme") == "https" or self.behind_tls_proxy
        api = scope.get("path", "").startswith(NO_STORE_PREFIX)

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [header for header in SECURITY_HEADERS if header[0] not in present]
                if over_tls:
                    extra.append(HSTS)
                if api and NO_STORE[0] not in present:
                    extra.append(NO_STORE)
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_wrapper)


class BodyGuardMiddleware:
    """Refuses a request body while it streams in, before any route has it all.

    - over the size limit: 413 as soon as the declared length or the bytes received pass it.
      Report uploads and scanner callbacks get the upload limit (setting MAX_UPLOAD_BYTES);
      everything else is JSON that never needs more than a few hundred kilobytes.
    - a JSON body that is not UTF-8: 400 naming the offset. Python's JSON decoder would
      otherwise let encoded surrogates through into strings no database can store.
    """

    def __init__(self, app: ASGIApp, *, default_limit: int, large_limit: int,
                 large_prefixes: Iterable[str], path_limits: Iterable[tuple[re.Pattern[str], int]] = ()) -> None:
        self.app = app
        self.default_limit = default_limit
        self.large_limit = large_limit
        self.large_prefixes = tuple(large_prefixes)
        self.path_limits = tuple(path_limits)
        """(path pattern, limit) for routes between the two (evidence uploads); the first match wins."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        limit = self.large_limit if path.startswith(self.large_prefixes) else self.default_limit
        for pattern, path_limit in self.path_limits:
            if pattern.match(path):
                limit = path_limit
                break
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _refuse(send, BodyTooLarge(limit))
            return
        decoder = codecs.getincrementaldecoder("utf-8")() if _is_json(headers.get(b"content-type")) else None
        received = 0
        refusal: BodyRefused | None = None

        async def guarded_receive() -> Message:
            nonlocal received, refusal
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                if received + len(chunk) > limit:
                    refusal = BodyTooLarge(limit)
                    raise refusal
                if decoder is not None:
                    # An unfinished character at the end of the last chunk waits in the decoder;
                    # the error's position counts from its first byte.
                    pending = len(decoder.getstate()[0])
                    try:
                        decoder.decode(chunk, final=not message.get("more_body", False))
                    except UnicodeDecodeError as exc:
                        refusal = BodyNotUtf8(received - pending + exc.start)
                        raise refusal from None
                received += len(chunk)
            return message

        try:
            await self.app(scope, guarded_receive, send)
        except BodyRefused as exc:
            if exc is not refusal:
                raise
            await _refuse(send, exc)  # nothing inside answered it (the route let it through)


def _is_json(content_type: bytes | None) -> bool:
    media_type = (content_type or b"").split(b";", 1)[0].strip().lower()
    return media_type == b"application/json" or (media_type.startswith(b"application/")
                                                 and media_type.endswith(b"+json"))


async def _refuse(send: Send, refusal: BodyRefused) -> None:
    body = json.dumps({"detail": refusal.detail}).encode()
    await send({"type": "http.response.start", "status": refusal.status_code,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class BodyRefused(HTTPException):
    """Raised from `receive` mid-body. An HTTPException, so FastAPI's body reader passes it on with its
    status (it turns any other error while reading the body into a 400 without a reason)."""


class BodyTooLarge(BodyRefused):
    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=f"request body larger than {limit} bytes")


class BodyNotUtf8(BodyRefused):
    def __init__(self, offset: int) -> None:
        super().__init__(status_code=400, detail=f"request body is not valid UTF-8 (byte {offset})")


class AuthenticateBeforeBodyMiddleware:
    """Authenticates a request with a body to a private route from its headers, before the body is read.

    FastAPI reads a route's body (and spools a multipart upload to disk) before it solves the
    route's dependencies, authentication included: without this, an anonymous client could make
    the server take in a whole upload only to be answered 401. ``authenticate`` raises a
    CSPMError (401, 403) or leaves the principal on the request for the route's own
    authentication dependency; requests without a body are left to that dependency alone.
    """

    def __init__(self, app: ASGIApp, *, prefixes: Iterable[str],
                 authenticate: Callable[[Request], Awaitable[object]]) -> None:
        self.app = app
        self.prefixes = tuple(prefixes)
        self.authenticate = authenticate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _has_body(scope) and self._private(scope.get("path", "")):
            try:
                await self.authenticate(Request(scope))
            except CSPMError as exc:
                await error_response(exc)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _private(self, path: str) -> bool:
        return any(path == prefix or path.startswith(f"{prefix}/") for prefix in self.prefixes)


def _has_body(scope: Scope) -> bool:
    headers = dict(scope.get("headers") or [])
    return b"transfer-encoding" in headers or headers.get(b"content-length", b"0").strip() not in (b"", b"0")
