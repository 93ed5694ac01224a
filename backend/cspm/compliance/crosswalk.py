"""ControlMappingEngine: requirement status and framework scores through shared SCF controls.

Every framework requirement maps to SCF controls; a team's status lives on the controls.
So a status set on one framework's requirement (its controls) is seen by every other
framework whose requirements map to the same controls: answering ISO 27002 8.5 answers the
NIST 800-53 and PCI DSS requirements that share its controls.

A requirement is
- ``not_applicable`` when every linked control is not applicable,
- ``satisfied`` when every applicable linked control is implemented,
- ``not_satisfied`` when any linked control is not implemented,
- ``partially_satisfied`` when some are implemented or partially implemented,
- ``not_assessed`` otherwise (nothing known yet).
Score = satisfied / applicable requirements; each number comes with the requirement ids behind it.
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
    NOT_APPLICABLE = "not_applicable"


@dataclass
class FrameworkScore:
    framework_id: str
    requirements: dict[RequirementStatus, list[str]] = field(
        default_factory=lambda: {status: [] for status in RequirementStatus})

    @property
    def satisfied(self) -> int:
        return len(self.requirements[RequirementStatus.SATISFIED])

    @property
    def applicable(self) -> int:
        return sum(len(ids) for status, ids in self.requirements.items()
                   if status is not RequirementStatus.NOT_APPLICABLE)

    @property
    def score(self) -> float:
        return round(self.satisfied / self.applicable, 4) if self.applicable else 0.0

    def summary(self, *, with_lists: bool = False) -> dict[str, Any]:
        result: dict[str, Any] = {"framework_id": self.framework_id, "score": self.score,
                                  "satisfied": self.satisfied, "applicable": self.applicable,
                                  "counts": {status.value: len(ids) for status, ids in self.requirements.items()}}
        if with_lists:
            result["requirement_ids"] = {status.value: list(ids) for status, ids in self.requirements.items()}
        return result


class ControlMappingEngine:
    def requirement_status(self, requirement: Requirement, statuses: Mapping[str, str]) -> RequirementStatus:
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

    def framework_score(self, framework: Framework, statuses: Mapping[str, str]) -> FrameworkScore:
        score = FrameworkScore(framework.framework_id)
        for requirement in framework.requirements.values():
            score.requirements[self.requirement_status(requirement, statuses)].append(requirement.requirement_id)
        return score

    def scores(self, registry: ControlRegistry, statuses: Mapping[str, str]) -> dict[str, FrameworkScore]:
        return {framework_id: self.framework_score(framework, statuses)
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
