"""Assessments through the API: create, answer, evidence, progress, lock and reopen, exports."""

from __future__ import annotations

import csv
import hashlib
import io

from tests.assessments.conftest import web_target

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def create(client, session, **body) -> dict:
    payload = {"template": "owasp-asvs-5.0.0", "name": "shop ASVS", "level": 2, **body}
    response = await client.post("/api/assessments", headers=session.headers, json=payload)
    assert response.status_code == 201, response.text
    return response.json()


async def test_templates_list_the_counts(client, auth):
    analyst = await auth.user(role="analyst")
    response = await client.get("/api/assessments/templates", headers=analyst.headers)
    assert response.status_code == 200
    templates = {template["id"]: template for template in response.json()}
    assert templates["owasp-asvs-5.0.0"]["counts"]["requirements"] == 345
    assert templates["owasp-asvs-5.0.0"]["counts"]["by_level"] == {"1": 70, "2": 183, "3": 92}
    assert templates["nist-csf-2.0"]["counts"]["requirements"] == 106
    assert len(templates["nist-csf-2.0"]["tiers"]) == 4


async def test_levels_scope_the_requirements(client, auth):
    analyst = await auth.user(role="analyst")
    sizes = [(await create(client, analyst, level=level, name=f"L{level}"))["progress"]["in_scope"]
             for level in (1, 2, 3)]
    assert sizes == [70, 70 + 183, 70 + 183 + 92]
    csf = await create(client, analyst, template="nist-csf-2.0", level=None, name="profile",
                       target_profile={"default_tier": 3, "tiers": {"GV.RM-01": 4}})
    assert csf["progress"]["in_scope"] == 106
    assert [group["id"] for group in csf["groups"]] == ["GV", "ID", "PR", "DE", "RS", "RC"]


async def test_bad_requests_say_why_and_store_nothing(client, auth):
    analyst = await auth.user(role="analyst")
    for body, words in [
        ({"template": "owasp-asvs-5.0.0", "name": "x"}, "needs a level"),
        ({"template": "nist-csf-2.0", "name": "x", "level": 2}, "level is for ASVS"),
        ({"template": "nist-csf-2.0", "name": "x", "target_profile": {"tiers": {"XX.YY-01": 2}}}, "not subcategories"),
        ({"template": "owasp-asvs-5.0.0", "name": "x", "level": 1, "scope": {"target_ids": ["0" * 24]}},
         "not found in this team"),
    ]:
        response = await client.post("/api/assessments", headers=analyst.headers, json=body)
        assert response.status_code == 422, response.text
        assert words in response.text
    assert (await client.get("/api/assessments", headers=analyst.headers)).json() == []
    assessment = await create(client, analyst, level=1)
    url = f"/api/assessments/{assessment['id']}/requirements"
    not_applicable = await client.put(f"{url}/V1.2.1", headers=analyst.headers, json={"answer": "not_applicable"})
    assert not_applicable.status_code == 422 and "reason" in not_applicable.text
    above_level = await client.put(f"{url}/V1.1.1", headers=analyst.headers, json={"answer": "met"})
    assert above_level.status_code == 422 and "level 2 above the assessment's L1" in above_level.text
    unknown = await client.put(f"{url}/V99.1.1", headers=analyst.headers, json={"answer": "met"})
    assert unknown.status_code == 404
    tier = await client.put(f"{url}/V1.2.1", headers=analyst.headers, json={"answer": "met", "tier": 2})
    assert tier.status_code == 422 and "tier is for NIST CSF" in tier.text


