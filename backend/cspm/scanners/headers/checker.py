"""The native HTTP security-header check: one request, every response header judged, JSON out.

Runs in the worker (no subprocess): ``check_headers`` fetches the URL (following up to
five redirects), evaluates the final response and writes the report atomically, so a
report on disk is always complete. ``parser.py`` turns the report into findings.

Every hop -- the URL and each redirect -- is checked by the destination policy before it is
sent: the host is resolved, every address must be allowed, and the connection goes to the
address that was checked (the name is kept for the Host header, SNI and certificate checks), so
neither a redirect nor a DNS answer that changes between check and connect reaches a denied
address. A refused redirect stops the check with the policy's reason.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx

from cspm.scanners.network_policy import Destination, DestinationPolicy, DestinationRefused, WebURL, parse_web_url

SCHEMA = "cspm-headers/1"
USER_AGENT = "OffloadSecurity-CSPM-header-check/1"
MAX_REDIRECTS = 5
HSTS_MIN_SECONDS = 15_552_000  # 180 days
MDN = "https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/"


@dataclass
class CheckOutcome:
    check_id: str
    title: str
    severity: str
    result: str  # "fail" | "pass"
    header: str
    evidence: str = ""
    remediation: str = ""
    cwe: str = "CWE-693"
    references: list[str] = field(default_factory=list)
    subject: str = ""
    """What inside the response the outcome is about (a cookie name); empty for the response itself."""


def _outcome(failed: bool, check_id: str, title: str, severity: str, header: str, evidence: str,
             remediation: str, **extra: Any) -> CheckOutcome:
    return CheckOutcome(check_id, title, severity if failed else "info", "fail" if failed else "pass", header,
                        evidence, remediation, references=[MDN + header.title()], **extra)


def evaluate(url: str, headers: httpx.Headers) -> list[CheckOutcome]:
    """Judge one response's headers; pure (no I/O), so every rule is testable on its own."""
    https = url.lower().startswith("https://")
    outcomes: list[CheckOutcome] = []
    csp = headers.get("content-security-policy", "")

    if https:
        hsts = headers.get("strict-transport-security")
        match = re.search(r"max-age\s*=\s*\"?(\d+)", hsts or "", re.I)
        max_age = int(match.group(1)) if match else None
        outcomes.append(_outcome(hsts is None, "missing-hsts", "Strict-Transport-Security header missing", "medium",
                                 "strict-transport-security", hsts or "absent",
                                 "Send Strict-Transport-Security: max-age=31536000; includeSubDomains",
                                 cwe="CWE-319"))
        if hsts is not None:
            outcomes.append(_outcome(max_age is None or max_age < HSTS_MIN_SECONDS, "weak-hsts",
                                     "Strict-Transport-Security max-age shorter than 180 days", "low",
                                     "strict-transport-security", hsts,
                                     "Raise max-age to at least 15552000 (one year: 31536000)", cwe="CWE-319"))
    else:
        outcomes.append(CheckOutcome("no-https", "Served over plain HTTP without redirect to HTTPS", "medium", "fail",
                                     "location", f"final URL {url}",
                                     "Redirect every HTTP request to HTTPS and enable HSTS", cwe="CWE-319"))

    outcomes.append(_outcome(not csp, "missing-csp", "Content-Security-Policy header missing", "medium",
                             "content-security-policy", csp or "absent",
                             "Define a Content-Security-Policy (start with default-src 'self')", cwe="CWE-1021"))
    if csp:
        unsafe = re.search(r"(?:^|;)\s*(?:script-src|default-src)[^;]*'unsafe-(?:inline|eval)'", csp, re.I)
        outcomes.append(_outcome(unsafe is not None, "weak-csp", "Content-Security-Policy allows unsafe scripts",
                                 "low", "content-security-policy", csp,
                                 "Remove 'unsafe-inline'/'unsafe-eval' from script-src; use nonces or hashes",
                                 cwe="CWE-79"))

    frame_options = headers.get("x-frame-options", "")
    frame_ancestors = "frame-ancestors" in csp.lower()
    outcomes.append(_outcome(frame_options.lower() not in ("deny", "sameorigin") and not frame_ancestors,
                             "missing-frame-protection", "No clickjacking protection (X-Frame-Options or "
                             "CSP frame-ancestors)", "medium", "x-frame-options", frame_options or "absent",
                             "Send X-Frame-Options: DENY or CSP frame-ancestors 'none'", cwe="CWE-1021"))

    nosniff = headers.get("x-content-type-options", "")
    outcomes.append(_outcome(nosniff.strip().lower() != "nosniff", "missing-content-type-options",
                             "X-Content-Type-Options: nosniff missing", "low", "x-content-type-options",
                             nosniff or "absent", "Send X-Content-Type-Options: nosniff"))

    referrer = headers.get("referrer-policy", "")
    outcomes.append(_outcome(not referrer or referrer.strip().lower() in ("unsafe-url", "no-referrer-when-downgrade"),
                             "weak-referrer-policy", "Referrer-Policy missing or leaks full URLs", "low",
                             "referrer-policy", referrer or "absent",
                             "Send Referrer-Policy: strict-origin-when-cross-origin (or no-referrer)",
                             cwe="CWE-200"))

    permissions = headers.get("permissions-policy", "")
    outcomes.append(_outcome(not permissions, "missing-permissions-policy", "Permissions-Policy header missing",
                             "info", "permissions-policy", permissions or "absent",
                             "Send a Permissions-Policy that disables unused features (camera=(), microphone=())"))

    server = headers.get("server", "")
    outcomes.append(_outcome(bool(re.search(r"\d", server)), "server-version-disclosure",
                             "Server header discloses the software version", "low", "server", server or "absent",
                             "Strip the version from the Server header", cwe="CWE-200"))
    powered = headers.get("x-powered-by", "")
    outcomes.append(_outcome(bool(powered), "x-powered-by-disclosure", "X-Powered-By header discloses the stack",
                             "low", "x-powered-by", powered or "absent", "Remove the X-Powered-By header",
                             cwe="CWE-200"))

    for raw in headers.get_list("set-cookie"):
        cookie = SimpleCookie()
        try:
            cookie.load(raw)
        except Exception:  # noqa: BLE001 - a malformed cookie is judged on its raw text below
            cookie = SimpleCookie()
        name = next(iter(cookie), raw.split("=", 1)[0].strip())
        lowered = raw.lower()
        missing = [flag for flag, present in (("Secure", "secure" in lowered or not https),
                                              ("HttpOnly", "httponly" in lowered),
                                              ("SameSite", "samesite" in lowered)) if not present]
        outcomes.append(_outcome(bool(missing), "insecure-cookie", f"Cookie {name} lacks " +
                                 ("/".join(missing) if missing else "nothing"), "low", "set-cookie",
                                 f"{name}: missing {', '.join(missing)}" if missing else f"{name}: all flags set",
                                 "Set Secure, HttpOnly and SameSite on session cookies", cwe="CWE-614",
                                 subject=name))
    return outcomes


