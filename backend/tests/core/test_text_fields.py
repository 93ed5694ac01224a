"""Bad bytes in request bodies are a 4xx with a reason, never a 500, and never stored.

Invalid UTF-8 is refused while the body streams in (cspm.core.middleware.BodyGuardMiddleware);
control characters and lone surrogates by the text types of every request schema
(cspm.core.fields), which the first test holds every string field of the OpenAPI document to.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from cspm.core.database.registry import Database
from cspm.core.fields import MULTI_LINE_PATTERN, SINGLE_LINE_PATTERN, is_secret

# Strings that need no text rule: an enum, a constant, or a format pydantic checks itself.
CHECKED_FORMATS = {"email", "uri", "date-time", "date", "binary"}
CONTROL_CHARACTERS = ["nul\x00byte", "header\r\nX-Injected: yes", "\x1b[31mred\x1b[0m", "next\x85line", "tab\there"]


def strings(schema: dict[str, Any], components: dict[str, Any], path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if "$ref" in schema:
        yield from strings(components[schema["$ref"].rsplit("/", 1)[1]], components, path)
        return
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key, []):
            yield from strings(option, components, path)
    if schema.get("type") == "string":
        yield path, schema
    for name, prop in schema.get("properties", {}).items():
        yield from strings(prop, components, f"{path}.{name}")
    for nested in (schema.get("items"), schema.get("additionalProperties")):
        if isinstance(nested, dict):
            yield from strings(nested, components, f"{path}[]")
    for key_pattern, nested in schema.get("patternProperties", {}).items():
        yield f"{path}<key>", {"type": "string", "pattern": key_pattern}
        yield from strings(nested, components, f"{path}[]")


def test_every_string_of_every_request_body_is_constrained(app):
    """A new free-text field without SingleLineText/MultiLineText fails here, naming itself."""
    spec = app.openapi()
    components = spec["components"]["schemas"]
    unconstrained = []
    for url, operations in spec["paths"].items():
        for method, operation in operations.items():
            for content in operation.get("requestBody", {}).get("content", {}).values():
                for path, schema in strings(content["schema"], components, "body"):
                    if ("pattern" in schema or "enum" in schema or "const" in schema or is_secret(schema)
                            or schema.get("format") in CHECKED_FORMATS or "contentMediaType" in schema):
                        continue
                    unconstrained.append(f"{method.upper()} {url} {path}")
    assert unconstrained == []


def test_text_patterns_match_what_they_document():
    assert re.fullmatch(SINGLE_LINE_PATTERN, "Prod account \u2013 eu-west-1 \u2713 ünïcode")
    assert not any(re.fullmatch(SINGLE_LINE_PATTERN, text) for text in CONTROL_CHARACTERS)
    assert re.fullmatch(MULTI_LINE_PATTERN, "first line\n\tsecond line")
    assert not re.fullmatch(MULTI_LINE_PATTERN, "windows\r\nline end")


async def count(container, database: Database, collection: str) -> int:
    return await container.database.db(database)[collection].count_documents({})


@pytest.mark.parametrize("bad", CONTROL_CHARACTERS)
async def test_control_characters_are_refused_in_free_text(client, auth, container, tmp_path, bad):
    admin = await auth.user(role="team_admin")
    before = {"teams": await count(container, Database.PLATFORM, "teams"),
              "targets": await count(container, Database.ORCHESTRATION, "scan_targets"),
              "rules": await count(container, Database.SECURITY_SCANS, "suppression_rules")}
    attempts = [
        ("POST", "/api/teams", {"name": bad}, "name"),
        ("POST", "/api/targets", {"name": bad, "kind": "repository", "value": str(tmp_path)}, "name"),
        ("POST", "/api/findings/suppression-rules", {"reason": f"because {bad}", "rule_id": "x"}, "reason"),
        ("PATCH", f"/api/findings/{'0' * 24}/assignee", {"assignee": bad}, "assignee"),
    ]
    for method, url, body, field in attempts:
        if field == "reason" and bad.startswith("tab"):
            continue  # a reason may hold tabs
        response = await client.request(method, url, json=body, headers=admin.headers)
        assert response.status_code == 422, (url, response.text)
        [error] = response.json()["detail"]
        assert error["loc"] == ["body", field]
        assert error["msg"].startswith("must not contain control characters"), error
        assert "U+00" in error["msg"]
    assert before == {"teams": await count(container, Database.PLATFORM, "teams"),
                      "targets": await count(container, Database.ORCHESTRATION, "scan_targets"),
                      "rules": await count(container, Database.SECURITY_SCANS, "suppression_rules")}


async def test_multi_line_reasons_keep_line_feeds_and_tabs(client, auth):
    analyst = await auth.user(role="analyst")
    reason = "accepted by the CAB:\n\t- ticket 42\n\t- expires with the contract"
    created = await client.post("/api/findings/suppression-rules", json={"reason": reason, "rule_id": "x"},
                                headers=analyst.headers)
    assert created.status_code == 201, created.text
    assert created.json()["reason"] == reason
    carriage_return = await client.post("/api/findings/suppression-rules",
                                        json={"reason": "windows\r\nline end", "rule_id": "x"},
                                        headers=analyst.headers)
    assert carriage_return.status_code == 422
    assert "other than line feeds and tabs (found U+000D at position 7)" in carriage_return.text


async def test_nul_in_a_directory_target_path_is_a_422(client, auth, container, tmp_path):
    analyst = await auth.user(role="analyst")
    response = await client.post("/api/targets", headers=analyst.headers, json={
        "name": "repo", "kind": "repository", "value": f"{tmp_path}/a\x00b", "tools": ["syft"]})
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "value"]
    assert await count(container, Database.ORCHESTRATION, "scan_targets") == 0


@pytest.mark.parametrize("raw", [b"\xed\xa0\x80", b"\xff", b"\xc3"], ids=["encoded-surrogate", "stray-byte",
                                                                          "truncated"])
async def test_invalid_utf8_in_a_json_body_is_a_400_with_its_offset(client, auth, container, raw):
    admin = await auth.user(role="team_admin")
    teams = await count(container, Database.PLATFORM, "teams")
    prefix = b'{"name": "ab'
    body = prefix + raw + (b"" if raw == b"\xc3" else b'cd"}')
    for url, headers in (("/api/teams", admin.headers), ("/api/auth/login", {}), ("/api/auth/register", {})):
        response = await client.post(url, content=body, headers={**headers, "Content-Type": "application/json"})
        assert response.status_code == 400, (url, response.text)
        assert response.json() == {"detail": f"request body is not valid UTF-8 (byte {len(prefix)})"}
    assert await count(container, Database.PLATFORM, "teams") == teams


async def test_invalid_utf8_split_across_chunks_is_found_at_its_offset(client, auth):
    admin = await auth.user(role="team_admin")

    async def chunks():
        yield b'{"name": "' + b"a" * 70_000 + b"\xed"  # the bad sequence starts in this chunk ...
        yield b'\xa0\x80"}'  # ... and ends in the next

    response = await client.post("/api/teams", content=chunks(),
                                 headers={**admin.headers, "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json() == {"detail": f"request body is not valid UTF-8 (byte {len(b'{\"name\": \"') + 70_000})"}


async def test_escaped_lone_surrogates_are_a_422_not_a_500(client, auth):
    admin = await auth.user(role="team_admin")
    cases = [("/api/teams", admin.headers, b'{"name": "ab\\ud800cd"}', ["body", "name"]),
             ("/api/auth/login", {}, b'{"email": "a@example.com", "password": "pass\\udfffword"}',
              ["body", "password"])]
    for url, headers, body, loc in cases:
        response = await client.post(url, content=body, headers={**headers, "Content-Type": "application/json"})
        assert response.status_code == 422, (url, response.text)
        assert response.json()["detail"][0]["loc"] == loc
