"""The channels: how an event is rendered for each, and how one attempt is sent.

Every URL and SMTP host is user-supplied, so every attempt asks the platform's outbound
destination policy first (the scanners' SCANNER_NETWORK_ALLOWLIST and its always-on deny
rules: metadata services, loopback, link-local...) and then connects to the address that was
checked, not to a second DNS answer. Redirects are never followed.

Request shapes are the services' documented ones:
- Slack incoming webhook: ``{"text", "blocks"}`` (Block Kit); 200 with body ``ok`` on success.
- Teams workflow webhook: a message with one Adaptive Card 1.4 attachment; 202 (or 200) on success.
- Generic webhook: JSON signed as the platform's own inbound webhooks are (``cspm.webhooks.service.signature``):
  hex HMAC-SHA256 over ``POST\\n<path>\\n<timestamp>\\n<sha256 of the body>``.
- SMTP: STARTTLS always (refused when the server does not offer it), then AUTH when configured.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import smtplib
import ssl
import time
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any

import httpx

from cspm.integrations.models import NotificationEvent, SendOutcome
from cspm.scanners.network_policy import DestinationPolicy, DestinationRefused, parse_web_url
from cspm.webhooks.service import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature

USER_AGENT = "OffloadSecurity-CSPM-Integrations/1"
EVENT_HEADER = "X-CSPM-Event"
DELIVERY_HEADER = "X-CSPM-Delivery"
MAX_ERROR = 500
SEVERITY_COLOURS = {"critical": "attention", "high": "warning", "medium": "accent", "low": "good", "info": "default"}


def _elapsed(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def refused(exc: DestinationRefused) -> SendOutcome:
    """The policy refused the destination: nothing was sent, and trying again changes nothing."""
    return SendOutcome(False, 0.0, error=f"destination refused: {exc}"[:MAX_ERROR], retryable=False)


def check_url(policy: DestinationPolicy, url: str) -> None:
    """Raises DestinationRefused (naming the rule) for a URL the platform may not connect to."""
    checked = policy.check_url(url)
    if checked.url.has_credentials:
        raise DestinationRefused("user name or password in the URL are not accepted", "syntax")


# --- rendering ------------------------------------------------------------------------------
def payload(event: NotificationEvent, *, team_id: str, delivery_id: str) -> dict[str, Any]:
    """The generic webhook's body (documented in the README)."""
    return {"id": delivery_id, "event": event.type.value, "team_id": team_id,
            "occurred_at": event.occurred_at.isoformat(), "severity": event.severity, "title": event.title,
            "summary": event.summary, "tool": event.tool, "target": event.target, "facts": event.facts,
            "link": event.link}


def _mrkdwn(text: str) -> str:
    # Slack's mrkdwn control characters (https://api.slack.com/reference/surfaces/formatting#escaping)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_message(event: NotificationEvent) -> dict[str, Any]:
    facts = [{"type": "mrkdwn", "text": f"*{_mrkdwn(name)}*\n{_mrkdwn(value)}"}
             for name, value in list(event.facts.items())[:10]]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"[{event.severity.upper()}] {event.title}"[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _mrkdwn(event.summary)[:3000]}},
    ]
    if facts:
        blocks.append({"type": "section", "fields": facts})
    blocks.append({"type": "context", "elements": [
        {"type": "mrkdwn", "text": _mrkdwn(f"{event.type.value} · {event.tool or 'platform'} · "
                                           f"{event.occurred_at:%Y-%m-%d %H:%M} UTC")}]})
    return {"text": f"[{event.severity.upper()}] {event.title}"[:300], "blocks": blocks}