async def test_answers_move_progress_and_keep_history(client, auth):
    analyst = await auth.user(role="analyst")
    assessment = await create(client, analyst, level=2)
    base = f"/api/assessments/{assessment['id']}"
    first = await client.put(f"{base}/requirements/V6.2.1", headers=analyst.headers,
                             json={"answer": "met", "notes": "passwords ≥ 8 characters, checked in review"})
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["requirement"]["answer"] == "met"
    assert body["requirement"]["answered_by"] == analyst.email
    assert body["progress"] == {"answered": 1, "in_scope": 253, "percent": 0.4}
    await client.put(f"{base}/requirements/V6.2.1", headers=analyst.headers, json={"answer": "partially_met"})
    na = await client.put(f"{base}/requirements/V1.1.1", headers=analyst.headers,
                          json={"answer": "not_applicable", "reason": "no decoding of user input anywhere"})
    assert na.status_code == 200
    detail = (await client.get(base, headers=analyst.headers)).json()
    assert detail["status"] == "in_progress"  # the first answer starts a draft
    assert detail["progress"]["answered"] == 2
    v6 = next(group for group in detail["scores"]["groups"] if group["id"] == "V6")
    assert v6["partially_met"] == 1 and v6["unanswered"] == v6["in_scope"] - 1
    one = (await client.get(f"{base}/requirements/V6.2.1", headers=analyst.headers)).json()
    assert [entry["after"]["answer"] for entry in one["history"]] == ["partially_met", "met"]
    assert one["history"][0]["before"]["answer"] == "met"
    unanswered = (await client.get(f"{base}/requirements", headers=analyst.headers,
                                   params={"group": "V6", "state": "unanswered", "limit": 400})).json()
    assert unanswered["total"] == v6["in_scope"] - 1
    assert "V6.2.1" not in {item["ref"] for item in unanswered["items"]}
    level_one = (await client.get(f"{base}/requirements", headers=analyst.headers,
                                  params={"level": 1, "limit": 400})).json()
    assert level_one["total"] == 70
    bulk = await client.post(f"{base}/answers", headers=analyst.headers, json={"answers": [
        {"ref": "V6.2.2", "answer": "met"}, {"ref": "V6.2.3", "answer": "not_met"}]})
    assert bulk.status_code == 200, bulk.text
    assert bulk.json()["progress"]["answered"] == 4
    cleared = await client.put(f"{base}/requirements/V6.2.3", headers=analyst.headers, json={"answer": None})
    assert cleared.json()["progress"]["answered"] == 3


async def test_viewer_reads_but_cannot_answer(client, auth):
    analyst = await auth.user(role="analyst")
    viewer = await auth.user(role="viewer", team=analyst)
    assessment = await create(client, analyst, level=1)
    assert (await client.get(f"/api/assessments/{assessment['id']}", headers=viewer.headers)).status_code == 200
    response = await client.put(f"/api/assessments/{assessment['id']}/requirements/V1.2.1", headers=viewer.headers,
                                json={"answer": "met"})
    assert response.status_code == 403


async def test_evidence_upload_checks_type_size_and_keeps_the_hash(client, auth):
    analyst = await auth.user(role="analyst")
    assessment = await create(client, analyst, level=1)
    url = f"/api/assessments/{assessment['id']}/evidence"
    uploaded = await client.post(url, headers=analyst.headers, data={"ref": "V1.2.1"},
                                 files={"file": ("screenshot.png", PNG, "image/png")})
    assert uploaded.status_code == 201, uploaded.text
    evidence = uploaded.json()
    assert evidence["sha256"] == hashlib.sha256(PNG).hexdigest() and evidence["size"] == len(PNG)
    again = await client.post(url, headers=analyst.headers, data={"ref": "V1.2.1"},
                              files={"file": ("same.png", PNG, "image/png")})
    assert again.json()["id"] == evidence["id"], "the same file on the same requirement is stored once"
    disguised = await client.post(url, headers=analyst.headers, data={"ref": "V1.2.1"},
                                  files={"file": ("report.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")})
    assert disguised.status_code == 422 and "does not start like a .pdf" in disguised.text
    executable = await client.post(url, headers=analyst.headers, files={"file": ("tool.exe", b"MZ", "x")})
    assert executable.status_code == 422 and "not an accepted evidence type" in executable.text
    too_big = await client.post(url, headers=analyst.headers,
                                files={"file": ("big.txt", b"a" * (16 * 1024 * 1024 + 10), "text/plain")})
    assert too_big.status_code == 413
    link = await client.post(url, headers=analyst.headers,
                             data={"ref": "V1.2.1", "url": "https://wiki.example.com/encoding", "title": "design"})
    assert link.status_code == 201 and link.json()["kind"] == "link"
    download = await client.get(f"{url}/{evidence['id']}", headers=analyst.headers)
    assert download.status_code == 200 and download.content == PNG
    assert download.headers["content-type"] == "image/png"
    assert "attachment" in download.headers["content-disposition"]
    requirement = (await client.get(f"/api/assessments/{assessment['id']}/requirements/V1.2.1",
                                    headers=analyst.headers)).json()
    assert {entry["kind"] for entry in requirement["evidence"]} == {"file", "link"}
    assert (await client.delete(f"{url}/{evidence['id']}", headers=analyst.headers)).status_code == 204
    assert len((await client.get(url, headers=analyst.headers)).json()) == 1


