"""Risk matrices: presets, validation, and re-scoring every risk when the matrix changes (audited)."""

from __future__ import annotations

from cspm.risks.matrix import cell, preset, rescale
from tests.risks.helpers import create_risk


def test_presets_and_rescaling_keep_the_ends_of_the_scale():
    five = preset(5)
    assert five["size"] == 5 and len(five["cells"]) == 5 and all(len(row) == 5 for row in five["cells"])
    assert cell(five, 5, 5)["level"] == "critical" and cell(five, 1, 1)["level"] == "low"
    assert [rescale(value, 5, 3) for value in range(1, 6)] == [1, 2, 2, 3, 3]
    assert [rescale(value, 3, 5) for value in range(1, 4)] == [2, 4, 5]
    assert len(preset(4)["likelihood_labels"]) == 4


async def test_changing_the_matrix_rescores_every_risk_and_is_audited(client, auth):
    admin = await auth.user(role="team_admin")
    analyst = await auth.user(role="analyst", team=admin)
    high = await create_risk(client, analyst, title="Ransomware on file servers", likelihood=5, impact=4)
    low = await create_risk(client, analyst, title="Laptop theft", likelihood=2, impact=1)
    assert high["inherent"]["level"] == "critical" and high["inherent"]["score"] == 20

    three = await client.put("/api/risks/matrix", headers=analyst.headers, json={"preset": 3})
    assert three.status_code == 200, three.text
    assert three.json()["size"] == 3 and three.json()["rescored"] == 2
    high_now = (await client.get(f"/api/risks/{high['id']}", headers=analyst.headers)).json()
    assert (high_now["inherent"]["likelihood"], high_now["inherent"]["impact"]) == (3, 3)
    assert high_now["inherent"]["level"] == "critical"
    assert high_now["history"][0]["reason"] == "matrix 5x5 → 3x3"
    assert high_now["history"][0]["changes"] == {"likelihood": [5, 3], "impact": [4, 3]}
    low_now = (await client.get(f"/api/risks/{low['id']}", headers=analyst.headers)).json()
    assert (low_now["inherent"]["likelihood"], low_now["inherent"]["impact"]) == (2, 1)
    too_big = await client.post("/api/risks", headers=analyst.headers,
                                json={"title": "x", "likelihood": 5, "impact": 1})
    assert too_big.status_code == 422 and "1..3 on the team's 3x3 matrix" in too_big.text

    # Custom levels: one cell relabelled; unknown levels and wrong shapes are refused with the reason.
    custom = {"size": 3, "likelihood_labels": ["L", "M", "H"], "impact_labels": ["l", "m", "h"],
              "levels": [{"name": "ok", "colour": "#00aa00"}, {"name": "act", "colour": "#dd0000"}],
              "cells": [["ok", "ok", "act"], ["ok", "act", "act"], ["act", "act", "act"]]}
    assert (await client.put("/api/risks/matrix", headers=analyst.headers, json=custom)).status_code == 200
    shown = (await client.get(f"/api/risks/{high['id']}", headers=analyst.headers)).json()
    assert shown["inherent"]["level"] == "act" and shown["inherent"]["colour"] == "#dd0000"
    bad = await client.put("/api/risks/matrix", headers=analyst.headers,
                           json={**custom, "cells": [["ok", "nope", "ok"], ["ok"] * 3, ["ok"] * 3]})
    assert bad.status_code == 422 and "unknown levels: nope" in bad.text
    assert (await client.put("/api/risks/matrix", headers=analyst.headers, json={"size": 4})).status_code == 200
    assert (await client.put("/api/risks/matrix", headers=analyst.headers, json={})).status_code == 422

    audit = await client.get("/api/audit/events", headers=admin.headers, params={"action": "risk.matrix_changed"})
    changes = [e for e in audit.json()["items"] if e["action"] == "risk.matrix_changed"]
    assert len(changes) == 3
    assert {(e["details"]["from_size"], e["details"]["to_size"]) for e in changes} == {(5, 3), (3, 3), (3, 4)}

    viewer = await auth.user(role="viewer", team=admin)
    assert (await client.put("/api/risks/matrix", headers=viewer.headers, json={"preset": 5})).status_code == 403
    heat = (await client.get("/api/risks/heatmap", headers=viewer.headers)).json()
    assert heat["size"] == 4 and sum(map(sum, heat["inherent"])) == 2
    clicked = (await client.get("/api/risks", headers=viewer.headers, params={
        "cell": "inherent", "likelihood": 4, "impact": 4})).json()
    assert [risk["title"] for risk in clicked["risks"]] == ["Ransomware on file servers"]
