"""The dashboard mount: files, client-route fallback, and the API prefixes it must never shadow."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cspm.web.spa import mount_spa

INDEX = "<!doctype html><title>dashboard</title>"


@pytest.fixture()
def dist(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text(INDEX)
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log(1)")
    (tmp_path / "favicon.svg").write_text("<svg/>")
    (tmp_path.parent / "secret.txt").write_text("outside")
    return tmp_path


def app_with(dist: Path | None) -> tuple[FastAPI, bool]:
    app = FastAPI(openapi_url="/api/openapi.json")

    @app.get("/api/things")
    async def things() -> dict[str, str]:
        return {"ok": "yes"}

    @app.post("/api/only-post")
    async def only_post() -> dict[str, str]:
        return {"ok": "yes"}

    @app.get("/health/status")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    mounted = mount_spa(app, dist)
    return app, mounted


def test_serves_index_assets_and_client_routes(dist: Path) -> None:
    app, mounted = app_with(dist)
    assert mounted
    client = TestClient(app)
    root = client.get("/")
    assert root.status_code == 200 and root.text == INDEX
    assert root.headers["cache-control"] == "no-cache"
    deep = client.get("/findings?severity=high")
    assert deep.status_code == 200 and deep.text == INDEX
    asset = client.get("/assets/index-abc123.js")
    assert asset.status_code == 200 and asset.text == "console.log(1)"
    assert "immutable" in asset.headers["cache-control"]
    assert client.get("/favicon.svg").text == "<svg/>"
    assert client.head("/overview").status_code == 200


def test_missing_files_are_404_not_html(dist: Path) -> None:
    client = TestClient(app_with(dist)[0])
    missing = client.get("/assets/index-oldhash.js")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Not Found"}


def test_path_traversal_is_refused(dist: Path) -> None:
    client = TestClient(app_with(dist)[0])
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/assets/..%2f..%2fsecret.txt"):
        answer = client.get(path)
        assert "outside" not in answer.text


def test_never_shadows_api_health_metrics(dist: Path) -> None:
    client = TestClient(app_with(dist)[0])
    assert client.get("/api/things").json() == {"ok": "yes"}
    assert client.get("/health/status").json() == {"status": "ok"}
    for path in ("/api/unknown", "/api", "/health/unknown", "/metrics"):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert answer.headers["content-type"].startswith("application/json"), path
    # A wrong method on an API route keeps its 405, exactly as without the dashboard.
    assert client.get("/api/only-post").status_code == 405
    assert client.post("/api/unknown").status_code == 404
    assert client.get("/api/openapi.json").json()["openapi"]


def test_not_mounted_without_a_build(tmp_path: Path) -> None:
    app, mounted = app_with(tmp_path / "nothing-here")
    assert not mounted
    assert TestClient(app).get("/").status_code == 404
    assert app_with(None)[1] is False


def test_create_app_reads_frontend_dist(dist: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cspm.main import create_app

    monkeypatch.setenv("FRONTEND_DIST", str(dist))
    app = create_app()
    paths = [getattr(route, "path", "") for route in app.router.routes]
    assert paths[-1] == "/{path:path}"
    monkeypatch.setenv("FRONTEND_DIST", str(dist / "missing"))
    assert "/{path:path}" not in [getattr(route, "path", "") for route in create_app().router.routes]