async def test_completion_locks_answers_and_reopening_is_audited(client, auth):
    admin = await auth.user(role="team_admin")
    assessment = await create(client, admin, level=1)
    base = f"/api/assessments/{assessment['id']}"
    early = await client.post(f"{base}/status", headers=admin.headers, json={"status": "completed"})
    assert early.status_code == 409  # a draft goes to in_progress first
    refs = [item["ref"] for item in (await client.get(f"{base}/requirements", headers=admin.headers,
                                                      params={"limit": 400})).json()["items"]]
    answers = [{"ref": ref, "answer": "met"} for ref in refs[:-1]]
    assert (await client.post(f"{base}/answers", headers=admin.headers, json={"answers": answers})).status_code == 200
    missing = await client.post(f"{base}/status", headers=admin.headers, json={"status": "completed"})
    assert missing.status_code == 409 and "1 requirement(s)" in missing.text
    await client.put(f"{base}/requirements/{refs[-1]}", headers=admin.headers,
                     json={"answer": "not_applicable", "reason": "no such interface"})
    review = await client.post(f"{base}/status", headers=admin.headers, json={"status": "in_review"})
    assert review.json()["status"] == "in_review"
    done = await client.post(f"{base}/status", headers=admin.headers, json={"status": "completed"})
    assert done.status_code == 200 and done.json()["completed_at"]
    locked = await client.put(f"{base}/requirements/{refs[0]}", headers=admin.headers, json={"answer": "not_met"})
    assert locked.status_code == 409 and "locked" in locked.text
    upload = await client.post(f"{base}/evidence", headers=admin.headers,
                               files={"file": ("note.txt", b"late", "text/plain")})
    assert upload.status_code == 409
    no_reason = await client.post(f"{base}/status", headers=admin.headers, json={"status": "in_progress"})
    assert no_reason.status_code == 422
    reopened = await client.post(f"{base}/status", headers=admin.headers,
                                 json={"status": "in_progress", "reason": "auditor asked for V1 again"})
    assert reopened.status_code == 200 and reopened.json()["status"] == "in_progress"
    assert (await client.put(f"{base}/requirements/{refs[0]}", headers=admin.headers,
                             json={"answer": "not_met"})).status_code == 200
    events = (await client.get("/api/audit/events", headers=admin.headers, params={"limit": 50})).json()["items"]
    reopen = [event for event in events if event["action"] == "assessments.reopened"]
    assert reopen and reopen[0]["details"]["reason"] == "auditor asked for V1 again"
    assert any(event["action"] == "assessments.status_changed" and event["details"]["to"] == "completed"
               for event in events)


async def test_exports(client, auth):
    analyst = await auth.user(role="analyst")
    target = await web_target(client, analyst)
    assessment = await create(client, analyst, level=1, scope={"description": "the shop", "target_ids": [target]})
    base = f"/api/assessments/{assessment['id']}"
    await client.put(f"{base}/requirements/V1.2.1", headers=analyst.headers, json={"answer": "met", "notes": "ok"})
    as_csv = await client.get(f"{base}/export", headers=analyst.headers, params={"format": "csv"})
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert len(rows) == 70
    assert next(row for row in rows if row["ref"] == "V1.2.1")["answer"] == "met"
    as_json = (await client.get(f"{base}/export", headers=analyst.headers)).json()
    assert as_json["assessment"]["scope"]["targets"][0]["name"] == "bodgeit shop"
    assert len(as_json["requirements"]) == 70 and "CC BY-SA 4.0" in as_json["framework"]["licence"]
    as_pdf = await client.get(f"{base}/export", headers=analyst.headers, params={"format": "pdf"})
    assert as_pdf.status_code == 200 and as_pdf.content.startswith(b"%PDF-")
    assert (await client.get(f"{base}/export", headers=analyst.headers,
                             params={"format": "docx"})).status_code == 422


async def test_module_switch_turns_the_routes_off(client, auth):
    admin = await auth.user(role="team_admin")
    response = await client.put("/api/teams/active/modules/assessments", headers=admin.headers,
                                json={"enabled": False})
    assert response.status_code == 200, response.text
    blocked = await client.get("/api/assessments", headers=admin.headers)
    assert blocked.status_code == 403 and "Assessments" in blocked.text
