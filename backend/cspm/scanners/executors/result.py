"""What running a tool came to: one of five states, with the evidence to explain it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path


class ExecutionState(StrEnum):
    SUCCEEDED = "succeeded"
    """The tool exited with an accepted code and left a report of the expected shape."""
    FAILED = "failed"
    """The tool crashed (exit code not accepted), was killed by a signal, or left no usable report."""
    TOOL_MISSING = "tool_missing"
    """The binary, image or Docker engine is not there: nothing ran."""
    TIMED_OUT = "timed_out"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class ExecutionResult:
    tool: str
    state: ExecutionState
    reason: str
    """One line a person can act on; empty when the run succeeded."""
    exit_code: int | None = None
    stderr_tail: str = ""
    """The end of the tool's stderr (bounded, credentials scrubbed)."""
    stdout_tail: str = ""
    duration: float = 0.0
    """Seconds from start to the tool's end (or its kill)."""
    report_path: Path | None = None
    """Set only when the run succeeded: a report never outlives a failed run."""
    outputs: tuple[Path, ...] = field(default_factory=tuple)
    """Every file the tool left in its output directory (syft writes CycloneDX and SPDX)."""
    transient: bool = False
    """Nothing ran because of a condition that may pass (the Docker engine not answering): worth a retry."""

    @property
    def succeeded(self) -> bool:
        return self.state is ExecutionState.SUCCEEDED
