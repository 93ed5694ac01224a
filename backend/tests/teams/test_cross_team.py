"""Tenancy on every route registered in the app, generated from ``app.routes``.

Nothing here names a route: routes other modules add later are covered automatically.

1. Without credentials every non-public route answers 401 (self-authenticating public
   modules such as signed webhooks may answer 401 or 403).
2. With valid credentials (a session or an API token) naming a team the caller does not
   belong to in ``X-Team-ID``, every non-public route answers 403 or 404.
3. Team A is filled with data: through the routes of this module, through schema-generated
   valid requests to every creating route of every module (schemathesis, positive mode),
   and through any ``tests/<module>/tenancy_seed.py`` that defines
   ``async def seed(client, session) -> None`` (the way for a module to put realistic data
   in team A, e.g. an imported report). Then team B's admin (session and API token):
   - calls every route with path parameters with the ids of team A's documents (found in
     every database by ``team_id``) and must never get a 2xx;
   - reads every list route and must never see an id of team A;
   and afterwards every document of team A is unchanged.
"""

from __future__ import annotations

import asyncio
import importlib
import pkgutil
import re
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from fastapi.routing import iter_route_contexts
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.core import NotSet

import tests
from cspm.api import ROUTE_MODULES
from cspm.auth.permissions import TOKEN_GRANTABLE_PERMISSIONS
from cspm.core.database.registry import Database

PATH_PARAM = re.compile(r"\{([^}:]+)(?::[^}]+)?\}")
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Routes that would end the seeding user's own session or change their credentials.
SESSION_ENDING = re.compile(r"^/api/auth/(logout|logout-all|password|mfa/.*)$")
MAX_IDS_PER_ROUTE = 24
EXAMPLES_PER_OPERATION = 5


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    module: str
    public: bool
    self_authenticating: bool

    @property
    def params(self) -> list[str]:
        return PATH_PARAM.findall(self.path)

    def url(self, value: str) -> str:
        return PATH_PARAM.sub(value, self.path)


def collect_routes(app) -> list[Route]:
    """Every (method, path) the app serves under /api, with whether it is meant to be public."""
    modules = {module.name: module for module in ROUTE_MODULES}
    routes = []
    for context in iter_route_contexts(app.routes):
        path = context.path_format or context.path
        endpoint = context.endpoint
        if not path or not path.startswith("/api/") or endpoint is None:
            continue
        module_name = endpoint.__module__
        parts = module_name.split(".")
        if len(parts) < 3 or parts[0] != "cspm" or parts[1] not in modules:
            continue  # FastAPI's own /api/docs and /api/openapi.json
        mounted = modules[parts[1]]
        routes_module = importlib.import_module(module_name)
        for method in sorted(context.methods or ()):
            if method == "HEAD":
                continue
            public = mounted.public and (getattr(routes_module, "PUBLIC", False)
                                         or (method, path) in getattr(routes_module, "PUBLIC_ROUTES", ()))
            routes.append(Route(method, path, parts[1], public,
                                self_authenticating=mounted.public and mounted.name != "auth"))
    return routes


def test_route_discovery_sees_every_module(app):
    routes = collect_routes(app)
    found = {route.module for route in routes}
    assert {"auth", "teams", "audit"} <= found
    assert ("POST", "/api/auth/login") in {(r.method, r.path) for r in routes if r.public}
    assert ("GET", "/api/auth/me") in {(r.method, r.path) for r in routes if not r.public}
    assert all(r.module in app.state.mounted_modules for r in routes)


async def test_every_private_route_refuses_anonymous_requests(client, app):
    failures = []
    for route in collect_routes(app):
        if route.public:
            continue
        response = await client.request(route.method, route.url("0" * 24))
        allowed = {401, 403} if route.self_authenticating else {401}
        if response.status_code not in allowed:
            failures.append(f"{route.method} {route.path}: {response.status_code} {response.text[:120]}")
    assert not failures, "routes answering without credentials:\n" + "\n".join(failures)


