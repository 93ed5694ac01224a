"""The canonical finding: whatever a scanner says, in one shape.

Parsers produce ``CanonicalFinding`` (no team, no lifecycle); ingestion turns each into a
stored finding document with ``team_id``, lifecycle status and timestamps.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is worse: critical 4 … info 0 (sortable in the database)."""
        return _SEVERITY_RANK[self]

    @classmethod
    def from_tool(cls, value: object, default: Severity | None = None) -> Severity:
        """Map a tool's severity word (or CVSS-like number) to the canonical scale."""
        if isinstance(value, int | float) and not isinstance(value, bool):
            return cls.from_cvss(float(value))
        text = str(value or "").strip().lower()
        mapped = _SEVERITY_ALIASES.get(text)
        if mapped is not None:
            return mapped
        if default is not None:
            return default
        raise ValueError(f"unknown severity {value!r}")

    @classmethod
    def from_cvss(cls, score: float) -> Severity:
        if score >= 9.0:
            return cls.CRITICAL
        if score >= 7.0:
            return cls.HIGH
        if score >= 4.0:
            return cls.MEDIUM
        if score > 0.0:
            return cls.LOW
        return cls.INFO


_SEVERITY_RANK = {Severity.CRITICAL: 4, Severity.HIGH: 3, Severity.MEDIUM: 2, Severity.LOW: 1, Severity.INFO: 0}
_SEVERITY_ALIASES = {
    "critical": Severity.CRITICAL, "crit": Severity.CRITICAL, "very high": Severity.CRITICAL,
    "high": Severity.HIGH, "error": Severity.HIGH, "important": Severity.HIGH,
    "medium": Severity.MEDIUM, "moderate": Severity.MEDIUM, "warning": Severity.MEDIUM, "med": Severity.MEDIUM,
    "low": Severity.LOW, "minor": Severity.LOW, "negligible": Severity.LOW,
    "info": Severity.INFO, "informational": Severity.INFO, "information": Severity.INFO,
    "none": Severity.INFO, "unknown": Severity.INFO, "note": Severity.INFO, "": Severity.INFO,
}


class CheckResult(StrEnum):
    """What the tool concluded for this rule on this resource."""

    FAIL = "fail"
    PASS = "pass"  # noqa: S105 - a check result, not a password
    MANUAL = "manual"


class FindingStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    FALSE_POSITIVE = "false_positive"
    RISK_ACCEPTED = "risk_accepted"
    SUPPRESSED = "suppressed"
    RESOLVED_PENDING_VERIFICATION = "resolved_pending_verification"
    """Fixed by someone's account (a linked Jira issue was closed), until a scan confirms it or reopens it."""

    @property
    def active(self) -> bool:
        """Active findings count against posture; triaged and resolved ones do not."""
        return self in (FindingStatus.OPEN, FindingStatus.REOPENED)


class FindingCategory(StrEnum):
    """Where a finding belongs: cloud posture, package vulnerabilities, or everything else."""

    CLOUD = "cloud"
    VULNERABILITY = "vulnerability"
    MISCONFIGURATION = "misconfiguration"
    SECRET = "secret"  # noqa: S105 - a finding category, not a secret
    LICENSE = "license"
    WEB = "web"
    NETWORK = "network"
    TLS = "tls"
    OTHER = "other"


