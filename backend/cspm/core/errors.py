"""Errors that carry their HTTP status, and the handlers that render them as `{"detail": ...}`.

Validation errors (422) name each problem's location, type and reason. They echo what was
sent only for a scalar in a field that is not a secret (``cspm.core.fields``): never the
value of a password, key or token, and never a whole body or object (a model-level error's
input is all of it, secrets included).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from cspm.core.fields import secret_field_names, text_rule_message

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


ECHOED_INPUT_CHARACTERS = 200


def encodable(value: str) -> str:
    """``value`` as UTF-8 can carry it: a lone surrogate (from a JSON ``\\ud800`` escape) is written out."""
    return value.encode("utf-8", "backslashreplace").decode("utf-8")


def error_response(exc: CSPMError) -> JSONResponse:
    return JSONResponse({"detail": encodable(exc.detail)}, status_code=exc.status_code, headers=exc.headers)


def public_validation_error(error: Mapping[str, Any], secret_fields: frozenset[str]) -> dict[str, Any]:
    """One pydantic error as the client sees it: no secret's value, no whole body, nothing unencodable."""
    loc = [encodable(part) if isinstance(part, str) else part for part in error.get("loc", ())]
    public: dict[str, Any] = {"type": error["type"], "loc": loc,
                              "msg": encodable(text_rule_message(error) or error.get("msg", ""))}
    if any(isinstance(part, str) and part in secret_fields for part in loc):
        return public  # neither the value nor its context (a pattern match, a length) of a secret
    value = error.get("input")
    if isinstance(value, str):
        public["input"] = encodable(value[:ECHOED_INPUT_CHARACTERS])
    elif isinstance(value, int | float | bool) or value is None:
        public["input"] = value
    # A validator's exception is already the message; the rest (limits, patterns) is context.
    context = {key: item for key, item in (error.get("ctx") or {}).items() if not isinstance(item, Exception)}
    if context:
        public["ctx"] = jsonable_encoder(context, custom_encoder={str: encodable})
    return public


def secret_fields_of(app: FastAPI) -> frozenset[str]:
    """The names of the app's secret request fields, read once from its OpenAPI document."""
    names: frozenset[str] | None = getattr(app.state, "secret_fields", None)
    if names is None:
        names = app.state.secret_fields = secret_field_names(app.openapi())
    return names


def declare_error_bodies(app: FastAPI) -> None:
    """Make the OpenAPI document say what a 422 really carries.

    FastAPI declares a 422 body as its list of validation problems; a service's ``Unprocessable``
    (a report of the wrong format, a target the scan policy refuses) answers one sentence instead.
    Both are ``{"detail": ...}``: the spec declares ``detail`` as either, so clients and
    schema checks see the answers the server sends.
    """
    build = app.openapi

    def openapi() -> dict[str, Any]:
        schema = build()
        model = schema.get("components", {}).get("schemas", {}).get("HTTPValidationError", {})
        detail = model.get("properties", {}).get("detail")
        if detail is not None and "anyOf" not in detail:
            problems = {key: value for key, value in detail.items() if key != "title"}
            model["properties"]["detail"] = {"title": "Detail", "anyOf": [problems, {"type": "string"}]}
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def install_error_handlers(app: FastAPI) -> None:
    declare_error_bodies(app)

    @app.exception_handler(CSPMError)
    async def _cspm_error(request: Request, exc: CSPMError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        secret_fields = secret_fields_of(request.app)
        return JSONResponse({"detail": [public_validation_error(error, secret_fields) for error in exc.errors()]},
                            status_code=422)
