"""Scan run and job states."""

from __future__ import annotations

from enum import StrEnum


class RunState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"

    @property
    def finished(self) -> bool:
        return self not in (RunState.QUEUED, RunState.RUNNING)


class RunKind(StrEnum):
    IMPORT = "import"
    """A report uploaded by a user or CI pipeline (or posted by a scanner webhook)."""
    SCAN = "scan"
    """Tools run by the platform's workers."""