class Resource(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = Field(description="e.g. AwsS3Bucket, container_image, url, host_port, file")
    id: str = Field(description="ARN, image reference, URL, host:port or path: what identifies it")
    name: str | None = None
    region: str | None = None
    account: str | None = None
    provider: str | None = None


class PackageRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    version: str | None = None
    fixed_version: str | None = None
    ecosystem: str | None = None
    purl: str | None = None
    path: str | None = None


EVIDENCE_MAX_CHARS = 16_000
"""Longest evidence stored; longer evidence is cut and says so (how much was kept of how much).
Sized for NSE script output (vulners lists run to several thousand characters)."""


class CanonicalFinding(BaseModel):
    """One result of one tool's rule on one resource, before it belongs to a team."""

    model_config = ConfigDict(extra="forbid")

    source_tool: str
    rule_id: str
    title: str
    description: str | None = None
    severity: Severity
    result: CheckResult = CheckResult.FAIL
    category: FindingCategory = FindingCategory.OTHER
    resource: Resource
    cve_ids: list[str] = Field(default_factory=list)
    cwe_ids: list[str] = Field(default_factory=list)
    package: PackageRef | None = None
    cvss_score: float | None = Field(default=None, ge=0, le=10)
    cvss_vector: str | None = None
    epss_score: float | None = Field(default=None, ge=0, le=1)
    evidence: str | None = None
    remediation: str | None = None
    references: list[str] = Field(default_factory=list)
    compliance_tags: dict[str, list[str]] = Field(
        default_factory=dict, description="The tool's own compliance mapping: framework → requirement ids")
    tool_severity: str | None = Field(default=None, description="The severity word the tool used")
    identity: dict[str, str] = Field(
        description="The fields that identify the same issue on the same resource (hashed into dedup_key)")
    dedup_key: str = ""
    scope: str | None = Field(
        default=None, max_length=500,
        description="What the tool scanned, as its report names it (image, path, account and region, site, host): "
                    "an import without an explicit scope resolves absent findings only within this")

    @field_validator("evidence")
    @classmethod
    def _bounded_evidence(cls, value: str | None) -> str | None:
        if value is not None and len(value) > EVIDENCE_MAX_CHARS:
            return value[:EVIDENCE_MAX_CHARS] + f"…[truncated: {EVIDENCE_MAX_CHARS} of {len(value)} characters kept]"
        return value

    def model_post_init(self, context: Any) -> None:
        if not self.dedup_key:
            self.dedup_key = compute_dedup_key(self.source_tool, self.identity)


def _normalise(value: object) -> str:
    """Stripped, inner runs of whitespace collapsed to one space (``str.split`` splits on the same
    characters as ``re``'s ``\\s``: those ``str.isspace`` accepts), without a regex pass."""
    return " ".join(str(value if value is not None else "").split())


def compute_dedup_key(tool: str, identity: Mapping[str, object]) -> str:
    """Stable hash of a finding's identity.

    Keys are sorted (field order never matters), values are stripped and inner runs of
    whitespace collapsed (a reformatted report gives the same key), empty values count
    as absent. Case is kept: URLs, paths and some cloud identifiers are case-sensitive.
    """
    parts = [_normalise(tool).lower()]
    for key, value in sorted(identity.items()):
        if normalised := _normalise(value):
            parts.append(f"{_normalise(key)}={normalised}")
    payload = "\x1f".join(parts)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class SbomComponent(BaseModel):
    """A software component from an SBOM (syft): inventory, not a finding."""

    model_config = ConfigDict(extra="forbid")

    name: str
    version: str | None = None
    type: str | None = None
    purl: str | None = None
    cpes: list[str] = Field(default_factory=list)
    licenses: list[str] = Field(default_factory=list)
    locations: list[str] = Field(default_factory=list)
    supplier: str | None = None


HASH_ALGORITHMS = ("md5", "sha1", "sha256")  # the file hashes an indicator can name


class SbomFile(BaseModel):
    """A file an SBOM lists with its digests (syft's ``files``, SPDX ``files``, CycloneDX ``file`` components)."""

    model_config = ConfigDict(extra="forbid")

    path: str
    digests: dict[str, str] = Field(default_factory=dict)  # algorithm (md5, sha1, sha256, ...) → lower-case hex

    def hash_keys(self) -> list[str]:
        """The keys an indicator's file hash matches on (``sha256:<hex>``)."""
        return [f"{algorithm}:{self.digests[algorithm]}" for algorithm in HASH_ALGORITHMS if algorithm in self.digests]


class HistoryEntry(BaseModel):
    at: datetime
    actor: str
    from_status: FindingStatus | None
    to_status: FindingStatus
    reason: str | None = None


_ARN = re.compile(r"^arn:[^:]+:([a-z0-9-]+):")
_AZURE_PROVIDER = re.compile(r"/providers/Microsoft\.([A-Za-z]+)/", re.IGNORECASE)
CLOUD_CHECK_TOOLS = frozenset({"prowler"})
"""Tools whose check ids start with the cloud service they check (Prowler: ``s3_bucket_public_access``)."""


def service_of(finding: Mapping[str, Any]) -> str | None:
    """The cloud service a finding is about (``s3``, ``iam``, ``storage``), or None for what is not a cloud service.

    From the resource's ARN (``arn:aws:s3:::bucket``) or Azure resource id (``/providers/Microsoft.Storage/``),
    else from a cloud posture tool's check id prefix; stored with the finding so it can be filtered and grouped."""
    resource = finding.get("resource") or {}
    resource_id = str(resource.get("id") or "")
    if match := _ARN.match(resource_id):
        return match.group(1)
    if match := _AZURE_PROVIDER.search(resource_id):
        return match.group(1).lower()
    rule_id = str(finding.get("rule_id") or "")
    if finding.get("source_tool") in CLOUD_CHECK_TOOLS and "_" in rule_id:
        return rule_id.split("_", 1)[0].lower()
    return None
