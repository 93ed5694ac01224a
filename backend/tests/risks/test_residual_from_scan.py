"""Done-when: a residual risk that moved because a real scan import changed a control's state.

CRY-05 (encrypting data at rest) starts implemented by an assessment answer (the compliance
engine's attestation, as the assessments module records it). The real Prowler report then fails
s3_bucket_default_encryption on a bucket: the engine regresses CRY-05, and the risk treated with it
gets a higher computed residual, a history entry and a ``residual_raised`` event for its owner.
"""

from __future__ import annotations

from tests.risks.helpers import PROWLER_REAL, attest_implemented, create_risk, import_report


async def test_real_import_failing_a_control_raises_the_computed_residual(client, auth, container, shared_dir):
    owner = await auth.user(role="analyst")
    await attest_implemented(container, owner.team_id, "CRY-05")
    control = (await client.get("/api/compliance/controls/CRY-05", headers=owner.headers)).json()
    assert control["state"]["status"] == "implemented", control["state"]

    risk = await create_risk(client, owner, owner=owner.user_id)
    treated = await client.post(f"/api/risks/{risk['id']}/actions", headers=owner.headers,
                                json={"title": "Default encryption on every bucket", "owner": "platform team",
                                      "due_date": "2027-01-31", "scf_ids": ["CRY-05"]})
    assert treated.status_code == 201, treated.text
    before = treated.json()
    assert [(c["scf_id"], c["status"]) for c in before["computed_residual"]["controls"]] == [("CRY-05", "implemented")]
    assert before["computed_residual"]["controls"][0]["title"] == "Encrypting Data At Rest"
    assert (before["computed_residual"]["likelihood"], before["computed_residual"]["impact"]) == (1, 5)
    assert before["residual"]["score"] == before["computed_residual"]["score"] == 5
    assert before["status"] == "treated" and before["treatment"] == "mitigate"

    # The real Prowler run: the bucket's default encryption FAILs, the engine regresses CRY-05.
    await import_report(client, owner, shared_dir / "scans" / PROWLER_REAL[0] / PROWLER_REAL[1],
                        tool="prowler", scope="aws:123456789012")
    after = (await client.get(f"/api/risks/{risk['id']}", headers=owner.headers)).json()
    assert after["computed_residual"]["controls"][0]["status"] == "partially_implemented"
    assert (after["computed_residual"]["likelihood"], after["computed_residual"]["impact"]) == (2, 5)
    assert after["residual"]["score"] == 10 > before["residual"]["score"]
    assert after["residual_estimate"] is None  # the analyst gave none: the computed one is the residual

    moved = [entry for entry in after["history"] if entry["kind"] == "computed_residual"]
    assert len(moved) == 1 and moved[0]["reason"] == (
        "computed residual 5 (medium) → 10 (high): 0 of 1 linked controls implemented (CRY-05 partially "
        "implemented; coverage 50%): likelihood 4 → 2"), moved
    events = (await client.get("/api/risks/events", headers=owner.headers, params={"owner": owner.user_id})).json()
    assert [(event["kind"], event["risk_id"]) for event in events] == [("residual_raised", risk["id"])]
    assert events[0]["detail"].startswith("Customer data exposed from S3: computed residual 5 (medium) → 10")
    heat = (await client.get("/api/risks/heatmap", headers=owner.headers)).json()
    assert heat["inherent"][3][4] == 1
    assert heat["residual"][1][4] == 1 and heat["residual"][0][4] == 0
