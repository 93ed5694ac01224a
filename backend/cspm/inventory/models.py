"""What a discovery produces, whichever source it comes from.

A collector (the provider SDKs here; a Steampipe import later) yields ``DiscoveredResource``
values and reports the scopes (service and region) it listed completely: only assets of a
complete scope that were not seen again are marked removed, so a throttled or forbidden
service never empties the inventory.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol


class ChangeKind(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


class RunState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"
    """Finished, but some scopes failed (their assets are kept as they were)."""
    FAILED = "failed"


@dataclass(frozen=True)
class DiscoveredResource:
    resource_id: str
    """The provider's own identifier: ARN, GCP full resource name, Azure resource id."""
    resource_type: str
    """``aws:ec2:instance``, ``gcp:compute.googleapis.com/Instance``, ``azure:microsoft.compute/virtualmachines``"""
    scope: str
    """The listing it came from (``ec2:us-east-1``, ``iam:global``): the unit of completeness."""
    name: str | None = None
    region: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    def fingerprint(self) -> str:
        payload = json.dumps({"name": self.name, "region": self.region, "attributes": self.attributes,
                              "tags": self.tags}, sort_keys=True, default=str, separators=(",", ":"))
        return hashlib.sha256(payload.encode()).hexdigest()

    def tracked(self) -> dict[str, Any]:
        """The fields a diff compares (flattened one level: ``attributes.state``, ``tags.env``)."""
        values: dict[str, Any] = {"name": self.name, "region": self.region}
        values.update({f"attributes.{key}": value for key, value in self.attributes.items()})
        values.update({f"tags.{key}": value for key, value in self.tags.items()})
        return values


@dataclass
class CollectorReport:
    """Filled in while a collector runs: the scopes listed completely and the errors of the others."""

    complete_scopes: set[str] = field(default_factory=set)
    errors: list[dict[str, str]] = field(default_factory=list)

    def fail(self, scope: str, reason: str) -> None:
        self.errors.append({"scope": scope, "reason": reason[:500]})


class Collector(Protocol):
    source: str

    def resources(self, report: CollectorReport) -> AsyncIterator[list[DiscoveredResource]]:
        """Batches of resources; scopes go into ``report`` as they finish or fail."""
        ...


def tracked_fields(document: dict[str, Any]) -> dict[str, Any]:
    """``DiscoveredResource.tracked`` for a stored asset document."""
    values: dict[str, Any] = {"name": document.get("name"), "region": document.get("region")}
    values.update({f"attributes.{key}": value for key, value in (document.get("attributes") or {}).items()})
    values.update({f"tags.{key}": value for key, value in (document.get("tags") or {}).items()})
    return values


def diff_fields(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """The fields that differ, each with its old and new value (absent is None)."""
    return [{"field": key, "before": before.get(key), "after": after.get(key)}
            for key in sorted(before.keys() | after.keys()) if before.get(key) != after.get(key)]
