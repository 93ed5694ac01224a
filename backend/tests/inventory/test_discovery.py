"""Discovery against the moto server: create resources with boto3, discover, change, delete, diff."""

from __future__ import annotations

import uuid

import boto3
import pytest

from tests.cloud_accounts.conftest import moto_iam_user

pytestmark = pytest.mark.slow


def _client(endpoint: str, service: str, key: tuple[str, str]):
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key[0],
                        aws_secret_access_key=key[1])


async def _account(container, key: tuple[str, str], team: str = "team-a", endpoint: str | None = None) -> str:
    from cspm.cloud_accounts.models import AwsAccountCreate
    from cspm.cloud_accounts.service import CloudAccountService

    request = AwsAccountCreate(name=f"moto-{uuid.uuid4().hex[:6]}", account_id="123456789012",
                               auth_method="access_keys", access_key_id=key[0], secret_access_key=key[1],
                               regions=["us-east-1"], endpoint_url=endpoint)
    account = await container.resolve(CloudAccountService).create(team_id=team, user_id="u1", request=request)
    return account.id


async def test_discover_change_delete_and_diff(container, moto_endpoint, dead_endpoint, inventory_for):
    # The platform-wide endpoint is dead: discovery reaches moto through the account's own endpoint_url.
    inventory = inventory_for(dead_endpoint, batch_size=50)
    key = moto_iam_user(moto_endpoint)
    suffix = uuid.uuid4().hex[:8]
    ec2, s3 = _client(moto_endpoint, "ec2", key), _client(moto_endpoint, "s3", key)
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    group = ec2.create_security_group(GroupName=f"web-{suffix}", Description="web", VpcId=vpc)["GroupId"]
    bucket = f"inventory-{suffix}"
    s3.create_bucket(Bucket=bucket)
    account_id = await _account(container, key, endpoint=moto_endpoint)

    first = await inventory.discover(team_id="team-a", account_id=account_id, actor="u1")
    assert first["state"] == "succeeded", first["errors"]
    assert first["counts"]["added"] == first["counts"]["total"] > 3
    sg_arn = f"arn:aws:ec2:us-east-1:123456789012:security-group/{group}"
    assets = await inventory.list_assets(team_id="team-a", resource_type="aws:ec2:security-group", account_id=None,
                                         region=None, q=group, include_removed=False, offset=0, limit=10)
    assert [asset["resource_id"] for asset in assets["items"]] == [sg_arn]

    ec2.authorize_security_group_ingress(GroupId=group, IpProtocol="tcp", FromPort=22, ToPort=22,
                                         CidrIp="0.0.0.0/0")
    s3.delete_bucket(Bucket=bucket)
    second = await inventory.discover(team_id="team-a", account_id=account_id, actor="u1")
    assert second["state"] == "succeeded"
    diff = await inventory.run_detail(team_id="team-a", run_id=second["run_id"], kind=None, offset=0, limit=500)
    by_resource = {change["resource_id"]: change for change in diff["changes"]}
    assert by_resource[f"arn:aws:s3:::{bucket}"]["kind"] == "removed"
    changed = by_resource[sg_arn]
    assert changed["kind"] == "changed"
    assert changed["fields"] == [{"field": "attributes.ingress", "before": [],
                                  "after": ["tcp:22-22:0.0.0.0/0"]}]
    assert second["counts"]["changed"] == 1 and second["counts"]["removed"] == 1
    assert second["counts"]["unchanged"] == first["counts"]["total"] - 2

    detail = await inventory.asset_detail(team_id="team-a", asset_id=changed["asset_id"])
    assert [event["kind"] for event in detail["timeline"]] == ["changed", "added"]
    removed = await inventory.list_assets(team_id="team-a", resource_type="aws:s3:bucket", account_id=None,
                                          region=None, q=bucket, include_removed=True, offset=0, limit=10)
    assert removed["items"][0]["removed_at"] is not None
    # another team sees nothing of it
    assert (await inventory.list_assets(team_id="team-b", resource_type=None, account_id=None, region=None, q=None,
                                        include_removed=True, offset=0, limit=10))["total"] == 0
