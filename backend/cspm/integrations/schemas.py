"""Request and response bodies of the integrations API.

A channel's configuration is one model per kind (``kind`` is the discriminator). Fields typed
``SecretStr`` are the secrets: they are split off, encrypted with the credential vault, and never
returned; everything else is the integration's visible settings.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, SecretStr, StringConstraints

from cspm.core.fields import MultiLineText, SingleLineText
from cspm.integrations.models import DeliveryState, HealthState, WizardStep

Severity = Literal["critical", "high", "medium", "low", "info"]
Name = Annotated[SingleLineText, StringConstraints(strip_whitespace=True, min_length=2, max_length=80)]
Url = Annotated[SingleLineText, StringConstraints(strip_whitespace=True, min_length=8, max_length=2048)]
SecretUrl = Annotated[SecretStr, Field(min_length=8, max_length=2048)]
RoutableEvent = Literal["finding.new", "threat_intel.kev_match", "threat_intel.ioc_match", "compliance.drift",
                        "scan.failed", "risks.kri_red"]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=8192)


class SlackConfig(Body):
    kind: Literal["slack"]
    webhook_url: SecretUrl = Field(description="Incoming webhook URL (https://hooks.slack.com/services/...); "
                                               "a secret: whoever has it can post")


class TeamsConfig(Body):
    kind: Literal["teams"]
    webhook_url: SecretUrl = Field(description="Workflows (Power Automate) webhook URL of the channel; a secret")


class WebhookConfig(Body):
    kind: Literal["webhook"]
    url: Url = Field(description="Receiver URL; every POST is signed with HMAC-SHA256 (X-CSPM-Signature)")
    signing_secret: Annotated[SecretStr, Field(min_length=16, max_length=256)] = Field(
        description="Shared secret the receiver verifies the signature with (16+ characters)")


class EmailConfig(Body):
    kind: Literal["email"]
    host: Annotated[SingleLineText, StringConstraints(min_length=1, max_length=253)]
    port: int = Field(default=587, ge=1, le=65535)
    from_address: EmailStr
    to_addresses: list[EmailStr] = Field(min_length=1, max_length=20)
    username: Annotated[SingleLineText, StringConstraints(max_length=256)] | None = None
    password: Annotated[SecretStr, Field(max_length=256)] | None = None
    ca_certificate_pem: Annotated[MultiLineText, StringConstraints(max_length=20_000)] | None = Field(
        default=None, description="PEM certificate(s) to trust for the relay's STARTTLS certificate (a private "
                                  "CA); the system's trust store otherwise. STARTTLS is always required.")


class JiraConfig(Body):
    kind: Literal["jira"]
    base_url: Url = Field(description="https://your-site.atlassian.net (Cloud) or the Data Center base URL")
    deployment: Literal["cloud", "data_center"] = Field(
        default="cloud", description="cloud: REST v3, e-mail + API token; data_center: REST v2, personal access token")
    project_key: Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]{1,19}$")]
    issue_type: Annotated[SingleLineText, StringConstraints(min_length=1, max_length=60)] = "Task"
    email: Annotated[SingleLineText, StringConstraints(max_length=256)] | None = Field(
        default=None, description="Atlassian account e-mail (Cloud)")
    api_token: Annotated[SecretStr, Field(min_length=1, max_length=512)] = Field(
        description="API token (Cloud) or personal access token (Data Center)")


ChannelConfig = Annotated[SlackConfig | TeamsConfig | WebhookConfig | EmailConfig | JiraConfig,
                          Field(discriminator="kind")]


class IntegrationIn(Body):
    name: Name
    config: ChannelConfig
    enabled: bool = True


class IntegrationUpdate(Body):
    name: Name | None = None
    enabled: bool | None = None
    config: ChannelConfig | None = Field(default=None, description="Replaces the whole configuration, secrets too")


class ConnectionStatusOut(BaseModel):
    state: HealthState
    last_checked_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    latency_ms: float | None = None


class IntegrationOut(BaseModel):
    id: str
    name: str
    kind: str
    enabled: bool
    settings: dict[str, Any] = Field(description="The configuration without its secrets")
    secrets_set: list[str] = Field(description="Names of the secrets stored (encrypted; never returned)")
    status: ConnectionStatusOut
    created_at: datetime
    updated_at: datetime | None = None


class RuleMatch(Body):
    """What a routing rule matches: event types, lowest severity, tools and target text."""

    name: Name
    event_types: list[RoutableEvent] = Field(min_length=1, max_length=10)
    min_severity: Severity = "high"
    tools: list[Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]{1,40}$")]] = Field(
        default_factory=list, max_length=20, description="Only events of these tools (empty: any)")
    target_contains: Annotated[SingleLineText, StringConstraints(max_length=200)] | None = Field(
        default=None, description="Only events whose target contains this text (case-insensitive)")


class RuleIn(RuleMatch):
    integration_ids: list[Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{24}$")]] = Field(
        min_length=1, max_length=20)
    enabled: bool = True


class RuleOut(BaseModel):
    id: str
    name: str
    integration_ids: list[str]
    event_types: list[str]
    min_severity: str
    tools: list[str]
    target_contains: str | None = None
    enabled: bool
    created_at: datetime


class AttemptOut(BaseModel):
    started_at: datetime | None = None
    at: datetime
    ok: bool
    status_code: int | None = None
    error: str | None = None
    latency_ms: float


class DeliveryOut(BaseModel):
    id: str
    integration_id: str
    integration_name: str | None = None
    kind: str
    rule_id: str | None = None
    event_type: str
    title: str
    severity: str
    state: DeliveryState
    attempts: int
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    created_at: datetime
    delivered_at: datetime | None = None
    history: list[AttemptOut]


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    total: int


class HealthCheckOut(BaseModel):
    integration_id: str
    ok: bool
    status: ConnectionStatusOut


class EventTypeOut(BaseModel):
    type: str
    description: str
    available: bool
    reason: str | None = None


class CatalogueEntry(BaseModel):
    kind: str
    label: str
    description: str
    fields: list[dict[str, Any]]


class CatalogueOut(BaseModel):
    channels: list[CatalogueEntry]
    events: list[EventTypeOut]


class WizardStart(Body):
    kind: Literal["slack", "teams", "webhook", "email", "jira"]
    name: Name


class WizardCredentials(Body):
    config: ChannelConfig


class WizardFinish(Body):
    rule: RuleMatch | None = Field(default=None, description="A first routing rule to this integration")


class WizardOut(BaseModel):
    id: str
    kind: str
    name: str
    step: WizardStep
    settings: dict[str, Any]
    secrets_set: list[str]
    test: dict[str, Any] | None = None
    integration_id: str | None = None
    expires_at: datetime
    updated_at: datetime


class TicketIn(Body):
    finding_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{24}$")]


class TicketOut(BaseModel):
    id: str
    integration_id: str
    finding_id: str
    issue_key: str
    issue_url: str
    status: str | None = None
    status_category: str | None = None
    created_at: datetime
    synced_at: datetime | None = None
    finding_moved_at: datetime | None = None
