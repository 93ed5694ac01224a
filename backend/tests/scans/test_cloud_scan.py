"""A cloud posture scan end to end: cloud account → target → Prowler (its own venv) → moto → findings."""

from __future__ import annotations

import pytest

from cspm.core.tools import locate
from tests.scanners_exec.test_prowler_moto import BUCKET, USER, moto_endpoint  # noqa: F401 - fixture
from tests.scans.test_orchestration import wait_finished

pytestmark = pytest.mark.slow


async def test_prowler_scan_of_an_aws_account_through_the_api(client, auth, moto_endpoint):  # noqa: F811
    if locate("prowler") is None:
        pytest.fail("prowler is not installed: run scripts/install-prowler.sh (scripts/test.sh does)")
    analyst = await auth.user(role="analyst")
    account = await client.post("/api/cloud-accounts", headers=analyst.headers, json={
        "name": "moto", "provider": "aws", "account_id": "123456789012", "auth_method": "access_keys",
        "access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "regions": ["us-east-1"], "endpoint_url": moto_endpoint})  # the account's own endpoint reaches Prowler
    assert account.status_code == 201, account.text
    assert "secret_access_key" not in account.text and "wJalrXUtnFEMI" not in account.text
    unknown = await client.post("/api/targets", headers=analyst.headers, json={
        "name": "nope", "kind": "cloud_account", "value": "123456789012", "cloud_account_id": "0" * 24})
    assert unknown.status_code == 422
    target = await client.post("/api/targets", headers=analyst.headers, json={
        "name": "aws prod", "kind": "cloud_account", "value": "123456789012",
        "cloud_account_id": account.json()["id"], "options": {"services": "s3,iam"}})
    assert target.status_code == 201, target.text
    assert target.json()["tools"] == ["prowler"]
    run = await client.post("/api/scans", headers=analyst.headers, json={"target_id": target.json()["id"]})
    detail = await wait_finished(client, analyst, run.json()["run_id"], timeout=400)
    assert detail["state"] == "succeeded", detail["sub_jobs"][0]["stderr_tail"]
    assert detail["sub_jobs"][0]["exit_code"] == 3
    findings = (await client.get("/api/findings", headers=analyst.headers,
                                 params={"tool": "prowler", "limit": 200})).json()["items"]
    failing = {(item["rule_id"], item["resource"]["id"]) for item in findings}
    assert ("s3_bucket_public_access", f"arn:aws:s3:::{BUCKET}") in failing
    assert ("iam_user_mfa_enabled_console_access", f"arn:aws:iam::123456789012:user/{USER}") in failing
    frameworks = await client.get("/api/compliance/frameworks", headers=analyst.headers)
    assert frameworks.status_code == 200


async def test_a_cloud_account_in_use_cannot_be_deleted(client, auth):
    analyst = await auth.user(role="analyst")
    account = await client.post("/api/cloud-accounts", headers=analyst.headers, json={
        "name": "prod", "provider": "aws", "account_id": "123456789012", "auth_method": "access_keys",
        "access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"})
    account_id = account.json()["id"]
    target = await client.post("/api/targets", headers=analyst.headers, json={
        "name": "aws prod", "kind": "cloud_account", "value": "123456789012", "cloud_account_id": account_id})
    refused = await client.delete(f"/api/cloud-accounts/{account_id}", headers=analyst.headers)
    assert refused.status_code == 409 and "aws prod" in refused.json()["detail"]
    assert (await client.delete(f"/api/targets/{target.json()['id']}", headers=analyst.headers)).status_code == 204
    assert (await client.delete(f"/api/cloud-accounts/{account_id}", headers=analyst.headers)).status_code == 204
