"""The application shell: route-failure isolation, metrics, request ids, body limits, security headers."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from cspm.api import ROUTE_MODULES, RouteModule
from cspm.core.container import ServiceContainer
from cspm.core.logging import JSONFormatter
from cspm.core.manifest import MANIFEST
from cspm.main import JSON_BODY_LIMIT, create_app

HEALTH = next(module for module in ROUTE_MODULES if module.name == "health")
SAMPLE = RouteModule("sample", "", public=True, module="tests.core.sample_routes")
BROKEN = RouteModule("broken", "/api/broken", public=True, module="tests.core.broken_routes")
ROUTERLESS = RouteModule("routerless", "/api/routerless", public=True, module="tests.core.routerless_routes")
MISSING = RouteModule("missing", "/api/missing", public=True, module="tests.core.no_such_module")


@pytest.fixture
async def shell(container: ServiceContainer) -> AsyncIterator[httpx.AsyncClient]:
    application = create_app(container=container, modules=[HEALTH, SAMPLE, BROKEN, ROUTERLESS, MISSING])
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application, client=("203.0.113.10", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            http.app = application  # type: ignore[attr-defined]
            yield http


def _samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    found = []
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                found.append((sample.labels, sample.value))
    return found


def _value(text: str, name: str, **labels: str) -> float:
    return sum(value for sample_labels, value in _samples(text, name)
               if all(sample_labels.get(key) == wanted for key, wanted in labels.items()))


# --- route-failure isolation ------------------------------------------------------------------------
async def test_broken_route_modules_do_not_stop_the_app(shell, caplog):
    application = shell.app
    assert application.state.mounted_modules == ["health", "sample"]
    assert (await shell.get("/api/health")).json() == {"status": "ok"}
    assert (await shell.get("/api/sample/items/5")).json() == {"item_id": 5}
    assert (await shell.get("/api/broken/anything")).status_code == 404

    status = (await shell.get("/health/status")).json()
    components = {component["component"]: component for component in status["components"]}
    broken = components["routes:broken"]
    assert broken["state"] == "down"
    assert broken["impact"] == ("broken routes unavailable: RuntimeError: deliberately broken route module "
                                "(tests)")
    assert components["routes:routerless"]["state"] == "down"
    assert "AttributeError" in components["routes:routerless"]["impact"]
    assert "router" in components["routes:routerless"]["impact"]
    assert components["routes:missing"]["state"] == "down"
    assert "ModuleNotFoundError" in components["routes:missing"]["impact"]
    assert components["routes:health"]["state"] == "optimal"
    assert components["routes:sample"]["state"] == "optimal"
    assert status["status"] == "down"  # a module is down, and the status says so


async def test_private_module_is_not_served_without_authentication(container, monkeypatch):
    """Fail closed: when the authentication dependency cannot load, private modules are not mounted."""
    monkeypatch.setattr(MANIFEST, "authentication", "tests.core.no_such_auth:authenticated")
    private = RouteModule("private_sample", "/api/private", module="tests.core.sample_routes")
    application = create_app(container=container, modules=[HEALTH, private])
    assert application.state.mounted_modules == ["health"]
    component = container.integrity.get("routes:private_sample")
    assert component is not None and component.state == "down"
    assert "authentication unavailable" in component.impact


# --- metrics ----------------------------------------------------------------------------------------
async def test_metrics_use_route_templates_status_labels_and_count_errors(shell):
    for item in (1, 2, 3):
        assert (await shell.get(f"/api/sample/items/{item}")).status_code == 200
    assert (await shell.get("/api/sample/items/not-a-number")).status_code == 422
    assert (await shell.get("/api/no/such/path/123")).status_code == 404
    failed = await shell.get("/api/sample/boom")
    assert failed.status_code == 500

    text = (await shell.get("/metrics")).text
    assert _value(text, "cspm_http_requests_total", method="GET", route="/api/sample/items/{item_id}",
                  status="200") == 3
    assert _value(text, "cspm_http_requests_total", route="/api/sample/items/{item_id}", status="422") == 1
    assert _value(text, "cspm_http_requests_total", route="/api/sample/boom", status="500") == 1
    assert _value(text, "cspm_http_errors_total", method="GET", route="/api/sample/boom") == 1
    assert _value(text, "cspm_http_errors_total", route="/api/sample/items/{item_id}") == 0
    assert _value(text, "cspm_http_requests_total", route="<unmatched>", status="404") == 1
    # Raw paths never become labels (unbounded cardinality, and ids in metrics).
    routes = {labels["route"] for labels, _ in _samples(text, "cspm_http_requests_total")}
    assert not any(re.search(r"/items/\d", route) or "/api/no/such" in route for route in routes)
    assert _value(text, "cspm_http_request_duration_seconds_count", route="/api/sample/items/{item_id}") == 4
    # Component gauges from the integrity monitor are exported too.
    assert _value(text, "cspm_component_up", component="routes:broken") == 0
    assert _value(text, "cspm_component_up", component="routes:health") == 1


async def test_metrics_endpoint_content_type(shell):
    response = await shell.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    assert "# TYPE cspm_http_requests_total counter" in response.text


# --- unhandled errors ---------------------------------------------------------------------------------
async def test_unhandled_error_answers_500_with_request_id_and_headers_and_no_details(shell, caplog):
    with caplog.at_level(logging.ERROR, logger="cspm.http"):
        response = await shell.get("/api/sample/boom", headers={"X-Request-ID": "trace-boom-1"})
    assert response.status_code == 500
    assert response.json() == {"detail": "internal server error", "request_id": "trace-boom-1"}
    assert "hunter2" not in response.text
    assert response.headers["x-request-id"] == "trace-boom-1"
    assert response.headers["x-content-type-options"] == "nosniff"
    logged = [record for record in caplog.records if record.getMessage() == "unhandled error"]
    assert logged and logged[0].exc_info is not None


# --- request id ---------------------------------------------------------------------------------------
async def test_request_id_is_generated_or_propagated(shell):
    generated = await shell.get("/api/health")
    assert re.fullmatch(r"[0-9a-f]{32}", generated.headers["x-request-id"])
    other = await shell.get("/api/health")
    assert other.headers["x-request-id"] != generated.headers["x-request-id"]
    given = await shell.get("/api/health", headers={"X-Request-ID": "client-abc-123"})
    assert given.headers["x-request-id"] == "client-abc-123"
    too_long = await shell.get("/api/health", headers={"X-Request-ID": "x" * 65})
    assert too_long.headers["x-request-id"] != "x" * 65
    unprintable = await shell.get("/api/health", headers={"X-Request-ID": "bad\tid"})
    assert unprintable.headers["x-request-id"] != "bad\tid"


async def test_request_id_is_in_the_access_log(shell):
    """Formatted when emitted, as the production handler does, so the request's context is on the line."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JSONFormatter())
    http_logger = logging.getLogger("cspm.http")
    http_logger.addHandler(handler)
    previous = http_logger.level
    http_logger.setLevel(logging.INFO)
    try:
        await shell.get("/api/sample/items/9", headers={"X-Request-ID": "log-me-1"})
    finally:
        http_logger.removeHandler(handler)
        http_logger.setLevel(previous)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    access = [line for line in lines if line["message"] == "request"]
    assert len(access) == 1
    assert access[0]["request_id"] == "log-me-1"
    assert access[0]["route"] == "/api/sample/items/{item_id}"
    assert access[0]["status"] == 200
    assert access[0]["method"] == "GET"


