"""CloudAccountService on the real databases: encryption at rest, connection tests with the
real SDKs (boto3 against a moto server; Google and Azure unreachable here), rotation, teams."""

from __future__ import annotations

import json
import logging

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr, TypeAdapter, ValidationError

from cspm.cloud_accounts.crypto import CredentialVault
from cspm.cloud_accounts.models import CloudAccountCreate, CloudAccountUpdate
from cspm.cloud_accounts.service import CloudAccountService
from cspm.core.database.registry import Database
from cspm.core.errors import BadRequest, Conflict, NotFound

from .conftest import MOTO_ACCOUNT, SECRET_KEY, aws_keys, moto_iam_user

CREATE = TypeAdapter(CloudAccountCreate)
TEAM_A, TEAM_B = "team-a", "team-b"


def request(payload: dict):
    return CREATE.validate_python(payload)


async def stored(container, account_id: str) -> dict:
    from bson import ObjectId

    return await container.database.db(Database.CLOUD_SECURITY)["cloud_accounts"].find_one(
        {"_id": ObjectId(account_id)})


async def test_credentials_are_encrypted_at_rest_and_never_returned(container, caplog):
    caplog.set_level(logging.DEBUG)
    service = container.resolve(CloudAccountService)
    account = await service.create(team_id=TEAM_A, user_id="u1", request=request(aws_keys()))
    assert account.identifiers == {"account_id": MOTO_ACCOUNT, "regions": ["us-east-1"],
                                   "access_key_id_suffix": "MPLE"}
    assert SECRET_KEY not in account.model_dump_json()
    document = await stored(container, account.id)
    raw = json.dumps(document, default=str)
    assert SECRET_KEY not in raw and "AKIAIOSFODNN7EXAMPLE" not in raw
    assert document["credentials"].startswith("gAAAAA")
    vault = CredentialVault(container.settings.fernet_keys)
    assert vault.decrypt(document["credentials"])["secret_access_key"] == SECRET_KEY
    assert SECRET_KEY not in caplog.text
    listed = await service.list(team_id=TEAM_A)
    assert [item.id for item in listed] == [account.id]
    assert "credentials" not in listed[0].model_dump()


def test_create_requests_are_validated_naming_the_problem(gcp_key):
    cases = [
        ({**aws_keys(), "account_id": "12345"}, "account_id"),
        ({**aws_keys(), "secret_access_key": "short"}, "secret_access_key must be 40 characters"),
        ({"provider": "aws", "name": "r", "account_id": MOTO_ACCOUNT, "auth_method": "role",
          "role_arn": "arn:aws:iam::999999999999:role/Audit", "external_id": "ext-1"}, "another account"),
        ({"provider": "aws", "name": "r", "account_id": MOTO_ACCOUNT, "auth_method": "role",
          "role_arn": f"arn:aws:iam::{MOTO_ACCOUNT}:role/Audit"}, "external_id is required"),
        ({"provider": "gcp", "name": "g", "service_account_key": "not json"}, "not JSON"),
        ({"provider": "gcp", "name": "g", "service_account_key": json.dumps({"type": "user"})}, "service-account key"),
        ({"provider": "azure", "name": "z", "tenant_id": "nope", "client_id": "x", "client_secret": "s",
          "subscription_ids": []}, "tenant_id"),
        ({"provider": "oracle", "name": "o"}, "provider"),
    ]
    for payload, problem in cases:
        with pytest.raises(ValidationError, match=problem):
            request(payload)
    gcp = request({"provider": "gcp", "name": "g", "service_account_key": gcp_key})
    assert gcp.project_ids == ["cspm-test-project"]  # taken from the key when not given


async def test_aws_connection_test_against_moto(container, moto_endpoint, use_endpoint):
    service = use_endpoint(moto_endpoint)
    key_id, secret = moto_iam_user(moto_endpoint)
    account = await service.create(team_id=TEAM_A, user_id="u1", request=request(
        {**aws_keys("moto"), "access_key_id": key_id, "secret_access_key": secret}))
    result = await service.test_connection(team_id=TEAM_A, account_id=account.id)
    assert result.ok, result.reason
    assert result.identity.startswith("arn:aws:") and MOTO_ACCOUNT in result.identity
    assert (await service.get(team_id=TEAM_A, account_id=account.id)).last_test.ok is True