async def _allowed(url: WebURL, destinations: DestinationPolicy) -> Destination:
    return await asyncio.to_thread(destinations.check_host, url.host)  # a thread: DNS lookups block


async def _fetch(client: httpx.AsyncClient, url: WebURL, destination: Destination) -> httpx.Response:
    """GET `url` from the address the policy allowed for its host: no second DNS answer is asked for."""
    extensions: dict[str, Any] = {}
    if destination.is_name and url.scheme == "https":
        extensions["sni_hostname"] = destination.host  # also the name the certificate is verified against
    request = client.build_request("GET", url.connecting_to(destination.addresses[0]).text,
                                   headers={"Host": url.authority}, extensions=extensions)
    return await client.send(request)


async def check_headers(url: str, report_path: Path, *, destinations: DestinationPolicy, timeout: float = 15.0,
                        verify_tls: bool = True, transport: httpx.AsyncBaseTransport | None = None) -> dict[str, Any]:
    """Fetch `url` hop by hop under the destination policy, evaluate the final response, write the
    report atomically; returns it. Raises DestinationRefused when the URL or a redirect is not allowed."""
    current = parse_web_url(url)
    destination = await _allowed(current, destinations)
    visited: list[str] = []
    # Redirects are followed here, not by httpx, so that each hop is checked before it is sent. No
    # proxies from the environment (the policy checks where the connection goes) and no pooled
    # connections (one opened for another name on the same address would carry the wrong SNI).
    async with httpx.AsyncClient(follow_redirects=False, timeout=timeout, verify=verify_tls, transport=transport,
                                 trust_env=False, limits=httpx.Limits(max_keepalive_connections=0),
                                 headers={"User-Agent": USER_AGENT}) as client:
        while True:
            response = await _fetch(client, current, destination)
            if not response.is_redirect:
                break
            if len(visited) == MAX_REDIRECTS:
                raise httpx.TooManyRedirects(f"more than {MAX_REDIRECTS} redirects", request=response.request)
            location = response.headers["location"]
            visited.append(current.text)
            try:
                current = parse_web_url(urljoin(current.text, location))
                destination = await _allowed(current, destinations)
            except DestinationRefused as exc:
                raise DestinationRefused(f"redirect from {visited[-1]} to {location[:200]!r} refused, nothing "
                                         f"was sent there: {exc}", exc.rule) from None
    final_url = current.text
    report = {
        "schema": SCHEMA,
        "url": url,
        "final_url": final_url,
        "status_code": response.status_code,
        "redirects": visited,
        "checked_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "headers": {name: value for name, value in response.headers.multi_items() if name != "set-cookie"},
        "results": [asdict(outcome) for outcome in evaluate(final_url, response.headers)],
    }
    partial = report_path.with_name(report_path.name + ".partial")
    partial.write_text(json.dumps(report, indent=2))
    os.replace(partial, report_path)
    return report