# --- body size limit ------------------------------------------------------------------------------------
async def test_declared_oversize_body_is_refused_with_413(shell):
    body = b"{" + b" " * (JSON_BODY_LIMIT + 10) + b"}"
    response = await shell.post("/api/sample/echo", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json() == {"detail": f"request body larger than {JSON_BODY_LIMIT} bytes"}
    assert response.headers["x-request-id"]
    assert response.headers["x-frame-options"] == "DENY"


async def test_streamed_oversize_body_without_length_is_refused_with_413(shell):
    async def chunks():
        chunk = b" " * 65536
        for _ in range(JSON_BODY_LIMIT // len(chunk) + 2):
            yield chunk

    response = await shell.post("/api/sample/echo", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["detail"] == f"request body larger than {JSON_BODY_LIMIT} bytes"


async def test_body_under_the_limit_is_served_and_large_prefix_allows_more(shell):
    assert (await shell.post("/api/sample/echo", json={"a": 1, "b": 2})).json() == {"keys": 2}
    big = b"x" * (JSON_BODY_LIMIT + 1024)
    response = await shell.post("/api/webhooks/sample", content=big)
    assert response.status_code == 200
    assert response.json() == {"bytes": len(big)}


# --- security headers -----------------------------------------------------------------------------------
async def test_security_headers_on_every_answer(shell):
    for response in (await shell.get("/api/health"), await shell.get("/nothing-here"),
                     await shell.get("/api/sample/items/x")):
        headers = response.headers
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["cross-origin-opener-policy"] == "same-origin"
        assert "camera=()" in headers["permissions-policy"]
        assert "strict-transport-security" not in headers  # plain http, no TLS proxy configured


async def test_hsts_when_served_over_tls(container):
    application = create_app(container=container, modules=[HEALTH])
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
            response = await http.get("/api/health")
    assert response.headers["strict-transport-security"] == "max-age=63072000; includeSubDomains"


async def test_cors_allows_configured_origin_on_errors_too(tmp_path, mongo_uri):
    from tests.conftest import make_settings, unique_database_names

    settings = make_settings(tmp_path, mongo_uri, cors_origins=["https://app.example"])
    container = ServiceContainer(settings, database_names=unique_database_names())
    application = create_app(container=container, modules=[HEALTH, SAMPLE])
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            allowed = await http.get("/api/health", headers={"Origin": "https://app.example"})
            failed = await http.get("/api/sample/boom", headers={"Origin": "https://app.example"})
            foreign = await http.get("/api/health", headers={"Origin": "https://evil.example"})
    assert allowed.headers["access-control-allow-origin"] == "https://app.example"
    assert "x-request-id" in allowed.headers["access-control-expose-headers"].lower()
    assert failed.status_code == 500
    assert failed.headers["access-control-allow-origin"] == "https://app.example"
    assert "access-control-allow-origin" not in foreign.headers


async def test_swagger_ui_gets_its_own_content_security_policy(client):
    docs = await client.get("/api/docs")
    assert docs.status_code == 200 and "swagger-ui" in docs.text
    assert "https://cdn.jsdelivr.net" in docs.headers["content-security-policy"]
    api = await client.get("/api/health")
    assert "cdn.jsdelivr.net" not in api.headers["content-security-policy"]
