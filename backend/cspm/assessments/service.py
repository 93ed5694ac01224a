"""AssessmentService: what the API offers a team — templates, assessments, answers, evidence, status.

Every method takes ``team_id`` and reads or writes only that team's assessments. Answers are
sent to the compliance engine by ``AssessmentIntegrationService`` right after they are stored.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Self

from cspm.assessments.factory import AssessmentFactory
from cspm.assessments.frameworks import Template, TemplateItem, shipped_library
from cspm.assessments.integration import AssessmentIntegrationService
from cspm.assessments.models import TRANSITIONS, Answer, AssessmentStatus, RequirementState, answer_from_tier, field_key
from cspm.assessments.repository import (
    ASSESSMENTS,
    DB,
    EVIDENCE,
    HISTORY,
    AnswerHistoryRepository,
    AssessmentRepository,
    EvidenceRepository,
    now,
)
from cspm.assessments.schemas import AnswerIn, AssessmentCreate, AssessmentUpdate, BulkAnswer, StatusChangeIn
from cspm.assessments.settings import AssessmentSettings
from cspm.audit.service import AuditService
from cspm.cloud_accounts.service import CloudAccountService
from cspm.compliance.registry_service import CommonControlRegistryService
from cspm.core.container import ServiceContainer
from cspm.core.database.registry import Database
from cspm.core.errors import Conflict, NotFound, PayloadTooLarge, Unprocessable
from cspm.core.settings import load
from cspm.targets.repository import TargetRepository

logger = logging.getLogger(__name__)


class Actor:
    """Who acts: the user id (stored) and a label for sources people read (the e-mail address)."""

    def __init__(self, user_id: str, label: str | None = None, *, via: str | None = None,
                 token_id: str | None = None, ip: str | None = None) -> None:
        self.user_id = user_id
        self.label = label or user_id
        self.via = via
        self.token_id = token_id
        self.ip = ip


# Evidence files: extension → (media type stored and served, leading bytes required; None = UTF-8 text).
EVIDENCE_TYPES: dict[str, tuple[str, bytes | None]] = {
    ".pdf": ("application/pdf", b"%PDF-"),
    ".png": ("image/png", b"\x89PNG\r\n\x1a\n"),
    ".jpg": ("image/jpeg", b"\xff\xd8\xff"),
    ".jpeg": ("image/jpeg", b"\xff\xd8\xff"),
    ".gif": ("image/gif", b"GIF8"),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", b"PK\x03\x04"),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK\x03\x04"),
    ".pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", b"PK\x03\x04"),
    ".txt": ("text/plain; charset=utf-8", None),
    ".log": ("text/plain; charset=utf-8", None),
    ".md": ("text/markdown; charset=utf-8", None),
    ".csv": ("text/csv; charset=utf-8", None),
    ".json": ("application/json", None),
    ".xml": ("application/xml", None),
    ".yaml": ("text/plain; charset=utf-8", None),
    ".yml": ("text/plain; charset=utf-8", None),
}
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f-\x9f/\\\"]+")


def safe_file_name(name: str | None) -> str:
    base = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    base = _UNSAFE_NAME.sub("_", base).strip(" .") or "evidence"
    return base[-200:]


def _pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


class AssessmentService:
    def __init__(self, container: ServiceContainer, assessments: AssessmentRepository,
                 history: AnswerHistoryRepository, evidence: EvidenceRepository,
                 integration: AssessmentIntegrationService, audit: AuditService, settings: AssessmentSettings,
                 registries: CommonControlRegistryService) -> None:
        self.container = container
        self.assessments = assessments
        self.history = history
        self.evidence = evidence
        self.integration = integration
        self.audit = audit
        self.settings = settings
        self.registries = registries
        self.library = shipped_library()
        self.factory = AssessmentFactory(self.library)
        self.targets = TargetRepository(container.database.db(Database.ORCHESTRATION))

    @classmethod
    def build(cls, container: ServiceContainer) -> Self:
        database = container.database.db(DB)
        return cls(container, AssessmentRepository(database[ASSESSMENTS]), AnswerHistoryRepository(database[HISTORY]),
                   EvidenceRepository(database[EVIDENCE]), container.resolve(AssessmentIntegrationService),
                   container.resolve(AuditService), load(AssessmentSettings),
                   container.resolve(CommonControlRegistryService))

    # --- templates -------------------------------------------------------------------------
    def templates(self) -> list[dict[str, Any]]:
        return [{"id": t.template_id, "framework": t.framework, "version": t.version, "name": t.name,
                 "kind": t.kind, "description": t.description, "source": t.source, "licence": t.licence,
                 "counts": t.counts(), "groups": [{"id": g.id, "name": g.name} for g in t.groups],
                 "levels": list(t.levels),
                 "tiers": [{"tier": tier.tier, "name": tier.name, "description": tier.description}
                           for tier in t.tiers]}
                for t in self.library.templates.values()]

    def _template(self, document: Mapping[str, Any]) -> Template:
        return self.library.templates[document["template_id"]]

    # --- assessments -----------------------------------------------------------------------
    async def _scope(self, team_id: str, scope: Any) -> dict[str, Any]:
        """The scope with its links checked: every target and cloud account must be the team's."""
        targets = []
        for target_id in dict.fromkeys(scope.target_ids):
            try:
                target = await self.targets.get(team_id, target_id, what="target")
            except NotFound:
                raise Unprocessable(f"scope.target_ids: target {target_id!r} not found in this team") from None
            targets.append({"id": str(target["_id"]), "name": target.get("name"), "kind": target.get("kind"),
                            "value": target.get("value")})
        accounts = []
        for account_id in dict.fromkeys(scope.cloud_account_ids):
            try:
                account = await self.container.resolve(CloudAccountService).get(team_id=team_id, account_id=account_id)
            except NotFound:
                raise Unprocessable(f"scope.cloud_account_ids: cloud account {account_id!r} not found in this "
                                    "team") from None
            accounts.append({"id": account.id, "name": account.name, "provider": str(account.provider)})
        return {"description": scope.description.strip(), "target_ids": [t["id"] for t in targets],
                "targets": targets, "cloud_account_ids": [a["id"] for a in accounts], "cloud_accounts": accounts}

    async def create(self, team_id: str, payload: AssessmentCreate, actor: Actor) -> dict[str, Any]:
        if await self.assessments.count(team_id) >= self.settings.max_per_team:
            raise Conflict(f"this team already has {self.settings.max_per_team} assessments "
                           "(ASSESSMENTS_MAX_PER_TEAM); delete old ones first")
        scope = await self._scope(team_id, payload.scope)
        document = self.factory.build(payload, actor=actor.user_id, scope=scope)
        stored = await self.assessments.insert(team_id, document)
        stored = await self.integration.refresh_suggestions(team_id, stored)
        await self.audit.record("assessments.created", actor_id=actor.user_id, team_id=team_id, ip=actor.ip,
                                target_type="assessment", target_id=str(stored["_id"]), via=actor.via,
                                token_id=actor.token_id,
                                details={"template": stored["template_id"], "name": stored["name"],
                                         "level": stored.get("level"), "in_scope": len(stored["refs"])})
        return self.summary(stored)

    async def list_assessments(self, team_id: str) -> list[dict[str, Any]]:
        return [self.summary(document) for document in await self.assessments.recent(team_id)]

    async def _get(self, team_id: str, assessment_id: str) -> dict[str, Any]:
        return await self.assessments.get(team_id, assessment_id, what="assessment")

    async def get(self, team_id: str, assessment_id: str) -> dict[str, Any]:
        return self.summary(await self._get(team_id, assessment_id))

    async def update(self, team_id: str, assessment_id: str, payload: AssessmentUpdate,
                     actor: Actor) -> dict[str, Any]:
        current = await self._get(team_id, assessment_id)
        self._unlocked(current)
        changes: dict[str, Any] = {"updated_at": now()}
        unset: list[str] = []
        if payload.name is not None:
            changes["name"] = payload.name.strip()
        if payload.owner is not None:
            changes["owner"] = payload.owner.strip() or None
        if payload.due_date is not None:
            changes["due_date"] = payload.due_date.isoformat()
        elif payload.clear_due_date:
            changes["due_date"] = None
        if payload.scope is not None:
            changes["scope"] = await self._scope(team_id, payload.scope)
        if payload.target_profile is not None:
            template = self._template(current)
            if template.kind != "csf":
                raise Unprocessable("target_profile is for NIST CSF assessments")
            changes["target_profile"] = self.factory.target_profile(template, payload.target_profile)
        updated = await self.assessments.update(team_id, assessment_id, changes, unset=unset)
        if updated is None:
            self._unlocked(await self._get(team_id, assessment_id))
            raise NotFound("assessment not found")
        if payload.scope is not None:
            updated = await self.integration.refresh_suggestions(team_id, updated)
        return self.summary(updated)

    async def delete(self, team_id: str, assessment_id: str, actor: Actor) -> None:
        current = await self._get(team_id, assessment_id)
        if not await self.assessments.delete(team_id, assessment_id):
            raise NotFound("assessment not found")
        await self.evidence.delete_for(team_id, assessment_id)
        await self.history.delete_for(team_id, assessment_id)
        await self.integration.withdraw(team_id, assessment_id)
        await self.audit.record("assessments.deleted", actor_id=actor.user_id, team_id=team_id, ip=actor.ip,
                                target_type="assessment", target_id=assessment_id, via=actor.via,
                                token_id=actor.token_id,
                                details={"name": current.get("name"), "template": current.get("template_id"),
                                         "status": current.get("status")})

    @staticmethod
    def _unlocked(document: Mapping[str, Any]) -> None:
        if document.get("status") == AssessmentStatus.COMPLETED.value:
            raise Conflict("the assessment is completed and its answers are locked; reopen it to change them")

    async def refresh_suggestions(self, team_id: str, assessment_id: str) -> dict[str, Any]:
        document = await self._get(team_id, assessment_id)
        return self.summary(await self.integration.refresh_suggestions(team_id, document))

    # --- progress and scores ----------------------------------------------------------------
    def target_tier(self, document: Mapping[str, Any], ref: str) -> int | None:
        profile = document.get("target_profile")
        if not profile:
            return None
        return int((profile.get("tiers") or {}).get(ref) or profile.get("default_tier") or 3)

    def _answered(self, document: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        answers = document.get("answers") or {}
        return {ref: answers[field_key(ref)] for ref in document.get("refs") or ()
                if (answers.get(field_key(ref)) or {}).get("answer")}

    def summary(self, document: Mapping[str, Any]) -> dict[str, Any]:
        template = self._template(document)
        refs = list(document.get("refs") or ())
        answered = self._answered(document)
        suggestions = document.get("suggestions") or {}
        groups = []
        in_group = Counter(template.item(ref).group_id for ref in refs if template.item(ref))  # type: ignore[union-attr]
        done = Counter(template.item(ref).group_id for ref in answered if template.item(ref))  # type: ignore[union-attr]
        for group in template.groups:
            if in_group[group.id]:
                groups.append({"id": group.id, "name": group.name, "answered": done[group.id],
                               "in_scope": in_group[group.id], "percent": _pct(done[group.id], in_group[group.id])})
        return {
            "id": str(document["_id"]), "name": document["name"], "template": document["template_id"],
            "framework": document["framework"], "version": document["version"], "kind": document["kind"],
            "level": document.get("level"), "target_profile": document.get("target_profile"),
            "scope": document.get("scope") or {}, "owner": document.get("owner"),
            "due_date": date.fromisoformat(document["due_date"]) if document.get("due_date") else None,
            "status": document["status"], "created_by": document["created_by"],
            "created_at": document["created_at"], "updated_at": document["updated_at"],
            "completed_at": document.get("completed_at"), "completed_by": document.get("completed_by"),
            "progress": {"answered": len(answered), "in_scope": len(refs), "percent": _pct(len(answered), len(refs))},
            "groups": groups, "scores": self.scores(template, document, answered),
            "suggested": sum(1 for ref in refs if field_key(ref) in suggestions and ref not in answered),
            "suggestions_computed_at": document.get("suggestions_computed_at"),
        }

    def scores(self, template: Template, document: Mapping[str, Any],
               answered: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
        refs = list(document.get("refs") or ())
        per_group: dict[str, Counter[str]] = {group.id: Counter() for group in template.groups}
        tiers: dict[str, dict[str, list[int]]] = {group.id: {"current": [], "target": []} for group in template.groups}
        for ref in refs:
            item = template.item(ref)
            if item is None:
                continue
            counter = per_group[item.group_id]
            counter["in_scope"] += 1
            answer = answered.get(ref)
            counter[answer["answer"] if answer else "unanswered"] += 1
            if template.kind == "csf":
                tiers[item.group_id]["target"].append(self.target_tier(document, ref) or 3)
                if answer and answer.get("tier"):
                    tiers[item.group_id]["current"].append(int(answer["tier"]))

        def row(counter: Counter[str]) -> dict[str, Any]:
            applicable = counter["in_scope"] - counter[Answer.NOT_APPLICABLE.value]
            return {"in_scope": counter["in_scope"], "met": counter[Answer.MET.value],
                    "partially_met": counter[Answer.PARTIALLY_MET.value], "not_met": counter[Answer.NOT_MET.value],
                    "not_applicable": counter[Answer.NOT_APPLICABLE.value], "unanswered": counter["unanswered"],
                    "applicable": applicable, "percent_met": _pct(counter[Answer.MET.value], applicable)}

        total: Counter[str] = Counter()
        for counter in per_group.values():
            total.update(counter)
        groups = []
        for group in template.groups:
            if not per_group[group.id]["in_scope"]:
                continue
            entry = {"id": group.id, "name": group.name, **row(per_group[group.id])}
            if template.kind == "csf":
                current, target = tiers[group.id]["current"], tiers[group.id]["target"]
                entry["target_tier"] = round(sum(target) / len(target), 2) if target else None
                entry["current_tier"] = round(sum(current) / len(current), 2) if current else None
                entry["tiers_assessed"] = len(current)
                entry["gap"] = round(entry["target_tier"] - entry["current_tier"], 2) \
                    if entry["target_tier"] is not None and entry["current_tier"] is not None else None
            groups.append(entry)
        return {"overall": row(total), "groups": groups,
                "measure": "percent of applicable requirements met" if template.kind == "asvs"
                else "current versus target tier per function (mean over subcategories), and the gap"}

    # --- requirements ---------------------------------------------------------------------
    def _state(self, ref: str, answer: Mapping[str, Any] | None, suggestions: Mapping[str, Any]) -> str:
        if answer and answer.get("answer"):
            return str(answer["answer"])
        if field_key(ref) in suggestions:
            return RequirementState.SUGGESTED.value
        return RequirementState.UNANSWERED.value

    def _requirement(self, document: Mapping[str, Any], item: TemplateItem, evidence: Sequence[Mapping[str, Any]],
                     scf_ids: Sequence[str]) -> dict[str, Any]:
        answer = (document.get("answers") or {}).get(field_key(item.ref)) or {}
        suggestions = document.get("suggestions") or {}
        suggestion = suggestions.get(field_key(item.ref))
        return {
            **item.as_dict(), "state": self._state(item.ref, answer, suggestions),
            "answer": answer.get("answer"), "reason": answer.get("reason"), "tier": answer.get("tier"),
            "target_tier": self.target_tier(document, item.ref), "notes": answer.get("notes") or "",
            "links": answer.get("links") or [], "answered_by": answer.get("answered_by_label") or
            answer.get("answered_by"), "answered_at": answer.get("answered_at"),
            "suggestion": suggestion, "scf_ids": list(scf_ids),
            "evidence": [self._evidence_out(entry) for entry in evidence],
        }

    async def _control_ids(self, template: Template, items: Sequence[TemplateItem]) -> dict[str, list[str]]:
        registry = await self.registries.registry()
        return {item.ref: [entry["scf_id"] for entry in self.integration.controls_of(template, item, registry)]
                for item in items}

    async def requirements(self, team_id: str, assessment_id: str, *, group: str | None = None,
                           section: str | None = None, state: RequirementState | None = None,
                           level: int | None = None, q: str | None = None, offset: int = 0,
                           limit: int = 100) -> dict[str, Any]:
        document = await self._get(team_id, assessment_id)
        template = self._template(document)
        suggestions = document.get("suggestions") or {}
        answers = document.get("answers") or {}
        needle = q.lower().strip() if q else None
        selected = []
        for ref in document.get("refs") or ():
            item = template.item(ref)
            if item is None:
                continue
            if group and item.group_id != group:
                continue
            if section and item.section_id != section:
                continue
            if level is not None and item.level != level:
                continue
            if needle and needle not in item.text.lower() and needle not in item.ref.lower():
                continue
            current = self._state(ref, answers.get(field_key(ref)), suggestions)
            if state is not None:
                if state is RequirementState.ANSWERED:
                    if current in (RequirementState.UNANSWERED.value, RequirementState.SUGGESTED.value):
                        continue
                elif state is RequirementState.UNANSWERED:
                    if current not in (RequirementState.UNANSWERED.value, RequirementState.SUGGESTED.value):
                        continue
                elif current != state.value:
                    continue
            selected.append(item)
        page = selected[offset:offset + limit]
        evidence_by_ref: dict[str, list[dict[str, Any]]] = {}
        for entry in await self.evidence.for_assessment(team_id, assessment_id):
            evidence_by_ref.setdefault(entry.get("ref") or "", []).append(entry)
        controls = await self._control_ids(template, page)
        return {"total": len(selected),
                "items": [self._requirement(document, item, evidence_by_ref.get(item.ref, []), controls[item.ref])
                          for item in page]}

    def _item(self, document: Mapping[str, Any], ref: str) -> TemplateItem:
        template = self._template(document)
        item = template.item(ref)
        if item is None:
            raise NotFound(f"requirement {ref!r} not found in {template.framework} {template.version}")
        if ref not in (document.get("refs") or ()):
            raise Unprocessable(f"requirement {ref} is not in this assessment's scope"
                                + (f" (level {item.level} above the assessment's L{document.get('level')})"
                                   if item.level else ""))
        return item

    async def requirement(self, team_id: str, assessment_id: str, ref: str) -> dict[str, Any]:
        document = await self._get(team_id, assessment_id)
        item = self._item(document, ref)
        evidence = [entry for entry in await self.evidence.for_assessment(team_id, assessment_id)
                    if entry.get("ref") == ref]
        controls = await self._control_ids(self._template(document), [item])
        result = self._requirement(document, item, evidence, controls[ref])
        result["history"] = [{key: entry.get(key) for key in ("at", "actor", "actor_label", "before", "after", "via")}
                             for entry in await self.history.for_ref(team_id, assessment_id, ref)]
        return result

    async def controls(self, team_id: str, assessment_id: str, ref: str,
                       frameworks: list[str] | None = None) -> dict[str, Any]:
        document = await self._get(team_id, assessment_id)
        self._item(document, ref)
        return await self.integration.controls_view(team_id, document, ref, frameworks)

    # --- answering --------------------------------------------------------------------------
    def _stored_answer(self, document: Mapping[str, Any], template: Template, ref: str, body: AnswerIn,
                       actor: Actor) -> dict[str, Any] | None:
        if template.kind == "asvs" and body.tier is not None:
            raise Unprocessable(f"{ref}: tier is for NIST CSF subcategories; ASVS requirements take an answer")
        target = self.target_tier(document, ref)
        answer = body.answer
        if answer is None and body.tier is not None and target is not None:
            answer = answer_from_tier(body.tier, target)
        if answer is None and not body.notes.strip() and not body.links and body.tier is None:
            return None
        return {"answer": answer.value if answer else None,
                "reason": body.reason if answer is Answer.NOT_APPLICABLE else (body.reason or None),
                "tier": body.tier, "target_tier": target, "notes": body.notes,
                "links": [{"title": link.title, "url": str(link.url)} for link in body.links],
                "answered_by": actor.user_id, "answered_by_label": actor.label, "answered_at": now()}

    @staticmethod
    def _brief(answer: Mapping[str, Any] | None) -> dict[str, Any] | None:
        if not answer:
            return None
        return {key: answer.get(key) for key in ("answer", "tier", "reason", "notes")}

    async def _apply(self, team_id: str, assessment_id: str, answers: Sequence[tuple[str, AnswerIn]],
                     actor: Actor, via: str) -> tuple[dict[str, Any], list[str]]:
        document = await self._get(team_id, assessment_id)
        self._unlocked(document)
        template = self._template(document)
        changes: dict[str, Any] = {"updated_at": now()}
        unset: list[str] = []
        history: list[dict[str, Any]] = []
        refs: list[str] = []
        for ref, body in answers:
            self._item(document, ref)
            before = (document.get("answers") or {}).get(field_key(ref))
            stored = self._stored_answer(document, template, ref, body, actor)
            path = f"answers.{field_key(ref)}"
            if stored is None:
                unset.append(path)
                changes.pop(path, None)
            else:
                changes[path] = stored
                if path in unset:
                    unset.remove(path)
            refs.append(ref)
            history.append({"assessment_id": assessment_id, "ref": ref, "at": changes["updated_at"],
                            "actor": actor.user_id, "actor_label": actor.label, "via": via,
                            "before": self._brief(before), "after": self._brief(stored)})
        if document["status"] == AssessmentStatus.DRAFT.value:
            changes["status"] = AssessmentStatus.IN_PROGRESS.value
        updated = await self.assessments.update(team_id, assessment_id, changes, unset=unset)
        if updated is None:  # completed (or deleted) between the read and the write
            self._unlocked(await self._get(team_id, assessment_id))
            raise NotFound("assessment not found")
        await self.history.append(team_id, history)
        return updated, list(dict.fromkeys(refs))

    async def answer(self, team_id: str, assessment_id: str, ref: str, body: AnswerIn,
                     actor: Actor) -> dict[str, Any]:
        updated, refs = await self._apply(team_id, assessment_id, [(ref, body)], actor, "answer")
        compliance = await self.integration.sync(team_id, updated, refs)
        summary = self.summary(updated)
        return {"requirement": await self.requirement(team_id, assessment_id, ref),
                "progress": summary["progress"], "compliance": compliance}

    async def bulk_answer(self, team_id: str, assessment_id: str, answers: Sequence[BulkAnswer],
                          actor: Actor) -> dict[str, Any]:
        refs = [answer.ref for answer in answers]
        twice = sorted(ref for ref, count in Counter(refs).items() if count > 1)
        if twice:
            raise Unprocessable(f"answers: {', '.join(twice[:5])} answered twice in one request")
        updated, refs = await self._apply(team_id, assessment_id, [(answer.ref, answer) for answer in answers],
                                          actor, "bulk")
        compliance = await self.integration.sync(team_id, updated, refs)
        return {"updated": refs, "progress": self.summary(updated)["progress"], "compliance": compliance}

    # --- status ---------------------------------------------------------------------------
    async def change_status(self, team_id: str, assessment_id: str, body: StatusChangeIn,
                            actor: Actor) -> dict[str, Any]:
        document = await self._get(team_id, assessment_id)
        current = AssessmentStatus(document["status"])
        wanted = body.status
        if wanted == current:
            return self.summary(document)
        if wanted not in TRANSITIONS[current]:
            allowed = ", ".join(sorted(status.value for status in TRANSITIONS[current]))
            raise Conflict(f"an assessment {current.value} can move to {allowed}, not {wanted.value}")
        reopening = current is AssessmentStatus.COMPLETED
        if reopening and (not body.reason or len(body.reason.strip()) < 3):
            raise Unprocessable("reason: reopening a completed assessment needs a reason (at least 3 characters)")
        changes: dict[str, Any] = {"status": wanted.value, "updated_at": now()}
        if wanted is AssessmentStatus.COMPLETED:
            unanswered = len(document.get("refs") or ()) - len(self._answered(document))
            if unanswered:
                raise Conflict(f"{unanswered} requirement(s) in scope are not answered yet; answer them (or mark "
                               "them not applicable with a reason) before completing")
            changes.update({"completed_at": changes["updated_at"], "completed_by": actor.user_id})
        if reopening:
            changes.update({"completed_at": None, "completed_by": None, "reopened_at": changes["updated_at"],
                            "reopened_by": actor.user_id})
        updated = await self.assessments.update(team_id, assessment_id, changes, expect_status=current.value)
        if updated is None:
            raise Conflict("the assessment changed meanwhile; reload it and try again")
        action = "assessments.reopened" if reopening else "assessments.status_changed"
        await self.audit.record(action, actor_id=actor.user_id, team_id=team_id, ip=actor.ip,
                                target_type="assessment", target_id=assessment_id, via=actor.via,
                                token_id=actor.token_id,
                                details={"from": current.value, "to": wanted.value, "reason": body.reason,
                                         "name": document.get("name"),
                                         "progress": self.summary(updated)["progress"]})
        if wanted is AssessmentStatus.COMPLETED:
            await self.integration.sync(team_id, updated)  # every answer, against the registry of today
        return self.summary(updated)

    # --- evidence ---------------------------------------------------------------------------
    @staticmethod
    def _evidence_out(entry: Mapping[str, Any]) -> dict[str, Any]:
        return {"id": str(entry["_id"]), "ref": entry.get("ref"), "kind": entry["kind"],
                "file_name": entry.get("file_name"), "content_type": entry.get("content_type"),
                "size": entry.get("size"), "sha256": entry.get("sha256"), "title": entry.get("title"),
                "url": entry.get("url"), "uploaded_by": entry.get("uploaded_by_label") or entry["uploaded_by"],
                "uploaded_at": entry["uploaded_at"]}

    def check_file(self, file_name: str | None, data: bytes) -> tuple[str, str]:
        """(safe file name, media type) of an evidence file, or a 4xx naming what is wrong."""
        if len(data) > self.settings.evidence_max_bytes:
            raise PayloadTooLarge(f"evidence file larger than {self.settings.evidence_max_bytes} bytes "
                                  "(ASSESSMENTS_EVIDENCE_MAX_BYTES)")
        if not data:
            raise Unprocessable("file: the evidence file is empty")
        name = safe_file_name(file_name)
        extension = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
        if extension not in EVIDENCE_TYPES:
            raise Unprocessable(f"file: {extension or 'no extension'} is not an accepted evidence type "
                                f"({', '.join(sorted(EVIDENCE_TYPES))})")
        media_type, magic = EVIDENCE_TYPES[extension]
        if magic is not None:
            if not data.startswith(magic):
                raise Unprocessable(f"file: {name} does not start like a {extension} file")
        else:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise Unprocessable(f"file: {name} is not UTF-8 text (byte {exc.start})") from None
            if "\x00" in text:
                raise Unprocessable(f"file: {name} contains NUL bytes; text evidence must be text")
        return name, media_type

    async def add_evidence(self, team_id: str, assessment_id: str, *, ref: str | None, actor: Actor,
                           file_name: str | None = None, data: bytes | None = None, title: str | None = None,
                           url: str | None = None) -> dict[str, Any]:
        document = await self._get(team_id, assessment_id)
        self._unlocked(document)
        if ref is not None:
            self._item(document, ref)
        if (data is None) == (url is None):
            raise Unprocessable("send either a file or a url (with a title)")
        if await self.evidence.count_for(team_id, assessment_id) >= self.settings.evidence_per_assessment:
            raise Conflict(f"this assessment already holds {self.settings.evidence_per_assessment} pieces of evidence")
        entry: dict[str, Any] = {"assessment_id": assessment_id, "ref": ref, "uploaded_by": actor.user_id,
                                 "uploaded_by_label": actor.label, "uploaded_at": now()}
        if data is not None:
            name, media_type = self.check_file(file_name, data)
            digest = hashlib.sha256(data).hexdigest()
            existing = await self.evidence.same_file(team_id, assessment_id, ref, digest)
            if existing is not None:
                return self._evidence_out(existing)
            entry.update({"kind": "file", "file_name": name, "content_type": media_type, "size": len(data),
                          "sha256": digest, "title": title or name, "data": data})
        else:
            entry.update({"kind": "link", "title": title or url, "url": url})
        stored = await self.evidence.insert(team_id, entry)
        await self.assessments.update(team_id, assessment_id, {"updated_at": now()})
        await self.audit.record("assessments.evidence_added", actor_id=actor.user_id, team_id=team_id, ip=actor.ip,
                                target_type="assessment", target_id=assessment_id, via=actor.via,
                                token_id=actor.token_id,
                                details={"ref": ref, "kind": entry["kind"], "file_name": entry.get("file_name"),
                                         "sha256": entry.get("sha256"), "size": entry.get("size"),
                                         "url": entry.get("url")})
        return self._evidence_out(stored)

    async def list_evidence(self, team_id: str, assessment_id: str) -> list[dict[str, Any]]:
        await self._get(team_id, assessment_id)
        return [self._evidence_out(entry) for entry in await self.evidence.for_assessment(team_id, assessment_id)]

    async def evidence_file(self, team_id: str, assessment_id: str, evidence_id: str) -> dict[str, Any]:
        await self._get(team_id, assessment_id)
        entry = await self.evidence.one(team_id, assessment_id, evidence_id, with_data=True)
        if entry is None or entry.get("kind") != "file":
            raise NotFound("evidence file not found")
        return entry

    async def remove_evidence(self, team_id: str, assessment_id: str, evidence_id: str, actor: Actor) -> None:
        document = await self._get(team_id, assessment_id)
        self._unlocked(document)
        entry = await self.evidence.one(team_id, assessment_id, evidence_id)
        if entry is None or not await self.evidence.remove(team_id, assessment_id, evidence_id):
            raise NotFound("evidence not found")
        await self.audit.record("assessments.evidence_removed", actor_id=actor.user_id, team_id=team_id, ip=actor.ip,
                                target_type="assessment", target_id=assessment_id, via=actor.via,
                                token_id=actor.token_id,
                                details={"ref": entry.get("ref"), "kind": entry.get("kind"),
                                         "file_name": entry.get("file_name"), "sha256": entry.get("sha256")})

    # --- export -----------------------------------------------------------------------------
    async def export_rows(self, team_id: str, assessment_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        document = await self._get(team_id, assessment_id)
        page = await self.requirements(team_id, assessment_id, limit=10_000)
        return self.summary(document), page["items"]
