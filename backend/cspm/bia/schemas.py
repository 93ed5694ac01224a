"""Request and response bodies of the business impact analysis API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from cspm.core.fields import MultiLineText, SingleLineText

Name = Annotated[SingleLineText, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ShortText = Annotated[SingleLineText, StringConstraints(strip_whitespace=True, max_length=200)]
LongText = Annotated[MultiLineText, StringConstraints(max_length=4000)]
Level = Annotated[int, Field(ge=1, le=5)]
Hours = Annotated[float, Field(gt=0, le=24 * 365)]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Dependency(Request):
    kind: Literal["target", "cloud_account", "image", "host", "process", "third_party"]
    ref: Name = Field(description="Target id, cloud account id, image reference, host, process id, supplier name")
    name: ShortText | None = None


class ImpactRow(Request):
    horizon_hours: Hours
    financial: Level = 1
    financial_amount: Annotated[float, Field(ge=0, le=1e15)] | None = Field(
        default=None, description="Estimated loss at this horizon, in the team's currency")
    operational: Level = 1
    legal: Level = 1
    reputational: Level = 1
    safety: Level = 1


class ProcessFields(Request):
    owner: ShortText = ""
    description: LongText = ""
    tier: Annotated[int, Field(ge=1, le=4, description="1 most critical … 4 least")] = 3
    dependencies: list[Dependency] = Field(default_factory=list, max_length=200)
    impacts: list[ImpactRow] = Field(default_factory=list, max_length=12)
    rto_hours: Hours | None = Field(default=None, description="Recovery time objective")
    rpo_hours: Hours | None = Field(default=None, description="Recovery point objective")
    mtpd_hours: Hours | None = Field(default=None, description="Maximum tolerable period of disruption; derived "
                                                                "from the impacts when they reach severe")


class ProcessIn(ProcessFields):
    name: Name


class ProcessUpdate(Request):
    name: Name | None = None
    owner: ShortText | None = None
    description: LongText | None = None
    tier: Annotated[int, Field(ge=1, le=4)] | None = None
    dependencies: list[Dependency] | None = Field(default=None, max_length=200)
    impacts: list[ImpactRow] | None = Field(default=None, max_length=12)
    rto_hours: Hours | None = None
    rpo_hours: Hours | None = None
    mtpd_hours: Hours | None = None


class ProcessOut(Out):
    id: str
    name: str
    owner: str = ""
    description: str = ""
    tier: int
    effective_tier: int = Field(description="Its own tier, or a more critical one of a process depending on it")
    critical_for: list[str] = []
    dependencies: list[dict[str, Any]] = []
    impacts: list[dict[str, Any]] = []
    rto_hours: float | None = None
    rpo_hours: float | None = None
    mtpd_hours: float | None = None
    mtpd_source: str | None = None
    created_at: datetime
    updated_at: datetime


class HorizonsIn(Request):
    hours: list[Hours] = Field(min_length=1, max_length=12)


class HorizonsOut(Out):
    hours: list[float]
    labels: list[str]
    scale: dict[str, str]
    categories: list[str]
    severe_level: int


class FollowUp(Request):
    title: Name
    owner: ShortText = ""
    due_date: date | None = None
    status: Literal["open", "done"] = "open"


class ExerciseIn(Request):
    process_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{24}$")]
    kind: Literal["tabletop", "failover", "restore"]
    date: date
    scenario: LongText
    participants: list[ShortText] = Field(default_factory=list, max_length=100)
    achieved_recovery_hours: Hours | None = Field(default=None, description="Time it took to recover")
    outcome: Literal["passed", "partial", "failed"]
    lessons: LongText = ""
    follow_up: list[FollowUp] = Field(default_factory=list, max_length=50)


class ExerciseOut(Out):
    id: str
    process_id: str
    process_name: str
    kind: str
    date: date
    scenario: str
    participants: list[str] = []
    achieved_recovery_hours: float | None = None
    rto_hours: float | None = None
    met_rto: bool | None = None
    outcome: str
    lessons: str = ""
    follow_up: list[dict[str, Any]] = []
    created_at: datetime


class DependencyGraph(Out):
    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]


class AssetCriticalityIn(Request):
    refs: list[Annotated[SingleLineText, StringConstraints(max_length=500)]] = Field(
        min_length=1, max_length=1000, description="Asset keys: target:<id>, cloud_account:<id>, resource:<ref>, "
                                                   "host:<name>")


class AssetCriticality(Out):
    ref: str
    tier: int
    criticality: str
    processes: list[str]
