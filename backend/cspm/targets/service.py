"""Targets: validated against the scanner tools when created, so a bad target fails at once."""

from __future__ import annotations

import contextlib
import ipaddress
import re
from datetime import UTC, datetime
from typing import Any, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from pymongo.errors import DuplicateKeyError

from cspm.audit.service import AuditService
from cspm.core.container import ServiceContainer
from cspm.core.database.registry import Database
from cspm.core.errors import Conflict, NotFound, Unprocessable
from cspm.core.events import TARGET_OPTIONS_CHANGED
from cspm.scanners.base import Target, TargetKind
from cspm.scanners.executors.factory import ScannerExecutorFactory, ToolRunner
from cspm.scanners.invocations import InvocationError
from cspm.scanners.network_policy import DestinationRefused, host_text, parse_host, parse_web_url
from cspm.scanners.workspace import JobWorkspace
from cspm.targets.repository import TargetRepository
from cspm.targets.schemas import ScheduleIn, TargetIn, TargetUpdate
from cspm.teams.service import TeamService

# What a target kind is scanned with when the user names no tools (filtered by the executor mode).
DEFAULT_TOOLS: dict[TargetKind, tuple[str, ...]] = {
    TargetKind.NETWORK: ("nmap",),
    TargetKind.REPOSITORY: ("trivy", "syft"),
    TargetKind.CONTAINER_IMAGE: ("trivy", "syft", "grype"),
    TargetKind.WEB_APPLICATION: ("headers", "zap"),
    TargetKind.TLS_ENDPOINT: ("sslyze",),
    TargetKind.CLOUD_ACCOUNT: ("prowler",),
}


def next_run(schedule: ScheduleIn | dict[str, Any], after: datetime) -> datetime:
    cron = schedule.cron if isinstance(schedule, ScheduleIn) else schedule["cron"]
    zone_name = schedule.timezone if isinstance(schedule, ScheduleIn) else schedule["timezone"]
    zone = ZoneInfo(zone_name)
    return croniter(cron, after.astimezone(zone)).get_next(datetime).astimezone(UTC)


