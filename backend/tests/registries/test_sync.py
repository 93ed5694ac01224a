"""Sync against a real registry (distribution 2.8), images pushed with skopeo, scans with trivy and syft."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from cspm.core.database.registry import Database
from cspm.registries.service import RegistryService
from cspm.registries.settings import RegistrySettings
from cspm.scanners.base import Target, TargetKind
from cspm.scanners.executors.factory import ScannerExecutorFactory
from cspm.scanners.workspace import JobWorkspace
from cspm.scans.execution import CredentialSource
from tests.registries.conftest import PASSWORD, USER, app_files

pytestmark = pytest.mark.slow
SCAN_WAIT_SECONDS = 180


async def _create(client, session, **body) -> dict:
    response = await client.post("/api/registries", headers=session.headers, json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def _images(client, session, registry_id: str) -> dict[str, dict]:
    response = await client.get(f"/api/registries/{registry_id}/images", headers=session.headers)
    assert response.status_code == 200, response.text
    return {image["image_digest"]: image for image in response.json()["items"]}


async def _scans_finished(client, session, run_ids: list[str]) -> list[dict]:
    deadline = time.monotonic() + SCAN_WAIT_SECONDS
    runs: list[dict] = []
    while time.monotonic() < deadline:
        runs = [(await client.get(f"/api/scans/{run_id}", headers=session.headers)).json() for run_id in run_ids]
        if all(run["state"] not in ("queued", "running") for run in runs):
            return runs
        await asyncio.sleep(0.5)
    raise AssertionError(f"scans did not finish in {SCAN_WAIT_SECONDS} s: {[run['state'] for run in runs]}")


async def test_sync_scans_new_digests_only_and_forgets_deleted_ones(client, auth, container, registries):
    local, _ = registries
    analyst = await auth.user(role="analyst")
    v1 = local.push("team/app", "v1", app_files("2.19.0"))
    base = local.push("team/base", "1.0", app_files("1.0.0"), architectures=("amd64", "arm64"))
    registry = await _create(client, analyst, kind="oci", name="local", url=local.url)
    service = container.resolve(RegistryService)

    first = await service.sync(team_id=analyst.team_id, registry_id=registry["id"])
    assert first["state"] == "ok", first["errors"]
    assert (first["repositories"], first["new_digests"], first["scans_started"]) == (2, 2, 2)
    images = await _images(client, analyst, registry["id"])
    assert set(images) == {v1, base}
    assert images[v1]["tags"] == ["v1"] and images[v1]["reference"] == f"{local.host}/team/app@{v1}"
    assert images[base]["media_type"] == "application/vnd.oci.image.index.v1+json"
    assert images[base]["platforms"] == ["linux/amd64", "linux/arm64"]

    runs = await _scans_finished(client, analyst, [images[v1]["scan"]["run_id"]])
    by_tool = {sub["tool"]: sub for sub in runs[0]["sub_jobs"]}
    # syft reads the image straight from the registry and its SBOM lands in the asset inventory.
    assert by_tool["syft"]["state"] == "succeeded", by_tool["syft"]
    assert by_tool["syft"]["counts"]["components"] >= 2
    components = (await client.get("/api/assets/components", headers=analyst.headers,
                                   params={"asset": images[v1]["reference"], "q": "requests"})).json()["items"]
    assert [(item["name"], item["version"]) for item in components] == [("requests", "2.19.0")]
    # Trivy's vulnerability database cannot be downloaded here: a failed sub-scan with Trivy's own words.
    assert by_tool["trivy"]["state"] == "failed"
    assert "--skip-db-update cannot be specified on the first run" in (by_tool["trivy"]["stderr_tail"] or "")

    v2 = local.push("team/app", "v2", app_files("2.31.0"))
    second = await service.sync(team_id=analyst.team_id, registry_id=registry["id"])
    assert (second["new_digests"], second["scans_started"], second["removed_digests"]) == (1, 1, 0)
    images = await _images(client, analyst, registry["id"])
    assert images[v2]["scan"]["run_id"] not in (images[v1]["scan"]["run_id"], images[base]["scan"]["run_id"])

    local.delete("team/app", v1)
    third = await service.sync(team_id=analyst.team_id, registry_id=registry["id"])
    assert (third["new_digests"], third["removed_digests"], third["scans_started"]) == (0, 1, 0)
    assert set(await _images(client, analyst, registry["id"])) == {v2, base}
    detail = (await client.get(f"/api/registries/{registry['id']}", headers=analyst.headers)).json()
    assert [(repo["name"], repo["state"], repo["image_count"]) for repo in detail["repositories"]] == [
        ("team/app", "ok", 1), ("team/base", "ok", 1)]
    await _scans_finished(client, analyst, [images[v2]["scan"]["run_id"], images[base]["scan"]["run_id"]])


async def test_basic_auth_registry_and_credentials_never_returned(client, auth, container, registries):
    _, protected = registries
    analyst = await auth.user(role="analyst")
    digest = protected.push("private/api", "1", app_files("2.0.0"))
    container.override(RegistrySettings, RegistrySettings(scan_new_digests=False))
    container.override(RegistryService, RegistryService.build(container))
    anonymous = await _create(client, analyst, kind="oci", name="no creds", url=protected.url)
    refused = await container.resolve(RegistryService).sync(team_id=analyst.team_id, registry_id=anonymous["id"])
    assert refused["state"] == "error" and "refused access (HTTP 401)" in refused["errors"][0]

    registry = await _create(client, analyst, kind="oci", name="basic", url=protected.url, username=USER,
                             password=PASSWORD)
    assert registry["has_credentials"] is True and PASSWORD not in str(registry)
    synced = await container.resolve(RegistryService).sync(team_id=analyst.team_id, registry_id=registry["id"])
    assert synced["state"] == "ok" and synced["new_digests"] == 1
    listed = (await client.get("/api/registries", headers=analyst.headers)).text
    assert PASSWORD not in listed
    assert set(await _images(client, analyst, registry["id"])) == {digest}
    assert (await _images(client, analyst, registry["id"]))[digest]["scan"]["state"] == "not_scanned"


async def test_private_registry_digest_is_pulled_with_credentials_given_in_the_environment_only(
        client, auth, container, registries, caplog, tmp_path):
    _, protected = registries
    caplog.set_level(logging.DEBUG)
    analyst = await auth.user(role="analyst")
    digest = protected.push("private/app", "1", app_files("2.28.0"))
    registry = await _create(client, analyst, kind="oci", name="private", url=protected.url, username=USER,
                             password=PASSWORD, repositories=["private/app"])
    synced = await container.resolve(RegistryService).sync(team_id=analyst.team_id, registry_id=registry["id"])
    assert (synced["state"], synced["scans_started"]) == ("ok", 1), synced
    image = (await _images(client, analyst, registry["id"]))[digest]
    run = (await _scans_finished(client, analyst, [image["scan"]["run_id"]]))[0]
    by_tool = {sub["tool"]: sub for sub in run["sub_jobs"]}
    # syft pulled the private image with the registry's credentials: its SBOM is in the inventory.
    assert by_tool["syft"]["state"] == "succeeded", by_tool["syft"]
    components = (await client.get("/api/assets/components", headers=analyst.headers,
                                   params={"asset": image["reference"], "q": "requests"})).json()["items"]
    assert [(item["name"], item["version"]) for item in components] == [("requests", "2.28.0")]

    # Without them the same pull fails (the registry answers 401; syft -q prints nothing): the
    # credentials are what made the scan work.
    runner = container.resolve(ScannerExecutorFactory).runner()
    target = Target(TargetKind.CONTAINER_IMAGE, image["reference"], {"image_src": "remote",
                                                                      "insecure_registry": "true"})
    anonymous = await runner.run("syft", target)
    anonymous.cleanup()
    assert (anonymous.result.state, anonymous.result.exit_code) == ("failed", 1), anonymous.result

    # Trivy and syft each get them in their own variables, in the environment and never on argv.
    orchestration = container.database.db(Database.ORCHESTRATION)
    sub_jobs = await orchestration["scan_sub_jobs"].find({"run_id": run["run_id"]}).to_list()
    source = CredentialSource(container, runner.registry)
    expected = {"trivy": {"TRIVY_USERNAME": USER, "TRIVY_PASSWORD": PASSWORD},
                "syft": {"SYFT_REGISTRY_AUTH_AUTHORITY": protected.host, "SYFT_REGISTRY_AUTH_USERNAME": USER,
                         "SYFT_REGISTRY_AUTH_PASSWORD": PASSWORD}}
    for sub_job in sub_jobs:
        resolved, env, files = await source.resolve(analyst.team_id, sub_job)
        assert (env, files) == (expected[sub_job["tool"]], {})
        invocation = runner.build(sub_job["tool"], resolved, JobWorkspace.create("argv", tmp_path), env)
        assert expected[sub_job["tool"]].items() <= dict(invocation.env).items()
        assert PASSWORD not in " ".join(invocation.argv)

    # Nowhere stored, logged or answered.
    stored = [*sub_jobs, *await orchestration["scan_runs"].find({"run_id": run["run_id"]}).to_list(),
              *await orchestration["scan_jobs"].find({"run_id": run["run_id"]}).to_list()]
    assert stored and PASSWORD not in str(stored)
    assert PASSWORD not in str(run)
    assert not [record for record in caplog.records if PASSWORD in f"{record.getMessage()} {record.__dict__}"]
