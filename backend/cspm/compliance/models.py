"""Compliance schemas: control status, API bodies and answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator

from cspm.core.fields import MultiLineText, SingleLineText


class ControlStatus(StrEnum):
    NOT_ASSESSED = "not_assessed"
    IMPLEMENTED = "implemented"
    PARTIALLY_IMPLEMENTED = "partially_implemented"
    NOT_IMPLEMENTED = "not_implemented"
    NOT_APPLICABLE = "not_applicable"


# Higher is better; used to tell a regression from an improvement.
STATUS_RANK = {
    ControlStatus.IMPLEMENTED: 3,
    ControlStatus.PARTIALLY_IMPLEMENTED: 2,
    ControlStatus.NOT_IMPLEMENTED: 1,
}


def is_regression(before: str | None, after: str) -> bool:
    """implemented → partially/not implemented, or partially → not implemented."""
    if before not in STATUS_RANK or after not in STATUS_RANK:
        return False
    return STATUS_RANK[ControlStatus(after)] < STATUS_RANK[ControlStatus(before)]


class DriftKind(StrEnum):
    CONTROL_REGRESSION = "control_regression"
    EVIDENCE_EXPIRED = "evidence_expired"
    SCORE_BELOW_THRESHOLD = "score_below_threshold"
    SCORE_ABOVE_THRESHOLD = "score_above_threshold"
    ASSESSMENT_CONTRADICTED = "assessment_contradicted"
    """A scan finding contradicts an attestation (an assessment answered "met")."""


ENGINE_ACTOR = "engine"

ATTESTABLE = (ControlStatus.IMPLEMENTED, ControlStatus.PARTIALLY_IMPLEMENTED, ControlStatus.NOT_IMPLEMENTED)


@dataclass(frozen=True, slots=True)
class Attestation:
    """A statement about SCF controls made outside the scanners, such as an assessment answer.

    The engine counts it beside the findings: ``implemented`` as passing evidence,
    ``not_implemented`` as a failure, ``partially_implemented`` as partial evidence; it shows
    ``title`` in the control's evidence. A manual override still wins over both.
    """

    key: str
    """Unique per team: the same key replaces the earlier statement (``assessment:<id>:<ref>``)."""
    source: str
    """What made it (``assessment``)."""
    source_id: str
    """The document it comes from (the assessment id), to withdraw them all together."""
    scf_ids: tuple[str, ...]
    status: ControlStatus
    title: str
    """Shown as the evidence: "ASVS 5.0.0 V6.2.1 answered met by a@example.com on 2026-01-02"."""
    actor: str
    at: datetime
    link: str | None = None
    """Where a person reads the source (a dashboard path)."""

    def __post_init__(self) -> None:
        if self.status not in ATTESTABLE:
            raise ValueError(f"an attestation states implemented, partially or not implemented, not {self.status}")
        if not self.key or not self.scf_ids:
            raise ValueError("an attestation needs a key and at least one SCF control")

    def document(self) -> dict[str, Any]:
        return {"key": self.key, "source": self.source, "source_id": self.source_id, "scf_ids": list(self.scf_ids),
                "status": self.status.value, "title": self.title, "actor": self.actor, "at": self.at,
                "link": self.link}


class EvidenceLink(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: SingleLineText = Field(min_length=1, max_length=200)
    url: HttpUrl | None = None
    expires_at: datetime | None = None


class StatusOverride(BaseModel):
    """Manual status of a control, with the reason a reviewer will read."""

    model_config = ConfigDict(extra="forbid")

    status: ControlStatus
    reason: MultiLineText = Field(min_length=3, max_length=2000)
    owner: Annotated[SingleLineText, Field(max_length=200)] | None = None
    evidence: list[EvidenceLink] = Field(default_factory=list, max_length=20)

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str) -> str:
        value = value.strip()
        if len(value) < 3:
            raise ValueError("a reason of at least 3 characters is required")
        return value


class RequirementAnswer(StatusOverride):
    """Status of one framework requirement; applied to every SCF control it maps to."""

    requirement_id: SingleLineText = Field(min_length=1, max_length=200)


class ImportReport(BaseModel):
    version_id: str
    release: str | None
    file_name: str
    sha256: str
    counts: dict[str, int]
    previous_version_id: str | None
    skipped_columns: list[dict[str, str]]
    warnings: list[str]
    seconds: float


class RegistryStatus(BaseModel):
    source: str
    version_id: str
    release: str | None
    imported_at: str | None = None
    file_name: str | None = None
    counts: dict[str, int]


def public(document: dict[str, Any] | None) -> dict[str, Any] | None:
    """A stored document without MongoDB internals (``_id``, ``team_id``)."""
    if document is None:
        return None
    return {key: value for key, value in document.items() if key not in ("_id", "team_id")}
