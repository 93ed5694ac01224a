"""Request and response bodies of the assessments API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator, model_validator

from cspm.assessments.models import Answer, AssessmentStatus
from cspm.core.fields import MultiLineText, SingleLineText

Ref = Annotated[SingleLineText, Field(min_length=2, max_length=20, pattern=r"^[A-Z]{1,2}[A-Z0-9.\-]{1,18}$")]
Tier = Annotated[int, Field(ge=1, le=4)]
ObjectIdText = Annotated[SingleLineText, Field(min_length=1, max_length=64)]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=8000)


class ScopeIn(Request):
    description: MultiLineText = Field(default="", max_length=4000)
    target_ids: list[ObjectIdText] = Field(default_factory=list, max_length=50,
                                           description="Scan targets (web applications, hosts, images) in scope")
    cloud_account_ids: list[ObjectIdText] = Field(default_factory=list, max_length=50)


class TargetProfileIn(Request):
    """CSF 2.0: the target tier of each subcategory (the organisation's target profile)."""

    default_tier: Tier = 3
    tiers: dict[Ref, Tier] = Field(default_factory=dict, max_length=200,
                                   description="Per subcategory (GV.OC-01: 4); others get default_tier")


class AssessmentCreate(Request):
    template: Literal["owasp-asvs-5.0.0", "nist-csf-2.0"]
    name: SingleLineText = Field(min_length=1, max_length=200)
    level: Literal[1, 2, 3] | None = Field(default=None, description="ASVS: target level (L1, L2 or L3)")
    target_profile: TargetProfileIn | None = Field(default=None, description="CSF 2.0: target tiers")
    scope: ScopeIn = Field(default_factory=ScopeIn)
    owner: Annotated[SingleLineText, Field(max_length=200)] | None = None
    due_date: date | None = None

    @model_validator(mode="after")
    def _level_or_profile(self) -> AssessmentCreate:
        if self.template == "owasp-asvs-5.0.0":
            if self.level is None:
                raise ValueError("an ASVS assessment needs a level (1, 2 or 3)")
            if self.target_profile is not None:
                raise ValueError("target_profile is for NIST CSF assessments; ASVS takes a level")
        elif self.level is not None:
            raise ValueError("level is for ASVS assessments; NIST CSF takes a target_profile")
        return self


class AssessmentUpdate(Request):
    name: Annotated[SingleLineText, Field(min_length=1, max_length=200)] | None = None
    scope: ScopeIn | None = None
    owner: Annotated[SingleLineText, Field(max_length=200)] | None = None
    due_date: date | None = None
    clear_due_date: bool = False
    target_profile: TargetProfileIn | None = None


class EvidenceLinkIn(Request):
    title: SingleLineText = Field(min_length=1, max_length=200)
    url: HttpUrl


class AnswerIn(Request):
    """An answer to one requirement. ``answer: null`` with nothing else clears it."""

    answer: Answer | None = None
    reason: MultiLineText | None = Field(default=None, max_length=2000,
                                         description="Required when the answer is not_applicable")
    tier: Tier | None = Field(default=None, description="CSF: the tier achieved for this subcategory")
    notes: MultiLineText = Field(default="", max_length=4000)
    links: list[EvidenceLinkIn] = Field(default_factory=list, max_length=20)

    @field_validator("reason")
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        return value.strip() if value is not None else None

    @model_validator(mode="after")
    def _reason_for_not_applicable(self) -> AnswerIn:
        if self.answer is Answer.NOT_APPLICABLE and (not self.reason or len(self.reason) < 3):
            raise ValueError("not_applicable needs a reason of at least 3 characters")
        return self


class BulkAnswer(AnswerIn):
    ref: Ref


class BulkAnswerIn(Request):
    answers: list[BulkAnswer] = Field(min_length=1, max_length=400)


class StatusChangeIn(Request):
    status: AssessmentStatus
    reason: Annotated[MultiLineText, Field(max_length=2000)] | None = Field(
        default=None, description="Required to reopen a completed assessment")


class ProgressOut(BaseModel):
    answered: int
    in_scope: int
    percent: float


class GroupProgressOut(ProgressOut):
    id: str
    name: str


class AssessmentOut(BaseModel):
    id: str
    name: str
    template: str
    framework: str
    version: str
    kind: Literal["asvs", "csf"]
    level: int | None = None
    target_profile: dict[str, Any] | None = None
    scope: dict[str, Any]
    owner: str | None = None
    due_date: date | None = None
    status: AssessmentStatus
    created_by: str
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None = None
    completed_by: str | None = None
    progress: ProgressOut
    groups: list[GroupProgressOut]
    scores: dict[str, Any]
    suggested: int = Field(description="Unanswered requirements with a suggestion from scan findings")
    suggestions_computed_at: datetime | None = None


class TemplateOut(BaseModel):
    id: str
    framework: str
    version: str
    name: str
    kind: Literal["asvs", "csf"]
    description: str
    source: str
    licence: str
    counts: dict[str, Any]
    groups: list[dict[str, str]]
    levels: list[int] = Field(default_factory=list)
    tiers: list[dict[str, Any]] = Field(default_factory=list)


class EvidenceOut(BaseModel):
    id: str
    ref: str | None = None
    kind: Literal["file", "link"]
    file_name: str | None = None
    content_type: str | None = None
    size: int | None = None
    sha256: str | None = None
    title: str | None = None
    url: str | None = None
    uploaded_by: str
    uploaded_at: datetime


class RequirementOut(BaseModel):
    ref: str
    group_id: str
    group_name: str
    section_id: str
    section_name: str
    text: str
    level: int | None = None
    cwe_ids: list[str] = Field(default_factory=list)
    csf_1_1: list[str] = Field(default_factory=list)
    examples: list[str] = Field(default_factory=list)
    state: str
    answer: Answer | None = None
    reason: str | None = None
    tier: int | None = None
    target_tier: int | None = None
    notes: str = ""
    links: list[dict[str, str]] = Field(default_factory=list)
    evidence: list[EvidenceOut] = Field(default_factory=list)
    answered_by: str | None = None
    answered_at: datetime | None = None
    suggestion: dict[str, Any] | None = None
    scf_ids: list[str] = Field(default_factory=list, description="SCF controls this requirement's answer feeds")
    history: list[dict[str, Any]] | None = Field(default=None, description="Changes of the answer, newest first "
                                                                           "(reading one requirement)")


class RequirementPage(BaseModel):
    total: int
    items: list[RequirementOut]


class AnswerResult(BaseModel):
    requirement: RequirementOut
    progress: ProgressOut
    compliance: dict[str, Any]


class BulkAnswerResult(BaseModel):
    updated: list[str]
    progress: ProgressOut
    compliance: dict[str, Any]