async def test_aws_wrong_account_and_unreachable_endpoint(container, moto_endpoint, dead_endpoint, use_endpoint):
    service = use_endpoint(moto_endpoint)
    other = await service.create(team_id=TEAM_A, user_id="u1", request=request(aws_keys("other", "111122223333")))
    result = await service.test_connection(team_id=TEAM_A, account_id=other.id)
    assert not result.ok
    assert result.reason == f"the credentials belong to account {MOTO_ACCOUNT}, not 111122223333"
    service = use_endpoint(dead_endpoint)
    result = await service.test_connection(team_id=TEAM_A, account_id=other.id)
    assert not result.ok and result.reason.startswith("could not reach AWS STS")
    assert SECRET_KEY not in result.reason
    stored_test = (await service.get(team_id=TEAM_A, account_id=other.id)).last_test
    assert stored_test.reason == result.reason


async def test_an_account_with_its_own_endpoint_uses_it_everywhere(container, moto_endpoint, dead_endpoint,
                                                                   use_endpoint):
    """The platform's CLOUD_AWS_ENDPOINT_URL points at a dead port: the account's endpoint_url wins
    for the connection test and for Prowler's environment."""
    service = use_endpoint(dead_endpoint)
    key_id, secret = moto_iam_user(moto_endpoint)
    account = await service.create(team_id=TEAM_A, user_id="u1", request=request(
        {**aws_keys("moto"), "access_key_id": key_id, "secret_access_key": secret,
         "endpoint_url": moto_endpoint + "/"}))
    assert account.identifiers["endpoint_url"] == moto_endpoint
    result = await service.test_connection(team_id=TEAM_A, account_id=account.id)
    assert result.ok, result.reason
    scan = await service.scan_credentials(team_id=TEAM_A, account_id=account.id)
    assert scan.env["AWS_ENDPOINT_URL"] == moto_endpoint


async def test_an_endpoint_outside_the_scan_allow_list_is_refused(container, use_endpoint):
    service = use_endpoint(None)
    for endpoint, rule in (("http://169.254.169.254", "metadata"), ("http://10.0.0.5:4566", "private")):
        with pytest.raises(BadRequest) as refused:
            await service.create(team_id=TEAM_A, user_id="u1",
                                 request=request({**aws_keys(), "endpoint_url": endpoint}))
        assert refused.value.detail.startswith("endpoint_url refused:"), refused.value.detail
        assert rule in refused.value.detail.lower(), refused.value.detail
    for bad in ("127.0.0.1:5000", "ftp://127.0.0.1", "http://user:pw@127.0.0.1", "http://127.0.0.1/?x=1"):
        with pytest.raises(ValidationError, match="endpoint_url"):
            request({**aws_keys(), "endpoint_url": bad})
    assert await service.list(team_id=TEAM_A) == []


