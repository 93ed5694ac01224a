"""Splitting one tool's work on a target into sub-jobs: host batches, images, regions.

Each part has a stable label, so the same target always splits the same way and each
part's findings are resolved only by a later complete scan of that same part.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cspm.scanners.base import Target, TargetKind

HOSTS_PER_SUB_JOB = 64
_SEPARATORS = re.compile(r"[\s,]+")


@dataclass(frozen=True)
class Part:
    label: str
    target: Target


def partition(target: Target, tool: str, hosts_per_job: int = HOSTS_PER_SUB_JOB) -> list[Part]:
    if target.kind is TargetKind.NETWORK:
        entries = [entry for entry in _SEPARATORS.split(target.value.strip()) if entry]
        batches = [entries[start:start + hosts_per_job] for start in range(0, len(entries), hosts_per_job)]
        return [Part(",".join(batch), Target(target.kind, ",".join(batch), target.options)) for batch in batches]
    if target.kind is TargetKind.CONTAINER_IMAGE:
        images = [image for image in _SEPARATORS.split(target.value.strip()) if image]
        return [Part(image, Target(target.kind, image, target.options)) for image in images]
    if target.kind is TargetKind.CLOUD_ACCOUNT and target.options.get("regions"):
        regions = [region for region in _SEPARATORS.split(target.options["regions"]) if region]
        return [Part(region, Target(target.kind, target.value, {**target.options, "regions": region}))
                for region in regions]
    return [Part(target.value, target)]


def scope_key(tool: str, target_id: str, part: Part) -> str:
    return f"{tool}:target:{target_id}:{part.label}"
