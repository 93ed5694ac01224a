"""ControlMappingEngine: requirement status and framework scores through shared SCF controls.

Every framework requirement maps to SCF controls; a team's status lives on the controls.
So a status set on one framework's requirement (its controls) is seen by every other
framework whose requirements map to the same controls: answering ISO 27002 8.5 answers the
NIST 800-53 and PCI DSS requirements that share its controls.

A requirement also has direct evidence when a tool names it in its own compliance tags
(``direct.py``): failing checks tagged with it, passing ones, manual ones. A requirement is
- ``not_applicable`` when every linked control is not applicable,
- ``not_satisfied`` when a check tagged with it fails, or any linked control is not implemented,
- ``satisfied`` when every applicable linked control is implemented; for a framework fed only
  by tool tags (no SCF controls), when its tagged checks pass and none fails,
- ``partially_satisfied`` when some controls are implemented or partially implemented, or its
  tagged checks pass while its SCF controls are not all known to be implemented,
- ``manual`` when nothing is known and nothing automated can know it: no scanner mapping reaches
  any of its controls (governance, HR, physical clauses), or its tool reported it as manual,
- ``not_assessed`` otherwise: a scanner could say, but nothing imported speaks of it yet.

Three numbers per framework, each with the requirement ids behind it:
- score (strict): satisfied / applicable;
- weighted score: the mean credit of the applicable requirements, where a requirement's credit
  is the mean of its controls' (implemented 1, partially implemented ½, otherwise 0) and, with
  direct evidence, the share of its tagged checks that pass;
- coverage: requirements with any evidence (satisfied, partially or not satisfied) / applicable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from cspm.compliance.models import ControlStatus
from cspm.compliance.registry import ControlRegistry, Framework, Requirement


class RequirementStatus(StrEnum):
    SATISFIED = "satisfied"
    PARTIALLY_SATISFIED = "partially_satisfied"
    NOT_SATISFIED = "not_satisfied"
    NOT_ASSESSED = "not_assessed"
    MANUAL = "manual"
    NOT_APPLICABLE = "not_applicable"


WITH_EVIDENCE = (RequirementStatus.SATISFIED, RequirementStatus.PARTIALLY_SATISFIED, RequirementStatus.NOT_SATISFIED)
CONTROL_CREDIT = {ControlStatus.IMPLEMENTED: 1.0, ControlStatus.PARTIALLY_IMPLEMENTED: 0.5}


@dataclass(frozen=True, slots=True)
class DirectEvidence:
    """What the tools said of one requirement through their own tags (a requirement evidence state)."""

    failing: int = 0
    passing: int = 0
    manual: int = 0

    @classmethod
    def of(cls, state: Mapping[str, Any] | None) -> DirectEvidence | None:
        counts = (state or {}).get("counts") or {}
        found = cls(int(counts.get("failing", 0)), int(counts.get("passing", 0)), int(counts.get("manual", 0)))
        return found if found.failing or found.passing or found.manual else None

    @property
    def pass_share(self) -> float | None:
        checked = self.failing + self.passing
        return self.passing / checked if checked else None


@dataclass
class FrameworkScore:
    framework_id: str
    requirements: dict[RequirementStatus, list[str]] = field(
        default_factory=lambda: {status: [] for status in RequirementStatus})
    credit: float = 0.0
    """Sum of the applicable requirements' credits (the weighted score's numerator)."""
    direct: list[str] = field(default_factory=list)
    """Requirements with direct evidence from tool tags."""

    @property
    def satisfied(self) -> int:
        return len(self.requirements[RequirementStatus.SATISFIED])

    @property
    def applicable(self) -> int:
        return sum(len(ids) for status, ids in self.requirements.items()
                   if status is not RequirementStatus.NOT_APPLICABLE)

    @property
    def with_evidence(self) -> int:
        return sum(len(self.requirements[status]) for status in WITH_EVIDENCE)

    @property
    def score(self) -> float:
        return round(self.satisfied / self.applicable, 4) if self.applicable else 0.0

    @property
    def weighted_score(self) -> float:
        return round(self.credit / self.applicable, 4) if self.applicable else 0.0

    @property
    def coverage(self) -> float:
        return round(self.with_evidence / self.applicable, 4) if self.applicable else 0.0

    def summary(self, *, with_lists: bool = False) -> dict[str, Any]:
        result: dict[str, Any] = {"framework_id": self.framework_id, "score": self.score,
                                  "weighted_score": self.weighted_score, "coverage": self.coverage,
                                  "satisfied": self.satisfied, "applicable": self.applicable,
                                  "with_evidence": self.with_evidence, "with_direct_evidence": len(self.direct),
                                  "counts": {status.value: len(ids) for status, ids in self.requirements.items()},
                                  "explanation": self.explain()}
        if with_lists:
            result["requirement_ids"] = {status.value: list(ids) for status, ids in self.requirements.items()}
            result["requirement_ids"]["with_direct_evidence"] = list(self.direct)
        return result

    def explain(self) -> list[str]:
        """Why the numbers are what they are, in words (shown beside the score)."""
        counts = {status: len(ids) for status, ids in self.requirements.items()}
        if not self.applicable:
            return ["No requirement applies: every linked SCF control is marked not applicable."]
        lines = []
        if counts[RequirementStatus.MANUAL]:
            lines.append(f"{counts[RequirementStatus.MANUAL]} of {self.applicable} requirements need a person: no "
                         "scanner checks their SCF controls (or the tool reported them as manual). Answer them in an "
                         "assessment or set the controls' status.")
        if counts[RequirementStatus.NOT_ASSESSED]:
            lines.append(f"{counts[RequirementStatus.NOT_ASSESSED]} could be checked by the tools, but nothing "
                         "imported so far maps to them.")
        if self.with_evidence:
            lines.append(f"{self.with_evidence} have evidence: {counts[RequirementStatus.SATISFIED]} satisfied, "
                         f"{counts[RequirementStatus.PARTIALLY_SATISFIED]} partially, "
                         f"{counts[RequirementStatus.NOT_SATISFIED]} not satisfied.")
            if not self.satisfied:
                lines.append("None is satisfied yet: a requirement is satisfied only when every one of its SCF "
                             "controls is implemented and no check tagged with it fails. The weighted score counts "
                             "partial implementation.")
        else:
            lines.append("No requirement has evidence yet, so the score is 0 %: import a scan whose checks map to "
                         "these requirements, or answer an assessment.")
        if self.direct:
            lines.append(f"{len(self.direct)} requirements have direct evidence from the tools' own compliance tags.")
        return lines


class ControlMappingEngine:
    def __init__(self, automatable: frozenset[str] | None = None) -> None:
        self.automatable = automatable
        """SCF controls some scanner mapping reaches; None: unknown, so never ``manual`` by mapping."""

    def _scf_status(self, requirement: Requirement, statuses: Mapping[str, str]) -> RequirementStatus:
        values = [statuses.get(scf_id, ControlStatus.NOT_ASSESSED) for scf_id in requirement.scf_ids]
        applicable = [value for value in values if value != ControlStatus.NOT_APPLICABLE]
        if not applicable:
            return RequirementStatus.NOT_APPLICABLE
        if all(value == ControlStatus.IMPLEMENTED for value in applicable):
            return RequirementStatus.SATISFIED
        if any(value == ControlStatus.NOT_IMPLEMENTED for value in applicable):
            return RequirementStatus.NOT_SATISFIED
        if any(value in (ControlStatus.IMPLEMENTED, ControlStatus.PARTIALLY_IMPLEMENTED) for value in applicable):
            return RequirementStatus.PARTIALLY_SATISFIED
        return RequirementStatus.NOT_ASSESSED

    def requirement_status(self, requirement: Requirement, statuses: Mapping[str, str],
                           direct: DirectEvidence | None = None) -> RequirementStatus:
        tool_only = not requirement.scf_ids
        strict = RequirementStatus.NOT_ASSESSED if tool_only else self._scf_status(requirement, statuses)
        if strict is RequirementStatus.NOT_APPLICABLE:
            return strict
        if (direct and direct.failing) or strict is RequirementStatus.NOT_SATISFIED:
            return RequirementStatus.NOT_SATISFIED
        if direct and direct.passing:
            if tool_only or strict is RequirementStatus.SATISFIED:
                return RequirementStatus.SATISFIED
            return RequirementStatus.PARTIALLY_SATISFIED
        if strict is not RequirementStatus.NOT_ASSESSED:
            return strict
        if direct and direct.manual:
            return RequirementStatus.MANUAL
        if not tool_only and self.automatable is not None and self.automatable.isdisjoint(requirement.scf_ids):
            return RequirementStatus.MANUAL
        return RequirementStatus.NOT_ASSESSED

    @staticmethod
    def requirement_credit(requirement: Requirement, statuses: Mapping[str, str],
                           direct: DirectEvidence | None = None) -> float:
        units = [CONTROL_CREDIT.get(ControlStatus(statuses.get(scf_id, ControlStatus.NOT_ASSESSED)), 0.0)
                 for scf_id in requirement.scf_ids
                 if statuses.get(scf_id) != ControlStatus.NOT_APPLICABLE]
        share = direct.pass_share if direct else None
        if share is not None:
            units.append(share)
        return sum(units) / len(units) if units else 0.0

    def framework_score(self, framework: Framework, statuses: Mapping[str, str],
                        direct: Mapping[str, DirectEvidence] | None = None) -> FrameworkScore:
        direct = direct or {}
        score = FrameworkScore(framework.framework_id)
        for requirement in framework.requirements.values():
            evidence = direct.get(requirement.requirement_id)
            status = self.requirement_status(requirement, statuses, evidence)
            score.requirements[status].append(requirement.requirement_id)
            if evidence is not None:
                score.direct.append(requirement.requirement_id)
            if status is not RequirementStatus.NOT_APPLICABLE:
                score.credit += self.requirement_credit(requirement, statuses, evidence)
        return score

    def scores(self, registry: ControlRegistry, statuses: Mapping[str, str],
               direct: Mapping[str, Mapping[str, DirectEvidence]] | None = None) -> dict[str, FrameworkScore]:
        direct = direct or {}
        return {framework_id: self.framework_score(framework, statuses, direct.get(framework_id))
                for framework_id, framework in registry.frameworks.items()}

    def equivalents(self, registry: ControlRegistry, framework_id: str,
                    requirement_id: str) -> list[dict[str, Any]]:
        """Requirements of other frameworks that share SCF controls with this one."""
        requirement = registry.find_requirement(framework_id, requirement_id)
        if requirement is None:
            return []
        shared: dict[tuple[str, str], set[str]] = {}
        for scf_id in requirement.scf_ids:
            for other_framework, other_requirement in registry.mappings_of(scf_id):
                if other_framework == framework_id:
                    continue
                shared.setdefault((other_framework, other_requirement), set()).add(scf_id)
        result = []
        for (other_framework, other_requirement), controls in sorted(shared.items()):
            target = registry.frameworks[other_framework].requirements[other_requirement]
            result.append({"framework_id": other_framework, "requirement_id": other_requirement,
                           "shared_controls": sorted(controls),
                           "fully_covered": set(target.scf_ids) <= set(requirement.scf_ids)})
        return result
