"""Target creation under the destination policy's defaults: SSRF reproductions are refused with 422.

The platform runs here with the default allow-list ("public": private ranges only when listed,
loopback / link-local / metadata never unless listed explicitly) and a resolver table instead
of DNS. Target creation only builds the tools' invocations: nothing is scanned or sent.
"""

from __future__ import annotations

import pytest

from cspm.scanners.executors.factory import ScannerExecutorFactory
from cspm.scanners.settings import ScannerSettings
from tests.conftest import StaticResolver

# Issue 11, item 2: each of these was accepted as a target.
REPRODUCTIONS = [
    ("web_application", "http://169.254.169.254/latest/meta-data/iam/security-credentials/", "cloud-metadata"),
    ("web_application", "http://[::ffff:169.254.169.254]/latest/meta-data/", "cloud-metadata"),
    ("web_application", "http://0251.0376.0251.0376/latest/meta-data/", "cloud-metadata"),
    ("web_application", "http://2852039166/latest/meta-data/", "cloud-metadata"),
    ("web_application", "http://metadata.google.internal/computeMetadata/v1/", "cloud-metadata"),
    ("web_application", "http://10.0.0.1/", "private"),
    ("web_application", "http://192.168.1.1/", "private"),
    ("web_application", "http://127.0.0.1:6379/", "loopback"),
    ("tls_endpoint", "169.254.169.254:443", "cloud-metadata"),
    ("tls_endpoint", "metadata.google.internal:443", "cloud-metadata"),
    ("tls_endpoint", "127.0.0.1:6379", "loopback"),
]
MORE_SPELLINGS = [
    ("web_application", "http://user@169.254.169.254/", "cloud-metadata"),
    ("web_application", "http://169.254.169.254./", "cloud-metadata"),
    ("web_application", "https://[fd00:ec2::254]/", "cloud-metadata"),
    ("web_application", "http://0x7f.1:8080/", "loopback"),
    ("web_application", "http://localhost:8080/", "loopback"),          # resolves to a denied address
    ("web_application", "http://rebound.example/", "cloud-metadata"),   # ditto, through "DNS"
    ("tls_endpoint", "[::ffff:a9fe:a9fe]:443", "cloud-metadata"),
    ("network", "169.254.169.254", "cloud-metadata"),
    ("network", "169.254.0.0/16", "cloud-metadata"),
    ("network", "10.0.0.0/24", "private"),
]


@pytest.fixture
def default_policy(container) -> StaticResolver:
    resolver = StaticResolver({"localhost": ("127.0.0.1", "::1"), "rebound.example": ("169.254.169.254",),
                               "example.com": ("93.184.215.14",)})
    container.override(ScannerExecutorFactory, ScannerExecutorFactory(
        container.settings, ScannerSettings(network_allowlist=["public"]), resolver=resolver))
    return resolver


@pytest.mark.parametrize(("kind", "value", "rule"), REPRODUCTIONS + MORE_SPELLINGS)
async def test_denied_destinations_are_refused_with_the_rule_and_nothing_stored(client, auth, default_policy,
                                                                              kind, value, rule):
    analyst = await auth.user(role="analyst")
    response = await client.post("/api/targets", headers=analyst.headers,
                                 json={"name": "ssrf", "kind": kind, "value": value})
    assert response.status_code == 422, response.text
    assert f"refused by rule {rule}:" in response.json()["detail"]
    assert (await client.get("/api/targets", headers=analyst.headers)).json() == []


async def test_metadata_names_are_refused_without_a_lookup(client, auth, default_policy):
    analyst = await auth.user(role="analyst")
    response = await client.post("/api/targets", headers=analyst.headers, json={
        "name": "gcp", "kind": "web_application", "value": "http://METADATA.google.internal./computeMetadata/v1/"})
    assert response.status_code == 422 and "cloud metadata host name" in response.json()["detail"]
    assert default_policy.asked == []


async def test_a_public_web_target_is_accepted(client, auth, default_policy):
    analyst = await auth.user(role="analyst")
    response = await client.post("/api/targets", headers=analyst.headers, json={
        "name": "site", "kind": "web_application", "value": "https://example.com/"})
    assert response.status_code == 201, response.text
    assert default_policy.asked == ["example.com"]  # checked after resolution, answered by the table
    changed = await client.patch(f"/api/targets/{response.json()['id']}", headers=analyst.headers,
                                 json={"value": "http://10.0.0.1/"})
    assert changed.status_code == 422 and "refused by rule private" in changed.json()["detail"]
