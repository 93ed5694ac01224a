"""API schemas of scan orchestration."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cspm.core.fields import SingleLineText


class ScanLaunch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target_id: SingleLineText = Field(max_length=64)
    tools: list[SingleLineText] | None = Field(default=None, max_length=10, description="Default: the target's tools")


class ExternalScanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tool: SingleLineText = Field(max_length=50)
    scope: SingleLineText = Field(min_length=1, max_length=300, description="What the external scanner scans")
    complete: bool = True
    ttl_minutes: int = Field(default=360, ge=5, le=7 * 24 * 60)


class ExternalScanOut(BaseModel):
    run_id: str
    callback_path: str
    signing_key: str = Field(description="Shown once: HMAC key for this callback only")
    expires_at: datetime
    signature_help: str


class SkippedRecordOut(BaseModel):
    """A record of a report that could not become a finding (the rest of the report imported)."""

    index: int = Field(description="Its position in the report, from 1")
    reason: str


class SubJobOut(BaseModel):
    sub_job_id: str
    job_id: str
    tool: str
    part: str
    state: str
    attempts: int = 0
    exit_code: int | None = None
    reason: str | None = None
    stderr_tail: str | None = None
    notes: list[str] = Field(default=[], description="What the expected lines of a succeeded run's stderr mean")
    counts: dict[str, int] = {}
    skipped: list[SkippedRecordOut] = []
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_s: float | None = None
    task_id: str | None = None


class JobOut(BaseModel):
    job_id: str
    tool: str
    state: str
    sub_job_count: int
    started_at: datetime | None = None
    finished_at: datetime | None = None


class RunOut(BaseModel):
    run_id: str
    kind: str
    state: str
    tools: list[str]
    requested_by: str
    target: dict[str, Any] = {}
    scope_key: str | None = None
    trigger: str | None = None
    progress: dict[str, int] | None = None
    counts: dict[str, int] = {}
    skipped: list[SkippedRecordOut] = []
    error: str | None = None
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None


class RunDetail(RunOut):
    jobs: list[JobOut] = []
    sub_jobs: list[SubJobOut] = []


class RunStatus(BaseModel):
    run_id: str
    state: str
    progress: dict[str, int]
    sub_jobs: list[dict[str, Any]]
