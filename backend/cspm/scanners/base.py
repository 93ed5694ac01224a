"""The one interface every scanner module implements.

A parser turns a tool's own report format into canonical findings as a stream and never
executes anything. An invocation describes how to run the tool (argv for the local
executor, image + args for Docker) and where its report lands; executors run
invocations and never parse.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO, Protocol

from cspm.findings.models import CanonicalFinding, SbomComponent, SbomFile


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


class RecordError(ReportFormatError):
    """One record of a report in the tool's format cannot become a finding (a field missing or invalid).

    Where a parser reads records through ``each_record`` the record is skipped, with its position and
    this reason, and the rest of the report imports; anywhere else it refuses the report as before."""


@dataclass(frozen=True)
class SkippedRecord:
    """A record the parser passed over: where it is in the report (1-based), and why."""

    index: int
    reason: str


def findings_or_skip[**Args](index: int,
                              build: Callable[Args, CanonicalFinding | Iterable[CanonicalFinding] | None],
                              *args: Args.args, **kwargs: Args.kwargs) -> list[CanonicalFinding | SkippedRecord]:
    """All the findings ``build(*args)`` makes of record ``index`` or, if it raises RecordError, the
    record's SkippedRecord: never half a record. ``build`` returns None for a record that is, by the
    format's rules, not a finding (a suppressed result): that is not a skip."""
    try:
        built = build(*args, **kwargs)
        if built is None:
            return []
        return [built] if isinstance(built, CanonicalFinding) else list(built)
    except RecordError as exc:
        return [SkippedRecord(index, exc.problem)]


def each_record[Record](records: Iterable[Record],
                        build: Callable[[Record, int], CanonicalFinding | Iterable[CanonicalFinding] | None]
                        ) -> Iterator[CanonicalFinding | SkippedRecord]:
    """The findings of every record, and a SkippedRecord for each one that raises RecordError.

    A truncated or foreign report still raises ReportFormatError from ``records`` (the reader), so
    only whole, well-formed records are ever skipped."""
    for index, record in enumerate(records, start=1):
        yield from findings_or_skip(index, build, record, index)


class ReportParser(Protocol):
    tool: str
    """Canonical tool name, e.g. "trivy"; also the `source_tool` of its findings."""

    formats: tuple[str, ...]
    """Report formats understood, e.g. ("json",) or ("json", "xml")."""

    def parse(self, report: BinaryIO) -> Iterator[CanonicalFinding | SkippedRecord]:
        """Yield findings as the report is read. Raises ReportFormatError on a bad report.

        Raising mid-stream is allowed: the ingest keeps nothing of a report that fails. A record
        that cannot become a finding may be yielded as a SkippedRecord instead (see ``each_record``).
        """
        ...


class SbomParser(Protocol):
    tool: str
    formats: tuple[str, ...]

    def parse_components(self, report: BinaryIO) -> Iterator[SbomComponent]: ...

    def parse_inventory(self, report: BinaryIO) -> Iterator[SbomComponent | SbomFile]: ...


@dataclass(frozen=True)
class Target:
    """What a scan job points at, already validated by the scans module."""

    kind: TargetKind
    value: str
    """Path, image reference, URL, host list / CIDR, host:port, or cloud account id."""
    options: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RegistryAuth:
    """Pull credentials for the registry an image is read from. Decrypted only in a scan's
    credential step and handed to the tool in its environment (never argv, documents or logs)."""

    authority: str
    """host[:port], as in the image reference: the registry the credentials are for."""
    username: str
    password: str = field(repr=False)


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
