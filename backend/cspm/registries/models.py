"""Registry connections: request bodies (secrets as SecretStr, never returned) and answers."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from cspm.core.fields import SingleLineText

Name = Annotated[SingleLineText, Field(min_length=1, max_length=120)]
AWS_REGION = r"^[a-z]{2}(?:-[a-z]+)+-\d$"


class RegistryKind(StrEnum):
    OCI = "oci"
    """Any OCI Distribution v2 registry: Docker Hub, GHCR, Harbor, distribution itself."""
    ECR = "ecr"


class OciRegistryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal[RegistryKind.OCI] = RegistryKind.OCI
    name: Name
    url: str = Field(pattern=r"^https?://[A-Za-z0-9.-]+(?::\d{1,5})?/?$", max_length=300,
                     description="The registry's base URL (http only for a registry on a trusted network)")
    username: Annotated[SingleLineText, Field(max_length=256)] | None = None
    password: SecretStr | None = Field(default=None, description="Password or access token (basic or token auth)")
    repositories: list[Annotated[str, Field(pattern=r"^[a-z0-9]+(?:[._/-][a-z0-9]+)*$", max_length=255)]] = Field(
        default_factory=list, max_length=500,
        description="Repositories to sync when the registry offers no catalogue (Docker Hub, GHCR); "
                    "empty: the catalogue")

    @model_validator(mode="after")
    def _pair(self) -> OciRegistryCreate:
        if bool(self.username) != bool(self.password):
            raise ValueError("give both username and password, or neither (anonymous)")
        return self


class EcrRegistryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal[RegistryKind.ECR] = RegistryKind.ECR
    name: Name
    region: str = Field(pattern=AWS_REGION)
    registry_id: str = Field(pattern=r"^\d{12}$", description="The AWS account id owning the registry")
    access_key_id: str = Field(pattern=r"^(?:AKIA|ASIA)[A-Z0-9]{16}$")
    secret_access_key: SecretStr = Field(min_length=40, max_length=40)


RegistryCreate = Annotated[OciRegistryCreate | EcrRegistryCreate, Field(discriminator="kind")]


class RepositoryStatus(BaseModel):
    name: str
    state: str
    """ok, error"""
    error: str | None = None
    tag_count: int = 0
    image_count: int = 0
    last_sync: datetime | None = None


class RegistryOut(BaseModel):
    id: str
    kind: RegistryKind
    name: str
    url: str
    identifiers: dict[str, str | bool | list[str] | None]
    has_credentials: bool
    created_by: str
    created_at: datetime
    last_sync: datetime | None = None
    last_sync_state: str | None = None
    last_sync_error: str | None = None
    repository_count: int = 0
    image_count: int = 0


class ImageScan(BaseModel):
    run_id: str | None = None
    state: str
    """not_scanned, queued, running, succeeded, failed…: the scan run's state"""
    reason: str | None = None
    requested_at: datetime | None = None


class RegistryImageOut(BaseModel):
    id: str
    registry_id: str
    repository_name: str
    image_digest: str
    reference: str
    tags: list[str]
    media_type: str | None = None
    platforms: list[str] = []
    first_seen: datetime
    last_seen: datetime
    scan: ImageScan


class ImagePage(BaseModel):
    items: list[RegistryImageOut]
    total: int


class SyncReport(BaseModel):
    registry_id: str
    state: str
    repositories: int
    images: int
    new_digests: int
    removed_digests: int
    scans_started: int
    errors: list[str]
