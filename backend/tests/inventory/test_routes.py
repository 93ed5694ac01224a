"""The inventory API: discovery through the job, the diff, a Prowler finding resolved to its asset,
Steampipe imports, bad input, permissions and the module switch."""

from __future__ import annotations

import asyncio
import time

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.cloud_accounts.conftest import SECRET_KEY, aws_keys, moto_iam_user
from tests.conftest import SHARED
from tests.inventory.steampipe_rows import bucket_rows

PROWLER_REPORT = SHARED / "scans" / "prowler" / "prowler_5.46_aws_moto_s3_iam.ocsf.json"
RUN_WAIT_SECONDS = 120


async def _account(client, session, key: tuple[str, str] | None = None, name: str = "moto") -> str:
    body = aws_keys(name)
    if key:
        body |= {"access_key_id": key[0], "secret_access_key": key[1]}
    response = await client.post("/api/cloud-accounts", headers=session.headers, json=body)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def _finished(client, session, run_id: str) -> dict:
    deadline = time.monotonic() + RUN_WAIT_SECONDS
    run: dict = {}
    while time.monotonic() < deadline:
        run = (await client.get(f"/api/inventory/runs/{run_id}", headers=session.headers)).json()
        if run["state"] not in ("queued", "running"):
            return run
        await asyncio.sleep(0.3)
    raise AssertionError(f"discovery {run_id} did not finish in {RUN_WAIT_SECONDS} s: {run.get('state')}")


@pytest.mark.slow
async def test_discovery_job_and_prowler_finding_resolved_to_the_asset(client, auth, moto_endpoint, monkeypatch):
    # Through the environment: the worker that runs the job builds its own settings.
    monkeypatch.setenv("CLOUD_AWS_ENDPOINT_URL", moto_endpoint)
    analyst = await auth.user(role="analyst")
    key = moto_iam_user(moto_endpoint)
    # The resources the stored Prowler report (run against moto) names.
    iam = boto3.client("iam", endpoint_url=moto_endpoint, region_name="us-east-1", aws_access_key_id=key[0],
                       aws_secret_access_key=key[1])
    s3 = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1", aws_access_key_id=key[0],
                      aws_secret_access_key=key[1])
    for create in (lambda: iam.create_user(UserName="nomfa"), lambda: s3.create_bucket(Bucket="public-bucket")):
        try:
            create()
        except ClientError as exc:  # moto's state is shared by every test of this process
            assert exc.response["Error"]["Code"] in ("EntityAlreadyExists", "BucketAlreadyOwnedByYou")
    account_id = await _account(client, analyst, key)

    queued = await client.post(f"/api/inventory/accounts/{account_id}/discover", headers=analyst.headers)
    assert queued.status_code == 202, queued.text
    run = await _finished(client, analyst, queued.json()["run_id"])
    assert run["state"] == "succeeded", run["errors"]
    assert run["counts"]["added"] == run["changes_total"] > 0
    assert {"iam:global", "s3:global", "ec2:us-east-1", "lambda:us-east-1"} <= set(run["complete_scopes"])

    imported = await client.post("/api/findings/import", headers=analyst.headers, data={
        "tool": "prowler", "scope": "123456789012"}, files={
        "file": ("prowler.ocsf.json", PROWLER_REPORT.read_bytes(), "application/json")})
    assert imported.status_code == 201, imported.text
    resolved = (await client.get("/api/inventory/resolve", headers=analyst.headers,
                                 params={"resource_id": "arn:aws:s3:::public-bucket"})).json()
    assert [(asset["resource_type"], asset["name"]) for asset in resolved] == [("aws:s3:bucket", "public-bucket")]
    detail = (await client.get(f"/api/inventory/assets/{resolved[0]['id']}", headers=analyst.headers)).json()
    assert detail["findings"] and {finding["source_tool"] for finding in detail["findings"]} == {"prowler"}
    assert [event["kind"] for event in detail["timeline"]] == ["added"]
    user = (await client.get("/api/inventory/resolve", headers=analyst.headers,
                             params={"resource_id": "arn:aws:iam::123456789012:user/nomfa"})).json()
    assert len(user) == 1 and user[0]["resource_type"] == "aws:iam:user"

    listed = (await client.get("/api/inventory/assets", headers=analyst.headers,
                               params={"type": "aws:iam:user", "account_id": account_id})).json()
    assert "aws:iam:user" in listed["facets"]["resource_type"] and listed["total"] >= 2
    assert {asset["resource_type"] for asset in listed["items"]} == {"aws:iam:user"}