def validate_schedule(schedule: ScheduleIn) -> None:
    try:
        ZoneInfo(schedule.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise Unprocessable(f"unknown time zone {schedule.timezone!r}") from None
    if not croniter.is_valid(schedule.cron) or len(schedule.cron.split()) != 5:
        raise Unprocessable(f"invalid cron expression {schedule.cron!r} (five fields: minute hour day month weekday)")


MODULE = "scans"
"""The team switch of targets (teams.schemas.TOGGLEABLE_MODULES)."""
_ENTRIES = re.compile(r"[\s,]+")
Host = str | ipaddress.IPv4Network | ipaddress.IPv6Network


def endpoints(target: dict[str, Any]) -> list[tuple[Host, int | None]]:
    """The hosts a network, web or TLS target scans, each with its port (None: any port the scan finds).
    Host names as ``parse_host`` spells them; a network target's CIDR ranges as networks."""
    kind, value = target["kind"], target["value"].strip()
    try:
        if kind == TargetKind.WEB_APPLICATION.value:
            url = parse_web_url(value)
            return [(url.host, url.effective_port)]
        if kind == TargetKind.TLS_ENDPOINT.value:
            host, _, port = value.rpartition(":")
            return [(host_text(parse_host(host)), int(port))] if port.isdigit() else []
        if kind == TargetKind.NETWORK.value:
            return [(host, None) for entry in _ENTRIES.split(value) if entry and (host := _network_entry(entry))]
    except (DestinationRefused, ValueError):
        return []  # stored before a stricter parser; it names no host we can compare
    return []


def _network_entry(entry: str) -> Host | None:
    try:
        return ipaddress.ip_network(entry, strict=False) if "/" in entry else host_text(parse_host(entry))
    except (DestinationRefused, ValueError):
        return None  # not a host or network we can compare; the rest of the list still counts


def _covers(host: Host, port: int | None, wanted_host: str, wanted_port: int | None) -> bool:
    if port is not None and wanted_port is not None and port != wanted_port:
        return False
    if isinstance(host, str):
        return host == wanted_host
    try:
        return ipaddress.ip_address(wanted_host) in host
    except ValueError:
        return False  # a host name is never inside a CIDR range without a lookup


class TargetService:
    def __init__(self, container: ServiceContainer, targets: TargetRepository, runner: ToolRunner,
                 audit: AuditService) -> None:
        self.container = container
        self.targets = targets
        self.runner = runner
        self.audit = audit

    @classmethod
    def build(cls, container: ServiceContainer) -> Self:
        return cls(container, TargetRepository(container.database.db(Database.ORCHESTRATION)),
                   container.resolve(ScannerExecutorFactory).runner(), container.resolve(AuditService))

    async def _audit(self, action: str, *, team_id: str, actor: str, target: dict[str, Any],
                     details: dict[str, Any]) -> None:
        await self.audit.record(action, actor_id=actor, team_id=team_id, target_type="target",
                                target_id=str(target["_id"]), target_name=target["name"], details=details)

    async def check_cloud_account(self, team_id: str, account_id: str) -> None:
        from cspm.cloud_accounts.service import CloudAccountService  # noqa: PLC0415 - cloud SDKs only when needed

        try:
            await self.container.resolve(CloudAccountService).get(team_id=team_id, account_id=account_id)
        except NotFound:
            raise Unprocessable(f"cloud account {account_id!r} not found in this team") from None

    def tools_for(self, kind: TargetKind, requested: list[str] | None) -> list[str]:
        supported = {spec.tool for spec in self.runner.registry.for_target(kind)
                     if self.runner.executor.mode in spec.modes()}
        if requested is None:
            tools = [tool for tool in DEFAULT_TOOLS[kind] if tool in supported]
            if not tools:
                raise Unprocessable(f"no scanner can scan {kind} targets with the {self.runner.executor.mode} executor")
            return tools
        unknown = [tool for tool in requested if tool not in supported]
        if unknown:
            raise Unprocessable(f"tool(s) {', '.join(unknown)} cannot scan {kind} targets with the "
                                f"{self.runner.executor.mode} executor (available: {', '.join(sorted(supported))})")
        return list(dict.fromkeys(requested))

    def check_invocations(self, target: Target, tools: list[str]) -> None:
        """Build each tool's invocation in a throwaway workspace: allow-lists and formats are checked now."""
        workspace = JobWorkspace.create("validate", self.runner.settings.work_dir)
        try:
            for tool in tools:
                try:
                    self.runner.build(tool, target, workspace, {})
                except InvocationError as exc:
                    raise Unprocessable(f"{tool}: {exc}") from None
        finally:
            workspace.cleanup()

    async def create(self, *, team_id: str, actor: str, payload: TargetIn) -> dict[str, Any]:
        if payload.kind is TargetKind.CLOUD_ACCOUNT:
            if not payload.cloud_account_id:
                raise Unprocessable("a cloud account target needs cloud_account_id")
            await self.check_cloud_account(team_id, payload.cloud_account_id)
        tools = self.tools_for(payload.kind, payload.tools)
        # Cloud targets get their credentials at scan time; their invocations are checked then.
        if payload.kind is not TargetKind.CLOUD_ACCOUNT:
            self.check_invocations(Target(payload.kind, payload.value, payload.options), tools)
        now = datetime.now(UTC)
        document: dict[str, Any] = {
            "name": payload.name, "kind": payload.kind.value, "value": payload.value, "options": payload.options,
            "tools": tools, "cloud_account_id": payload.cloud_account_id, "created_by": actor, "created_at": now,
            "last_scan_run_id": None,
        }
        if payload.schedule:
            validate_schedule(payload.schedule)
            document["schedule"] = {**payload.schedule.model_dump(), "next_run_at": next_run(payload.schedule, now)}
        try:
            created = await self.targets.insert(team_id, document)
        except DuplicateKeyError:
            raise Conflict(f"a target named {payload.name!r} already exists") from None
        await self._audit("target.created", team_id=team_id, actor=actor, target=created,
                          details={"kind": created["kind"], "value": created["value"], "tools": tools,
                                   "scheduled": "schedule" in created})
        return created

    async def update(self, *, team_id: str, actor: str, target_id: str, payload: TargetUpdate) -> dict[str, Any]:
        current = await self.get(team_id=team_id, target_id=target_id)
        kind = TargetKind(current["kind"])
        changes: dict[str, Any] = {key: value for key, value in payload.model_dump(
            exclude_unset=True, exclude={"schedule", "clear_schedule"}).items() if value is not None}
        if "tools" in changes:
            changes["tools"] = self.tools_for(kind, changes["tools"])
        if kind is not TargetKind.CLOUD_ACCOUNT and ({"value", "options", "tools"} & changes.keys()):
            self.check_invocations(Target(kind, changes.get("value", current["value"]),
                                          changes.get("options", current["options"])),
                                   changes.get("tools", current["tools"]))
        unset: tuple[str, ...] = ()
        if payload.clear_schedule:
            unset = ("schedule",)
        elif payload.schedule:
            validate_schedule(payload.schedule)
            changes["schedule"] = {**payload.schedule.model_dump(),
                                   "next_run_at": next_run(payload.schedule, datetime.now(UTC))}
        try:
            updated = await self.targets.update(team_id, target_id, changes, unset)
        except DuplicateKeyError:
            raise Conflict("a target with that name already exists") from None
        await self._audit("target.updated", team_id=team_id, actor=actor, target=updated,
                          details={"changed": sorted({*changes, *unset}),
                                   **({"renamed_from": current["name"]} if current["name"] != updated["name"] else {})})
        if "options" in changes and changes["options"] != current.get("options"):
            await self.container.events.publish(TARGET_OPTIONS_CHANGED, team_id=team_id, target_id=target_id)
        return updated

    async def get(self, *, team_id: str, target_id: str) -> dict[str, Any]:
        return await self.targets.get(team_id, target_id, what="target")

    async def list_targets(self, *, team_id: str) -> list[dict[str, Any]]:
        return await self.targets.find(team_id, sort=[("name", 1)], limit=1000)

    async def delete(self, *, team_id: str, actor: str, target_id: str) -> None:
        target = await self.get(team_id=team_id, target_id=target_id)
        if not await self.targets.delete(team_id, target_id):
            raise NotFound("target not found")
        await self._audit("target.deleted", team_id=team_id, actor=actor, target=target,
                          details={"kind": target["kind"], "value": target["value"]})

    async def with_endpoint(self, team_id: str, host: str, port: int | None) -> list[dict[str, Any]]:
        """The team's targets that scan ``host`` (normalised as ``parse_host`` does) on ``port`` (None:
        any): the inventory's ``resolve`` of a finding's host:port or URL. Empty when the team switched
        the scans module off."""
        if MODULE in await self.container.resolve(TeamService).disabled_modules(team_id=team_id):
            return []
        kinds = [TargetKind.NETWORK.value, TargetKind.WEB_APPLICATION.value, TargetKind.TLS_ENDPOINT.value]
        found = []
        for target in await self.targets.find(team_id, {"kind": {"$in": kinds}}, sort=[("name", 1)], limit=1000):
            matched = [(str(item), item_port) for item, item_port in endpoints(target)
                       if _covers(item, item_port, host, port)]
            if matched:
                found.append({"id": str(target["_id"]), "name": target["name"], "target_kind": target["kind"],
                              "value": target["value"], "host": matched[0][0], "port": matched[0][1],
                              "last_scan_run_id": target.get("last_scan_run_id")})
        return found

    async def mark_scanned(self, *, team_id: str, target_id: str, run_id: str) -> None:
        with contextlib.suppress(NotFound):
            await self.targets.update(team_id, target_id, {"last_scan_run_id": run_id})
