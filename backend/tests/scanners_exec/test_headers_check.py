"""The header check's rules (pure), its report parser, and garbage reports."""

from __future__ import annotations

import io
import json

import httpx
import pytest

from cspm.findings.models import CheckResult, FindingCategory, Severity
from cspm.scanners.base import ReportFormatError
from cspm.scanners.headers.checker import check_headers, evaluate
from cspm.scanners.headers.parser import HeaderReportParser
from cspm.scanners.network_policy import DestinationPolicy, DestinationRefused
from tests.conftest import StaticResolver

# The mock transport answers; the policy only checks and resolves (from a table): nothing leaves.
PUBLIC = DestinationPolicy(["public"], StaticResolver())

HARDENED = httpx.Headers({
    "strict-transport-security": "max-age=31536000; includeSubDomains",
    "content-security-policy": "default-src 'self'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "permissions-policy": "camera=()",
    "server": "nginx",
    "set-cookie": "sid=1; Secure; HttpOnly; SameSite=Lax",
})


def outcomes(url: str, headers: httpx.Headers) -> dict[str, str]:
    return {f"{item.check_id}:{item.subject}": item.result for item in evaluate(url, headers)}


def test_hardened_https_response_passes_everything():
    results = outcomes("https://app.example.com/", HARDENED)
    assert set(results.values()) == {"pass"}
    assert "missing-hsts:" in results and "insecure-cookie:sid" in results


def test_each_weakness_fails_its_own_rule():
    weak = httpx.Headers({"strict-transport-security": "max-age=600",
                          "content-security-policy": "script-src 'self' 'unsafe-inline'",
                          "x-frame-options": "ALLOW-FROM https://x", "referrer-policy": "unsafe-url",
                          "server": "Apache/2.4.1", "x-powered-by": "PHP/8.1",
                          "set-cookie": "sid=1; HttpOnly"})
    failed = {key for key, value in outcomes("https://app.example.com/", weak).items() if value == "fail"}
    assert failed == {"weak-hsts:", "weak-csp:", "missing-frame-protection:", "missing-content-type-options:",
                      "weak-referrer-policy:", "missing-permissions-policy:", "server-version-disclosure:",
                      "x-powered-by-disclosure:", "insecure-cookie:sid"}


async def test_report_round_trip_through_parser(tmp_path):
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=[("server", "gunicorn/21.2"), ("set-cookie", "a=1"),
                                            ("set-cookie", "b=2; Secure; HttpOnly; SameSite=Strict")])

    report_path = tmp_path / "headers.json"
    report = await check_headers("https://shop.example.com/cart?x=1", report_path, destinations=PUBLIC,
                                 transport=httpx.MockTransport(answer))
    assert json.loads(report_path.read_text()) == report
    assert not list(tmp_path.glob("*.partial"))
    findings = list(HeaderReportParser().parse(report_path.open("rb")))
    assert all(item.source_tool == "headers" and item.category is FindingCategory.WEB for item in findings)
    assert {item.resource.id for item in findings} == {"https://shop.example.com/cart"}
    hsts = next(item for item in findings if item.rule_id == "missing-hsts")
    assert hsts.result is CheckResult.FAIL and hsts.severity is Severity.MEDIUM and hsts.cwe_ids == ["CWE-319"]
    cookies = {item.identity["subject"]: item.result for item in findings if item.rule_id == "insecure-cookie"}
    assert cookies == {"a": CheckResult.FAIL, "b": CheckResult.PASS}
    assert len({item.dedup_key for item in findings}) == len(findings)
    again = list(HeaderReportParser().parse(report_path.open("rb")))
    assert [item.dedup_key for item in again] == [item.dedup_key for item in findings]


async def test_each_hop_goes_to_the_checked_address_with_the_name_for_host_and_sni(tmp_path):
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        if request.url.path == "/old":
            return httpx.Response(301, headers={"location": "https://app.example.com/new"})
        return httpx.Response(200)

    report = await check_headers("https://shop.example.com/old", tmp_path / "headers.json", destinations=PUBLIC,
                                 transport=httpx.MockTransport(answer))
    assert [(str(item.url), item.headers["host"], item.extensions["sni_hostname"]) for item in sent] == [
        ("https://93.184.215.14/old", "shop.example.com", "shop.example.com"),
        ("https://93.184.215.14/new", "app.example.com", "app.example.com")]
    assert report["redirects"] == ["https://shop.example.com/old"]
    assert report["final_url"] == "https://app.example.com/new"


@pytest.mark.parametrize("location", ["http://169.254.169.254/latest/meta-data/", "http://0xa9fea9fe/",
                                      "//metadata.google.internal/computeMetadata/v1/", "http://localhost/"])
async def test_redirect_to_a_denied_destination_is_never_sent(tmp_path, location):
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(302, headers={"location": location})

    with pytest.raises(DestinationRefused, match=r"redirect from https://shop\.example\.com/ to .* refused"):
        await check_headers("https://shop.example.com/", tmp_path / "headers.json", destinations=PUBLIC,
                            transport=httpx.MockTransport(answer))
    assert len(sent) == 1 and not (tmp_path / "headers.json").exists()


async def test_redirect_loops_end_after_five_hops(tmp_path):
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"location": "/again"})

    with pytest.raises(httpx.TooManyRedirects, match="more than 5 redirects"):
        await check_headers("https://shop.example.com/", tmp_path / "headers.json", destinations=PUBLIC,
                            transport=httpx.MockTransport(answer))


@pytest.mark.parametrize(("payload", "problem"), [
    (b"<html>502</html>", "not JSON"),
    (b'{"schema": "other/1", "results": []}', "not a header-check report"),
    (b'{"schema": "cspm-headers/1", "final_url": "https://x/", "results": [{"result": "maybe"}]}',
     "result #0 is not a check outcome"),
    (b'{"schema": "cspm-headers/1", "final_url": "https://x/", "results": [{"check_id": "a", "res',
     "truncated JSON at byte 90"),
])
def test_parser_rejects_garbage_naming_the_problem(payload, problem):
    with pytest.raises(ReportFormatError, match=problem):
        list(HeaderReportParser().parse(io.BytesIO(payload)))