async def test_every_private_route_refuses_a_foreign_team(client, app, auth):
    mallory = await auth.user(role="team_admin")
    victim = await auth.user(role="team_admin")
    token = await auth.api_token(mallory, sorted(TOKEN_GRANTABLE_PERMISSIONS))
    credentials = {
        "session": mallory.for_team(victim.team_id),
        "api_token": {"Authorization": f"Bearer {token}", "X-Team-ID": victim.team_id},
    }
    failures = []
    checked = 0
    for route in collect_routes(app):
        if route.public or route.self_authenticating:
            continue
        for label, headers in credentials.items():
            response = await client.request(route.method, route.url("0" * 24), headers=headers)
            checked += 1
            if response.status_code not in (403, 404):
                failures.append(f"{label} {route.method} {route.path}: {response.status_code} {response.text[:120]}")
    assert checked > 10
    assert not failures, "routes accepting a team the caller is not in:\n" + "\n".join(failures)


# --- data of team A, attacked from team B -------------------------------------------------
def generated_cases(operation, headers: dict[str, str], count: int) -> list:
    """Valid requests for one operation, generated from its OpenAPI schema."""
    cases: list = []

    @settings(max_examples=count, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(operation.as_strategy(headers=headers))
    def collect(case) -> None:
        cases.append(case)

    try:
        collect()
    except Exception:  # an operation whose schema cannot be generated is simply not seeded
        return []
    return cases


def json_body(case) -> Any:
    if isinstance(case.body, NotSet) or (case.media_type or "").split(";")[0] != "application/json":
        return None
    return case.body


async def send_case(client, case, headers: dict[str, str]):
    body = json_body(case)
    return await client.request(case.method.upper(), case.formatted_path, params=case.query or None,
                                headers=headers, **({"json": body} if body is not None else {}))


async def seed_team(client, app, auth, owner) -> dict[str, int]:
    """Fill ``owner``'s team through every way we know; returns how many requests succeeded per route."""
    successes: dict[str, int] = {}
    # Known creators of this module.
    helper = await auth.user(role="analyst", team=owner)
    await client.post("/api/teams/active/invitations", headers=owner.headers,
                      json={"email": "invitee-a@example.com", "role": "viewer"})
    await client.post("/api/auth/tokens", headers=owner.headers,
                      json={"name": "team a ci", "permissions": ["findings:read"]})
    await client.put(f"/api/teams/active/members/{helper.user_id}", headers=owner.headers, json={"role": "viewer"})
    # Modules' own seeders: tests/<module>/tenancy_seed.py
    for info in pkgutil.iter_modules(tests.__path__):
        try:
            seeder = importlib.import_module(f"tests.{info.name}.tenancy_seed")
        except ModuleNotFoundError:
            continue
        await seeder.seed(client, owner)
        successes[f"seed {info.name}"] = 1
    # Schema-generated valid requests to every creating route without path parameters.
    schema = schemathesis.openapi.from_dict(app.openapi())
    private = {(r.method, r.path) for r in collect_routes(app) if not r.public}
    for result in schema.get_all_operations():
        operation = result.ok()
        method = operation.method.upper()
        if method not in {"POST", "PUT"} or "{" in operation.path or (method, operation.path) not in private:
            continue
        if SESSION_ENDING.match(operation.path):
            continue
        for case in generated_cases(operation, owner.headers, EXAMPLES_PER_OPERATION):
            response = await send_case(client, case, owner.headers)
            assert response.status_code < 500, f"{method} {operation.path}: {response.status_code} {response.text}"
            if response.is_success:
                successes[f"{method} {operation.path}"] = successes.get(f"{method} {operation.path}", 0) + 1
    return successes


async def team_documents(container, team_id: str) -> dict[tuple[str, str, str], dict]:
    """Every document of the team, in every database, keyed by (database, collection, id)."""
    documents = {}
    for database in Database:
        db = container.database.db(database)
        for collection in await db.list_collection_names():
            async for document in db[collection].find({"team_id": team_id}):
                documents[(database.value, collection, str(document["_id"]))] = document
    return documents


def candidate_ids(documents: dict[tuple[str, str, str], dict], extra: list[str]) -> list[str]:
    """Ids to try in path parameters: round-robin over collections so each kind of document is tried."""
    by_collection: dict[tuple[str, str], list[str]] = {}
    for database, collection, document_id in documents:
        by_collection.setdefault((database, collection), []).append(document_id)
    ordered: list[str] = list(extra)
    queues = [ids[:] for _, ids in sorted(by_collection.items())]
    while any(queues) and len(ordered) < MAX_IDS_PER_ROUTE:
        for queue in queues:
            if queue and len(ordered) < MAX_IDS_PER_ROUTE:
                ordered.append(queue.pop(0))
    return list(dict.fromkeys(ordered))


async def test_team_b_cannot_reach_team_a_data_on_any_route(client, app, auth, container):
    alice = await auth.user(role="team_admin")
    successes = await seed_team(client, app, auth, alice)
    await asyncio.to_thread(container.dispatcher.wait_idle, 120)  # jobs the seeding started (AI-SOC runs) finish first
    assert successes, "seeding created nothing: the test would prove nothing"
    members_a = [m["user_id"] for m in (await client.get("/api/teams/active/members", headers=alice.headers)).json()]
    before = await team_documents(container, alice.team_id)
    assert len(before) >= 3, before.keys()
    ids_a = candidate_ids(before, members_a)
    secrets_a = {alice.team_id, *members_a, *(key[2] for key in before)}
    secrets_a = {value for value in secrets_a if len(value) >= 8}

    bob = await auth.user(role="team_admin")
    bob_token = await auth.api_token(bob, sorted(TOKEN_GRANTABLE_PERMISSIONS))
    attackers = {"session": bob.headers, "api_token": {"Authorization": f"Bearer {bob_token}"}}
    schema = schemathesis.openapi.from_dict(app.openapi())
    bodies: dict[tuple[str, str], Any] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        cases = generated_cases(operation, bob.headers, 1)
        if cases:
            bodies[(operation.method.upper(), operation.path)] = json_body(cases[0])

    routes = [r for r in collect_routes(app) if not r.public and not r.self_authenticating]
    leaks, tried = [], 0
    for route in routes:
        if SESSION_ENDING.match(route.path) and route.method == "POST" and not route.params:
            continue  # would end Bob's own session; covered by the anonymous / foreign-team tests
        for label, headers in attackers.items():
            if route.params:
                body = bodies.get((route.method, route.path)) if route.method in WRITE_METHODS else None
                for value in ids_a:
                    response = await client.request(route.method, route.url(value), headers=headers,
                                                    **({"json": body} if body is not None else {}))
                    tried += 1
                    assert response.status_code < 500, f"{route.method} {route.url(value)}: {response.text}"
                    if response.is_success:
                        leaks.append(f"{label} {route.method} {route.url(value)} -> {response.status_code}")
            elif route.method == "GET":
                response = await client.get(route.path, headers=headers)
                tried += 1
                assert response.status_code < 500, f"GET {route.path}: {response.text}"
                seen = [value for value in secrets_a if value in response.text]
                if seen:
                    leaks.append(f"{label} GET {route.path} shows team A ids {seen[:3]}")
    assert tried > 20
    print(f"seeded {successes}; {len(before)} team A documents in "
          f"{sorted({key[:2] for key in before})}; {tried} probes by team B")
    assert not leaks, "team B reached team A's data:\n" + "\n".join(leaks)
    after = await team_documents(container, alice.team_id)
    assert after == before, "team A's documents changed while team B was probing"


async def test_the_leak_detector_detects(client, app, auth):
    """Positive control: the same probes made by team A's admin do reach team A's data."""
    alice = await auth.user(role="team_admin")
    await seed_team(client, app, auth, alice)
    members = (await client.get("/api/teams/active/members", headers=alice.headers)).json()
    assert len(members) == 2
    listed = await client.get("/api/auth/tokens", headers=alice.headers)
    token_id = listed.json()[0]["id"]
    assert token_id in listed.text
    revoke = await client.delete(f"/api/auth/tokens/{token_id}", headers=alice.headers)
    assert revoke.is_success


@pytest.mark.parametrize("role", ["viewer", "analyst"])
async def test_non_admins_of_the_same_team_cannot_manage(client, auth, role):
    admin = await auth.user(role="team_admin")
    member = await auth.user(role=role, team=admin)
    for method, url, body in [
        ("PATCH", "/api/teams/active", {"name": "taken over"}),
        ("PUT", f"/api/teams/active/members/{admin.user_id}", {"role": "viewer"}),
        ("DELETE", f"/api/teams/active/members/{admin.user_id}", None),
        ("POST", "/api/teams/active/invitations", {"email": "friend@example.com", "role": "team_admin"}),
        ("GET", "/api/audit/events", None),
        ("POST", "/api/auth/tokens", {"name": "t", "permissions": ["findings:read"]}),
    ]:
        response = await client.request(method, url, headers=member.headers,
                                        **({"json": body} if body is not None else {}))
        assert response.status_code == 403, (method, url, response.text)
