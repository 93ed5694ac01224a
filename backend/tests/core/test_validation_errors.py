"""422 answers name the problem but never echo a secret, nor a whole body.

The secret fields are read from the OpenAPI document (``writeOnly``: SecretStr, SecretText),
so a secret added to any request schema is covered here without touching this file; the
last test makes sure a field named like a secret is marked as one.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from cspm.core.fields import is_secret

CANARY = f"canary-{uuid.uuid4().hex}"
SECRET_LOOKING = re.compile(r"password|secret|token|private|(?<!access)_key$|recovery_code")


def json_bodies(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(method, path, body schema) of every operation taking JSON, one per alternative of a union body."""
    components = spec["components"]["schemas"]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if schema is None:
                continue
            for option in schema.get("oneOf") or schema.get("anyOf") or [schema]:
                if "$ref" in option:
                    yield method.upper(), path, components[option["$ref"].rsplit("/", 1)[1]]


def secret_cases(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any], str, dict[str, Any]]]:
    cases = []
    for method, path, schema in json_bodies(spec):
        properties = schema.get("properties", {})
        # The discriminator of a union body (provider: "aws"), so the right model validates it.
        constants = {name: prop["const"] for name, prop in properties.items() if "const" in prop}
        for name, prop in properties.items():
            if is_secret(prop):
                cases.append((method, path, constants, name, prop))
    return cases


def bodies(constants: dict[str, Any], field: str, prop: dict[str, Any]) -> list[dict[str, Any]]:
    limit = max([option.get("maxLength", 0) for option in [prop, *prop.get("anyOf", [])]] + [4096])
    return [
        {**constants, field: CANARY},  # the other fields missing: errors whose input is the whole body
        {**constants, field: CANARY * (limit // len(CANARY) + 1)},  # over the field's length limit
        {**constants, field: [CANARY]},  # the wrong type
        {**constants, field: CANARY, "unexpected_field": "x"},  # a model that refuses extra fields
    ]


async def test_no_secret_field_is_ever_echoed(app, client, auth):
    cases = secret_cases(app.openapi())
    assert len({(path, field) for _, path, _, field, _ in cases}) >= 15, cases  # the enumeration works
    admin = await auth.user(role="platform_admin")
    for method, path, constants, field, prop in cases:
        url = re.sub(r"\{[^}]+\}", "0" * 24, path)
        field_refused = False
        for body in bodies(constants, field, prop):
            response = await client.request(method, url, json=body, headers=admin.headers)
            assert 400 <= response.status_code < 500, (method, path, field, response.text[:300])
            assert CANARY not in response.text, (method, path, field, response.text[:500])
            errors = response.json()["detail"] if response.status_code == 422 else []
            for error in errors if isinstance(errors, list) else []:
                assert not isinstance(error.get("input"), dict | list), (path, error)
                field_refused |= error["loc"][-1] == field
        assert field_refused, (method, path, field)  # the secret itself was refused at least once


async def test_aws_secret_key_and_gcp_private_key_are_not_echoed(client, auth, gcp_private_key):
    analyst = await auth.user(role="analyst")
    aws = await client.post("/api/cloud-accounts", headers=analyst.headers, json={
        "provider": "aws", "name": "prod", "account_id": "123456789012", "auth_method": "access_keys",
        "access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": f"short-{CANARY}"})
    assert aws.status_code == 422
    assert "secret_access_key must be 40 characters" in aws.text and CANARY not in aws.text

    key = json.dumps({"type": "service_account", "private_key": gcp_private_key,
                      "client_email": "scanner@example.iam.gserviceaccount.com", "token_uri": "https://oauth2"})
    gcp = await client.post("/api/cloud-accounts", headers=analyst.headers,
                            json={"provider": "gcp", "name": "prod", "service_account_key": key})
    assert gcp.status_code == 422 and "give project_ids or organization_id" in gcp.text
    assert "PRIVATE KEY" not in gcp.text and gcp_private_key.splitlines()[1] not in gcp.text


async def test_overlong_login_password_is_refused_without_its_value(client):
    response = await client.post("/api/auth/login", json={"email": "a@example.com", "password": CANARY * 200})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "password"] and error["type"] == "string_too_long"
    assert "input" not in error and "ctx" not in error
    assert CANARY not in response.text


async def test_other_fields_still_name_what_was_wrong(client):
    response = await client.post("/api/auth/register", json={"email": "not-an-email", "password": CANARY})
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "email"] and error["input"] == "not-an-email"
    assert CANARY not in response.text


def test_fields_named_like_secrets_are_marked_secret(app):
    unmarked = [f"{method} {path} {name}" for method, path, schema in json_bodies(app.openapi())
                for name, prop in schema.get("properties", {}).items()
                if SECRET_LOOKING.search(name) and not is_secret(prop)]
    assert unmarked == []


@pytest.fixture(scope="session")
def gcp_private_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()
