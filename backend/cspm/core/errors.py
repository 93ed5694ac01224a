"""Errors that carry their HTTP status, and the handlers that render them as `{"detail": ...}`."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

logger = logging.getLogger(__name__)


class CSPMError(Exception):
    status_code = 500
    headers: dict[str, str] | None = None

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if headers:
            self.headers = headers


class BadRequest(CSPMError):
    status_code = 400


class Unauthorized(CSPMError):
    status_code = 401
    headers = {"WWW-Authenticate": "Bearer"}


class Forbidden(CSPMError):
    status_code = 403


class NotFound(CSPMError):
    status_code = 404


class Conflict(CSPMError):
    status_code = 409


class PayloadTooLarge(CSPMError):
    status_code = 413


class Unprocessable(CSPMError):
    status_code = 422


class TooManyRequests(CSPMError):
    status_code = 429

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after))})
        self.retry_after = retry_after


class ServiceUnavailable(CSPMError):
    status_code = 503


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(CSPMError)
    async def _cspm_error(request: Request, exc: CSPMError) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
