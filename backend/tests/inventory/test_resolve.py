"""``GET /api/inventory/resolve`` beyond cloud assets: registry images by digest (a real registry,
synced), scan targets by host:port or URL, other teams never, and the linked modules switched off
or absent."""

from __future__ import annotations

import pytest

from cspm.core.manifest import MANIFEST
from cspm.inventory.resource_ids import Endpoint, endpoint, image_digest
from cspm.inventory.service import IMAGES_PROVIDER
from cspm.registries.service import RegistryService
from cspm.registries.settings import RegistrySettings
from cspm.targets.service import endpoints
from tests.registries.conftest import app_files, registries  # noqa: F401 - the real registry fixture

DIGEST = "sha256:" + "c" * 64


@pytest.mark.parametrize(("resource_id", "expected"), [
    ("127.0.0.1:22/tcp", Endpoint("127.0.0.1", 22)),  # Nmap's host_port resources
    ("[::1]:443", Endpoint("::1", 443)),
    ("https://App.Example.COM/login?x=1", Endpoint("app.example.com", 443)),
    ("http://app.example.com:8080", Endpoint("app.example.com", 8080)),
    ("Example.com.", Endpoint("example.com", None)),
    ("10.0.0.0/24", None), ("/srv/app", None), ("registry.test:5000/app:1", None), ("arn:aws:s3:::logs", None),
    (f"registry.test/app@{DIGEST}", None), ("host:70000", None),
])
def test_endpoint_of_a_resource_id(resource_id, expected):
    assert endpoint(resource_id) == expected


def test_image_digest_of_a_resource_id():
    assert image_digest(f"127.0.0.1:5000/team/app@{DIGEST}") == image_digest(DIGEST) == DIGEST
    assert image_digest("alpine:3.19") is None


def test_a_network_targets_ranges_and_names():
    hosts = endpoints({"kind": "network", "value": "10.0.0.0/24, Host.Example.com bad_host!"})
    assert [(str(host), port) for host, port in hosts] == [("10.0.0.0/24", None), ("host.example.com", None)]
    assert endpoints({"kind": "tls_endpoint", "value": "[::1]:8443"}) == [("::1", 8443)]
    assert endpoints({"kind": "web_application", "value": "https://App.example.com/x"}) == [("app.example.com", 443)]


async def _resolve(client, session, resource_id: str) -> list[dict]:
    response = await client.get("/api/inventory/resolve", headers=session.headers,
                                params={"resource_id": resource_id})
    assert response.status_code == 200, response.text
    return response.json()


async def _target(client, session, name: str, kind: str, value: str) -> str:
    response = await client.post("/api/targets", headers=session.headers,
                                 json={"name": name, "kind": kind, "value": value})
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def test_images_by_digest_and_targets_by_host_for_their_team_only(
        client, auth, container, registries, monkeypatch):  # noqa: F811 - the fixture imported above
    local, _ = registries
    admin = await auth.user(role="team_admin")
    stranger = await auth.user(role="team_admin")
    digest = local.push("inventory/app", "1", app_files("2.1.0"))
    container.override(RegistrySettings, RegistrySettings(scan_new_digests=False))
    container.override(RegistryService, RegistryService.build(container))
    created = await client.post("/api/registries", headers=admin.headers, json={
        "kind": "oci", "name": "local", "url": local.url, "repositories": ["inventory/app"]})
    assert created.status_code == 201, created.text
    registry_id = created.json()["id"]
    synced = await container.resolve(RegistryService).sync(team_id=admin.team_id, registry_id=registry_id)
    assert synced["state"] == "ok", synced
    network = await _target(client, admin, "hosts", "network", "127.0.0.1")
    web = await _target(client, admin, "web", "web_application", "http://127.0.0.1:8080/")
    tls = await _target(client, admin, "tls", "tls_endpoint", "127.0.0.1:8443")

    # The image under any repository or tag, a Trivy artifact name or the bare digest.
    for reference in (f"{local.host}/inventory/app@{digest}", f"mirror.example.com/other@{digest}", digest):
        found = await _resolve(client, admin, reference)
        assert [(item["kind"], item["registry_id"], item["registry_name"], item["reference"]) for item in found] == [
            ("registry_image", registry_id, "local", f"{local.host}/inventory/app@{digest}")], reference
    # A host:port names the targets scanning that host on that port; a network target scans any port.
    cases = {"127.0.0.1:22/tcp": {network}, "http://127.0.0.1:8080/login": {network, web},
             "https://127.0.0.1:8443": {network, tls}, "127.0.0.1:8443": {network, tls},
             "127.0.0.1": {network, web, tls}, "127.0.0.2:22": set()}
    for resource_id, expected in cases.items():
        found = await _resolve(client, admin, resource_id)
        assert {item["kind"] for item in found} <= {"target"}
        assert {item["id"] for item in found} == expected, resource_id
    assert [(item["host"], item["port"], item["target_kind"]) for item in await _resolve(
        client, admin, "http://127.0.0.1:8080")] == [("127.0.0.1", None, "network"),
                                                     ("127.0.0.1", 8080, "web_application")]

    # Another team resolves nothing of this team's images or targets.
    for resource_id in (digest, f"{local.host}/inventory/app@{digest}", "127.0.0.1", "127.0.0.1:22/tcp"):
        assert await _resolve(client, stranger, resource_id) == []

    # Registries absent from the platform: cloud assets only, and no error.
    monkeypatch.delitem(MANIFEST.providers, IMAGES_PROVIDER)
    assert await _resolve(client, admin, digest) == []
    monkeypatch.undo()
    assert len(await _resolve(client, admin, digest)) == 1
    # A module the team switched off says nothing either.
    for module, resource_id in (("registries", digest), ("scans", "127.0.0.1")):
        switched = await client.put(f"/api/teams/active/modules/{module}", headers=admin.headers,
                                    json={"enabled": False})
        assert switched.status_code == 200, switched.text
        assert await _resolve(client, admin, resource_id) == []
        await client.put(f"/api/teams/active/modules/{module}", headers=admin.headers, json={"enabled": True})
    # A removed registry's images no longer resolve (they stay stored until the purge).
    assert (await client.delete(f"/api/registries/{registry_id}", headers=admin.headers)).status_code == 204
    assert await _resolve(client, admin, digest) == []
