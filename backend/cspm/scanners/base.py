"""The one interface every scanner module implements.

A parser turns a tool's own report format into canonical findings as a stream and never
executes anything. An invocation describes how to run the tool (argv for the local
executor, image + args for Docker) and where its report lands; executors run
invocations and never parse.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO, Protocol

from cspm.findings.models import CanonicalFinding, SbomComponent


class TargetKind(StrEnum):
    CLOUD_ACCOUNT = "cloud_account"
    CONTAINER_IMAGE = "container_image"
    WEB_APPLICATION = "web_application"
    NETWORK = "network"
    REPOSITORY = "repository"
    TLS_ENDPOINT = "tls_endpoint"


class ReportFormatError(ValueError):
    """The report is not in the tool's format (wrong tool, truncated, garbage). Names the problem."""

    def __init__(self, tool: str, problem: str) -> None:
        super().__init__(f"{tool} report rejected: {problem}")
        self.tool = tool
        self.problem = problem


class ReportParser(Protocol):
    tool: str
    """Canonical tool name, e.g. "trivy"; also the `source_tool` of its findings."""

    formats: tuple[str, ...]
    """Report formats understood, e.g. ("json",) or ("json", "xml")."""

    def parse(self, report: BinaryIO) -> Iterator[CanonicalFinding]:
        """Yield findings as the report is read. Raises ReportFormatError on a bad report.

        Raising mid-stream is allowed: the ingest keeps nothing of a report that fails.
        """
        ...


class SbomParser(Protocol):
    tool: str
    formats: tuple[str, ...]

    def parse_components(self, report: BinaryIO) -> Iterator[SbomComponent]: ...


@dataclass(frozen=True)
class Target:
    """What a scan job points at, already validated by the scans module."""

    kind: TargetKind
    value: str
    """Path, image reference, URL, host list / CIDR, host:port, or cloud account id."""
    options: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LocalInvocation:
    argv: tuple[str, ...]
    report_path: Path
    env: Mapping[str, str] = field(default_factory=dict)
    """Only what the tool needs; the executor starts from an empty environment plus PATH/HOME."""
    ok_exit_codes: frozenset[int] = frozenset({0})
    """Exit codes that mean "scan finished" (Prowler exits 3 when checks fail)."""


@dataclass(frozen=True)
class DockerInvocation:
    image: str
    """Pinned by digest: name@sha256:…"""
    args: tuple[str, ...]
    report_path: Path
    """Inside the output volume, as seen from the container."""
    env: Mapping[str, str] = field(default_factory=dict)
    network: str = "bridge"
    ok_exit_codes: frozenset[int] = frozenset({0})
    read_only_mounts: Mapping[str, str] = field(default_factory=dict)
    """Host path → container path of inputs the tool reads (a directory to scan, an SBOM)."""
    writable_paths: tuple[str, ...] = ()
    """Container paths the tool must write besides its output volume (tmpfs; the root stays read-only)."""
    extra_hosts: Mapping[str, str] = field(default_factory=dict)
    """Host name → address for the container's /etc/hosts: the tool connects to the address the
    destination policy checked instead of asking DNS again."""


@dataclass(frozen=True)
class InProcessInvocation:
    """A check that runs inside the worker (the HTTP header check): no subprocess, same result shape."""

    name: str
    run: Callable[[], Awaitable[object]]
    """Writes the report to `report_path`; raising means the check failed."""
    report_path: Path
