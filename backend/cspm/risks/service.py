"""The risk register: risks on the team's matrix, treatment actions on SCF controls, acceptances, history.

The computed residual of a risk is read from the compliance engine's live control states every
time a risk is shown (``residual.computed_residual``), and the last computed one is stored with
the risk so that a rise can be told apart: ``reevaluate`` (after every findings change of the team,
once the compliance engine has recomputed, and on the KRI schedule) records a ``residual_raised``
event for the risk owner and a history entry when a linked control regressed.

Accepting a finding's risk in the findings module creates or joins a risk acceptance here
(``on_findings_changed``); approving an acceptance accepts its findings, and an expired
acceptance reopens the risk and its findings (``expire_acceptances``).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, Self

from cspm.audit.service import AuditService
from cspm.compliance.service import ComplianceService
from cspm.core.container import ServiceContainer
from cspm.core.database.registry import Database
from cspm.core.errors import BadRequest, Conflict, Forbidden, NotFound, Unprocessable
from cspm.findings.models import FindingStatus
from cspm.findings.service import FindingsService
from cspm.risks import matrix as matrices
from cspm.risks.models import SEVERITY_LIKELIHOOD, AcceptanceState, RiskStatus, Treatment
from cspm.risks.repository import (
    ACCEPTANCES,
    EVENTS,
    HISTORY,
    RISKS,
    AcceptanceRepository,
    FindingView,
    MatrixRepository,
    TeamDocuments,
)
from cspm.risks.residual import computed_residual
from cspm.risks.settings import RiskSettings
from cspm.teams.service import TeamService

logger = logging.getLogger(__name__)
MODULE = "risks"
OPEN_ACCEPTANCE = [AcceptanceState.REQUESTED.value, AcceptanceState.APPROVED.value]
TRACKED = ("title", "description", "threat", "vulnerability", "assets", "owner", "category", "likelihood", "impact",
           "likelihood_justification", "impact_justification", "treatment", "residual_likelihood",
           "residual_impact", "status", "review_date")


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _stored(value: Any) -> Any:
    """Dates become ISO strings (BSON has no date-only type)."""
    return value.isoformat() if isinstance(value, date) and not isinstance(value, datetime) else value


class RiskService:
    def __init__(self, container: ServiceContainer, settings: RiskSettings, audit: AuditService) -> None:
        database = container.database.db(Database.RISK_MANAGEMENT)
        self.container = container
        self.settings = settings
        self.audit = audit
        self.risks = TeamDocuments(database, RISKS, "risk")
        self.history = TeamDocuments(database, HISTORY, "history entry")
        self.matrices = MatrixRepository(database)
        self.acceptances = AcceptanceRepository(database, ACCEPTANCES, "risk acceptance")
        self.events = TeamDocuments(database, EVENTS, "risk event")
        self.findings = FindingView(container.database.db(Database.SECURITY_SCANS))

    @classmethod
    def build(cls, container: ServiceContainer) -> Self:
        return cls(container, container.resolve(RiskSettings), container.resolve(AuditService))

    async def _disabled(self, team_id: str) -> frozenset[str]:
        return await self.container.resolve(TeamService).disabled_modules(team_id=team_id)

    # --- matrix ---------------------------------------------------------------------------
    async def matrix(self, team_id: str) -> dict[str, Any]:
        return await self.matrices.of_team(team_id) or matrices.preset(self.settings.default_matrix_size)

    async def set_matrix(self, team_id: str, body: Mapping[str, Any], *, actor: str) -> dict[str, Any]:
        """Replace the team's matrix and re-score every risk on it (values mapped onto a new size)."""
        base = matrices.preset(body["preset"]) if body.get("preset") else matrices.preset(body["size"])
        new = {key: body[key] if body.get(key) is not None else base[key]
               for key in ("size", "likelihood_labels", "impact_labels", "levels", "cells")}
        if body.get("size") and body.get("preset") and body["size"] != body["preset"]:
            raise Unprocessable("size and preset disagree: give one of them")
        problems = matrices.validate(new)
        if problems:
            raise Unprocessable("; ".join(problems))
        old = await self.matrix(team_id)
        await self.matrices.save(team_id, new)
        rescored = 0
        for risk in await self.risks.find(team_id):
            changes = {name: matrices.rescale(risk[name], old["size"], new["size"])
                       for name in ("likelihood", "impact", "residual_likelihood", "residual_impact")
                       if isinstance(risk.get(name), int)}
            if any(changes[name] != risk[name] for name in changes):
                await self._update(team_id, risk, changes, actor=actor, reason=f"matrix {old['size']}x{old['size']} "
                                   f"→ {new['size']}x{new['size']}")
            rescored += 1
        await self.audit.record("risk.matrix_changed", actor_id=actor, team_id=team_id, target_type="risk_matrix",
                                details={"from_size": old["size"], "to_size": new["size"], "rescored": rescored,
                                         "levels": [level["name"] for level in new["levels"]]})
        return {**new, "rescored": rescored}

    # --- reading --------------------------------------------------------------------------
    async def _control_states(self, team_id: str,
                              scf_ids: Sequence[str]) -> tuple[dict[str, dict[str, Any]], list[str]]:
        """Live states of the controls, with titles; notes say what is missing (compliance switched off)."""
        if not scf_ids:
            return {}, []
        if "compliance" in await self._disabled(team_id):
            return {}, ["compliance module switched off: no computed residual from controls"]
        summary = await self.container.resolve(ComplianceService).controls_summary(team_id, list(scf_ids),
                                                                                  frameworks=[])
        return {control["scf_id"]: control for control in summary["controls"]}, []

    def _present(self, risk: Mapping[str, Any], matrix: Mapping[str, Any], states: Mapping[str, Mapping[str, Any]],
                 notes: Sequence[str], acceptance: Mapping[str, Any] | None) -> dict[str, Any]:
        inherent = matrices.cell(matrix, risk["likelihood"], risk["impact"])
        estimate = matrices.cell(matrix, risk["residual_likelihood"], risk["residual_impact"]) \
            if risk.get("residual_likelihood") and risk.get("residual_impact") else None
        scf_ids = [scf_id for action in risk.get("actions") or [] if action.get("status") != "cancelled"
                   for scf_id in action.get("scf_ids") or []]
        computed = None
        if scf_ids and not notes:
            found = computed_residual(risk["likelihood"], risk["impact"], scf_ids,
                                      {scf_id: state["status"] for scf_id, state in states.items()})
            if found is not None:
                computed = {**found, **matrices.cell(matrix, found["likelihood"], found["impact"]),
                            "controls": [{**control, "title": (states.get(control["scf_id"]) or {}).get("title")}
                                         for control in found["controls"]]}
        return {**risk, "id": str(risk["_id"]), "inherent": inherent, "residual_estimate": estimate,
                "computed_residual": computed, "residual": computed or estimate or inherent,
                "acceptance": _acceptance_out(acceptance) if acceptance else None, "notes": list(notes)}

    async def _present_many(self, team_id: str, risks: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        matrix = await self.matrix(team_id)
        scf_ids = sorted({scf_id for risk in risks for action in risk.get("actions") or []
                          for scf_id in action.get("scf_ids") or []})
        states, notes = await self._control_states(team_id, scf_ids)
        acceptances = {document["risk_id"]: document for document in await self.acceptances.find(
            team_id, {"risk_id": {"$in": [str(risk["_id"]) for risk in risks]}}, sort=[("requested_at", 1)])}
        return [self._present(risk, matrix, states, notes if any(a.get("scf_ids") for a in risk.get("actions") or [])
                              else [], acceptances.get(str(risk["_id"]))) for risk in risks]

    async def list_risks(self, team_id: str, *, status: str | None = None, treatment: str | None = None,
                         owner: str | None = None, category: str | None = None, text: str | None = None,
                         cell: tuple[str, int, int] | None = None, level: str | None = None) -> list[dict[str, Any]]:
        """The register with filters; ``cell`` is (inherent|residual, likelihood, impact) from a heat map click."""
        query: dict[str, Any] = {}
        for name, value in (("status", status), ("treatment", treatment), ("owner", owner), ("category", category)):
            if value:
                query[name] = value
        risks = await self.risks.find(team_id, query, sort=[("updated_at", -1)], limit=5000)
        shown = await self._present_many(team_id, risks)
        if text:
            needle = text.lower()
            shown = [risk for risk in shown if needle in risk["title"].lower() or needle in risk["description"].lower()]
        if cell:
            which, likelihood, impact = cell
            shown = [risk for risk in shown
                     if (risk[which]["likelihood"], risk[which]["impact"]) == (likelihood, impact)]
        if level:
            shown = [risk for risk in shown if risk["residual"]["level"] == level]
        return shown

    async def get_risk(self, team_id: str, risk_id: str) -> dict[str, Any]:
        risk = await self.risks.get(team_id, risk_id, what="risk")
        shown = (await self._present_many(team_id, [risk]))[0]
        history = await self.history.find(team_id, {"risk_id": risk_id}, sort=[("at", -1)], limit=200)
        return {**shown, "history": [{key: value for key, value in entry.items() if key not in ("_id", "team_id")}
                                     for entry in history]}

    async def heat_map(self, team_id: str) -> dict[str, Any]:
        matrix = await self.matrix(team_id)
        shown = await self.list_risks(team_id)
        active = [risk for risk in shown if risk["status"] != RiskStatus.CLOSED.value]
        return {**{key: matrix[key] for key in ("size", "likelihood_labels", "impact_labels", "cells", "levels")},
                "inherent": matrices.heat_map(matrix, [(r["inherent"]["likelihood"], r["inherent"]["impact"])
                                                       for r in active]),
                "residual": matrices.heat_map(matrix, [(r["residual"]["likelihood"], r["residual"]["impact"])
                                                       for r in active])}

    # --- writing --------------------------------------------------------------------------
    async def _check_scale(self, team_id: str, values: Mapping[str, Any]) -> None:
        size = (await self.matrix(team_id))["size"]
        too_big = [name for name in ("likelihood", "impact", "residual_likelihood", "residual_impact")
                   if isinstance(values.get(name), int) and values[name] > size]
        if too_big:
            raise Unprocessable(f"{', '.join(too_big)} must be 1..{size} on the team's {size}x{size} matrix")

    async def create_risk(self, team_id: str, values: Mapping[str, Any], *, actor: str,
                          source: Mapping[str, Any] | None = None, finding_keys: Sequence[str] = ()) -> dict[str, Any]:
        await self._check_scale(team_id, values)
        now = _now()
        document = {**{key: _stored(value) for key, value in values.items()}, "actions": [],
                    "finding_keys": list(finding_keys), "source": dict(source or {"kind": "manual"}),
                    "created_at": now, "created_by": actor, "updated_at": now, "computed_snapshot": None}
        risk_id = await self.risks.insert(team_id, document)
        await self.history.insert(team_id, {"risk_id": risk_id, "at": now, "actor": actor, "kind": "created",
                                            "changes": {}, "reason": (source or {}).get("kind", "manual")})
        await self.audit.record("risk.created", actor_id=actor, team_id=team_id, target_type="risk",
                                target_id=risk_id, target_name=document["title"],
                                details={"source": document["source"]})
        await self.reevaluate(team_id, risk_ids=[risk_id], notify=False)
        return await self.get_risk(team_id, risk_id)

    async def create_from_finding(self, team_id: str, finding_id: str, *, owner: str, impact: int,
                                  actor: str) -> dict[str, Any]:
        """A risk prefilled from a finding: its title, resource as the asset, likelihood from its severity."""
        if "findings" in await self._disabled(team_id):
            raise BadRequest("the findings module is switched off for this team: create the risk by hand")
        finding = await self.container.resolve(FindingsService).detail(team_id=team_id, finding_id=finding_id)
        size = (await self.matrix(team_id))["size"]
        resource = finding.get("resource") or {}
        assets = [{"kind": "host" if resource.get("type") in ("host_port", "host", "url") else "other",
                   "ref": str(resource.get("id") or "unknown")[:200], "name": resource.get("name")}]
        if resource.get("account"):
            assets.append({"kind": "cloud_account", "ref": str(resource["account"])[:200], "name": None})
        likelihood = matrices.rescale(SEVERITY_LIKELIHOOD.get(finding.get("severity", "info"), 1), 5, size)
        values = {"title": f"{finding['title']}"[:200], "description": str(finding.get("description") or "")[:4000],
                  "threat": "Exploitation of the weakness the finding reports",
                  "vulnerability": f"{finding.get('source_tool')} {finding.get('rule_id')}: {finding['title']}"[:4000],
                  "assets": assets, "owner": owner, "category": "technical",
                  "likelihood": likelihood, "impact": min(impact, size),
                  "likelihood_justification": f"severity {finding.get('severity')} reported by "
                                              f"{finding.get('source_tool')}",
                  "impact_justification": "", "treatment": None, "residual_likelihood": None,
                  "residual_impact": None, "status": RiskStatus.IDENTIFIED.value, "review_date": None}
        return await self.create_risk(team_id, values, actor=actor,
                                      source={"kind": "finding", "finding_id": finding_id,
                                              "dedup_key": finding["dedup_key"]},
                                      finding_keys=[finding["dedup_key"]])

    async def _update(self, team_id: str, risk: Mapping[str, Any], changes: Mapping[str, Any], *, actor: str,
                      reason: str, kind: str = "updated") -> dict[str, Any]:
        diff = {name: [risk.get(name), _stored(value)] for name, value in changes.items()
                if risk.get(name) != _stored(value)}
        if not diff:
            return dict(risk)
        now = _now()
        updated = await self.risks.update(team_id, str(risk["_id"]), {**{name: after for name, (_, after) in
                                                                          diff.items()}, "updated_at": now})
        await self.history.insert(team_id, {"risk_id": str(risk["_id"]), "at": now, "actor": actor, "kind": kind,
                                            "changes": diff, "reason": reason})
        return updated

    async def update_risk(self, team_id: str, risk_id: str, changes: Mapping[str, Any], *,
                          actor: str) -> dict[str, Any]:
        risk = await self.risks.get(team_id, risk_id, what="risk")
        reason = str(changes.get("reason") or "")
        values = {name: value for name, value in changes.items() if name in TRACKED}
        await self._check_scale(team_id, values)
        if values.get("status") == RiskStatus.ACCEPTED.value and not await self.acceptances.count(
                team_id, {"risk_id": risk_id, "state": AcceptanceState.APPROVED.value}):
            raise Unprocessable("a risk becomes accepted through an approved acceptance (POST .../acceptances)")
        await self._update(team_id, risk, values, actor=actor, reason=reason)
        await self.audit.record("risk.updated", actor_id=actor, team_id=team_id, target_type="risk",
                                target_id=risk_id, target_name=risk["title"], details={"fields": sorted(values)})
        return await self.get_risk(team_id, risk_id)

    async def delete_risk(self, team_id: str, risk_id: str, *, actor: str) -> None:
        risk = await self.risks.get(team_id, risk_id, what="risk")
        await self.risks.delete(team_id, risk_id)
        await self.audit.record("risk.deleted", actor_id=actor, team_id=team_id, target_type="risk",
                                target_id=risk_id, target_name=risk["title"])

    # --- treatment actions ----------------------------------------------------------------
    async def _known_controls(self, team_id: str, scf_ids: Sequence[str]) -> None:
        if not scf_ids or "compliance" in await self._disabled(team_id):
            return
        summary = await self.container.resolve(ComplianceService).controls_summary(team_id, list(scf_ids),
                                                                                  frameworks=[])
        unknown = sorted(set(scf_ids) - {control["scf_id"] for control in summary["controls"]})
        if unknown:
            raise Unprocessable(f"unknown SCF control(s) in the active registry: {', '.join(unknown)}")

    async def add_action(self, team_id: str, risk_id: str, action: Mapping[str, Any], *, actor: str) -> dict[str, Any]:
        risk = await self.risks.get(team_id, risk_id, what="risk")
        await self._known_controls(team_id, action.get("scf_ids") or [])
        if len(risk.get("actions") or []) >= 100:
            raise Unprocessable("a risk keeps at most 100 treatment actions")
        new = {**{key: _stored(value) for key, value in action.items()}, "id": uuid.uuid4().hex}
        changes: dict[str, Any] = {"actions": [*(risk.get("actions") or []), new]}
        if not risk.get("treatment"):
            changes["treatment"] = Treatment.MITIGATE.value
        if risk["status"] in (RiskStatus.IDENTIFIED.value, RiskStatus.ASSESSED.value):
            changes["status"] = RiskStatus.TREATED.value
        await self._update(team_id, risk, changes, actor=actor, reason=f"treatment action '{new['title']}'")
        await self.audit.record("risk.action_added", actor_id=actor, team_id=team_id, target_type="risk",
                                target_id=risk_id, target_name=risk["title"],
                                details={"action": new["title"], "scf_ids": new.get("scf_ids") or []})
        await self.reevaluate(team_id, risk_ids=[risk_id], notify=False)
        return await self.get_risk(team_id, risk_id)

    async def update_action(self, team_id: str, risk_id: str, action_id: str, changes: Mapping[str, Any], *,
                            actor: str, delete: bool = False) -> dict[str, Any]:
        risk = await self.risks.get(team_id, risk_id, what="risk")
        actions = list(risk.get("actions") or [])
        index = next((i for i, action in enumerate(actions) if action["id"] == action_id), None)
        if index is None:
            raise NotFound("treatment action not found")
        if delete:
            removed = actions.pop(index)
            reason = f"treatment action '{removed['title']}' removed"
        else:
            await self._known_controls(team_id, changes.get("scf_ids") or [])
            actions[index] = {**actions[index], **{key: _stored(value) for key, value in changes.items()
                                                   if value is not None}}
            reason = f"treatment action '{actions[index]['title']}' changed"
        await self._update(team_id, risk, {"actions": actions}, actor=actor, reason=reason)
        await self.audit.record("risk.action_removed" if delete else "risk.action_updated", actor_id=actor,
                                team_id=team_id, target_type="risk", target_id=risk_id, target_name=risk["title"],
                                details={"action_id": action_id})
        await self.reevaluate(team_id, risk_ids=[risk_id], notify=False)
        return await self.get_risk(team_id, risk_id)

    # --- computed residual over time ------------------------------------------------------
    async def reevaluate(self, team_id: str, *, risk_ids: Sequence[str] | None = None,
                         notify: bool = True) -> list[dict[str, Any]]:
        """Recompute the residual of the risks with controls; a rise is a history entry and an owner event."""
        query: dict[str, Any] = {"actions.scf_ids.0": {"$exists": True}}
        if risk_ids is not None:
            query["_id"] = {"$in": [self.risks.object_id(value, "risk") for value in risk_ids]}
        risks = await self.risks.find(team_id, query)
        if not risks:
            return []
        raised = []
        for risk, shown in zip(risks, await self._present_many(team_id, risks), strict=True):
            computed = shown["computed_residual"]
            snapshot = {key: computed[key] for key in ("likelihood", "impact", "score", "level", "coverage")} \
                if computed else None
            before = risk.get("computed_snapshot")
            if snapshot == before:
                continue
            await self.risks.update(team_id, str(risk["_id"]), {"computed_snapshot": snapshot})
            if before and snapshot and snapshot["score"] != before["score"]:
                regressed = [c["scf_id"] for c in computed["controls"] if c["status"] != "implemented"]
                detail = (f"computed residual {before['score']} ({before['level']}) → {snapshot['score']} "
                          f"({snapshot['level']}): {computed['reason']}")
                await self.history.insert(team_id, {"risk_id": str(risk["_id"]), "at": _now(), "actor": "system",
                                                    "kind": "computed_residual", "reason": detail,
                                                    "changes": {"computed_residual": [before, snapshot]}})
                if notify and snapshot["score"] > before["score"]:
                    event = {"at": _now(), "kind": "residual_raised", "risk_id": str(risk["_id"]),
                             "owner": risk.get("owner") or None, "detail": f"{risk['title']}: {detail}",
                             "controls": regressed}
                    await self.events.insert(team_id, event)
                    logger.info("risk residual raised", extra={"team_id": team_id, "risk_id": str(risk["_id"])})
                    raised.append(event)
        return raised

    async def on_findings_changed(self, *, team_id: str, dedup_keys: list[str]) -> None:
        """Subscriber of FINDINGS_CHANGED, after the compliance engine: accepted findings, regressed controls."""
        if MODULE in await self._disabled(team_id):
            return
        for finding in await self.findings.accepted_among(team_id, dedup_keys):
            await self._join_acceptance(team_id, finding)
        await self.reevaluate(team_id)

    async def _join_acceptance(self, team_id: str, finding: Mapping[str, Any]) -> None:
        """A finding accepted in the findings module: join its risk's open acceptance, or create a risk for it."""
        key = finding["dedup_key"]
        rule = f"{finding.get('source_tool')}:{finding.get('rule_id')}"
        risk = next(iter(await self.risks.find(team_id, {"finding_keys": key}, limit=1)), None) or next(iter(
            await self.risks.find(team_id, {"source.kind": "finding_acceptance", "source.rule": rule,
                                            "status": {"$ne": RiskStatus.CLOSED.value}}, limit=1)), None)
        accepted = finding.get("risk_acceptance") or {}
        if risk is None:
            size = (await self.matrix(team_id))["size"]
            likelihood = matrices.rescale(SEVERITY_LIKELIHOOD.get(finding.get("severity", "info"), 1), 5, size)
            values = {"title": f"Accepted finding: {finding.get('title')}"[:200],
                      "description": f"Accepted in Findings by {accepted.get('accepted_by')}: "
                                     f"{accepted.get('reason') or ''}"[:4000],
                      "threat": "", "vulnerability": f"{rule}: {finding.get('title')}"[:4000], "assets": [],
                      "owner": str(accepted.get("owner") or ""), "category": "technical", "likelihood": likelihood,
                      "impact": min(3, size), "likelihood_justification": f"severity {finding.get('severity')}",
                      "impact_justification": "", "treatment": Treatment.ACCEPT.value, "residual_likelihood": None,
                      "residual_impact": None, "status": RiskStatus.ASSESSED.value, "review_date": None}
            risk_id = (await self.create_risk(team_id, values, actor=str(accepted.get("accepted_by") or "system"),
                                              source={"kind": "finding_acceptance", "rule": rule},
                                              finding_keys=[key]))["id"]
        else:
            risk_id = str(risk["_id"])
            if key not in (risk.get("finding_keys") or []):
                await self._update(team_id, risk, {"finding_keys": [*risk.get("finding_keys", []), key]},
                                   actor="system", reason=f"finding {key[:12]} accepted in Findings")
        open_acceptance = next(iter(await self.acceptances.find(
            team_id, {"risk_id": risk_id, "state": {"$in": OPEN_ACCEPTANCE}}, limit=1)), None)
        if open_acceptance is None:
            expires = accepted.get("expires_at") or _now()
            await self.acceptances.insert(team_id, {
                "risk_id": risk_id, "state": AcceptanceState.REQUESTED.value,
                "reason": str(accepted.get("reason") or "accepted in Findings"),
                "requested_by": str(accepted.get("accepted_by") or "system"), "requested_at": _now(),
                "expires_at": _aware(expires), "approver": None, "decided_at": None, "comment": "",
                "finding_keys": [key]})
        elif key not in open_acceptance.get("finding_keys", []):
            await self.acceptances.update(team_id, str(open_acceptance["_id"]),
                                          {"finding_keys": [*open_acceptance.get("finding_keys", []), key]})

    # --- acceptances ----------------------------------------------------------------------
    async def list_acceptances(self, team_id: str, *, state: str | None = None) -> list[dict[str, Any]]:
        query = {"state": state} if state else {}
        return [_acceptance_out(item) for item in await self.acceptances.find(
            team_id, query, sort=[("requested_at", -1)], limit=1000)]

    async def request_acceptance(self, team_id: str, risk_id: str, *, reason: str, expires_at: datetime,
                                 actor: str) -> dict[str, Any]:
        risk = await self.risks.get(team_id, risk_id, what="risk")
        expires_at = _aware(expires_at)
        if expires_at <= _now():
            raise Unprocessable("the acceptance expiry must be in the future")
        if await self.acceptances.count(team_id, {"risk_id": risk_id, "state": {"$in": OPEN_ACCEPTANCE}}):
            raise Conflict("this risk already has an open acceptance: decide or let it expire first")
        document = {"risk_id": risk_id, "state": AcceptanceState.REQUESTED.value, "reason": reason,
                    "requested_by": actor, "requested_at": _now(), "expires_at": expires_at, "approver": None,
                    "decided_at": None, "comment": "", "finding_keys": list(risk.get("finding_keys") or [])}
        acceptance_id = await self.acceptances.insert(team_id, document)
        await self._update(team_id, risk, {"treatment": Treatment.ACCEPT.value}, actor=actor,
                           reason=f"acceptance requested until {expires_at.date().isoformat()}: {reason}")
        await self.audit.record("risk.acceptance_requested", actor_id=actor, team_id=team_id, target_type="risk",
                                target_id=risk_id, target_name=risk["title"],
                                details={"acceptance_id": acceptance_id, "expires_at": expires_at})
        return _acceptance_out({**document, "_id": acceptance_id})

    async def decide_acceptance(self, team_id: str, acceptance_id: str, *, approve: bool, comment: str,
                                actor: str) -> dict[str, Any]:
        """A team admin other than the requester approves or rejects."""
        acceptance = await self.acceptances.get(team_id, acceptance_id, what="risk acceptance")
        if acceptance["state"] != AcceptanceState.REQUESTED.value:
            raise Conflict(f"this acceptance is {acceptance['state']}, not awaiting a decision")
        if acceptance["requested_by"] == actor:
            raise Forbidden("the requester cannot approve or reject their own risk acceptance")
        if _aware(acceptance["expires_at"]) <= _now():
            raise Unprocessable("this acceptance has already expired")
        state = AcceptanceState.APPROVED if approve else AcceptanceState.REJECTED
        updated = await self.acceptances.update(team_id, acceptance_id, {
            "state": state.value, "approver": actor, "decided_at": _now(), "comment": comment})
        risk = await self.risks.get(team_id, acceptance["risk_id"], what="risk")
        notes = []
        if approve:
            await self._update(team_id, risk, {"status": RiskStatus.ACCEPTED.value,
                                               "treatment": Treatment.ACCEPT.value},
                               actor=actor, reason=f"acceptance approved until "
                                                   f"{_aware(acceptance['expires_at']).date().isoformat()}")
            notes = await self._accept_findings(team_id, risk, updated, actor=actor)
        await self.audit.record("risk.acceptance_approved" if approve else "risk.acceptance_rejected",
                                actor_id=actor, team_id=team_id, target_type="risk", target_id=acceptance["risk_id"],
                                target_name=risk["title"], details={"acceptance_id": acceptance_id,
                                                                    "requested_by": acceptance["requested_by"]})
        return {**_acceptance_out(updated), "notes": notes}

    async def _accept_findings(self, team_id: str, risk: Mapping[str, Any], acceptance: Mapping[str, Any], *,
                               actor: str) -> list[str]:
        keys = list(dict.fromkeys([*(risk.get("finding_keys") or []), *(acceptance.get("finding_keys") or [])]))
        if not keys:
            return []
        if "findings" in await self._disabled(team_id):
            return ["findings module switched off: the linked findings keep their status"]
        waiting = [str(f["_id"]) for f in await self.findings.by_keys(team_id, keys)
                   if f.get("status") != FindingStatus.RISK_ACCEPTED.value and f.get("status") in ("open", "reopened")]
        if waiting:
            await self.container.resolve(FindingsService).change_status(
                team_id=team_id, actor=actor, finding_ids=waiting, status=FindingStatus.RISK_ACCEPTED,
                reason=f"risk '{risk['title']}' accepted", risk_owner=risk.get("owner") or acceptance["requested_by"],
                expires_at=_aware(acceptance["expires_at"]))
        return []

    async def expire_acceptances(self, *, now: datetime | None = None) -> int:
        """Acceptances past their expiry: expired, the risk reopened (assessed), its accepted findings reopened."""
        now = now or _now()
        expired = 0
        for acceptance in await self.acceptances.due(now):
            team_id = acceptance["team_id"]
            await self.acceptances.update(team_id, str(acceptance["_id"]), {"state": AcceptanceState.EXPIRED.value})
            expired += 1
            try:
                risk = await self.risks.get(team_id, acceptance["risk_id"], what="risk")
            except NotFound:
                continue
            if risk["status"] == RiskStatus.ACCEPTED.value or acceptance["state"] == AcceptanceState.REQUESTED.value:
                await self._update(team_id, risk, {"status": RiskStatus.ASSESSED.value}, actor="system",
                                   reason="risk acceptance expired", kind="reopened")
            await self.events.insert(team_id, {"at": now, "kind": "acceptance_expired", "risk_id": str(risk["_id"]),
                                               "owner": risk.get("owner") or None,
                                               "detail": f"{risk['title']}: acceptance expired, risk reopened"})
            keys = list(dict.fromkeys([*(risk.get("finding_keys") or []), *(acceptance.get("finding_keys") or [])]))
            accepted = [str(f["_id"]) for f in await self.findings.by_keys(team_id, keys)
                        if f.get("status") == FindingStatus.RISK_ACCEPTED.value]
            if accepted and "findings" not in await self._disabled(team_id):
                await self.container.resolve(FindingsService).change_status(
                    team_id=team_id, actor="system", finding_ids=accepted, status=FindingStatus.OPEN,
                    reason="risk acceptance expired", risk_owner=None, expires_at=None)
        return expired

    async def list_events(self, team_id: str, *, owner: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        query = {"owner": owner} if owner else {}
        return [{**event, "id": str(event["_id"])} for event in await self.events.find(
            team_id, query, sort=[("at", -1)], limit=limit)]


def _acceptance_out(document: Mapping[str, Any]) -> dict[str, Any]:
    return {**{key: value for key, value in document.items() if key not in ("_id", "team_id")},
            "id": str(document["_id"])}
