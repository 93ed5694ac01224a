"""Grouping findings by rule, CVE and resource, and the service and target filters, on real reports."""

from __future__ import annotations

import pytest

from cspm.core.database.registry import Database
from tests.exports.helpers import PROWLER, import_all, upload


@pytest.fixture
async def analyst(auth):
    return await auth.user(role="analyst")


async def groups(client, session, **params) -> dict:
    response = await client.get("/api/findings/groups", headers=session.headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def total(client, session, **params) -> int:
    response = await client.get("/api/findings/counts", headers=session.headers, params=params)
    return response.json()["total"]


async def test_groups_by_rule_cve_and_resource_add_up(client, analyst, shared_dir):
    await import_all(client, analyst, shared_dir)
    failing = await total(client, analyst)
    by_rule = await groups(client, analyst, by="rule", limit=500)
    assert sum(group["count"] for group in by_rule["groups"]) + by_rule["ungrouped"] == failing
    assert by_rule["total_groups"] == len(by_rule["groups"])
    counts = [group["count"] for group in by_rule["groups"]]
    assert counts == sorted(counts, reverse=True)
    prowler_rule = next(group for group in by_rule["groups"] if group["tool"] == "prowler")
    assert prowler_rule["label"] and sum(prowler_rule["by_severity"].values()) == prowler_rule["count"]
    assert await total(client, analyst, rule=prowler_rule["key"]) == prowler_rule["count"]

    by_cve = await groups(client, analyst, by="cve", limit=500)
    with_cves = await client.get("/api/findings", headers=analyst.headers, params={"limit": 500})
    items = with_cves.json()["items"]
    assert by_cve["ungrouped"] == sum(1 for item in items if not item["cve_ids"])
    assert sum(group["count"] for group in by_cve["groups"]) == sum(len(item["cve_ids"]) for item in items)
    top = by_cve["groups"][0]
    assert top["key"].startswith("CVE-")
    assert await total(client, analyst, cve=top["key"]) == top["count"]  # each group links to its list

    by_resource = await groups(client, analyst, by="resource", limit=2)
    assert len(by_resource["groups"]) == 2 and by_resource["total_groups"] > 2


async def test_service_filter_and_facet(client, analyst, shared_dir):
    await upload(client, analyst, shared_dir, PROWLER, "prowler", "aws")
    services = {group["key"]: group["count"] for group in (await groups(client, analyst, by="service"))["groups"]}
    assert set(services) == {"iam", "s3"}  # from the ARNs of the real Prowler report
    assert await total(client, analyst, service="s3") == services["s3"]
    assert await total(client, analyst, service="s3") + await total(client, analyst, service="iam") == \
        await total(client, analyst)
    items = (await client.get("/api/findings", headers=analyst.headers, params={"limit": 500})).json()["items"]
    regions = await groups(client, analyst, by="region")
    assert {group["key"]: group["count"] for group in regions["groups"]} == {
        region: sum(1 for item in items if item["resource"].get("region") == region)
        for region in {item["resource"].get("region") for item in items} if region}


async def test_target_filter_matches_the_scans_scope_keys(client, analyst, shared_dir, container):
    """A scan files findings under '<tool>:target:<id>:<part>': the target filter selects exactly those."""
    await upload(client, analyst, shared_dir, PROWLER, "prowler", "aws")
    findings = container.database.db(Database.SECURITY_SCANS)["findings"]
    some = await findings.find({"team_id": analyst.team_id, "resource.id": {"$regex": ":s3:"}}).to_list()
    for document in some:  # what a scan of target 64f0c0ffee would have written
        await findings.update_one({"_id": document["_id"]},
                                  {"$set": {"scope_key": "prowler:target:64f0c0ffee:aws-us-east-1"}})
    failing = sum(1 for document in some if document["result"] == "fail")
    assert await total(client, analyst, target="64f0c0ffee") == failing > 0
    assert await total(client, analyst, target="64f0c0ffe") == 0  # a prefix of the id is another target
    assert await total(client, analyst, target="x.*") == 0  # user text is escaped, not a pattern


async def test_bad_grouping_is_a_4xx_with_a_reason(client, analyst):
    wrong = await client.get("/api/findings/groups", headers=analyst.headers, params={"by": "colour"})
    assert wrong.status_code == 422 and "by" in wrong.text
    too_many = await client.get("/api/findings/groups", headers=analyst.headers, params={"limit": 501})
    assert too_many.status_code == 422
