"""Request and response bodies of the risk register API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from cspm.core.fields import MultiLineText, SingleLineText
from cspm.risks.models import AcceptanceState, ActionStatus, KriMetric, RiskStatus, Treatment

Name = Annotated[SingleLineText, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ShortText = Annotated[SingleLineText, StringConstraints(strip_whitespace=True, max_length=200)]
LongText = Annotated[MultiLineText, StringConstraints(max_length=4000)]
ScfId = Annotated[SingleLineText, StringConstraints(strip_whitespace=True, pattern=r"^[A-Z]{2,5}-\d{1,3}(\.\d{1,3})?$")]
Scale = Annotated[int, Field(ge=1, le=5)]
AssetKind = Literal["target", "cloud_account", "image", "host", "bia_process", "other"]
Colour = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    model_config = ConfigDict(extra="ignore")


class AssetRef(Request):
    kind: AssetKind
    ref: Name = Field(description="Target id, cloud account id, image reference, host, or BIA process id")
    name: ShortText | None = None


class RiskFields(Request):
    description: LongText = ""
    threat: LongText = ""
    vulnerability: LongText = ""
    assets: list[AssetRef] = Field(default_factory=list, max_length=100)
    owner: ShortText = ""
    category: ShortText = ""
    likelihood_justification: LongText = ""
    impact_justification: LongText = ""
    treatment: Treatment | None = None
    residual_likelihood: Scale | None = Field(default=None, description="The analyst's own residual estimate")
    residual_impact: Scale | None = None
    status: RiskStatus = RiskStatus.IDENTIFIED
    review_date: date | None = None


class RiskIn(RiskFields):
    title: Name
    likelihood: Scale = Field(description="Inherent likelihood on the team's matrix scale")
    impact: Scale


class RiskFromFinding(Request):
    finding_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{24}$")]
    owner: ShortText = ""
    impact: Scale = 3


class RiskUpdate(Request):
    title: Name | None = None
    description: LongText | None = None
    threat: LongText | None = None
    vulnerability: LongText | None = None
    assets: list[AssetRef] | None = Field(default=None, max_length=100)
    owner: ShortText | None = None
    category: ShortText | None = None
    likelihood: Scale | None = None
    impact: Scale | None = None
    likelihood_justification: LongText | None = None
    impact_justification: LongText | None = None
    treatment: Treatment | None = None
    residual_likelihood: Scale | None = None
    residual_impact: Scale | None = None
    status: RiskStatus | None = None
    review_date: date | None = None
    reason: ShortText = Field(default="", description="Why, kept in the risk's history")


class TreatmentActionIn(Request):
    title: Name
    owner: ShortText = ""
    due_date: date | None = None
    status: ActionStatus = ActionStatus.PLANNED
    scf_ids: list[ScfId] = Field(default_factory=list, max_length=50, description="Applied SCF controls")


class ActionUpdate(Request):
    title: Name | None = None
    owner: ShortText | None = None
    due_date: date | None = None
    status: ActionStatus | None = None
    scf_ids: list[ScfId] | None = Field(default=None, max_length=50)


class Cell(Out):
    likelihood: int
    impact: int
    score: int
    level: str
    colour: str


class ControlState(Out):
    scf_id: str
    status: str
    title: str | None = None


class ComputedResidual(Cell):
    coverage: float
    controls: list[ControlState]
    reason: str


class ActionOut(Out):
    id: str
    title: str
    owner: str = ""
    due_date: date | None = None
    status: ActionStatus
    scf_ids: list[str] = []


class RiskOut(Out):
    id: str
    title: str
    description: str = ""
    threat: str = ""
    vulnerability: str = ""
    assets: list[dict[str, Any]] = []
    owner: str = ""
    category: str = ""
    inherent: Cell
    likelihood_justification: str = ""
    impact_justification: str = ""
    treatment: Treatment | None = None
    residual_estimate: Cell | None = Field(default=None, description="The analyst's own residual estimate")
    computed_residual: ComputedResidual | None = Field(
        default=None, description="From the linked controls' live state in the compliance engine")
    residual: Cell = Field(description="What the heat map shows: computed, else the estimate, else the inherent")
    status: RiskStatus
    review_date: date | None = None
    actions: list[ActionOut] = []
    finding_keys: list[str] = []
    acceptance: dict[str, Any] | None = None
    source: dict[str, Any] | None = None
    created_at: datetime
    updated_at: datetime
    notes: list[str] = Field(default_factory=list, description="What the register lacks (a module switched off)")


class RiskDetail(RiskOut):
    history: list[dict[str, Any]] = []


class RiskPage(Out):
    risks: list[RiskOut]
    total: int


class HeatMapOut(Out):
    size: int
    likelihood_labels: list[str]
    impact_labels: list[str]
    cells: list[list[str]]
    levels: list[dict[str, str]]
    inherent: list[list[int]]
    residual: list[list[int]]


class Level(Request):
    name: Annotated[SingleLineText, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    colour: Colour


class MatrixIn(Request):
    size: Literal[3, 4, 5] | None = None
    preset: Literal[3, 4, 5] | None = Field(default=None, description="Start from the 3x3, 4x4 or 5x5 preset")
    likelihood_labels: list[ShortText] | None = Field(default=None, max_length=5)
    impact_labels: list[ShortText] | None = Field(default=None, max_length=5)
    levels: list[Level] | None = Field(default=None, min_length=1, max_length=10)
    cells: list[list[ShortText]] | None = Field(default=None, max_length=5)

    @model_validator(mode="after")
    def _size_or_preset(self) -> MatrixIn:
        if self.size is None and self.preset is None:
            raise ValueError("give a preset (3, 4 or 5) or a size with labels, levels and cells")
        return self


class MatrixOut(Out):
    size: int
    likelihood_labels: list[str]
    impact_labels: list[str]
    levels: list[dict[str, str]]
    cells: list[list[str]]
    rescored: int | None = None


class AcceptanceIn(Request):
    reason: Annotated[MultiLineText, StringConstraints(strip_whitespace=True, min_length=3, max_length=4000)]
    expires_at: datetime


class AcceptanceDecision(Request):
    approve: bool
    comment: LongText = ""


class AcceptanceOut(Out):
    id: str
    risk_id: str
    state: AcceptanceState
    reason: str
    requested_by: str
    requested_at: datetime
    expires_at: datetime
    approver: str | None = None
    decided_at: datetime | None = None
    comment: str = ""
    finding_keys: list[str] = []


class KriThresholds(Request):
    amber: float
    red: float
    direction: Literal["higher_is_worse", "lower_is_worse"] = "higher_is_worse"

    @model_validator(mode="after")
    def _ordered(self) -> KriThresholds:
        worse_first = self.red >= self.amber if self.direction == "higher_is_worse" else self.red <= self.amber
        if not worse_first:
            raise ValueError(f"with {self.direction}, red must be beyond amber (amber {self.amber}, red {self.red})")
        return self


class KriScope(Request):
    severity: Literal["critical", "high", "medium", "low", "info"] | None = None
    source_tool: ShortText | None = None
    scope_key: ShortText | None = None
    target_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{24}$")] | None = None
    framework_id: ShortText | None = None


class KriIn(Request):
    name: Name
    metric: KriMetric
    scope: KriScope = Field(default_factory=KriScope)
    thresholds: KriThresholds


class KriOut(Out):
    id: str
    name: str
    metric: KriMetric
    scope: dict[str, Any]
    thresholds: dict[str, Any]
    value: float | None = None
    status: Literal["green", "amber", "red", "unavailable", "not_computed"] = "not_computed"
    note: str | None = None
    computed_at: datetime | None = None
    history: list[dict[str, Any]] = []


class ProposalOut(Out):
    id: str
    kind: str
    key: str
    title: str
    evidence: list[dict[str, Any]]
    suggested: dict[str, Any]
    state: str
    created_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    reason: str | None = None
    risk_id: str | None = None


class ProposalRun(Out):
    created: int
    notes: list[str]


class ProposalDecision(Request):
    accept: bool
    reason: ShortText = ""
    owner: ShortText = ""


class RiskEventOut(Out):
    id: str
    at: datetime
    kind: str
    detail: str
    risk_id: str | None = None
    kri_id: str | None = None
    owner: str | None = None
