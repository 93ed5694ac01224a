"""Audit events of the scanning domains: targets, scans, imports and triage carry who, what and the
names a reader recognises (not bare ids)."""

from __future__ import annotations

from cspm.core.database.registry import Database


async def events(container, action: str) -> list[dict]:
    collection = container.database.db(Database.PLATFORM)["audit_events"]
    return await collection.find({"action": action}).sort("at", 1).to_list()


async def test_target_changes_and_scan_launches_are_audited_with_the_target_name(client, auth, container):
    analyst = await auth.user(role="analyst")
    created = await client.post("/api/targets", headers=analyst.headers, json={
        "name": "web image", "kind": "container_image", "value": "alpine:3.19", "tools": ["grype"]})
    assert created.status_code == 201, created.text
    target_id = created.json()["id"]
    assert (await client.patch(f"/api/targets/{target_id}", headers=analyst.headers,
                               json={"name": "web image (prod)"})).status_code == 200
    launched = await client.post("/api/scans", headers=analyst.headers, json={"target_id": target_id})
    assert launched.status_code in (200, 201, 202), launched.text
    assert (await client.delete(f"/api/targets/{target_id}", headers=analyst.headers)).status_code == 204

    [create] = await events(container, "target.created")
    assert (create["actor_id"], create["team_id"]) == (analyst.user_id, analyst.team_id)
    assert (create["target_type"], create["target_id"], create["target_name"]) == ("target", target_id, "web image")
    assert create["details"]["value"] == "alpine:3.19" and create["details"]["tools"] == ["grype"]
    [update] = await events(container, "target.updated")
    assert update["target_name"] == "web image (prod)"
    assert update["details"] == {"changed": ["name"], "renamed_from": "web image"}
    [launch] = await events(container, "scan.launched")
    assert launch["target_name"] == "web image (prod)" and launch["details"]["run_id"] == launched.json()["run_id"]
    assert launch["details"]["tools"] == ["grype"] and launch["details"]["trigger"] == "manual"
    [delete] = await events(container, "target.deleted")
    assert delete["target_name"] == "web image (prod)" and delete["actor_id"] == analyst.user_id

    listed = (await client.get("/api/audit/events", headers=(await auth.user(role="team_admin", team=analyst)).headers,
                               params={"action": "target."})).json()["items"]
    assert {item["target_name"] for item in listed} == {"web image", "web image (prod)"}


async def test_every_import_is_audited_with_tool_scope_and_counts(client, auth, container, shared_dir):
    analyst = await auth.user(role="analyst")
    with (shared_dir / "scans/trivy/scheme_2_many_vulns.json").open("rb") as report:
        imported = await client.post("/api/findings/import", headers=analyst.headers, files={"file": report})
    assert imported.status_code == 201, imported.text
    refused = await client.post("/api/findings/import", headers=analyst.headers, data={"tool": "trivy"},
                                files={"file": ("broken.json", b'{"SchemaVersion": 2, "Results": [')})
    assert refused.status_code == 422

    success, failure = await events(container, "finding.report_imported")
    assert (success["outcome"], success["actor_id"], success["team_id"]) == ("success", analyst.user_id,
                                                                             analyst.team_id)
    assert success["target_id"] == imported.json()["run_id"] and success["target_name"] == "trivy report"
    assert success["details"]["tool"] == "trivy" and success["details"]["counts"]["new"] == 5
    assert success["details"]["scope_keys"] == ["trivy:report:container_image:teamdojo:latest"]
    assert success["ip"]
    assert failure["outcome"] == "failure" and "trivy report rejected" in failure["details"]["error"]


async def test_a_status_change_names_the_finding(client, auth, container, shared_dir):
    analyst = await auth.user(role="analyst")
    with (shared_dir / "scans/trivy/scheme_2_many_vulns.json").open("rb") as report:
        await client.post("/api/findings/import", headers=analyst.headers, files={"file": report})
    item = (await client.get("/api/findings", headers=analyst.headers, params={"limit": 1})).json()["items"][0]
    changed = await client.patch(f"/api/findings/{item['id']}/status", headers=analyst.headers,
                                 json={"status": "false_positive", "reason": "test fixture"})
    assert changed.status_code == 200, changed.text
    [event] = await events(container, "finding.status_changed")
    assert (event["target_id"], event["target_name"]) == (item["id"], item["title"])
