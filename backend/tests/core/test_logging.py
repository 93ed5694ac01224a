"""Structured logging: every secret kind is scrubbed from every part of a real record."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterator

import jwt
import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from cspm.core.logging import (
    REDACTED,
    JSONFormatter,
    ScrubbingTextFormatter,
    SecurityLogger,
    request_id_var,
    team_id_var,
    user_id_var,
)

_RSA_PEM = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
).decode()
_RSA_BODY = _RSA_PEM.splitlines()[5]  # a line from the middle of the key material
_FERNET_TOKEN = Fernet(Fernet.generate_key()).encrypt(b"cloud credentials").decode()
_JWT = jwt.encode({"sub": "user-1", "team": "t-1"}, "s" * 48, algorithm="HS256")
_AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
_SERVICE_ACCOUNT = json.dumps({
    "type": "service_account", "project_id": "acme-prod", "private_key_id": "0123abcd",
    "private_key": _RSA_PEM, "client_email": "scanner@acme-prod.iam.gserviceaccount.com",
})

# (kind, text carrying the secret, fragments that must never appear, context that must survive)
SECRET_CASES = [
    ("aws_access_key_id_akia", "assuming role with AKIAIOSFODNN7EXAMPLE now", ["AKIAIOSFODNN7EXAMPLE"],
     ["assuming role with"]),
    ("aws_access_key_id_asia", "session key ASIAY34FZKBOKMUTVV7A expired", ["ASIAY34FZKBOKMUTVV7A"],
     ["expired"]),
    ("aws_secret_key_ini", f"aws_secret_access_key = {_AWS_SECRET}", [_AWS_SECRET, "bPxRfiCY"],
     ["aws_secret_access_key"]),
    ("aws_secret_key_env", f"AWS_SECRET_ACCESS_KEY={_AWS_SECRET} prowler aws", [_AWS_SECRET], ["prowler aws"]),
    ("aws_secret_key_sts_response",
     str({"Credentials": {"AccessKeyId": "ASIAY34FZKBOKMUTVV7B", "SecretAccessKey": _AWS_SECRET,
                          "SessionToken": "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD6"}}),
     ["ASIAY34FZKBOKMUTVV7B", _AWS_SECRET, "IQoJb3JpZ2luX2VjEJr"], ["Credentials"]),
    ("fernet_token", f"decrypting {_FERNET_TOKEN} for account 42", [_FERNET_TOKEN, _FERNET_TOKEN[:30]],
     ["for account 42"]),
    ("bearer_token", "Authorization: Bearer 9f8e7d6c5b4a39281706opaqueTOKEN", ["9f8e7d6c5b4a39281706opaqueTOKEN"],
     ["Authorization"]),
    ("jwt_bare", f"refresh token {_JWT} rotated", [_JWT, _JWT.split(".")[1]], ["rotated"]),
    ("jwt_bearer", f"header Authorization: Bearer {_JWT}", [_JWT.split(".")[1], _JWT.split(".")[2]], ["header"]),
    ("gcp_private_key_pem", f"loaded key {_RSA_PEM} for scanner", [_RSA_BODY, "MII"], ["for scanner"]),
    ("gcp_private_key_json", f"service account: {_SERVICE_ACCOUNT}", [_RSA_BODY, "MII"],
     ["scanner@acme-prod.iam.gserviceaccount.com"]),
    ("gcp_private_key_json_unescaped_value", '{"private_key": "not-a-pem-but-secret-value"}',
     ["not-a-pem-but-secret-value"], ["private_key"]),
    ("mongodb_uri_password", "connecting to mongodb://cspm_app:S3cr3tPassw0rd@db.internal:27017/admin",
     ["S3cr3tPassw0rd"], ["cspm_app", "db.internal:27017"]),
    ("mongodb_srv_uri_password", "uri mongodb+srv://ops:Pa55-w0rd%21@cluster0.example.net/?retryWrites=true",
     ["Pa55-w0rd%21"], ["cluster0.example.net"]),
    ("redis_uri_password_without_user", "broker redis://:r3d1sPa55@cache.internal:6379/0", ["r3d1sPa55"],
     ["cache.internal:6379"]),
    ("password_pair", "login failed password=hunter2-secret user=alice", ["hunter2-secret"], ["user=alice"]),
    ("password_query", "GET /callback?user=alice&password=qwerty-9876&next=/", ["qwerty-9876"], ["next=/"]),
    ("password_json", '{"username": "alice", "password": "correct horse"}', ["correct horse", "horse"],
     ["alice"]),
    ("basic_auth_header", "request headers {'Authorization': 'Basic dXNlcjpwYXNzd29yZA=='}",
     ["dXNlcjpwYXNzd29yZA=="], ["request headers"]),
    ("client_secret_pair", "azure client_secret: Xy8Q~abcDEFghiJKLmnoPQRstuVWXyz0123456", ["Xy8Q~abcDEF"],
     ["azure"]),
]


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JSONFormatter())
    logger = logging.getLogger(f"tests.scrub.{uuid.uuid4().hex}")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    yield logger, stream
    logger.handlers.clear()


def _lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def _assert_scrubbed(output: str, forbidden: list[str], kind: str) -> None:
    for fragment in forbidden:
        assert fragment not in output, f"{kind}: {fragment[:24]!r} leaked"
        # Also not with JSON-escaped newlines / slashes (how the formatter writes multi-line text).
        assert json.dumps(fragment)[1:-1] not in output, f"{kind}: escaped {fragment[:24]!r} leaked"
    assert REDACTED in output


@pytest.mark.parametrize(("kind", "text", "forbidden", "kept"), SECRET_CASES, ids=[case[0] for case in SECRET_CASES])
def test_secret_in_message_and_args_is_scrubbed(captured, kind, text, forbidden, kept):
    logger, stream = captured
    logger.info(text)
    logger.warning("value was %s", text)
    output = stream.getvalue()
    _assert_scrubbed(output, forbidden, kind)
    first, second = _lines(stream)
    for fragment in kept:
        assert fragment in first["message"], f"{kind}: context {fragment!r} lost"
    assert second["message"].startswith("value was ")


@pytest.mark.parametrize(("kind", "text", "forbidden", "kept"), SECRET_CASES, ids=[case[0] for case in SECRET_CASES])
def test_secret_in_exception_text_is_scrubbed(captured, kind, text, forbidden, kept):
    logger, stream = captured
    try:
        raise RuntimeError(text)
    except RuntimeError:
        logger.exception("scan failed")
    output = stream.getvalue()
    _assert_scrubbed(output, forbidden, kind)
    (line,) = _lines(stream)
    assert line["message"] == "scan failed"
    assert "RuntimeError" in line["exception"]
    assert "Traceback (most recent call last)" in line["exception"]


@pytest.mark.parametrize(("kind", "text", "forbidden", "kept"), SECRET_CASES, ids=[case[0] for case in SECRET_CASES])
def test_secret_in_extra_fields_is_scrubbed(captured, kind, text, forbidden, kept):
    logger, stream = captured
    logger.info("tool output", extra={"stderr": text, "details": {"nested": [text, 3]}, "exit_code": 1})
    output = stream.getvalue()
    _assert_scrubbed(output, forbidden, kind)
    (line,) = _lines(stream)
    assert line["exit_code"] == 1
    assert line["details"]["nested"][1] == 3


@pytest.mark.parametrize("field", ["password", "client_secret", "api_key", "access_token", "refresh_token",
                                   "session_token", "token", "fernet_key", "jwt_secret", "private_key"])
def test_extra_field_named_as_a_secret_is_scrubbed(captured, field):
    logger, stream = captured
    value = f"opaque-{uuid.uuid4().hex}"
    logger.info("configured", extra={field: value, "team": "blue"})
    output = stream.getvalue()
    assert value not in output, f"extra field {field} leaked"
    assert _lines(stream)[0]["team"] == "blue"


def test_json_lines_carry_context_fields(captured):
    logger, stream = captured
    tokens = (request_id_var.set("req-123"), team_id_var.set("team-9"), user_id_var.set("user-7"))
    try:
        logger.warning("something happened", extra={"scan_id": "s-1"})
    finally:
        for var, token in zip((request_id_var, team_id_var, user_id_var), tokens, strict=True):
            var.reset(token)
    logger.info("outside a request")
    inside, outside = _lines(stream)
    assert inside["level"] == "WARNING"
    assert inside["logger"] == logger.name
    assert inside["message"] == "something happened"
    assert (inside["request_id"], inside["team_id"], inside["user_id"]) == ("req-123", "team-9", "user-7")
    assert inside["scan_id"] == "s-1"
    assert inside["timestamp"].endswith("+00:00")
    assert "request_id" not in outside


def test_text_formatter_scrubs_too():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(ScrubbingTextFormatter("%(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger(f"tests.text.{uuid.uuid4().hex}")
    logger.handlers[:] = [handler]
    logger.propagate = False
    try:
        raise ValueError(f"bad key {_FERNET_TOKEN}")
    except ValueError:
        logger.exception("connect mongodb://u:topsecret@h:27017 with AKIAIOSFODNN7EXAMPLE")
    output = stream.getvalue()
    for fragment in ("topsecret", "AKIAIOSFODNN7EXAMPLE", _FERNET_TOKEN):
        assert fragment not in output
    assert "ValueError" in output


def test_security_logger_events(captured):
    logger, stream = captured
    security = SecurityLogger(logger)
    security.auth_attempt(email="alice@example.com", success=False, ip="203.0.113.5", reason="bad password")
    security.auth_attempt(email="alice@example.com", success=True, ip="203.0.113.5")
    security.authorization_failure(user_id="u-1", team_id="t-2", permission="findings:write", path="/api/x")
    security.rate_limit_hit(scope="login", key="ip:203.0.113.5", retry_after=30)
    failed, succeeded, denied, limited = _lines(stream)
    assert (failed["level"], failed["event"], failed["success"], failed["reason"]) == (
        "WARNING", "auth_attempt", False, "bad password")
    assert (succeeded["level"], succeeded["message"]) == ("INFO", "authentication succeeded")
    assert (denied["event"], denied["actor"], denied["target_team"], denied["permission"]) == (
        "authorization_failure", "u-1", "t-2", "findings:write")
    assert (limited["event"], limited["scope"], limited["retry_after"]) == ("rate_limit", "login", 30)


@pytest.mark.parametrize("text", [
    "password reset requested for alice@example.com",
    "Authorization failed for user u-1 on /api/findings",
    "token_type is bearer; 3 tokens issued",
    "scan of arn:aws:s3:::acme-logs finished in 12.5 s",
    "connecting to mongodb://db.internal:27017/?directConnection=true",
])
def test_ordinary_messages_are_left_alone(captured, text):
    logger, stream = captured
    logger.info(text)
    assert _lines(stream)[0]["message"] == text
