"""PostureView: one team's posture as the API reads it — control states, the tools' direct
evidence per requirement, and the frameworks fed only by tool tags — scored in one place.

Built per request from three reads (control states, requirement evidence, the registry), so
the frameworks list, a framework's detail and the statement of applicability agree.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cspm.compliance.crosswalk import ControlMappingEngine, DirectEvidence, FrameworkScore, RequirementStatus
from cspm.compliance.registry import ControlRegistry, Framework, Requirement

_NUMBER = re.compile(r"(\d+)")
# ISO 27001's Annex A is ISO 27002's list of controls: the SCF files them (and the tools' Annex A
# tags) under ISO 27002, and ISO 27001 keeps the management clauses 4-10.
ANNEX_A = {"iso-27001-2022": "iso-27002-2022", "iso-27001-2013": "iso-27002-2013"}


def natural_key(requirement_id: str) -> tuple[Any, ...]:
    """Sort key that orders ``CC1.2`` < ``CC1.10`` and ``5.1`` < ``5.1(a)`` < ``5.2``."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part.lower())
                 for part in _NUMBER.split(requirement_id) if part)


def statuses_of(states: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Control id → its status, from the stored control states."""
    return {scf_id: state["status"] for scf_id, state in states.items()}


@dataclass
class PostureView:
    registry: ControlRegistry
    states: dict[str, dict[str, Any]]
    crosswalk: ControlMappingEngine
    statuses: dict[str, str] = field(default_factory=dict)
    """Control id → status, computed once from ``states`` (every score and status reads it)."""
    direct_states: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    """framework id → requirement id → requirement evidence state."""
    tool_frameworks: dict[str, Framework] = field(default_factory=dict)

    @classmethod
    def build(cls, registry: ControlRegistry, states: dict[str, dict[str, Any]],
              requirement_states: list[dict[str, Any]], crosswalk: ControlMappingEngine) -> PostureView:
        view = cls(registry, states, crosswalk, statuses_of(states))
        grouped: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        for state in requirement_states:
            grouped[state["framework_id"]][state["requirement_id"]] = state
        view.direct_states = dict(grouped)
        for framework_id, by_requirement in grouped.items():
            if framework_id in registry.frameworks:
                continue
            first = next(iter(by_requirement.values()))
            name = first.get("framework_name") or framework_id
            view.tool_frameworks[framework_id] = Framework(
                framework_id, name, name, source=first.get("framework_source"), title=name,
                url=first.get("framework_url"),
                requirements={rid: Requirement(rid, ()) for rid in sorted(by_requirement, key=natural_key)})
        return view

    def frameworks(self) -> dict[str, Framework]:
        return {**self.registry.frameworks,
                **dict(sorted(self.tool_frameworks.items(), key=lambda item: natural_key(item[0])))}

    def framework(self, framework_id: str) -> Framework | None:
        return self.registry.frameworks.get(framework_id) or self.tool_frameworks.get(framework_id)

    def direct(self, framework_id: str) -> dict[str, DirectEvidence]:
        found = {}
        for requirement_id, state in self.direct_states.get(framework_id, {}).items():
            evidence = DirectEvidence.of(state)
            if evidence is not None:
                found[requirement_id] = evidence
        return found

    def score(self, framework: Framework, statuses: Mapping[str, str] | None = None) -> FrameworkScore:
        return self.crosswalk.framework_score(framework, self.statuses if statuses is None else statuses,
                                              self.direct(framework.framework_id))

    def status(self, framework_id: str, requirement: Requirement,
               statuses: Mapping[str, str] | None = None) -> RequirementStatus:
        state = self.direct_states.get(framework_id, {}).get(requirement.requirement_id)
        return self.crosswalk.requirement_status(requirement, self.statuses if statuses is None else statuses,
                                                 DirectEvidence.of(state))

    def summary(self, framework: Framework, *, with_lists: bool = False) -> dict[str, Any]:
        fed_by = "tool_tags" if framework.framework_id in self.tool_frameworks else "scf"
        summary = {**framework.summary(), "fed_by": fed_by, **self.score(framework).summary(with_lists=with_lists)}
        annex = self.framework(ANNEX_A.get(framework.framework_id, ""))
        if annex is not None:
            score = self.score(annex)
            summary["explanation"].append(
                f"Its Annex A controls are {annex.name}'s requirements, where the SCF and the tools' Annex A tags "
                f"file them: {score.with_evidence} of {score.applicable} have evidence there.")
            summary["see_also"] = annex.framework_id
        return summary
