"""AssessmentFactory: a new assessment document from a framework template.

- ASVS with a target level: only the requirements at or below the level are in scope
  (L1 70, L2 253, L3 all 345).
- NIST CSF 2.0 with a target profile: every subcategory is in scope with its target tier
  (the profile's default, or the tier it names for that subcategory); the tier achieved is
  each answer's.
"""

from __future__ import annotations

from typing import Any

from cspm.assessments.frameworks import FrameworkLibrary, Template
from cspm.assessments.models import AssessmentStatus
from cspm.assessments.repository import now
from cspm.assessments.schemas import AssessmentCreate, TargetProfileIn
from cspm.core.errors import NotFound, Unprocessable


class AssessmentFactory:
    def __init__(self, library: FrameworkLibrary) -> None:
        self.library = library

    def template(self, template_id: str) -> Template:
        template = self.library.template(template_id)
        if template is None:
            raise NotFound(f"assessment template {template_id!r} not found")
        return template

    @staticmethod
    def target_profile(template: Template, profile: TargetProfileIn | None) -> dict[str, Any]:
        profile = profile or TargetProfileIn()
        unknown = sorted(ref for ref in profile.tiers if template.item(ref) is None)
        if unknown:
            raise Unprocessable(f"target_profile.tiers: {', '.join(unknown[:5])} not subcategories of "
                                f"{template.framework} {template.version}")
        return {"default_tier": profile.default_tier, "tiers": dict(sorted(profile.tiers.items()))}

    def build(self, payload: AssessmentCreate, *, actor: str, scope: dict[str, Any]) -> dict[str, Any]:
        template = self.template(payload.template)
        moment = now()
        document: dict[str, Any] = {
            "name": payload.name.strip(), "template_id": template.template_id, "framework": template.framework,
            "version": template.version, "kind": template.kind, "scope": scope,
            "owner": payload.owner or None, "due_date": payload.due_date.isoformat() if payload.due_date else None,
            "status": AssessmentStatus.DRAFT.value, "created_by": actor, "created_at": moment, "updated_at": moment,
            "answers": {}, "suggestions": {}, "contradictions": {},
        }
        if template.kind == "asvs":
            if payload.level is None:
                raise Unprocessable("level: an ASVS assessment needs a level (1, 2 or 3)")
            document["level"] = payload.level
            document["refs"] = [item.ref for item in template.in_scope(payload.level)]
        else:
            document["target_profile"] = self.target_profile(template, payload.target_profile)
            document["refs"] = [item.ref for item in template.in_scope()]
        return document
