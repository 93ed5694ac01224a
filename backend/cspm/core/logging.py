"""JSON-lines logging with request context and credential scrubbing on every record."""

from __future__ import annotations

import json
import logging
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
team_id_var: ContextVar[str | None] = ContextVar("team_id", default=None)
user_id_var: ContextVar[str | None] = ContextVar("user_id", default=None)

REDACTED = "[REDACTED]"

# Names whose value is a secret whatever it looks like ("token" also covers access/refresh/session tokens).
_SECRET_NAMES = (
    r"(?:password|passwd|pwd|secret|api[_-]?key|token|private[_-]?key|fernet[_-]?keys?|"  # noqa: S105 - names
    r"secret[_-]?access[_-]?key)")
_SECRET_KEY = re.compile(rf"(?i){_SECRET_NAMES}s?$")
_KEY_SEPARATOR = rf"[\"']?{_SECRET_NAMES}[\"']?\s*[:=]\s*"

# Order matters: multi-line keys and structured secrets first, generic key=value last.
_SCRUB_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # PEM private keys (GCP service-account keys, SSH keys), also with JSON-escaped newlines.
    (re.compile(r"-----BEGIN (?:[A-Z ]+ )?PRIVATE KEY-----.*?-----END (?:[A-Z ]+ )?PRIVATE KEY-----", re.S),
     REDACTED),
    (re.compile(r'("private_key"\s*:\s*")[^"]+(")'), rf"\g<1>{REDACTED}\g<2>"),
    # Credentials inside URIs: scheme://user:password@host, also with an empty user (redis://:password@host).
    (re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://[^:/?#\s@]*:)[^@\s/]+(@)"), rf"\g<1>{REDACTED}\g<2>"),
    # JWTs (access / refresh / id tokens), with or without Bearer.
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), REDACTED),
    (re.compile(r"(?i)\b(bearer|token)\s+[A-Za-z0-9\-._~+/]{8,}=*"), rf"\g<1> {REDACTED}"),
    # Authorization headers of any scheme (Basic carries a password).
    (re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?(?:(?:basic|bearer|digest|negotiate|token)\s+)?)"
                r"(?!\[REDACTED\])[^\s\"',;}]+"), rf"\g<1>{REDACTED}"),
    # Fernet tokens (encrypted credentials): version byte 0x80 → "gAAAAA".
    (re.compile(r"\bgAAAAA[A-Za-z0-9_\-]{20,}={0,2}"), REDACTED),
    # AWS access key ids and the secret keys that go with them.
    (re.compile(r"\b(?:AKIA|ASIA|AIDA|AROA|ANPA)[A-Z0-9]{16}\b"), REDACTED),
    (re.compile(r"(?i)(aws_secret_access_key|secret_access_key|secretaccesskey|aws_secret)"
                r"([\"']?\s*[:=]\s*[\"']?)[A-Za-z0-9/+=]{40}"), rf"\g<1>\g<2>{REDACTED}"),
    # key=value / "key": "value" for names that are secrets: a quoted value up to its closing
    # quote (it may hold spaces), an unquoted one up to a separator.
    (re.compile(rf"(?i)({_KEY_SEPARATOR})([\"'])(?:\\.|(?!\2)[^\\])*\2"), rf"\g<1>\g<2>{REDACTED}\g<2>"),
    (re.compile(rf"(?i)({_KEY_SEPARATOR})(?![\"'\s])[^\s\"',&;}}]+"), rf"\g<1>{REDACTED}"),
)


def scrub(text: str) -> str:
    for pattern, replacement in _SCRUB_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _scrub_value(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {key: REDACTED if isinstance(item, str) and isinstance(key, str) and _SECRET_KEY.search(key)
                else _scrub_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub_value(item) for item in value]
    return value


_STANDARD_ATTRIBUTES = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName", "color_message"}


class JSONFormatter(logging.Formatter):
    """One JSON object per line; everything that leaves goes through `scrub`."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, var in (("request_id", request_id_var), ("team_id", team_id_var), ("user_id", user_id_var)):
            if (value := var.get()) is not None:
                payload[key] = value
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRIBUTES and not key.startswith("_"):
                payload[key] = value
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return scrub(json.dumps(_scrub_value(payload), default=str))


class ScrubbingTextFormatter(logging.Formatter):
    """Human-readable lines for a terminal, scrubbed the same way."""

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


def configure_logging(level: str = "INFO", json_lines: bool = True) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JSONFormatter() if json_lines
        else ScrubbingTextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("pymongo", "httpx", "httpcore", "botocore", "urllib3", "weasyprint", "fontTools"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    # Uvicorn's own handlers would bypass the scrubbing formatter.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "celery"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


class SecurityLogger:
    """Security events as structured records on the `cspm.security` logger."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self.logger = logger or logging.getLogger("cspm.security")

    def auth_attempt(self, *, email: str, success: bool, ip: str | None, reason: str | None = None) -> None:
        self.logger.log(
            logging.INFO if success else logging.WARNING,
            "authentication succeeded" if success else "authentication failed",
            extra={"event": "auth_attempt", "email": email, "success": success, "ip": ip, "reason": reason},
        )

    def authorization_failure(self, *, user_id: str | None, team_id: str | None, permission: str,
                              path: str) -> None:
        self.logger.warning(
            "authorization denied",
            extra={"event": "authorization_failure", "actor": user_id, "target_team": team_id,
                   "permission": permission, "path": path},
        )

    def rate_limit_hit(self, *, scope: str, key: str, retry_after: int) -> None:
        self.logger.warning(
            "rate limit exceeded",
            extra={"event": "rate_limit", "scope": scope, "key": key, "retry_after": retry_after},
        )
