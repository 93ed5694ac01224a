"""GCP and Azure discovery end to end, against local stand-ins of Google's and Microsoft's APIs
(tests/inventory/cloud_standins.py; the real services cannot be reached from here): the real
google-auth and azure-identity libraries sign in, the collectors page, and the second run is a diff."""

from __future__ import annotations

import json
import uuid

import pytest

from cspm.cloud_accounts.models import AzureAccountCreate, GcpAccountCreate
from cspm.cloud_accounts.service import CloudAccountService
from cspm.inventory.service import InventoryService
from cspm.inventory.settings import InventorySettings
from tests.inventory.cloud_standins import AzureStandIn, GcpStandIn, azure_resource, gcp_asset, self_signed_tls

PROJECT = "cspm-test-project"
TENANT, CLIENT = str(uuid.uuid4()), str(uuid.uuid4())
SUBSCRIPTION = str(uuid.uuid4())


def _inventory(container, **settings) -> InventoryService:
    container.override(InventorySettings, InventorySettings(write_batch_size=10, request_timeout_seconds=10,
                                                            **settings))
    container.override(InventoryService, InventoryService.build(container))
    return container.resolve(InventoryService)


async def _changes(inventory: InventoryService, run_id: str) -> dict[str, dict]:
    detail = await inventory.run_detail(team_id="team-a", run_id=run_id, kind=None, offset=0, limit=100)
    return {change["resource_id"]: change for change in detail["changes"] if change["kind"] != "added"}


@pytest.fixture
def gcp(gcp_key):
    standin = GcpStandIn(json.loads(gcp_key))
    yield standin
    standin.stop()


async def test_gcp_discovery_signs_in_pages_and_diffs(container, gcp, gcp_key):
    inventory = _inventory(container, gcp_asset_api_url=f"{gcp.url}/v1")
    firewall = gcp_asset(PROJECT, "compute.googleapis.com/Firewall", "allow-ssh",
                         {"direction": "INGRESS", "sourceRanges": ["10.0.0.0/8"]}, "global")
    vms = [gcp_asset(PROJECT, "compute.googleapis.com/Instance", f"vm-{n}",
                     {"status": "RUNNING", "labels": {"env": "prod"}}, "europe-west1-b") for n in range(11)]
    topic = {"name": f"//pubsub.googleapis.com/projects/{PROJECT}/topics/t", "assetType": "pubsub.googleapis.com/Topic",
             "resource": {"data": {"name": "t"}}}  # not a core type: the asset types asked for leave it out
    gcp.assets[f"projects/{PROJECT}"] = [firewall, *vms, topic]
    account = await container.resolve(CloudAccountService).create(team_id="team-a", user_id="u1", request=(
        GcpAccountCreate(name="gcp", service_account_key=json.dumps(gcp.key_for(json.loads(gcp_key))))))

    first = await inventory.discover(team_id="team-a", account_id=account.id, actor="u1")
    assert first["state"] == "succeeded", first["errors"]
    assert first["counts"]["added"] == 12 and first["source"] == "gcp-cloud-asset"
    assert [path for method, path in gcp.http.requests].count(f"/v1/projects/{PROJECT}/assets") == 2  # two pages
    assets = await inventory.list_assets(team_id="team-a", resource_type="gcp:compute.googleapis.com/Firewall",
                                         account_id=account.id, region=None, q=None, include_removed=False,
                                         offset=0, limit=10)
    assert [(item["name"], item["region"]) for item in assets["items"]] == [("allow-ssh", "global")]

    firewall["resource"]["data"]["sourceRanges"] = ["0.0.0.0/0"]
    gcp.assets[f"projects/{PROJECT}"].remove(vms[0])
    second = await inventory.discover(team_id="team-a", account_id=account.id, actor="u1")
    assert second["counts"] | {"total": 0} == {"added": 0, "changed": 1, "removed": 1, "unchanged": 10, "total": 0}
    changes = await _changes(inventory, second["run_id"])
    assert changes[firewall["name"]]["fields"] == [
        {"field": "attributes.sourceRanges", "before": ["10.0.0.0/8"], "after": ["0.0.0.0/0"]}]
    assert changes[vms[0]["name"]]["kind"] == "removed"
    # The Prowler-style short name of a GCP resource resolves to the asset.
    resolved = await inventory.resolve(team_id="team-a", resource_id=f"projects/{PROJECT}/firewalls/allow-ssh")
    assert [asset["name"] for asset in resolved] == ["allow-ssh"]


