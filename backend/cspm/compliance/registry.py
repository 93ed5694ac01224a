"""The SCF registry in memory: controls, frameworks, and framework requirement → SCF control links.

One immutable ``ControlRegistry`` is built from the imported workbook (stored in MongoDB) or,
before any import, from the built-in baseline. Everything that maps, scores or exports reads
it; nothing mutates it. A new import builds a new one.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

SCF_ID = re.compile(r"^[A-Z]{3,4}-\d{2,3}(\.\d{1,3})?$")
_SPACES = re.compile(r"\s+")


def normalise_header(value: object) -> str:
    """Header text with line breaks, non-breaking spaces and runs of blanks collapsed to one space."""
    return _SPACES.sub(" ", str(value if value is not None else "").replace("\xa0", " ")).strip()


def framework_slug(header: str) -> str:
    """Stable framework id from a mapping column header.

    ``ISO\\n27001\\nv2022`` → ``iso-27001-2022``; ``NIST\\n800-53\\nrev5`` and the newer
    ``NIST\\n800-53\\nR5`` → ``nist-800-53-r5``, so ids survive the header changes of new releases.
    """
    text = normalise_header(header).lower()
    text = re.sub(r"\brev\.?\s*(\d)", r"r\1", text)
    text = re.sub(r"\bv(?=\d)", "", text)
    text = re.sub(r"[^a-z0-9.]+", "-", text)
    return text.strip("-.") or "framework"


def requirement_key(requirement_id: str) -> str:
    """Lookup key that ignores case, blanks and leading zeros (``ID.BE-05`` == ``id.be-5``)."""
    text = re.sub(r"\s+", "", requirement_id).upper()
    return re.sub(r"(?<!\d)0+(\d)", r"\1", text)


@dataclass(frozen=True, slots=True)
class ScfControl:
    scf_id: str
    title: str
    domain: str
    domain_code: str
    description: str = ""
    weighting: int | None = None
    pptdf: tuple[str, ...] = ()
    nist_csf_function: str | None = None
    question: str | None = None
    keywords: tuple[str, ...] = ()
    """Curated keywords (baseline); the keyword matcher adds the title and description words."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "scf_id": self.scf_id, "title": self.title, "domain": self.domain, "domain_code": self.domain_code,
            "description": self.description, "weighting": self.weighting, "pptdf": list(self.pptdf),
            "nist_csf_function": self.nist_csf_function, "question": self.question, "keywords": list(self.keywords),
        }


@dataclass(frozen=True, slots=True)
class Requirement:
    requirement_id: str
    scf_ids: tuple[str, ...]
    from_number: bool = False
    """The workbook stored this id as a number: 5.1 and 5.10 cannot be told apart there."""


@dataclass(slots=True)
class Framework:
    framework_id: str
    name: str
    header: str
    requirements: dict[str, Requirement] = field(default_factory=dict)
    source: str | None = None
    title: str | None = None
    version: str | None = None
    geography: str | None = None
    url: str | None = None

    def summary(self) -> dict[str, Any]:
        controls = {scf_id for requirement in self.requirements.values() for scf_id in requirement.scf_ids}
        return {
            "framework_id": self.framework_id, "name": self.name, "header": self.header, "source": self.source,
            "title": self.title, "version": self.version, "geography": self.geography, "url": self.url,
            "requirement_count": len(self.requirements), "control_count": len(controls),
        }


@dataclass(frozen=True, slots=True)
class RegistryInfo:
    version_id: str
    source: str
    """"workbook" (an imported SCF workbook) or "baseline" (built into the platform)."""
    release: str | None
    imported_at: str | None = None
    file_name: str | None = None
    sha256: str | None = None


class ControlRegistry:
    def __init__(self, info: RegistryInfo, controls: Iterable[ScfControl], frameworks: Iterable[Framework],
                 domains: Mapping[str, str] | None = None) -> None:
        self.info = info
        self.controls: dict[str, ScfControl] = {control.scf_id: control for control in controls}
        self.frameworks: dict[str, Framework] = {framework.framework_id: framework for framework in frameworks}
        self.domains: dict[str, str] = dict(domains or {})
        if not self.domains:
            for control in self.controls.values():
                self.domains.setdefault(control.domain_code, control.domain)
        self._by_control: dict[str, list[tuple[str, str]]] = defaultdict(list)
        self._keys: dict[str, dict[str, str]] = {}
        for framework in self.frameworks.values():
            keys: dict[str, str] = {}
            for requirement in framework.requirements.values():
                keys.setdefault(requirement_key(requirement.requirement_id), requirement.requirement_id)
                for scf_id in requirement.scf_ids:
                    self._by_control[scf_id].append((framework.framework_id, requirement.requirement_id))
            self._keys[framework.framework_id] = keys

    # --- look-ups ------------------------------------------------------------------------
    @property
    def version_id(self) -> str:
        return self.info.version_id

    def control(self, scf_id: str) -> ScfControl | None:
        return self.controls.get(scf_id)

    def framework(self, framework_id: str) -> Framework | None:
        return self.frameworks.get(framework_id)

    def mappings_of(self, scf_id: str) -> list[tuple[str, str]]:
        """(framework_id, requirement_id) pairs the control satisfies, in registry order."""
        return list(self._by_control.get(scf_id, ()))

    def find_requirement(self, framework_id: str, requirement_id: str) -> Requirement | None:
        framework = self.frameworks.get(framework_id)
        if framework is None:
            return None
        exact = framework.requirements.get(requirement_id)
        if exact is not None:
            return exact
        canonical = self._keys[framework_id].get(requirement_key(requirement_id))
        return framework.requirements.get(canonical) if canonical else None

    def requirements_with_prefix(self, framework_id: str, prefix: str) -> list[Requirement]:
        """Requirements equal to ``prefix`` or below it (``9.2`` → ``9.2``, ``9.2.1``, ``9.2(a)``)."""
        framework = self.frameworks.get(framework_id)
        if framework is None:
            return []
        key = requirement_key(prefix)
        found = []
        for canonical_key, requirement_id in self._keys[framework_id].items():
            if canonical_key == key or canonical_key.startswith((key + ".", key + "(")):
                found.append(framework.requirements[requirement_id])
        return found

    def counts(self) -> dict[str, int]:
        return {
            "controls": len(self.controls),
            "domains": len({control.domain for control in self.controls.values()}),
            "frameworks": len(self.frameworks),
            "requirements": sum(len(framework.requirements) for framework in self.frameworks.values()),
            "links": sum(len(requirement.scf_ids) for framework in self.frameworks.values()
                         for requirement in framework.requirements.values()),
        }