def teams_message(event: NotificationEvent) -> dict[str, Any]:
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard", "version": "1.4",
        "body": [
            {"type": "TextBlock", "size": "Medium", "weight": "Bolder", "wrap": True,
             "color": SEVERITY_COLOURS.get(event.severity, "default"),
             "text": f"[{event.severity.upper()}] {event.title}"},
            {"type": "TextBlock", "wrap": True, "text": event.summary},
            {"type": "FactSet", "facts": [{"title": name, "value": value} for name, value in event.facts.items()]},
            {"type": "TextBlock", "isSubtle": True, "size": "Small", "wrap": True,
             "text": f"{event.type.value} · {event.tool or 'platform'} · {event.occurred_at:%Y-%m-%d %H:%M} UTC"},
        ],
    }
    return {"type": "message", "attachments": [
        {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}]}


def email_message(event: NotificationEvent, *, sender: str, recipients: list[str]) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = f"[CSPM] [{event.severity.upper()}] {event.title}"[:250]
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    lines = [event.summary, "", *(f"{name}: {value}" for name, value in event.facts.items()), "",
             f"Event: {event.type.value}; tool: {event.tool or '-'}; target: {event.target or '-'}",
             f"At: {event.occurred_at.isoformat()}"]
    message.set_content("\n".join(lines))
    return message


# --- HTTP -----------------------------------------------------------------------------------
def _answer(response: httpx.Response, started: float, success: tuple[int, ...]) -> SendOutcome:
    code = response.status_code
    if code in success:
        return SendOutcome(True, _elapsed(started), code)
    retry_after: float | None = None
    if code == 429 and response.headers.get("retry-after", "").isdigit():
        retry_after = float(response.headers["retry-after"])
    # Client errors other than a timeout or a rate limit will not change on a retry (a revoked hook).
    retryable = code >= 500 or code in (408, 425, 429)
    return SendOutcome(False, _elapsed(started), code, f"HTTP {code}: {response.text[:200]}".strip(),
                       retryable=retryable, retry_after_seconds=retry_after)


async def send_http(policy: DestinationPolicy, method: str, url: str, *, body: bytes | None, timeout: float,
                    headers: Mapping[str, str] | None = None, success: tuple[int, ...] = (200, 201, 202, 204),
                    ) -> tuple[SendOutcome, httpx.Response | None]:
    """One request to a user-supplied URL under the destination policy, pinned to the checked address."""
    try:
        parsed = parse_web_url(url)
        destination = await asyncio.to_thread(policy.check_host, parsed.host)  # DNS lookups block
    except DestinationRefused as exc:
        return refused(exc), None
    extensions: dict[str, Any] = {}
    if destination.is_name and parsed.scheme == "https":
        extensions["sni_hostname"] = destination.host  # also the name the certificate is checked against
    started = time.perf_counter()
    try:
        async with httpx.AsyncClient(follow_redirects=False, timeout=timeout, trust_env=False,
                                     limits=httpx.Limits(max_keepalive_connections=0)) as client:
            request = client.build_request(
                method, parsed.connecting_to(destination.addresses[0]).text, content=body,
                headers={"Host": parsed.authority, "User-Agent": USER_AGENT, **(headers or {})},
                extensions=extensions)
            response = await client.send(request)
    except httpx.HTTPError as exc:
        return SendOutcome(False, _elapsed(started), error=f"{type(exc).__name__}: {exc}"[:MAX_ERROR]), None
    return _answer(response, started, success), response


def _json(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":"), default=str).encode()


async def send_slack(policy: DestinationPolicy, webhook_url: str, event: NotificationEvent, *,
                     timeout: float) -> SendOutcome:
    outcome, response = await send_http(policy, "POST", webhook_url, body=_json(slack_message(event)),
                                        timeout=timeout, headers={"Content-Type": "application/json"},
                                        success=(200,))
    if outcome.ok and response is not None and response.text.strip() != "ok":
        # Slack answers 200 "ok"; anything else is not Slack having taken the message.
        return SendOutcome(False, outcome.latency_ms, 200, f"unexpected answer: {response.text[:200]!r}")
    return outcome


async def send_teams(policy: DestinationPolicy, webhook_url: str, event: NotificationEvent, *,
                     timeout: float) -> SendOutcome:
    outcome, _ = await send_http(policy, "POST", webhook_url, body=_json(teams_message(event)), timeout=timeout,
                                 headers={"Content-Type": "application/json"}, success=(200, 202))
    return outcome


