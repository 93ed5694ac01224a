"""API schemas of scan targets."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cspm.core.fields import SingleLineText
from cspm.scanners.base import TargetKind


class ScheduleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cron: SingleLineText = Field(max_length=100, description="Five-field cron expression, e.g. '0 3 * * *'")
    timezone: SingleLineText = Field(default="UTC", max_length=64, description="IANA time zone the cron is read in")
    enabled: bool = True


class TargetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: SingleLineText = Field(min_length=1, max_length=200)
    kind: TargetKind
    value: SingleLineText = Field(min_length=1, max_length=4000,
                       description="Hosts/CIDRs, absolute path, image reference(s), URL, host:port, or account id")
    options: dict[SingleLineText, SingleLineText] = Field(default_factory=dict, max_length=20)
    tools: list[SingleLineText] | None = Field(default=None, max_length=10,
                                               description="Default: every tool for the kind")
    cloud_account_id: Annotated[SingleLineText, Field(max_length=64)] | None = None
    schedule: ScheduleIn | None = None

    @field_validator("options")
    @classmethod
    def _bounded_options(cls, value: dict[str, str]) -> dict[str, str]:
        for key, item in value.items():
            if len(key) > 64 or len(item) > 1000:
                raise ValueError("option names are at most 64 and values 1000 characters")
        return value


class TargetUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[SingleLineText, Field(min_length=1, max_length=200)] | None = None
    value: Annotated[SingleLineText, Field(min_length=1, max_length=4000)] | None = None
    options: dict[SingleLineText, SingleLineText] | None = None
    tools: list[SingleLineText] | None = Field(default=None, max_length=10)
    schedule: ScheduleIn | None = None
    clear_schedule: bool = False


class ScheduleOut(BaseModel):
    cron: str
    timezone: str
    enabled: bool
    next_run_at: datetime | None = None


class TargetOut(BaseModel):
    id: str
    name: str
    kind: TargetKind
    value: str
    options: dict[str, str]
    tools: list[str]
    cloud_account_id: str | None = None
    schedule: ScheduleOut | None = None
    created_by: str
    created_at: datetime
    last_scan_run_id: str | None = None