async def test_steampipe_import_diff_and_bad_input(client, auth):
    analyst = await auth.user(role="analyst")
    account_id = await _account(client, analyst)
    path = f"/api/inventory/accounts/{account_id}/import"

    async def send(raw: bytes, resource_type: str = "aws:s3:bucket"):
        return await client.post(path, headers=analyst.headers, data={"resource_type": resource_type},
                                 files={"file": ("rows.json", raw, "application/json")})

    first = await send(bucket_rows("logs", "data"))
    assert first.status_code == 200 and first.json()["counts"]["added"] == 2
    second = (await send(bucket_rows("logs", versioning=True))).json()
    assert (second["counts"]["changed"], second["counts"]["removed"]) == (1, 1)
    diff = (await client.get(f"/api/inventory/runs/{second['run_id']}", headers=analyst.headers,
                             params={"kind": "changed"})).json()
    assert diff["changes"][0]["fields"] == [{"field": "attributes.versioning_enabled", "before": False,
                                             "after": True}]
    for raw, reason in ((b"{not json", "not Steampipe JSON"), (b'{"rows": [{"title": "x"}]}', "no id column"),
                        (b'"text"', "expected Steampipe JSON")):
        refused = await send(raw)
        assert refused.status_code == 422 and reason in refused.text
    assert (await send(bucket_rows("x"), resource_type="Not A Type!")).status_code == 422
    assert (await client.get("/api/inventory/assets/0123456789abcdef01234567", headers=analyst.headers)
            ).status_code == 404
    assert (await client.get("/api/inventory/runs/not-a-run", headers=analyst.headers)).status_code == 422
    runs = (await client.get("/api/inventory/runs", headers=analyst.headers)).json()
    assert [run["state"] for run in runs] == ["succeeded", "succeeded"]  # the refused imports left no run


async def test_permissions_other_teams_and_module_switch(client, auth):
    admin = await auth.user(role="team_admin")
    viewer = await auth.user(role="viewer", team=admin)
    other = await auth.user(role="analyst")
    account_id = await _account(client, admin)
    assert (await client.post(f"/api/inventory/accounts/{account_id}/discover", headers=viewer.headers)
            ).status_code == 403
    assert (await client.post(f"/api/inventory/accounts/{account_id}/discover", headers=other.headers)
            ).status_code == 404
    assert (await client.get("/api/inventory/assets", headers=viewer.headers)).status_code == 200
    off = await client.put("/api/teams/active/modules/assets", json={"enabled": False}, headers=admin.headers)
    assert off.status_code == 200, off.text
    assert (await client.get("/api/inventory/assets", headers=viewer.headers)).status_code == 403


async def test_unreachable_clouds_fail_the_run_with_a_reason(container, gcp_key, inventory_for, dead_endpoint):
    from cspm.cloud_accounts.models import AwsAccountCreate, GcpAccountCreate
    from cspm.cloud_accounts.service import CloudAccountService

    inventory = inventory_for(dead_endpoint)
    accounts = container.resolve(CloudAccountService)
    aws = await accounts.create(team_id="t1", user_id="u", request=AwsAccountCreate(
        name="dead", account_id="123456789012", auth_method="access_keys", access_key_id="AKIAIOSFODNN7EXAMPLE",
        secret_access_key=SECRET_KEY, regions=["us-east-1"]))
    run = await inventory.discover(team_id="t1", account_id=aws.id, actor="u")
    assert run["state"] == "failed" and run["counts"]["total"] == 0
    assert all("Could not connect to the endpoint URL" in error["reason"] for error in run["errors"])
    gcp = await accounts.create(team_id="t1", user_id="u", request=GcpAccountCreate(
        name="gcp", service_account_key=gcp_key))
    failed = await inventory.discover(team_id="t1", account_id=gcp.id, actor="u")
    assert failed["state"] == "failed"
    assert failed["errors"][0]["scope"] == "cloudasset:cspm-test-project"
    assert "GCP project cspm-test-project" in failed["errors"][0]["reason"]
    assert "PRIVATE KEY" not in str(failed)
