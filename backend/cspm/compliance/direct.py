"""Direct evidence: the framework requirements a finding's tool names itself.

Prowler tags every check with the requirement ids of the frameworks it serves
(``unmapped.compliance``: CIS, ISO 27001, NIST, PCI, SOC 2 ...). Those tags are evidence for
those requirements as they stand, beside the SCF path (finding → SCF control → requirement).
Each reference records which path made it:

- ``tool_tag``: the tag names a requirement of a registry framework, resolved through the tag
  table of ``tool_mappings.json`` (``ISO27001-2022 A.8.5`` → ``iso-27002-2022`` 8.5, Annex A
  being ISO 27002's controls);
- ``tool_framework``: the tag belongs to a framework the SCF release lacks (CIS AWS Foundations,
  AWS Foundational Security Best Practices; ``data/tool_frameworks.json``). Such a framework
  exists only through its tags; its requirement ids are the tool's, per cloud provider.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cspm.compliance.mapping import FindingMapper, MappingFileError, RegexText

TOOL_FRAMEWORKS_PATH = Path(__file__).parent / "data" / "tool_frameworks.json"
REF_SEPARATOR = "|"
"""Between framework and requirement id in a stored reference; framework ids are slugs without it."""

Path_ = Literal["tool_tag", "tool_framework"]


def requirement_ref(framework_id: str, requirement_id: str) -> str:
    return f"{framework_id}{REF_SEPARATOR}{requirement_id}"


def split_ref(ref: str) -> tuple[str, str]:
    framework_id, _, requirement_id = ref.partition(REF_SEPARATOR)
    return framework_id, requirement_id


class ToolFrameworkSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, description="Framework id template: {provider} and {version} are filled in")
    name: str = Field(min_length=1, description="Display name template: {provider_name} and {version}")
    source: str
    tag_pattern: RegexText
    providers: dict[str, str] = Field(min_length=1, description="Cloud provider → its name in the display name")
    url: str | None = None


class ToolFrameworkFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[1]
    notice: str
    frameworks: list[ToolFrameworkSpec]


@dataclass(frozen=True, slots=True)
class ToolFramework:
    framework_id: str
    name: str
    source: str
    url: str | None

    def summary(self, requirement_count: int) -> dict[str, Any]:
        return {"framework_id": self.framework_id, "name": self.name, "header": self.name, "source": self.source,
                "title": self.name, "version": None, "geography": None, "url": self.url,
                "requirement_count": requirement_count, "control_count": 0, "fed_by": "tool_tags"}


@dataclass(frozen=True, slots=True)
class DirectRef:
    framework_id: str
    requirement_id: str
    tag: str
    """The tool's words: ``ISO27001-2022 A.8.5``."""
    path: Path_
    framework: ToolFramework | None = None
    """For the ``tool_framework`` path: the framework the tag made."""

    @property
    def ref(self) -> str:
        return requirement_ref(self.framework_id, self.requirement_id)

    def as_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {"ref": self.ref, "framework_id": self.framework_id,
                                  "requirement_id": self.requirement_id, "tag": self.tag, "path": self.path}
        if self.framework is not None:
            result |= {"framework_name": self.framework.name, "framework_source": self.framework.source,
                       "framework_url": self.framework.url}
        return result


def load_tool_frameworks(path: Path = TOOL_FRAMEWORKS_PATH) -> ToolFrameworkFile:
    try:
        return ToolFrameworkFile.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise MappingFileError(f"tool framework file {path}: missing") from None
    except (json.JSONDecodeError, ValidationError) as exc:
        raise MappingFileError(f"tool framework file {path}: invalid ({exc})") from None


class ToolFrameworks:
    """The frameworks fed only by tool tags, resolved from a tag and the finding's cloud provider."""

    def __init__(self, table: ToolFrameworkFile) -> None:
        self.table = table
        self._compiled = [(spec, re.compile(spec.tag_pattern, re.IGNORECASE)) for spec in table.frameworks]

    def resolve(self, tag: str, provider: str | None) -> ToolFramework | None:
        provider = (provider or "").lower()
        for spec, pattern in self._compiled:
            matched = pattern.match(tag)
            if matched is None or provider not in spec.providers:
                continue
            version = matched.groupdict().get("version") or ""
            return ToolFramework(spec.id.format(provider=provider, version=version),
                                 spec.name.format(provider_name=spec.providers[provider], version=version),
                                 spec.source, spec.url)
        return None


class DirectRequirementMapper:
    """A finding → the requirements its tool names, with the path that links each."""

    def __init__(self, mapper: FindingMapper, tool_frameworks: ToolFrameworks) -> None:
        self.mapper = mapper
        self.tool_frameworks = tool_frameworks

    def refs(self, finding: Mapping[str, Any]) -> list[DirectRef]:
        tags: Mapping[str, Any] = finding.get("compliance_tags") or {}
        if not tags:
            return []
        found: dict[str, DirectRef] = {}
        for tagged in self.mapper.tagged_requirements(tags):
            if not tagged.exact:  # evidence for one requirement, not for every one sharing its prefix
                continue
            ref = DirectRef(tagged.framework_id, tagged.requirement.requirement_id,
                            f"{tagged.tag} {tagged.value}", "tool_tag")
            found.setdefault(ref.ref, ref)
        provider = (finding.get("resource") or {}).get("provider")
        for tag, values in tags.items():
            framework = self.tool_frameworks.resolve(str(tag), provider)
            if framework is None:
                continue
            for value in values or ():
                ref = DirectRef(framework.framework_id, str(value), f"{tag} {value}", "tool_framework", framework)
                found.setdefault(ref.ref, ref)
        return list(found.values())