def signed_headers(secret: str, url: str, body: bytes, *, timestamp: int | None = None) -> dict[str, str]:
    """The signature headers of a generic webhook POST: the scheme ``cspm.webhooks`` verifies."""
    sent_at = str(int(time.time()) if timestamp is None else timestamp)
    path = parse_web_url(url).path.split("?", 1)[0]  # the path as a server's router sees it: no query string
    return {TIMESTAMP_HEADER: sent_at,
            SIGNATURE_HEADER: signature(secret, "POST", path, sent_at, hashlib.sha256(body).hexdigest())}


async def send_webhook(policy: DestinationPolicy, url: str, secret: str, event: NotificationEvent, *,
                       team_id: str, delivery_id: str, timeout: float) -> SendOutcome:
    body = _json(payload(event, team_id=team_id, delivery_id=delivery_id))
    try:
        headers = signed_headers(secret, url, body)
    except DestinationRefused as exc:
        return refused(exc)
    headers.update({"Content-Type": "application/json", EVENT_HEADER: event.type.value, DELIVERY_HEADER: delivery_id})
    outcome, _ = await send_http(policy, "POST", url, body=body, timeout=timeout, headers=headers)
    return outcome


# --- SMTP -----------------------------------------------------------------------------------
def _tls_context(ca_pem: str | None) -> ssl.SSLContext:
    context = ssl.create_default_context(cadata=ca_pem) if ca_pem else ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _smtp_session(config: Mapping[str, Any], password: str | None, address: str, host: str,
                  timeout: float, message: EmailMessage | None) -> None:
    """Blocking: connect to the checked address, STARTTLS verified against the configured host name."""
    smtp = smtplib.SMTP(timeout=timeout)
    try:
        smtp.connect(address, int(config["port"]))
        smtp._host = host  # type: ignore[attr-defined]  # STARTTLS verifies this name, not the address dialled
        smtp.ehlo()
        if not smtp.has_extn("starttls"):
            raise smtplib.SMTPNotSupportedError("the server does not offer STARTTLS; mail is never sent in clear")
        smtp.starttls(context=_tls_context(config.get("ca_certificate_pem")))
        smtp.ehlo()
        if config.get("username"):
            smtp.login(config["username"], password or "")
        if message is None:
            smtp.noop()
        else:
            smtp.send_message(message)
        smtp.quit()
    finally:
        smtp.close()


async def send_email(policy: DestinationPolicy, config: Mapping[str, Any], password: str | None,
                     event: NotificationEvent | None, *, timeout: float) -> SendOutcome:
    """One message (or, with no event, a login-and-NOOP health check) over SMTP with STARTTLS."""
    try:
        destination = await asyncio.to_thread(policy.check_host, config["host"])
    except DestinationRefused as exc:
        return refused(exc)
    message = None if event is None else email_message(event, sender=config["from_address"],
                                                        recipients=list(config["to_addresses"]))
    started = time.perf_counter()
    try:
        await asyncio.to_thread(_smtp_session, config, password, str(destination.addresses[0]), destination.host,
                                timeout, message)
    except smtplib.SMTPAuthenticationError as exc:
        return SendOutcome(False, _elapsed(started), exc.smtp_code, f"SMTP authentication refused ({exc.smtp_code})",
                           retryable=False)
    except smtplib.SMTPNotSupportedError as exc:
        return SendOutcome(False, _elapsed(started), error=str(exc), retryable=False)
    except smtplib.SMTPResponseException as exc:
        permanent = 500 <= exc.smtp_code < 600
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return SendOutcome(False, _elapsed(started), exc.smtp_code, f"SMTP {exc.smtp_code}: {text[:200]}",
                           retryable=not permanent)
    except (OSError, smtplib.SMTPException, ssl.SSLError) as exc:
        return SendOutcome(False, _elapsed(started), error=f"{type(exc).__name__}: {exc}"[:MAX_ERROR])
    return SendOutcome(True, _elapsed(started))
