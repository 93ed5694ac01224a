"""Domain types of the integrations module: channel kinds, the events routed to them, delivery states."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class ChannelKind(StrEnum):
    SLACK = "slack"
    TEAMS = "teams"
    WEBHOOK = "webhook"
    EMAIL = "email"
    JIRA = "jira"


class EventType(StrEnum):
    """What a routing rule can subscribe to; each comes from a platform event (see events.py)."""

    FINDING_NEW = "finding.new"
    """A new critical or high finding (findings ingest, FINDINGS_CHANGED)."""
    KEV_MATCH = "threat_intel.kev_match"
    """A new finding whose CVE is in CISA's KEV catalogue (threat intel enrichment)."""
    IOC_MATCH = "threat_intel.ioc_match"
    """An indicator matched one of the team's assets (INDICATORS_MATCHED)."""
    DRIFT_REGRESSION = "compliance.drift"
    """A control regressed or a framework fell below its threshold (COMPLIANCE_DRIFTED)."""
    SCAN_FAILED = "scan.failed"
    """A scan run ended failed or timed out (SCAN_FAILED)."""
    KRI_RED = "risks.kri_red"
    """A key risk indicator turned red (the risk register's KRI_RED event, when that module is installed)."""
    TEST = "integration.test"
    """Sent by the wizard's test step and the health check of notification channels."""


class DeliveryState(StrEnum):
    QUEUED = "queued"
    DELIVERING = "delivering"
    DELIVERED = "delivered"
    DEAD_LETTER = "dead_letter"


class HealthState(StrEnum):
    UNKNOWN = "unknown"
    OK = "ok"
    FAILING = "failing"


class WizardStep(StrEnum):
    CREDENTIALS = "credentials"
    TEST = "test"
    RULES = "rules"
    DONE = "done"


SEVERITY_RANK = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}
NOTIFIED_SEVERITIES = ("critical", "high")
"""New findings of these severities are announced (the issue: "new critical/high findings")."""


@dataclass(frozen=True)
class NotificationEvent:
    """One thing worth telling a channel about, in a shape every channel renders from."""

    type: EventType
    key: str
    """Stable per occurrence: one delivery per integration and key, however often the event is raised."""
    severity: str
    title: str
    summary: str
    tool: str | None = None
    target: str | None = None
    facts: dict[str, str] = field(default_factory=dict)
    finding_id: str | None = None
    """The finding it is about, if any (a Jira integration opens an issue from it)."""
    link: str | None = None
    """Dashboard path of the subject (``/findings?...``)."""
    occurred_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def document(self) -> dict[str, Any]:
        return {**asdict(self), "type": self.type.value}

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> NotificationEvent:
        values: dict[str, Any] = {name: document.get(name) for name in cls.__dataclass_fields__}
        occurred = values["occurred_at"]
        values["occurred_at"] = occurred.replace(tzinfo=UTC) if occurred and occurred.tzinfo is None else occurred
        return cls(**{**values, "type": EventType(document["type"]), "facts": document.get("facts") or {}})


@dataclass(frozen=True)
class SendOutcome:
    """What one attempt at a channel gave: delivered, or why not and whether trying again can help."""

    ok: bool
    latency_ms: float
    status_code: int | None = None
    error: str | None = None
    retryable: bool = True
    retry_after_seconds: float | None = None
    response: dict[str, Any] | None = None
    """The parts of the answer worth keeping (a Jira issue's key and URL)."""
