"""Request and response bodies of the AI governance API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from cspm.core.fields import MultiLineText, SingleLineText

Name = Annotated[SingleLineText, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ShortText = Annotated[SingleLineText, StringConstraints(strip_whitespace=True, max_length=200)]
LongText = Annotated[MultiLineText, StringConstraints(max_length=4000)]
Role = Literal["provider", "deployer", "importer", "distributor"]
Lifecycle = Literal["design", "development", "validation", "production", "retired"]
Sourcing = Literal["in_house", "third_party"]
DeploymentKind = Literal["target", "cloud_account", "image", "url", "host", "other"]
DataKind = Literal["training", "validation", "evaluation", "input", "other"]
ObligationStatus = Literal["not_started", "in_progress", "met", "not_applicable"]
QuestionId = Annotated[SingleLineText, StringConstraints(pattern=r"^[a-z0-9.]{2,40}$")]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DeploymentLink(Request):
    kind: DeploymentKind
    ref: Name = Field(description="Target URL or host, cloud account id, image reference: what a scan names it")


class DataSource(Request):
    name: Name
    kind: DataKind
    personal_data_categories: list[ShortText] = Field(default_factory=list, max_length=30)
    description: LongText | None = None


class FairnessLimitsIn(Request):
    min_ratio: float = Field(default=0.8, gt=0, le=1, description="Smallest passing ratio (four-fifths rule: 0.8)")
    max_difference: float = Field(default=0.1, ge=0, lt=1, description="Largest passing difference")


class SystemFields(Request):
    purpose: LongText = ""
    owner: ShortText = ""
    sourcing: Sourcing = "in_house"
    provider_name: ShortText | None = Field(default=None, description="Who supplies it, when third-party")
    model_family: ShortText = ""
    model_version: ShortText = ""
    deployment: list[DeploymentLink] = Field(default_factory=list, max_length=50)
    intended_users: list[ShortText] = Field(default_factory=list, max_length=30)
    affected_persons: list[ShortText] = Field(default_factory=list, max_length=30)
    data_sources: list[DataSource] = Field(default_factory=list, max_length=50)
    role: Role = "provider"
    lifecycle: Lifecycle = "design"
    fairness_limits: FairnessLimitsIn | None = None


class SystemIn(SystemFields):
    name: Name


class SystemUpdate(Request):
    name: Name | None = None
    purpose: LongText | None = None
    owner: ShortText | None = None
    sourcing: Sourcing | None = None
    provider_name: ShortText | None = None
    model_family: ShortText | None = None
    model_version: ShortText | None = None
    deployment: list[DeploymentLink] | None = Field(default=None, max_length=50)
    intended_users: list[ShortText] | None = Field(default=None, max_length=30)
    affected_persons: list[ShortText] | None = Field(default=None, max_length=30)
    data_sources: list[DataSource] | None = Field(default=None, max_length=50)
    role: Role | None = None
    lifecycle: Lifecycle | None = None
    fairness_limits: FairnessLimitsIn | None = None
    change_note: LongText | None = Field(default=None, description="Why it changed (kept with the version)")


class DerogationIn(Request):
    conditions: list[Literal["6.3.a", "6.3.b", "6.3.c", "6.3.d"]] = Field(max_length=4)
    justification: LongText = Field(description="The provider's documented assessment (Article 6(4))")


class ClassificationIn(Request):
    answers: dict[QuestionId, bool] = Field(max_length=100)
    derogation: DerogationIn | None = None


class EvidenceItem(Request):
    title: Name
    url: ShortText | None = None
    note: LongText | None = None


class ObligationUpdate(Request):
    status: ObligationStatus
    owner: ShortText | None = None
    note: LongText | None = None
    evidence: list[EvidenceItem] = Field(default_factory=list, max_length=20)


# --- responses ---------------------------------------------------------------------------------
class Cited(BaseModel):
    ref: str
    text: str


class ReasoningStep(BaseModel):
    question: str | None
    prompt: str
    answer: bool
    conclusion: str
    provisions: list[Cited]


class DerogationOut(BaseModel):
    conditions: list[str]
    justification: str
    applies: bool


class ClassificationOut(BaseModel):
    risk_class: Literal["prohibited", "high_risk", "limited", "minimal"]
    label: str
    high_risk_basis: list[str]
    annex_iii_points: list[str]
    transparency: list[str]
    gpai: bool
    gpai_systemic_risk: bool
    derogation: DerogationOut | None
    reasoning: list[ReasoningStep]
    answers: dict[str, bool] = Field(default_factory=dict)
    classified_at: datetime | None = None
    classified_by: str | None = None


class SystemOut(BaseModel):
    id: str
    name: str
    purpose: str
    owner: str
    sourcing: Sourcing
    provider_name: str | None
    model_family: str
    model_version: str
    deployment: list[DeploymentLink]
    intended_users: list[str]
    affected_persons: list[str]
    data_sources: list[DataSource]
    role: Role
    lifecycle: Lifecycle
    fairness_limits: FairnessLimitsIn
    version: int
    classification: ClassificationOut | None
    latest_bias_verdict: Literal["pass", "fail"] | None = None
    created_at: datetime
    updated_at: datetime


class VersionOut(BaseModel):
    version: int
    at: datetime
    actor: str
    change: str
    note: str | None
    snapshot: dict[str, Any]


class QuestionOut(BaseModel):
    id: str
    section: str
    prompt: str
    provisions: list[Cited]


class QuestionnaireOut(BaseModel):
    regulation: str
    sections: list[dict[str, str]]
    questions: list[QuestionOut]
    derogation_conditions: list[Cited]
    derogation_text: str
    min_justification: int


class ScanEvidence(BaseModel):
    available: bool
    reason: str | None = None
    assets: list[dict[str, Any]] = Field(default_factory=list)
    open_findings: int = 0
    by_severity: dict[str, int] = Field(default_factory=dict)


class ScfLink(BaseModel):
    available: bool
    reason: str | None = None
    framework_id: str | None = None
    controls: list[str] = Field(default_factory=list)


class ObligationOut(BaseModel):
    key: str
    article: int
    title: str
    refs: list[str]
    text: str
    why: str
    status: ObligationStatus
    owner: str | None
    note: str | None
    evidence: list[EvidenceItem]
    updated_at: datetime | None
    updated_by: str | None
    scan_evidence: ScanEvidence | None = None
    scf: ScfLink | None = None


class ObligationsOut(BaseModel):
    risk_class: str | None
    role: Role
    total: int
    done: int
    progress: float
    items: list[ObligationOut]
    message: str | None = None


class GroupMetrics(BaseModel):
    group: str
    selection_rate: float | None
    true_positive_rate: float | None
    false_positive_rate: float | None
    accuracy: float | None
    count: float | None


class Check(BaseModel):
    metric: str
    value: float | None
    limit: float
    operator: Literal[">=", "<="]
    passed: bool


class FailedCheck(Check):
    feature: str


class ThresholdResult(BaseModel):
    threshold: float | None
    groups: list[GroupMetrics]
    overall: dict[str, float | None]
    demographic_parity_difference: float | None
    demographic_parity_ratio: float | None
    equalized_odds_difference: float | None
    equalized_odds_ratio: float | None
    checks: list[Check]
    passed: bool


class FeatureResult(BaseModel):
    feature: str
    results: list[ThresholdResult]


class FindingLink(BaseModel):
    created: bool
    reason: str | None = None
    dedup_keys: list[str] = Field(default_factory=list)
    counts: dict[str, int] = Field(default_factory=dict)


class BiasRunOut(BaseModel):
    id: str
    system_id: str
    model_version: str
    file_name: str
    file_format: Literal["csv", "parquet"]
    data_sha256: str
    rows: int
    spec: dict[str, Any]
    limits: dict[str, float]
    features: list[FeatureResult]
    failed_checks: list[FailedCheck]
    verdict: Literal["pass", "fail"]
    decision_threshold: float | None
    finding: FindingLink
    created_at: datetime
    created_by: str