async def test_gcp_refusals_fail_the_run_with_googles_reason(container, gcp, gcp_key):
    inventory = _inventory(container, gcp_asset_api_url=f"{gcp.url}/v1")
    accounts = container.resolve(CloudAccountService)
    key = gcp.key_for(json.loads(gcp_key))
    forged = {**key, "client_email": "someone-else@cspm-test-project.iam.gserviceaccount.com"}
    account = await accounts.create(team_id="team-a", user_id="u1", request=GcpAccountCreate(
        name="forged", service_account_key=json.dumps(forged)))
    run = await inventory.discover(team_id="team-a", account_id=account.id, actor="u1")
    assert run["state"] == "failed"
    assert "invalid_grant" in run["errors"][0]["reason"] and "PRIVATE KEY" not in str(run)
    account = await accounts.create(team_id="team-a", user_id="u1", request=GcpAccountCreate(
        name="no access", service_account_key=json.dumps(key), project_ids=["someone-elses"]))
    run = await inventory.discover(team_id="team-a", account_id=account.id, actor="u1")
    assert run["state"] == "failed"
    assert run["errors"][0]["scope"] == "cloudasset:someone-elses"
    assert "HTTP 403" in run["errors"][0]["reason"] and "PERMISSION_DENIED" in run["errors"][0]["reason"]


@pytest.fixture
def azure(tmp_path, monkeypatch):
    ca_file, context = self_signed_tls(tmp_path / "tls")
    # How an operator trusts a private CA: requests (azure-identity) and httpx (Resource Manager) read these.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca_file))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    standin = AzureStandIn(context, TENANT, CLIENT, "the-client-secret")
    yield standin
    standin.stop()


def _azure_account(secret: str) -> AzureAccountCreate:
    return AzureAccountCreate(name=f"azure-{uuid.uuid4().hex[:4]}", tenant_id=TENANT, client_id=CLIENT,
                              client_secret=secret, subscription_ids=[SUBSCRIPTION])


async def test_azure_discovery_signs_in_pages_and_diffs(container, azure):
    inventory = _inventory(container, azure_authority_host=azure.url, azure_management_url=azure.url,
                           azure_instance_discovery=False)
    nsg = azure_resource(SUBSCRIPTION, "web", "Microsoft.Network/networkSecurityGroups", "web-nsg", "westeurope",
                         tags={"env": "prod"})
    vm = azure_resource(SUBSCRIPTION, "web", "Microsoft.Compute/virtualMachines", "web-1", "westeurope",
                        provisioningState="Succeeded")
    disk = azure_resource(SUBSCRIPTION, "web", "Microsoft.Compute/disks", "web-1-os", "westeurope")  # not core
    vault = azure_resource(SUBSCRIPTION, "sec", "Microsoft.KeyVault/vaults", "secrets", "northeurope")
    azure.resources[SUBSCRIPTION] = [nsg, vm, disk, vault]
    account = await container.resolve(CloudAccountService).create(team_id="team-a", user_id="u1",
                                                                  request=_azure_account("the-client-secret"))

    first = await inventory.discover(team_id="team-a", account_id=account.id, actor="u1")
    assert first["state"] == "succeeded", first["errors"]
    assert first["counts"]["added"] == 3 and first["source"] == "azure-arm"
    assert [path for _, path in azure.http.requests].count(f"/subscriptions/{SUBSCRIPTION}/resources") == 2

    nsg["tags"] = {"env": "staging"}
    azure.resources[SUBSCRIPTION].remove(vault)
    second = await inventory.discover(team_id="team-a", account_id=account.id, actor="u1")
    assert second["state"] == "succeeded", second["errors"]
    changes = await _changes(inventory, second["run_id"])
    assert changes[nsg["id"]]["fields"] == [{"field": "tags.env", "before": "prod", "after": "staging"}]
    assert changes[vault["id"]]["kind"] == "removed"
    # Azure ids resolve whatever their case (tools write them in lower case).
    resolved = await inventory.resolve(team_id="team-a", resource_id=vm["id"].lower())
    assert [asset["name"] for asset in resolved] == ["web-1"]


async def test_azure_wrong_secret_fails_the_run_with_entra_ids_reason(container, azure):
    inventory = _inventory(container, azure_authority_host=azure.url, azure_management_url=azure.url,
                           azure_instance_discovery=False)
    account = await container.resolve(CloudAccountService).create(team_id="team-a", user_id="u1",
                                                                  request=_azure_account("not-the-secret"))
    run = await inventory.discover(team_id="team-a", account_id=account.id, actor="u1")
    assert run["state"] == "failed"
    assert run["errors"][0]["scope"] == f"arm:{SUBSCRIPTION}"
    assert "AADSTS7000215" in run["errors"][0]["reason"] and "not-the-secret" not in str(run)
