"""/api/cloud-accounts through the real app and real authentication."""

from __future__ import annotations

from .conftest import SECRET_KEY, aws_keys, moto_iam_user

URL = "/api/cloud-accounts"


async def test_crud_never_returns_credentials(client, auth):
    analyst = await auth.user(role="analyst")
    created = await client.post(URL, json=aws_keys(), headers=analyst.headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["provider"] == "aws" and body["has_credentials"] is True
    assert SECRET_KEY not in created.text and "AKIAIOSFODNN7EXAMPLE" not in created.text
    account_id = body["id"]
    listed = await client.get(URL, headers=analyst.headers)
    assert [item["id"] for item in listed.json()] == [account_id] and SECRET_KEY not in listed.text
    renamed = await client.patch(f"{URL}/{account_id}", json={"name": "production"}, headers=analyst.headers)
    assert renamed.json()["name"] == "production"
    assert (await client.delete(f"{URL}/{account_id}", headers=analyst.headers)).status_code == 204
    assert (await client.get(f"{URL}/{account_id}", headers=analyst.headers)).status_code == 404


async def test_bad_input_is_a_422_naming_the_field_and_stores_nothing(client, auth):
    analyst = await auth.user(role="analyst")
    response = await client.post(URL, json={**aws_keys(), "secret_access_key": "short"}, headers=analyst.headers)
    assert response.status_code == 422
    assert "secret_access_key must be 40 characters" in response.text
    assert SECRET_KEY not in response.text
    assert (await client.get(URL, headers=analyst.headers)).json() == []


async def test_permissions_and_authentication(client, auth):
    analyst = await auth.user(role="analyst")
    viewer = await auth.user(role="viewer", team=analyst)
    assert (await client.get(URL)).status_code == 401
    assert (await client.post(URL, json=aws_keys(), headers=viewer.headers)).status_code == 403
    created = await client.post(URL, json=aws_keys(), headers=analyst.headers)
    assert (await client.get(URL, headers=viewer.headers)).status_code == 200
    assert (await client.post(f"{URL}/{created.json()['id']}/test", headers=viewer.headers)).status_code == 403


async def test_team_isolation_through_every_route(client, auth):
    alice = await auth.user(role="analyst")
    mallory = await auth.user(role="team_admin")
    account_id = (await client.post(URL, json=aws_keys(), headers=alice.headers)).json()["id"]
    assert (await client.get(URL, headers=mallory.headers)).json() == []
    for method, path, body in (("GET", f"{URL}/{account_id}", None), ("PATCH", f"{URL}/{account_id}", {"name": "x"}),
                               ("PUT", f"{URL}/{account_id}/credentials", aws_keys()),
                               ("POST", f"{URL}/{account_id}/test", None), ("DELETE", f"{URL}/{account_id}", None)):
        response = await client.request(method, path, json=body, headers=mallory.headers)
        assert response.status_code == 404, (method, path, response.text)
    # Alice's own headers naming Mallory's team: not a member, refused.
    assert (await client.get(URL, headers=alice.for_team(mallory.team_id))).status_code == 403
    assert (await client.get(f"{URL}/{account_id}", headers=alice.headers)).json()["name"] == "prod"


async def test_connection_test_route_against_moto(client, auth, moto_endpoint, use_endpoint):
    use_endpoint(moto_endpoint)
    analyst = await auth.user(role="analyst")
    key_id, secret = moto_iam_user(moto_endpoint)
    created = await client.post(URL, json={**aws_keys("moto"), "access_key_id": key_id, "secret_access_key": secret},
                                headers=analyst.headers)
    tested = await client.post(f"{URL}/{created.json()['id']}/test", headers=analyst.headers)
    assert tested.status_code == 200 and tested.json()["ok"] is True, tested.text
    assert secret not in tested.text
    shown = await client.get(f"{URL}/{created.json()['id']}", headers=analyst.headers)
    assert shown.json()["last_test"]["ok"] is True
