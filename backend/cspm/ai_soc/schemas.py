"""Request and response bodies of the AI-SOC API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from cspm.core.fields import SingleLineText

Action = Literal["false_positive", "accept_risk", "keep", "create_risk", "open_ticket"]


class Out(BaseModel):
    model_config = ConfigDict(extra="ignore")


class LlmStatus(Out):
    configured: bool
    model: str | None = None
    message: str


class Priority(Out):
    score: float
    explanation: str
    factors: list[dict[str, Any]] = []
    severity: str | None = None


class Citation(Out):
    chunk_id: str
    source: str
    title: str | None
    excerpt: str
    why: str


class Remediation(Out):
    plan: list[str] = []
    upgrade: dict[str, Any] | None = None
    citations: list[Citation] = []
    narrative: str | None = None


class Recommendation(Out):
    action: Literal["keep", "false_positive", "accept_risk"]
    reason: str
    rule: str


class AppliedAction(Out):
    action: Action
    actor: str
    at: datetime
    reason: str
    findings_changed: int
    recommended: bool
    risk_owner: str | None = None
    expires_at: datetime | None = None
    risk_id: str | None = Field(default=None, description="create_risk: the risk it made in the register")
    ticket_key: str | None = Field(default=None, description="open_ticket: the Jira issue it opened")
    ticket_url: str | None = None


class CaseSummary(Out):
    id: str
    key: str
    rule: str
    title: str
    status: Literal["open", "closed"]
    created_at: datetime
    updated_at: datetime
    finding_count: int
    resources: list[str]
    severity: str | None
    cve_ids: list[str]
    priority: Priority
    recommendation: Recommendation
    summary: str | None = None
    actions: list[AppliedAction] = []


class CasePage(Out):
    items: list[CaseSummary]
    total: int
    llm: LlmStatus


class StepRecord(Out):
    agent: str
    run_id: str
    at: datetime
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    rule: str
    citations: list[str]
    duration_ms: float
    llm: dict[str, Any] | None = None


class AvailableAction(Out):
    action: Action
    label: str
    recommended: bool
    available: bool
    unavailable_reason: str | None


class CaseFinding(Out):
    id: str
    dedup_key: str
    source_tool: str
    rule_id: str
    title: str
    severity: str
    status: str
    resource: dict[str, Any]
    cve_ids: list[str] = []
    package: dict[str, Any] | None = None
    priority: float | None = None


class CaseDetail(CaseSummary):
    enrichment: dict[str, Any]
    remediation: Remediation
    trail: list[StepRecord]
    findings: list[CaseFinding]
    available_actions: list[AvailableAction]
    llm: LlmStatus
    llm_configured: bool


class CaseActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Action
    reason: SingleLineText = Field(min_length=3, max_length=1000)
    risk_owner: SingleLineText | None = Field(default=None, max_length=200)
    expires_at: datetime | None = None


class AppliedOut(Out):
    id: str
    findings_changed: int
    actions: list[AppliedAction]


class SocRunOut(Out):
    id: str
    state: Literal["queued", "running", "done", "failed"]
    trigger: Literal["ingest", "manual"]
    started_at: datetime
    finished_at: datetime | None = None
    findings: int | None = None
    cases: int | None = None
    new_cases: int | None = None
    closed_cases: int | None = None
    auto_applied: int | None = None
    by_rule: dict[str, int] | None = None
    agent_ms: dict[str, float] | None = None
    llm: dict[str, Any] | None = None
    duration_ms: float | None = None
    error: str | None = None


class BriefOut(Out):
    id: str
    date: str
    generated_at: datetime
    lines: list[str]
    kev_matches: int
    new_cases: int
    indicator_matches: int
    top_case_ids: list[str]
    narrative: str | None
    llm: LlmStatus
    llm_record: dict[str, Any] | None


class SettingsOut(Out):
    auto_apply: list[str]
    auto_applicable: dict[str, str]


class SettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    auto_apply: list[SingleLineText] = Field(default_factory=list, max_length=10)


class StatusOut(Out):
    llm: LlmStatus
    bia: str
    tickets: str
    risks: str
