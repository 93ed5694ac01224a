"""Cloud account schemas. Secrets come in as SecretStr and never go out."""

from __future__ import annotations

import json
import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from cspm.core.fields import SingleLineText

GUID = r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$"
AWS_REGION = r"^[a-z]{2}(?:-[a-z]+)+-\d$"
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/[\w+=,.@/-]{1,512}$")


class CloudProvider(StrEnum):
    AWS = "aws"
    GCP = "gcp"
    AZURE = "azure"


class AwsAuthMethod(StrEnum):
    ROLE = "role"
    ACCESS_KEYS = "access_keys"


Name = Annotated[SingleLineText, Field(min_length=1, max_length=120)]


class _Create(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name


class AwsAccountCreate(_Create):
    provider: Literal[CloudProvider.AWS] = CloudProvider.AWS
    account_id: str = Field(pattern=r"^\d{12}$")
    auth_method: AwsAuthMethod
    role_arn: Annotated[SingleLineText, Field(max_length=2048)] | None = None
    external_id: SecretStr | None = Field(default=None, description="Required with auth_method=role")
    access_key_id: str | None = Field(default=None, pattern=r"^(?:AKIA|ASIA)[A-Z0-9]{16}$")
    secret_access_key: SecretStr | None = None
    session_token: SecretStr | None = None
    regions: list[Annotated[str, Field(pattern=AWS_REGION)]] = Field(default_factory=list, max_length=40)
    endpoint_url: str | None = Field(
        default=None, max_length=2048, pattern=r"^https?://[!-~]+$",  # printable ASCII, no spaces
        description="This account's AWS endpoint (moto, LocalStack, an AWS-compatible API) for discovery, "
                    "connection tests and Prowler; unset means CLOUD_AWS_ENDPOINT_URL, or AWS itself")

    @field_validator("endpoint_url")
    @classmethod
    def _endpoint_shape(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("endpoint_url must be an http(s) URL with a host")
        if parts.username or parts.password or parts.query or parts.fragment:
            raise ValueError("endpoint_url takes no user name, password, query or fragment")
        return value.strip().rstrip("/")

    @model_validator(mode="after")
    def _method_fields(self) -> AwsAccountCreate:
        if self.auth_method is AwsAuthMethod.ROLE:
            match = ROLE_ARN.match(self.role_arn or "")
            if match is None:
                raise ValueError("role_arn must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)")
            if match.group(1) != self.account_id:
                raise ValueError("role_arn belongs to another account than account_id")
            external = self.external_id.get_secret_value() if self.external_id else ""
            if not re.fullmatch(r"[\w+=,.@:/-]{2,1224}", external):
                raise ValueError("external_id is required with auth_method=role (2-1224 characters)")
            if self.access_key_id or self.secret_access_key:
                raise ValueError("access keys are not used with auth_method=role")
        else:
            if not self.access_key_id or not self.secret_access_key:
                raise ValueError("access_key_id and secret_access_key are required with auth_method=access_keys")
            if not re.fullmatch(r"[A-Za-z0-9/+=]{40}", self.secret_access_key.get_secret_value()):
                raise ValueError("secret_access_key must be 40 characters of AWS's alphabet")
            if self.role_arn:
                raise ValueError("role_arn is not used with auth_method=access_keys")
        return self


class GcpAccountCreate(_Create):
    provider: Literal[CloudProvider.GCP] = CloudProvider.GCP
    service_account_key: SecretStr = Field(description="The service account's JSON key file content")
    project_ids: list[Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")]] = Field(
        default_factory=list, max_length=200)
    organization_id: str | None = Field(default=None, pattern=r"^\d{1,20}$")

    @field_validator("service_account_key")
    @classmethod
    def _key_shape(cls, value: SecretStr) -> SecretStr:
        try:
            key = json.loads(value.get_secret_value())
        except json.JSONDecodeError:
            raise ValueError("service_account_key is not JSON (paste the key file's content)") from None
        if not isinstance(key, dict) or key.get("type") != "service_account":
            raise ValueError("service_account_key is not a service-account key (type must be service_account)")
        for field in ("client_email", "private_key", "token_uri"):
            if not isinstance(key.get(field), str) or not key[field]:
                raise ValueError(f"service_account_key lacks {field}")
        if "PRIVATE KEY-----" not in key["private_key"]:
            raise ValueError("service_account_key.private_key is not a PEM private key")
        return value

    @model_validator(mode="after")
    def _scope(self) -> GcpAccountCreate:
        if not self.project_ids and not self.organization_id:
            key = json.loads(self.service_account_key.get_secret_value())
            if not key.get("project_id"):
                raise ValueError("give project_ids or organization_id (the key names no project)")
            self.project_ids = [key["project_id"]]
        return self


class AzureAccountCreate(_Create):
    provider: Literal[CloudProvider.AZURE] = CloudProvider.AZURE
    tenant_id: str = Field(pattern=GUID)
    client_id: str = Field(pattern=GUID)
    client_secret: SecretStr = Field(min_length=1, max_length=1024)
    subscription_ids: list[Annotated[str, Field(pattern=GUID)]] = Field(min_length=1, max_length=200)


CloudAccountCreate = Annotated[AwsAccountCreate | GcpAccountCreate | AzureAccountCreate,
                               Field(discriminator="provider")]


class CloudAccountUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name | None = None
    enabled: bool | None = None


class ConnectionTest(BaseModel):
    ok: bool
    reason: str
    """Why it failed, in words; on success what answered ("arn:aws:iam::…:user/scanner")."""
    checked_at: datetime
    identity: str | None = None
    duration_ms: float | None = None


class CloudAccountOut(BaseModel):
    id: str
    provider: CloudProvider
    name: str
    auth_method: str
    identifiers: dict[str, Any]
    """Non-secret identifiers: account id, role ARN, project ids, tenant, client id, subscriptions."""
    has_credentials: bool
    enabled: bool
    created_by: str
    created_at: datetime
    updated_at: datetime
    last_test: ConnectionTest | None = None


class RotationReport(BaseModel):
    rotated: int
    failed: int
