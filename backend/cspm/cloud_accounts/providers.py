"""One adapter per cloud: split a create request into identifiers and secrets, test the
connection with the provider's own SDK, and hand a scanner the target and credentials.

Connection tests never raise for the provider's answer: they return a ``ConnectionTest``
with a reason a person can act on ("AWS rejected the credentials: InvalidClientTokenId",
"could not reach Microsoft Entra ID: DNS lookup failed"). Secrets never appear in a reason.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

import boto3
import httpx
from azure.core.exceptions import AzureError, ClientAuthenticationError
from azure.identity import ClientSecretCredential
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError, NoCredentialsError
from google.api_core import exceptions as google_exceptions
from google.auth import exceptions as google_auth_exceptions
from google.cloud import resourcemanager_v3
from google.oauth2 import service_account

from cspm.cloud_accounts.models import (
    AwsAccountCreate,
    AwsAuthMethod,
    AzureAccountCreate,
    CloudProvider,
    ConnectionTest,
    GcpAccountCreate,
)
from cspm.cloud_accounts.settings import CloudAccountSettings
from cspm.core.logging import scrub
from cspm.scanners.base import Target, TargetKind

GCP_SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)
AZURE_MANAGEMENT = "https://management.azure.com"
GCP_KEY_FILE = "gcp-service-account.json"
# The platform's own AWS identity (instance profile, IRSA, keys) used to assume customer roles.
AMBIENT_AWS_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                         "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                         "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN")


@dataclass(frozen=True)
class AccountParts:
    auth_method: str
    identifiers: dict[str, Any]
    secrets: dict[str, Any]


@dataclass(frozen=True)
class ScanCredentials:
    """What a scanner needs: the target (non-secret options), env variables and secret files.

    Give them to ``ToolRunner.run(target, credentials=env, credential_files=files)``; an env
    value "@name" becomes the path of file `name` in the job's private secrets directory.
    """

    target: Target
    env: dict[str, str]
    files: dict[str, bytes] = field(default_factory=dict)


def _result(ok: bool, reason: str, started: float, identity: str | None = None) -> ConnectionTest:
    return ConnectionTest(ok=ok, reason=scrub(reason)[:500], identity=identity, checked_at=datetime.now(UTC),
                          duration_ms=round((time.monotonic() - started) * 1000, 1))


class CloudProviderAdapter(ABC):
    """One per provider: splits a request into identifiers and secrets, tests, gives scan credentials."""

    provider: ClassVar[CloudProvider]

    def __init__(self, settings: CloudAccountSettings) -> None:
        self.settings = settings

    @abstractmethod
    def split(self, request: Any) -> AccountParts: ...

    @abstractmethod
    async def test_connection(self, identifiers: dict[str, Any], secrets: dict[str, Any]) -> ConnectionTest: ...

    @abstractmethod
    def scan_credentials(self, account_id: str, identifiers: dict[str, Any],
                         secrets: dict[str, Any]) -> ScanCredentials: ...


class AwsProvider(CloudProviderAdapter):
    provider = CloudProvider.AWS

    def split(self, request: AwsAccountCreate) -> AccountParts:
        identifiers: dict[str, Any] = {"account_id": request.account_id, "regions": request.regions}
        if request.endpoint_url:
            identifiers["endpoint_url"] = request.endpoint_url
        secrets: dict[str, Any]
        if request.auth_method is AwsAuthMethod.ROLE:
            identifiers["role_arn"] = request.role_arn
            assert request.external_id is not None
            secrets = {"external_id": request.external_id.get_secret_value()}
        else:
            identifiers["access_key_id_suffix"] = (request.access_key_id or "")[-4:]
            assert request.secret_access_key is not None
            secrets = {"access_key_id": request.access_key_id,
                       "secret_access_key": request.secret_access_key.get_secret_value()}
            if request.session_token:
                secrets["session_token"] = request.session_token.get_secret_value()
        return AccountParts(str(request.auth_method), identifiers, secrets)

    def endpoint(self, identifiers: dict[str, Any]) -> str | None:
        """The account's own endpoint, else the platform's (CLOUD_AWS_ENDPOINT_URL), else AWS (None)."""
        return identifiers.get("endpoint_url") or self.settings.aws_endpoint_url

    def _client(self, service: str, identifiers: dict[str, Any], **credentials: Any) -> Any:
        timeout = self.settings.test_timeout_seconds
        config = Config(connect_timeout=timeout, read_timeout=timeout, retries={"max_attempts": 1})
        region = (identifiers.get("regions") or ["us-east-1"])[0]
        return boto3.client(service, region_name=region, endpoint_url=self.endpoint(identifiers),
                            config=config, **credentials)

    def sdk_credentials(self, identifiers: dict[str, Any], secrets: dict[str, Any], *,
                        session_name: str = "cspm-connection-test", duration_seconds: int = 900) -> dict[str, Any]:
        """boto3 client keyword arguments for the account: its keys, or its role assumed (blocking call)."""
        if "role_arn" in identifiers:
            # The regional STS endpoint of the account's first region: accounts may limit STS to their regions.
            sts = self._client("sts", identifiers)  # the platform's own identity assumes the customer's role
            assumed = sts.assume_role(RoleArn=identifiers["role_arn"], RoleSessionName=session_name,
                                      ExternalId=secrets["external_id"], DurationSeconds=duration_seconds)
            return {"aws_access_key_id": assumed["Credentials"]["AccessKeyId"],
                    "aws_secret_access_key": assumed["Credentials"]["SecretAccessKey"],
                    "aws_session_token": assumed["Credentials"]["SessionToken"]}
        return {"aws_access_key_id": secrets["access_key_id"], "aws_secret_access_key": secrets["secret_access_key"],
                "aws_session_token": secrets.get("session_token")}

    def _caller_identity(self, identifiers: dict[str, Any], secrets: dict[str, Any]) -> dict[str, Any]:
        return self._client("sts", identifiers, **self.sdk_credentials(identifiers, secrets)).get_caller_identity()

    async def test_connection(self, identifiers: dict[str, Any], secrets: dict[str, Any]) -> ConnectionTest:
        started = time.monotonic()
        try:
            identity = await asyncio.to_thread(self._caller_identity, identifiers, secrets)
        except NoCredentialsError:
            return _result(False, "the platform has no AWS credentials of its own to assume the role with "
                                  "(instance profile, IRSA or AWS_* variables)", started)
        except EndpointConnectionError as exc:
            return _result(False, f"could not reach AWS STS: {exc}", started)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code, message = error.get("Code", "Unknown"), error.get("Message", "")
            action = "assume the role" if "role_arn" in identifiers and exc.operation_name == "AssumeRole" \
                else "verify the credentials"
            return _result(False, f"AWS refused to {action}: {code}: {message}", started)
        except BotoCoreError as exc:
            return _result(False, f"AWS SDK error: {type(exc).__name__}: {exc}", started)
        account = identity.get("Account")
        if account != identifiers["account_id"]:
            return _result(False, f"the credentials belong to account {account}, not {identifiers['account_id']}",
                           started, identity.get("Arn"))
        return _result(True, f"authenticated as {identity.get('Arn')}", started, identity.get("Arn"))

    def scan_credentials(self, account_id: str, identifiers: dict[str, Any],
                         secrets: dict[str, Any]) -> ScanCredentials:
        options = {"provider": "aws", "regions": ",".join(identifiers.get("regions") or [])}
        if "role_arn" in identifiers:
            options |= {"role_arn": identifiers["role_arn"], "external_id": secrets["external_id"]}
            env = {name: os.environ[name] for name in AMBIENT_AWS_VARIABLES if name in os.environ}
        else:
            env = {"AWS_ACCESS_KEY_ID": secrets["access_key_id"], "AWS_SECRET_ACCESS_KEY": secrets["secret_access_key"]}
            if secrets.get("session_token"):
                env["AWS_SESSION_TOKEN"] = secrets["session_token"]
        env["AWS_DEFAULT_REGION"] = (identifiers.get("regions") or ["us-east-1"])[0]
        if endpoint := self.endpoint(identifiers):
            env["AWS_ENDPOINT_URL"] = endpoint  # boto3 (and so Prowler) reads it for every service
        return ScanCredentials(Target(TargetKind.CLOUD_ACCOUNT, identifiers["account_id"], options), env)


class GcpProvider(CloudProviderAdapter):
    provider = CloudProvider.GCP

    def split(self, request: GcpAccountCreate) -> AccountParts:
        key = json.loads(request.service_account_key.get_secret_value())
        identifiers = {"client_email": key["client_email"], "project_ids": request.project_ids,
                       "organization_id": request.organization_id}
        return AccountParts("service_account_key", identifiers, {"service_account_key": key})

    def _check(self, identifiers: dict[str, Any], secrets: dict[str, Any]) -> str:
        credentials = service_account.Credentials.from_service_account_info(
            secrets["service_account_key"], scopes=list(GCP_SCOPES))
        timeout = self.settings.test_timeout_seconds
        if identifiers.get("organization_id"):
            organization = resourcemanager_v3.OrganizationsClient(credentials=credentials).get_organization(
                name=f"organizations/{identifiers['organization_id']}", timeout=timeout, retry=None)
            return organization.name
        project = resourcemanager_v3.ProjectsClient(credentials=credentials).get_project(
            name=f"projects/{identifiers['project_ids'][0]}", timeout=timeout, retry=None)
        return f"{project.project_id} ({project.state.name})"

    async def test_connection(self, identifiers: dict[str, Any], secrets: dict[str, Any]) -> ConnectionTest:
        started = time.monotonic()
        who = identifiers["client_email"]
        try:
            answered = await asyncio.to_thread(self._check, identifiers, secrets)
        except ValueError as exc:
            return _result(False, f"the service-account key is unusable: {exc}", started)
        except google_auth_exceptions.RefreshError as exc:
            return _result(False, f"Google rejected the service-account key of {who}: {exc}", started)
        except google_auth_exceptions.TransportError as exc:
            return _result(False, f"could not reach Google's token endpoint: {exc}", started)
        except (google_exceptions.ServiceUnavailable, google_exceptions.DeadlineExceeded,
                google_exceptions.RetryError) as exc:
            return _result(False, f"could not reach the Google Cloud Resource Manager API: {exc}", started)
        except google_exceptions.GoogleAPICallError as exc:
            return _result(False, f"Google Cloud refused {who}: HTTP {exc.code}: {exc.message}", started)
        return _result(True, f"{who} can read {answered}", started, who)

    def scan_credentials(self, account_id: str, identifiers: dict[str, Any],
                         secrets: dict[str, Any]) -> ScanCredentials:
        options = {"provider": "gcp", "project_ids": ",".join(identifiers.get("project_ids") or [])}
        if identifiers.get("organization_id"):
            options["organization_id"] = identifiers["organization_id"]
        key = json.dumps(secrets["service_account_key"]).encode()
        return ScanCredentials(Target(TargetKind.CLOUD_ACCOUNT, account_id, options),
                               {"GOOGLE_APPLICATION_CREDENTIALS": f"@{GCP_KEY_FILE}"}, {GCP_KEY_FILE: key})


class AzureProvider(CloudProviderAdapter):
    provider = CloudProvider.AZURE

    def split(self, request: AzureAccountCreate) -> AccountParts:
        identifiers = {"tenant_id": request.tenant_id, "client_id": request.client_id,
                       "subscription_ids": request.subscription_ids}
        return AccountParts("client_secret", identifiers, {"client_secret": request.client_secret.get_secret_value()})

    async def test_connection(self, identifiers: dict[str, Any], secrets: dict[str, Any]) -> ConnectionTest:
        started = time.monotonic()
        credential = ClientSecretCredential(identifiers["tenant_id"], identifiers["client_id"],
                                            secrets["client_secret"])
        try:
            token = await asyncio.to_thread(credential.get_token, f"{AZURE_MANAGEMENT}/.default")
        except ClientAuthenticationError as exc:
            text = str(exc)
            if "resolve" in text or "Connection" in text or "timed out" in text:
                return _result(False, f"could not reach Microsoft Entra ID: {text}", started)
            return _result(False, f"Microsoft Entra ID rejected client {identifiers['client_id']}: {text}", started)
        except AzureError as exc:
            return _result(False, f"could not reach Microsoft Entra ID: {exc}", started)
        finally:
            credential.close()
        denied: list[str] = []
        try:
            async with httpx.AsyncClient(timeout=self.settings.test_timeout_seconds) as client:
                for subscription in identifiers["subscription_ids"]:
                    response = await client.get(f"{AZURE_MANAGEMENT}/subscriptions/{subscription}",
                                                params={"api-version": "2022-12-01"},
                                                headers={"Authorization": f"Bearer {token.token}"})
                    if response.status_code != 200:
                        denied.append(f"{subscription} (HTTP {response.status_code})")
        except httpx.HTTPError as exc:
            return _result(False, f"could not reach Azure Resource Manager: {type(exc).__name__}: {exc}", started)
        if denied:
            return _result(False, f"client {identifiers['client_id']} cannot read subscription(s) "
                                  f"{', '.join(denied)}", started, identifiers["client_id"])
        count = len(identifiers["subscription_ids"])
        return _result(True, f"client {identifiers['client_id']} can read {count} subscription(s)", started,
                       identifiers["client_id"])

    def scan_credentials(self, account_id: str, identifiers: dict[str, Any],
                         secrets: dict[str, Any]) -> ScanCredentials:
        options = {"provider": "azure", "tenant_id": identifiers["tenant_id"],
                   "subscription_ids": ",".join(identifiers["subscription_ids"])}
        env = {"AZURE_TENANT_ID": identifiers["tenant_id"], "AZURE_CLIENT_ID": identifiers["client_id"],
               "AZURE_CLIENT_SECRET": secrets["client_secret"]}
        return ScanCredentials(Target(TargetKind.CLOUD_ACCOUNT, account_id, options), env)


class CloudProviderFactory:
    ADAPTERS: ClassVar[dict[CloudProvider, type[CloudProviderAdapter]]] = {
        CloudProvider.AWS: AwsProvider, CloudProvider.GCP: GcpProvider, CloudProvider.AZURE: AzureProvider}

    def __init__(self, settings: CloudAccountSettings) -> None:
        self.settings = settings

    def get(self, provider: CloudProvider | str) -> CloudProviderAdapter:
        try:
            return self.ADAPTERS[CloudProvider(provider)](self.settings)
        except (KeyError, ValueError):
            raise ValueError(f"unknown cloud provider {provider!r}") from None
