"""IntegrationService: the team's integrations, routing rules, setup wizard, delivery log and health.

Configurations are validated by kind (schemas.py); their ``SecretStr`` fields are encrypted together
with the credential vault used for cloud accounts and are never returned, logged or audited: a
response lists only which secrets are set. Every URL or host is checked against the outbound
destination policy when it is saved (and again on every attempt), so a webhook to
169.254.169.254 is refused with the rule that refuses it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Self
from urllib.parse import urlsplit

from pydantic import BaseModel, SecretStr
from pymongo.errors import DuplicateKeyError

from cspm.audit.service import AuditService
from cspm.core.container import ServiceContainer
from cspm.core.errors import BadRequest, Conflict, NotFound
from cspm.core.manifest import MANIFEST
from cspm.integrations.channels import check_url
from cspm.integrations.delivery import DeliveryService, test_event
from cspm.integrations.models import ChannelKind, DeliveryState, EventType, HealthState, WizardStep
from cspm.integrations.schemas import ChannelConfig, RuleIn, RuleMatch
from cspm.scanners.network_policy import DestinationRefused

URL_FIELDS = {"slack": "webhook_url", "teams": "webhook_url", "webhook": "url", "jira": "base_url"}
CHANNELS: tuple[dict[str, Any], ...] = (
    {"kind": "slack", "label": "Slack", "description": "Incoming webhook, Block Kit message",
     "fields": [{"name": "webhook_url", "label": "Incoming webhook URL", "secret": True}]},
    {"kind": "teams", "label": "Microsoft Teams", "description": "Workflows webhook, Adaptive Card",
     "fields": [{"name": "webhook_url", "label": "Workflow webhook URL", "secret": True}]},
    {"kind": "webhook", "label": "Signed webhook", "description": "JSON POST signed with HMAC-SHA256",
     "fields": [{"name": "url", "label": "Receiver URL"},
                {"name": "signing_secret", "label": "Signing secret (16+ characters)", "secret": True}]},
    {"kind": "email", "label": "E-mail (SMTP)", "description": "SMTP with STARTTLS",
     "fields": [{"name": "host", "label": "SMTP host"}, {"name": "port", "label": "Port", "type": "number"},
                {"name": "from_address", "label": "From"},
                {"name": "to_addresses", "label": "To (comma-separated)", "type": "list"},
                {"name": "username", "label": "User name", "optional": True},
                {"name": "password", "label": "Password", "secret": True, "optional": True},
                {"name": "ca_certificate_pem", "label": "CA certificate (PEM), for a private relay",
                 "type": "text", "optional": True}]},
    {"kind": "jira", "label": "Jira", "description": "Issues from findings, status synced back (Cloud v3, DC v2)",
     "fields": [{"name": "base_url", "label": "Jira base URL"},
                {"name": "deployment", "label": "Deployment", "choices": ["cloud", "data_center"]},
                {"name": "project_key", "label": "Project key"},
                {"name": "issue_type", "label": "Issue type", "optional": True},
                {"name": "email", "label": "Account e-mail (Cloud)", "optional": True},
                {"name": "api_token", "label": "API token / personal access token", "secret": True}]},
)
EVENT_DESCRIPTIONS = {
    EventType.FINDING_NEW: "New critical or high findings", EventType.KEV_MATCH: "New findings with a KEV CVE",
    EventType.IOC_MATCH: "Threat indicator matches on the team's assets",
    EventType.DRIFT_REGRESSION: "Compliance drift: control regressions, scores below threshold",
    EventType.SCAN_FAILED: "Scans that failed or timed out", EventType.KRI_RED: "Key risk indicators turned red",
}
EVENT_SOURCES = {EventType.KEV_MATCH: "threat_intel", EventType.IOC_MATCH: "threat_intel",
                 EventType.KRI_RED: "risks", EventType.DRIFT_REGRESSION: "compliance"}


def split_config(config: BaseModel) -> tuple[dict[str, Any], dict[str, str]]:
    """(visible settings, secrets) of a channel configuration: SecretStr fields are the secrets."""
    settings: dict[str, Any] = {}
    secrets: dict[str, str] = {}
    for name, value in config.model_dump(mode="python").items():
        if isinstance(value, SecretStr):
            secrets[name] = value.get_secret_value()
        elif value is not None:
            settings[name] = [str(item) for item in value] if isinstance(value, list) else value
    kind = settings["kind"]
    if kind in ("slack", "teams"):
        # The URL is the secret; its host is shown so a person can tell two hooks apart.
        settings["host"] = urlsplit(secrets["webhook_url"]).hostname or ""
    return settings, secrets


def status_out(document: dict[str, Any] | None) -> dict[str, Any]:
    if document is None:
        return {"state": HealthState.UNKNOWN.value}
    return {key: document.get(key) for key in ("state", "last_checked_at", "last_success_at", "last_error",
                                               "last_error_at", "latency_ms")}


def _id(document: dict[str, Any]) -> dict[str, Any]:
    return {**document, "id": str(document["_id"])}


class IntegrationService:
    def __init__(self, container: ServiceContainer, delivery: DeliveryService) -> None:
        self.container = container
        self.delivery = delivery
        self.access = delivery.access
        self.repositories = delivery.repositories
        self.settings = delivery.settings

    @classmethod
    def build(cls, container: ServiceContainer) -> Self:
        return cls(container, container.resolve(DeliveryService))

    async def _audit(self, action: str, *, team_id: str, actor: str, target_type: str, target_id: str,
                     target_name: str | None = None, details: dict[str, Any] | None = None) -> None:
        await self.container.resolve(AuditService).record(
            f"integrations.{action}", actor_id=actor, team_id=team_id, target_type=target_type, target_id=target_id,
            target_name=target_name, details=details)

    # --- catalogue ----------------------------------------------------------------------------------
    @staticmethod
    def catalogue() -> dict[str, Any]:
        """Channels, and the events rules can route, with whether the module raising each is installed."""
        installed = {module.name for module in MANIFEST.route_modules}
        events = []
        for event_type, description in EVENT_DESCRIPTIONS.items():
            source = EVENT_SOURCES.get(event_type)
            available = source is None or source in installed
            events.append({"type": event_type.value, "description": description, "available": available,
                           "reason": None if available else f"the {source} module is not installed on this server: "
                                                            "no such event is raised until it is"})
        return {"channels": list(CHANNELS), "events": events}

    # --- configuration checks -----------------------------------------------------------------------
    def _check_destination(self, settings: dict[str, Any], secrets: dict[str, str]) -> None:
        kind = settings["kind"]
        try:
            if kind == "email":
                self.access.policy().check_host(settings["host"])
            else:
                field = URL_FIELDS[kind]
                check_url(self.access.policy(), secrets.get(field) or settings[field])
        except DestinationRefused as exc:
            raise BadRequest(f"{kind} destination refused: {exc}") from None
        if kind == "jira" and settings["deployment"] == "cloud" and not settings.get("email"):
            raise BadRequest("Jira Cloud needs the account e-mail beside the API token")

    def _sealed(self, config: BaseModel) -> tuple[dict[str, Any], str | None, list[str]]:
        settings, secrets = split_config(config)
        self._check_destination(settings, secrets)
        return settings, (self.access.vault().encrypt(secrets) if secrets else None), sorted(secrets)

    def _out(self, document: dict[str, Any], status: dict[str, Any] | None) -> dict[str, Any]:
        return {**_id(document), "status": status_out(status), "secrets_set": document.get("secrets_set") or []}

    # --- integrations -------------------------------------------------------------------------------
    async def create(self, *, team_id: str, actor: str, name: str, config: ChannelConfig,
                     enabled: bool = True) -> dict[str, Any]:
        settings, token, secret_names = self._sealed(config)
        now = datetime.now(UTC)
        document = {"name": name, "kind": settings["kind"], "settings": settings, "secrets": token,
                    "secrets_set": secret_names, "enabled": enabled, "created_at": now, "created_by": actor,
                    "updated_at": now}
        try:
            stored = await self.repositories.integrations.insert(team_id, document)
        except DuplicateKeyError:
            raise Conflict(f"an integration named {name!r} already exists") from None
        await self._audit("created", team_id=team_id, actor=actor, target_type="integration",
                          target_id=str(stored["_id"]), target_name=name, details={"kind": settings["kind"]})
        return self._out(stored, None)

    async def list_integrations(self, *, team_id: str) -> list[dict[str, Any]]:
        items = await self.repositories.integrations.find(team_id, sort=[("name", 1)], limit=500)
        statuses = await self.repositories.status.of(team_id, [str(item["_id"]) for item in items])
        return [self._out(item, statuses.get(str(item["_id"]))) for item in items]

    async def get(self, *, team_id: str, integration_id: str) -> dict[str, Any]:
        item = await self.repositories.integrations.get(team_id, integration_id, what="integration")
        return self._out(item, (await self.repositories.status.of(team_id, [integration_id])).get(integration_id))

    async def update(self, *, team_id: str, actor: str, integration_id: str, changes: dict[str, Any],
                     config: ChannelConfig | None) -> dict[str, Any]:
        current = await self.repositories.integrations.get(team_id, integration_id, what="integration")
        update: dict[str, Any] = {key: value for key, value in changes.items() if value is not None}
        if config is not None:
            if config.kind != current["kind"]:
                raise BadRequest(f"an integration's kind cannot change ({current['kind']} → {config.kind})")
            update["settings"], update["secrets"], update["secrets_set"] = self._sealed(config)
        update["updated_at"] = datetime.now(UTC)
        try:
            stored = await self.repositories.integrations.update(team_id, current["_id"], update)
        except DuplicateKeyError:
            raise Conflict(f"an integration named {changes.get('name')!r} already exists") from None
        assert stored is not None
        await self._audit("updated", team_id=team_id, actor=actor, target_type="integration", target_id=integration_id,
                          target_name=stored["name"], details={"fields": sorted(k for k in update if k != "secrets")})
        return await self.get(team_id=team_id, integration_id=integration_id)

    async def delete(self, *, team_id: str, actor: str, integration_id: str) -> None:
        current = await self.repositories.integrations.get(team_id, integration_id, what="integration")
        in_rules = await self.repositories.rules.count(team_id, {"integration_ids": integration_id})
        if in_rules:
            raise Conflict(f"{in_rules} routing rule(s) send to this integration: remove it from them first")
        await self.repositories.integrations.delete(team_id, current["_id"])
        await self.repositories.status.remove(team_id, integration_id)
        await self._audit("deleted", team_id=team_id, actor=actor, target_type="integration",
                          target_id=integration_id, target_name=current["name"])

    async def check(self, *, team_id: str, integration_id: str) -> dict[str, Any]:
        """The health check, now (the scheduled job runs the same one)."""
        integration = await self.repositories.integrations.get(team_id, integration_id, what="integration")
        outcome = await self.delivery.check(integration)
        await self.access.record_health(team_id, integration_id, outcome)
        status = (await self.repositories.status.of(team_id, [integration_id])).get(integration_id)
        return {"integration_id": integration_id, "ok": outcome.ok, "status": status_out(status)}

    async def check_all(self) -> dict[str, int]:
        """Every enabled integration of every team (the scheduled health job), then the integrity report."""
        counts = {"ok": 0, "failing": 0}
        async for integration in self.repositories.integrations.collection.find({"enabled": True}).limit(5000):
            outcome = await self.delivery.check(integration)
            await self.access.record_health(integration["team_id"], str(integration["_id"]), outcome)
            counts["ok" if outcome.ok else "failing"] += 1
        await self.report_integrity()
        return counts

    async def report_integrity(self) -> None:
        """Failing connections make the integrations component degraded, with how many and the first error."""
        failing = await self.repositories.status.failing()
        if failing:
            self.container.integrity.degraded(
                "integrations", "connections",
                f"{len(failing)} integration connection(s) failing; first: {failing[0].get('last_error')}"[:300])
        else:
            self.container.integrity.optimal("integrations", "connections")

    # --- rules --------------------------------------------------------------------------------------
    async def _known_integrations(self, team_id: str, ids: list[str]) -> None:
        found = await self.repositories.integrations.count(
            team_id, {"_id": {"$in": [self.repositories.integrations.object_id(i, "integration") for i in ids]}})
        if found != len(set(ids)):
            raise BadRequest("integration_ids names an integration this team does not have")

    async def create_rule(self, *, team_id: str, actor: str, rule: RuleIn) -> dict[str, Any]:
        await self._known_integrations(team_id, rule.integration_ids)
        document = {**rule.model_dump(), "integration_ids": list(dict.fromkeys(rule.integration_ids)),
                    "created_at": datetime.now(UTC), "created_by": actor}
        try:
            stored = await self.repositories.rules.insert(team_id, document)
        except DuplicateKeyError:
            raise Conflict(f"a rule named {rule.name!r} already exists") from None
        await self._audit("rule_created", team_id=team_id, actor=actor, target_type="routing_rule",
                          target_id=str(stored["_id"]), target_name=rule.name,
                          details={"event_types": rule.event_types, "integration_ids": rule.integration_ids})
        return _id(stored)

    async def list_rules(self, *, team_id: str) -> list[dict[str, Any]]:
        return [_id(rule) for rule in await self.repositories.rules.find(team_id, sort=[("name", 1)], limit=500)]

    async def replace_rule(self, *, team_id: str, actor: str, rule_id: str, rule: RuleIn) -> dict[str, Any]:
        current = await self.repositories.rules.get(team_id, rule_id, what="routing rule")
        await self._known_integrations(team_id, rule.integration_ids)
        try:
            stored = await self.repositories.rules.update(team_id, current["_id"], rule.model_dump())
        except DuplicateKeyError:
            raise Conflict(f"a rule named {rule.name!r} already exists") from None
        assert stored is not None
        await self._audit("rule_updated", team_id=team_id, actor=actor, target_type="routing_rule",
                          target_id=rule_id, target_name=rule.name)
        return _id(stored)

    async def delete_rule(self, *, team_id: str, actor: str, rule_id: str) -> None:
        current = await self.repositories.rules.get(team_id, rule_id, what="routing rule")
        await self.repositories.rules.delete(team_id, current["_id"])
        await self._audit("rule_deleted", team_id=team_id, actor=actor, target_type="routing_rule",
                          target_id=rule_id, target_name=current["name"])

    # --- deliveries ---------------------------------------------------------------------------------
    async def deliveries(self, *, team_id: str, state: DeliveryState | None, integration_id: str | None,
                         offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        query: dict[str, Any] = {}
        if state:
            query["state"] = state.value
        if integration_id:
            query["integration_id"] = integration_id
        items, total = await self.repositories.deliveries.page(team_id, query, sort=[("created_at", -1), ("_id", -1)],
                                                               skip=offset, limit=limit)
        names = {str(item["_id"]): item["name"] for item in await self.repositories.integrations.find(
            team_id, projection={"name": 1})}
        return [{**_id(item), "integration_name": names.get(item["integration_id"]),
                 "event_type": item["event"]["type"], "title": item["event"]["title"],
                 "severity": item["event"]["severity"]} for item in items], total

    async def redeliver(self, *, team_id: str, actor: str, delivery_id: str) -> dict[str, Any]:
        """A dead-lettered delivery, queued again with a fresh attempt budget."""
        deliveries = self.repositories.deliveries
        current = await deliveries.get(team_id, delivery_id, what="delivery")
        if current["state"] != DeliveryState.DEAD_LETTER.value:
            raise Conflict(f"only dead-lettered deliveries can be sent again (this one is {current['state']})")
        await deliveries.update(team_id, current["_id"], {"state": DeliveryState.QUEUED.value, "attempts": 0,
                                                          "next_attempt_at": datetime.now(UTC)})
        await self.container.dispatcher.send("integrations.deliver", {"team_id": team_id, "delivery_id": delivery_id})
        await self._audit("redelivered", team_id=team_id, actor=actor, target_type="delivery", target_id=delivery_id,
                          target_name=current["event"]["title"])
        items, _ = await self.deliveries(team_id=team_id, state=None, integration_id=None, offset=0, limit=1)
        return next((item for item in items if item["id"] == delivery_id), _id(current))

    # --- wizard -------------------------------------------------------------------------------------
    def _expiry(self) -> datetime:
        return datetime.now(UTC) + timedelta(minutes=self.settings.wizard_ttl_minutes)

    async def _session(self, team_id: str, session_id: str) -> dict[str, Any]:
        session = await self.repositories.wizards.get(team_id, session_id, what="wizard session")
        expires = session["expires_at"]
        if (expires if expires.tzinfo else expires.replace(tzinfo=UTC)) <= datetime.now(UTC):
            await self.repositories.wizards.delete(team_id, session["_id"])
            raise NotFound("wizard session expired: start the setup again")
        return session

    @staticmethod
    def _wizard_out(session: dict[str, Any]) -> dict[str, Any]:
        return {**_id(session), "settings": session.get("settings") or {},
                "secrets_set": session.get("secrets_set") or []}

    async def _advance(self, team_id: str, session: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
        now = datetime.now(UTC)
        stored = await self.repositories.wizards.update(team_id, session["_id"],
                                                        {**changes, "updated_at": now, "expires_at": self._expiry()})
        if stored is None:
            raise NotFound("wizard session not found")
        return self._wizard_out(stored)

    async def wizard_start(self, *, team_id: str, actor: str, kind: str, name: str) -> dict[str, Any]:
        if await self.repositories.integrations.count(team_id, {"name": name}):
            raise Conflict(f"an integration named {name!r} already exists")
        now = datetime.now(UTC)
        session = await self.repositories.wizards.insert(team_id, {
            "kind": kind, "name": name, "step": WizardStep.CREDENTIALS.value, "settings": {}, "secrets": None,
            "secrets_set": [], "test": None, "integration_id": None, "created_by": actor, "created_at": now,
            "updated_at": now, "expires_at": self._expiry()})
        return self._wizard_out(session)

    async def wizard_list(self, *, team_id: str) -> list[dict[str, Any]]:
        now = datetime.now(UTC)
        sessions = await self.repositories.wizards.find(team_id, {"step": {"$ne": WizardStep.DONE.value},
                                                                  "expires_at": {"$gt": now}},
                                                        sort=[("updated_at", -1)], limit=50)
        return [self._wizard_out(session) for session in sessions]

    async def wizard_get(self, *, team_id: str, session_id: str) -> dict[str, Any]:
        return self._wizard_out(await self._session(team_id, session_id))

    async def wizard_credentials(self, *, team_id: str, session_id: str, config: ChannelConfig) -> dict[str, Any]:
        session = await self._session(team_id, session_id)
        if session["step"] == WizardStep.DONE.value:
            raise Conflict("this setup is finished")
        if config.kind != session["kind"]:
            raise BadRequest(f"this setup is for {session['kind']}, not {config.kind}")
        settings, token, secret_names = self._sealed(config)
        return await self._advance(team_id, session, {"settings": settings, "secrets": token,
                                                      "secrets_set": secret_names, "step": WizardStep.TEST.value,
                                                      "test": None})

    async def wizard_test(self, *, team_id: str, session_id: str) -> dict[str, Any]:
        """A real test message (Jira: a read of the project); a failure keeps the session at this step."""
        session = await self._session(team_id, session_id)
        if session["step"] not in (WizardStep.TEST.value, WizardStep.RULES.value):
            raise Conflict(f"the setup is at step {session['step']!r}: credentials first")
        draft = {"_id": session["_id"], "team_id": team_id, "name": session["name"], "kind": session["kind"],
                 "settings": session["settings"], "secrets": session["secrets"]}
        if session["kind"] == ChannelKind.JIRA.value:
            outcome = await self.delivery.check(draft)
        else:
            outcome = await self.delivery.send(draft, test_event(session["name"]), team_id=team_id,
                                               delivery_id=f"wizard-{session['_id']}")
        result = {"ok": outcome.ok, "at": datetime.now(UTC), "status_code": outcome.status_code,
                  "error": outcome.error, "latency_ms": outcome.latency_ms}
        step = WizardStep.RULES.value if outcome.ok else WizardStep.TEST.value
        return await self._advance(team_id, session, {"test": result, "step": step})

    async def wizard_finish(self, *, team_id: str, actor: str, session_id: str,
                            rule: RuleMatch | None) -> dict[str, Any]:
        session = await self._session(team_id, session_id)
        if session["step"] != WizardStep.RULES.value:
            raise Conflict("the connection test has not passed yet")
        now = datetime.now(UTC)
        try:
            stored = await self.repositories.integrations.insert(team_id, {
                "name": session["name"], "kind": session["kind"], "settings": session["settings"],
                "secrets": session["secrets"], "secrets_set": session["secrets_set"], "enabled": True,
                "created_at": now, "created_by": actor, "updated_at": now})
        except DuplicateKeyError:
            raise Conflict(f"an integration named {session['name']!r} already exists") from None
        integration_id = str(stored["_id"])
        test = session.get("test") or {}
        await self.repositories.status.record(team_id, integration_id, {
            "state": HealthState.OK.value, "last_checked_at": test.get("at"), "last_success_at": test.get("at"),
            "latency_ms": test.get("latency_ms")})
        await self._audit("created", team_id=team_id, actor=actor, target_type="integration",
                          target_id=integration_id, target_name=session["name"],
                          details={"kind": session["kind"], "wizard": str(session["_id"])})
        if rule is not None:
            await self.create_rule(team_id=team_id, actor=actor, rule=RuleIn(
                **rule.model_dump(), integration_ids=[integration_id]))
        return await self._advance(team_id, session, {"step": WizardStep.DONE.value, "integration_id": integration_id,
                                                      "secrets": None})

    async def wizard_cancel(self, *, team_id: str, session_id: str) -> None:
        session = await self.repositories.wizards.get(team_id, session_id, what="wizard session")
        await self.repositories.wizards.delete(team_id, session["_id"])

    async def purge_wizards(self) -> int:
        return await self.repositories.purge_expired_wizards(datetime.now(UTC))