async def test_aws_role_assumption_against_moto(container, moto_endpoint, use_endpoint, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")  # the platform's own identity
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    service = use_endpoint(moto_endpoint)
    account = await service.create(team_id=TEAM_A, user_id="u1", request=request({
        "provider": "aws", "name": "role", "account_id": MOTO_ACCOUNT, "auth_method": "role",
        "role_arn": f"arn:aws:iam::{MOTO_ACCOUNT}:role/CSPMAudit", "external_id": "cspm-ext-42"}))
    result = await service.test_connection(team_id=TEAM_A, account_id=account.id)
    assert result.ok, result.reason
    assert "assumed-role/CSPMAudit/cspm-connection-test" in result.identity
    scan = await service.scan_credentials(team_id=TEAM_A, account_id=account.id)
    assert scan.target.options["role_arn"] == f"arn:aws:iam::{MOTO_ACCOUNT}:role/CSPMAudit"
    assert scan.env["AWS_ENDPOINT_URL"] == moto_endpoint and scan.env["AWS_ACCESS_KEY_ID"] == "testing"


async def test_gcp_connection_fails_with_clear_reason_without_network(container, gcp_key):
    service = container.resolve(CloudAccountService)
    account = await service.create(team_id=TEAM_A, user_id="u1", request=request(
        {"provider": "gcp", "name": "gcp", "service_account_key": gcp_key, "project_ids": ["cspm-test-project"]}))
    assert account.identifiers["client_email"] == "scanner@cspm-test-project.iam.gserviceaccount.com"
    result = await service.test_connection(team_id=TEAM_A, account_id=account.id)
    assert not result.ok
    # No route to Google from this machine: DNS fails before any token is issued.
    assert result.reason.startswith(("could not reach the Google Cloud Resource Manager API",
                                     "could not reach Google's token endpoint",
                                     "Google rejected the service-account key")), result.reason
    assert "PRIVATE KEY" not in result.reason
    scan = await service.scan_credentials(team_id=TEAM_A, account_id=account.id)
    assert scan.env == {"GOOGLE_APPLICATION_CREDENTIALS": "@gcp-service-account.json"}
    assert json.loads(scan.files["gcp-service-account.json"])["type"] == "service_account"
    assert scan.target.options == {"provider": "gcp", "project_ids": "cspm-test-project"}


async def test_azure_connection_fails_with_clear_reason_without_network(container):
    service = container.resolve(CloudAccountService)
    account = await service.create(team_id=TEAM_A, user_id="u1", request=request({
        "provider": "azure", "name": "azure", "tenant_id": "11111111-2222-3333-4444-555555555555",
        "client_id": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "client_secret": "az-secret-value-1234",
        "subscription_ids": ["99999999-8888-7777-6666-555555555555"]}))
    result = await service.test_connection(team_id=TEAM_A, account_id=account.id)
    assert not result.ok
    assert result.reason.startswith("could not reach Microsoft Entra ID"), result.reason
    assert "az-secret-value-1234" not in result.reason
    scan = await service.scan_credentials(team_id=TEAM_A, account_id=account.id)
    assert scan.env["AZURE_CLIENT_SECRET"] == "az-secret-value-1234"
    assert scan.target.options["tenant_id"] == "11111111-2222-3333-4444-555555555555"


async def test_key_rotation_re_encrypts_with_the_newest_key(container):
    old_keys = container.settings.fernet_keys
    service = container.resolve(CloudAccountService)
    account = await service.create(team_id=TEAM_A, user_id="u1", request=request(aws_keys("rotate")))
    before = (await stored(container, account.id))["credentials"]
    new_key = SecretStr(Fernet.generate_key().decode())
    rotated_service = CloudAccountService(service.repository, CredentialVault([new_key, *old_keys]),
                                          service.providers)
    report = await rotated_service.rotate_encryption()
    assert report.rotated >= 1 and report.failed == 0
    after = (await stored(container, account.id))["credentials"]
    assert after != before
    assert CredentialVault([new_key]).decrypt(after)["secret_access_key"] == SECRET_KEY  # old key not needed
    scan = await CloudAccountService(service.repository, CredentialVault([new_key]), service.providers) \
        .scan_credentials(team_id=TEAM_A, account_id=account.id)
    assert scan.env["AWS_SECRET_ACCESS_KEY"] == SECRET_KEY
    # A key removed before rotation: the test says so instead of crashing.
    stranger = CloudAccountService(service.repository, CredentialVault([SecretStr(Fernet.generate_key().decode())]),
                                   service.providers)
    result = await stranger.test_connection(team_id=TEAM_A, account_id=account.id)
    assert not result.ok and "cannot be decrypted with the configured FERNET_KEYS" in result.reason


async def test_team_isolation(container):
    service = container.resolve(CloudAccountService)
    mine = await service.create(team_id=TEAM_A, user_id="u1", request=request(aws_keys("shared-name")))
    theirs = await service.create(team_id=TEAM_B, user_id="u2", request=request(aws_keys("shared-name")))
    assert [item.id for item in await service.list(team_id=TEAM_B)] == [theirs.id]
    for call in (service.get(team_id=TEAM_B, account_id=mine.id),
                 service.update(team_id=TEAM_B, account_id=mine.id, changes=CloudAccountUpdate(name="x")),
                 service.test_connection(team_id=TEAM_B, account_id=mine.id),
                 service.scan_credentials(team_id=TEAM_B, account_id=mine.id),
                 service.delete(team_id=TEAM_B, account_id=mine.id)):
        with pytest.raises(NotFound, match="cloud account not found"):
            await call
    assert (await service.get(team_id=TEAM_A, account_id=mine.id)).name == "shared-name"
    with pytest.raises(Conflict, match="already exists"):
        await service.create(team_id=TEAM_A, user_id="u1", request=request(aws_keys("shared-name")))
    with pytest.raises(Conflict, match="this is a aws account"):
        await service.replace_credentials(team_id=TEAM_A, account_id=mine.id, request=request({
            "provider": "azure", "name": "z", "tenant_id": "11111111-2222-3333-4444-555555555555",
            "client_id": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "client_secret": "s",
            "subscription_ids": ["99999999-8888-7777-6666-555555555555"]}))
    await service.delete(team_id=TEAM_A, account_id=mine.id)
    with pytest.raises(NotFound):
        await service.get(team_id=TEAM_A, account_id=mine.id)
