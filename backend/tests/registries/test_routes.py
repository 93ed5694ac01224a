"""Registry connections through the API: validation, refused destinations, ECR on moto, soft delete and purge."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from cspm.cloud_accounts.settings import CloudAccountSettings
from cspm.core.errors import NotFound
from cspm.registries.service import RegistryService
from cspm.registries.settings import RegistrySettings
from cspm.scanners.executors.factory import ScannerExecutorFactory
from cspm.scans.execution import CredentialSource
from tests.cloud_accounts.conftest import moto_endpoint, moto_iam_user  # noqa: F401 - the suite's moto server

MANIFEST = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                       "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 2,
                                  "digest": "sha256:" + "a" * 64}, "layers": []})


async def test_bad_input_is_refused_with_a_reason(client, auth):
    analyst = await auth.user(role="analyst")
    viewer = await auth.user(role="viewer", team=analyst)
    cases = [
        ({"kind": "oci", "name": "x", "url": "ftp://registry.example.com"}, 422, "url"),
        ({"kind": "oci", "name": "x", "url": "http://127.0.0.1:18399", "username": "only-user"}, 422, "both"),
        ({"kind": "oci", "name": "meta", "url": "http://169.254.169.254"}, 400, "cloud-metadata"),
        ({"kind": "ecr", "name": "x", "region": "us-east-1", "registry_id": "1234",
          "access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": "s" * 40}, 422, "registry_id"),
        ({"kind": "harbor", "name": "x"}, 422, "kind"),
    ]
    for body, code, reason in cases:
        response = await client.post("/api/registries", headers=analyst.headers, json=body)
        assert response.status_code == code and reason in response.text, (body, response.text)
    refused = await client.post("/api/registries", headers=viewer.headers,
                                json={"kind": "oci", "name": "v", "url": "http://127.0.0.1:18399"})
    assert refused.status_code == 403
    created = await client.post("/api/registries", headers=analyst.headers,
                                json={"kind": "oci", "name": "dup", "url": "http://127.0.0.1:18399"})
    again = await client.post("/api/registries", headers=analyst.headers,
                              json={"kind": "oci", "name": "dup", "url": "http://127.0.0.1:18399"})
    assert created.status_code == 201 and again.status_code == 409
    assert (await client.get("/api/registries/0123456789abcdef01234567", headers=analyst.headers)).status_code == 404


async def test_unreachable_registry_records_the_error(client, auth, container):
    analyst = await auth.user(role="analyst")
    created = (await client.post("/api/registries", headers=analyst.headers, json={
        "kind": "oci", "name": "down", "url": "http://127.0.0.1:18398", "repositories": ["team/app"]})).json()
    report = await container.resolve(RegistryService).sync(team_id=analyst.team_id, registry_id=created["id"])
    assert report["state"] == "partial" and "could not reach the registry" in report["errors"][0]
    detail = (await client.get(f"/api/registries/{created['id']}", headers=analyst.headers)).json()
    assert detail["repositories"][0]["state"] == "error" and detail["last_sync_state"] == "partial"


@pytest.mark.slow
async def test_ecr_sync_on_moto_then_soft_delete_and_purge(client, auth, container, moto_endpoint):  # noqa: F811
    analyst = await auth.user(role="analyst")
    key = moto_iam_user(moto_endpoint)
    ecr = boto3.client("ecr", endpoint_url=moto_endpoint, region_name="eu-west-1", aws_access_key_id=key[0],
                       aws_secret_access_key=key[1])
    ecr.create_repository(repositoryName="shop/api")
    pushed = ecr.put_image(repositoryName="shop/api", imageManifest=MANIFEST, imageTag="1.0")["image"]
    container.override(CloudAccountSettings, CloudAccountSettings(aws_endpoint_url=moto_endpoint))
    container.override(RegistrySettings, RegistrySettings(scan_new_digests=False, retention_days=7))
    container.override(RegistryService, RegistryService.build(container))
    created = await client.post("/api/registries", headers=analyst.headers, json={
        "kind": "ecr", "name": "ecr", "region": "eu-west-1", "registry_id": "123456789012",
        "access_key_id": key[0], "secret_access_key": key[1]})
    assert created.status_code == 201, created.text
    assert key[1] not in created.text and created.json()["identifiers"]["access_key_id_suffix"] == key[0][-4:]
    registry_id = created.json()["id"]
    service = container.resolve(RegistryService)
    report = await service.sync(team_id=analyst.team_id, registry_id=registry_id)
    assert report["state"] == "ok" and "shop/api" in [repo["name"] for repo in (await service.get(
        team_id=analyst.team_id, registry_id=registry_id))["repositories"]]
    images = (await client.get(f"/api/registries/{registry_id}/images", headers=analyst.headers,
                               params={"repository": "shop/api"})).json()
    assert [(image["image_digest"], image["tags"]) for image in images["items"]] == [
        (pushed["imageId"]["imageDigest"], ["1.0"])]

    assert (await client.delete(f"/api/registries/{registry_id}", headers=analyst.headers)).status_code == 204
    assert registry_id not in (await client.get("/api/registries", headers=analyst.headers)).text
    assert (await client.get(f"/api/registries/{registry_id}/images", headers=analyst.headers)).status_code == 404
    assert await service.purge_soft_deleted() == {"registries": 0, "images": 0}  # within the retention period
    later = datetime.now(UTC) + timedelta(days=8)
    assert await service.purge_soft_deleted(later) == {"registries": 1, "images": 1}
    assert await service.images.count(analyst.team_id, {"account_id": registry_id}) == 0


async def test_ecr_pull_token_becomes_the_scanners_username_and_password(client, auth, container,
                                                                         moto_endpoint):  # noqa: F811
    analyst = await auth.user(role="analyst")
    stranger = await auth.user(role="analyst")
    key = moto_iam_user(moto_endpoint)
    container.override(CloudAccountSettings, CloudAccountSettings(aws_endpoint_url=moto_endpoint))
    container.override(RegistryService, RegistryService.build(container))
    created = await client.post("/api/registries", headers=analyst.headers, json={
        "kind": "ecr", "name": "ecr", "region": "eu-west-1", "registry_id": "123456789012",
        "access_key_id": key[0], "secret_access_key": key[1]})
    assert created.status_code == 201, created.text
    registry_id = created.json()["id"]
    token = boto3.client("ecr", endpoint_url=moto_endpoint, region_name="eu-west-1", aws_access_key_id=key[0],
                         aws_secret_access_key=key[1]).get_authorization_token(
        registryIds=["123456789012"])["authorizationData"][0]["authorizationToken"]
    username, password = base64.b64decode(token).decode().split(":", 1)

    source = CredentialSource(container, container.resolve(ScannerExecutorFactory).registry)
    reference = f"123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/api@sha256:{'b' * 64}"

    def sub_job(tool: str) -> dict:
        return {"tool": tool, "target_kind": "container_image", "target_value": reference,
                "target_options": {"image_src": "remote"}, "registry_id": registry_id}

    _, trivy_env, _ = await source.resolve(analyst.team_id, sub_job("trivy"))
    assert trivy_env == {"TRIVY_USERNAME": "AWS", "TRIVY_PASSWORD": password} and username == "AWS"
    _, syft_env, _ = await source.resolve(analyst.team_id, sub_job("syft"))
    assert syft_env == {"SYFT_REGISTRY_AUTH_AUTHORITY": "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
                        "SYFT_REGISTRY_AUTH_USERNAME": "AWS", "SYFT_REGISTRY_AUTH_PASSWORD": password}
    # Another team's registry, or a removed one, gives nothing (the sub-job fails "credentials unavailable").
    with pytest.raises(NotFound):
        await source.resolve(stranger.team_id, sub_job("trivy"))
    assert (await client.delete(f"/api/registries/{registry_id}", headers=analyst.headers)).status_code == 204
    with pytest.raises(NotFound):
        await source.resolve(analyst.team_id, sub_job("trivy"))
