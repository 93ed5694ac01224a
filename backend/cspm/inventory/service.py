"""InventoryService: discover a cloud account's resources, store the diff, read assets back.

A run compares each batch of discovered resources with the stored assets of the account
(one ``$in`` lookup per batch), writes the batch (bulk upserts), and records one change per
added or changed asset; then the assets of the scopes listed completely that this run did
not see are marked removed. Memory is one batch, whatever the account's size.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Self

from bson import ObjectId
from pymongo import UpdateOne

from cspm.audit.service import AuditService
from cspm.cloud_accounts.crypto import CredentialDecryptionError
from cspm.cloud_accounts.providers import AwsProvider
from cspm.cloud_accounts.service import CloudAccountService
from cspm.cloud_accounts.settings import CloudAccountSettings
from cspm.core.container import ServiceContainer
from cspm.core.database.registry import Database
from cspm.core.errors import Conflict, CSPMError
from cspm.core.logging import scrub
from cspm.core.providers import provider
from cspm.inventory.aws import AwsCollector, describe_error
from cspm.inventory.azure import AzureCloud, AzureCollector
from cspm.inventory.gcp import GcpCollector
from cspm.inventory.models import (
    ChangeKind,
    Collector,
    CollectorReport,
    DiscoveredResource,
    RunState,
    diff_fields,
    tracked_fields,
)
from cspm.inventory.repository import (
    AssetFindingRepository,
    AssetRepository,
    ChangeRepository,
    DiscoveryRunRepository,
)
from cspm.inventory.resource_ids import endpoint, image_digest, normalise
from cspm.inventory.settings import InventorySettings
from cspm.inventory.steampipe import SteampipeCollector, parse_rows

logger = logging.getLogger(__name__)

RUN_STALE_AFTER = timedelta(hours=2)
"""A run still "running" after this (its worker died) no longer blocks a new one."""
FINDINGS_PER_ASSET = 100
IMAGES_PROVIDER = "registry_images_with_digest"
TARGETS_PROVIDER = "targets_with_endpoint"
Linker = Callable[..., Awaitable[list[dict[str, Any]]]]


def resource_variants(resource_id: str) -> list[str]:
    """The ids tools may use for the same resource (findings store the tool's own spelling)."""
    variants = {resource_id}
    if resource_id.startswith("//"):
        variants.add(resource_id.split("/", 3)[-1])  # GCP: without the service prefix
    if resource_id.lower().startswith("/subscriptions/"):
        variants.add(resource_id.lower())
    return sorted(variants)


class InventoryService:
    def __init__(self, assets: AssetRepository, changes: ChangeRepository, runs: DiscoveryRunRepository,
                 findings: AssetFindingRepository, accounts: CloudAccountService, settings: InventorySettings,
                 cloud_settings: CloudAccountSettings, audit: AuditService,
                 dispatch: Callable[[str, dict[str, Any]], Awaitable[str]] | None = None,
                 linkers: Callable[[str], Linker | None] = lambda name: None) -> None:
        self.assets = assets
        self.changes = changes
        self.runs = runs
        self.findings = findings
        self.accounts = accounts
        self.settings = settings
        self.cloud_settings = cloud_settings
        self.audit = audit
        self.dispatch = dispatch
        self.linkers = linkers
        """Provider name → the other module's lookup (``core.providers``), None when it is absent."""

    @classmethod
    def build(cls, container: ServiceContainer) -> Self:
        database = container.database.db(Database.CLOUD_ASSETS)
        return cls(AssetRepository(database), ChangeRepository(database), DiscoveryRunRepository(database),
                   AssetFindingRepository(container.database.db(Database.SECURITY_SCANS)),
                   container.resolve(CloudAccountService), container.resolve(InventorySettings),
                   container.resolve(CloudAccountSettings), container.resolve(AuditService),
                   lambda name, kwargs: container.dispatcher.send(name, kwargs),
                   lambda name: provider(container, name))

    # --- runs -------------------------------------------------------------------------------
    async def request_discovery(self, *, team_id: str, account_id: str, actor: str) -> dict[str, Any]:
        """A queued run for the account (404 for another team's account, 409 while one runs)."""
        account = await self.accounts.get(team_id=team_id, account_id=account_id)
        now = datetime.now(UTC)
        if await self.runs.active(team_id, account_id, now - RUN_STALE_AFTER):
            raise Conflict("a discovery of this account is already queued or running")
        run = await self.runs.insert(team_id, {
            "run_id": uuid.uuid4().hex, "account_id": account_id, "account_name": account.name,
            "provider": str(account.provider), "state": RunState.QUEUED.value, "requested_by": actor,
            "started_at": now, "finished_at": None, "counts": {}, "errors": [], "source": None})
        await self.audit.record("inventory.discovery_requested", actor_id=actor, team_id=team_id,
                                target_type="cloud_account", target_id=account_id, target_name=account.name,
                                details={"run_id": run["run_id"]})
        run.pop("_id", None)
        return run

    async def queue_discovery(self, *, team_id: str, account_id: str, actor: str) -> dict[str, Any]:
        """A run for the worker (job ``inventory.discover``); a broker failure fails the run, saying so."""
        run = await self.request_discovery(team_id=team_id, account_id=account_id, actor=actor)
        if self.dispatch is None:
            raise RuntimeError("InventoryService built without a dispatcher")
        try:
            await self.dispatch("inventory.discover", {"team_id": team_id, "run_id": run["run_id"]})
        except Exception as exc:  # noqa: BLE001 - any broker failure; recorded on the run
            failed = {"state": RunState.FAILED.value, "finished_at": datetime.now(UTC),
                      "errors": [{"scope": "account", "reason": f"could not be queued: {type(exc).__name__}"}]}
            await self.runs.update(team_id, run["run_id"], failed)
            return {**run, **failed}
        return run

    async def import_steampipe(self, *, team_id: str, account_id: str, actor: str, resource_type: str,
                               raw: bytes) -> dict[str, Any]:
        """A Steampipe query's JSON output as one discovery run of the account (parsed fully first)."""
        resources = parse_rows(raw, resource_type)
        run = await self.request_discovery(team_id=team_id, account_id=account_id, actor=actor)
        collector = SteampipeCollector(resources, resource_type, self.settings.write_batch_size)
        return await self.run_discovery(team_id=team_id, run_id=run["run_id"], collector=collector)

    async def run_discovery(self, *, team_id: str, run_id: str, collector: Collector | None = None,
                            ) -> dict[str, Any]:
        """Runs a queued discovery to the end; every failure is recorded on the run, never raised."""
        run = await self.runs.by_run_id(team_id, run_id)
        if run["state"] != RunState.QUEUED.value:
            return run
        await self.runs.update(team_id, run_id, {"state": RunState.RUNNING.value})
        report = CollectorReport()
        counts = {"added": 0, "changed": 0, "removed": 0, "unchanged": 0, "total": 0}
        try:
            if collector is None:
                collector = await self._collector(team_id, run["account_id"], run["provider"])
            run["source"] = collector.source
            await self.runs.update(team_id, run_id, {"source": collector.source})
            async for batch in collector.resources(report):
                await self._store_batch(team_id, run, batch, counts)
            await self._sweep_removed(team_id, run, report.complete_scopes, counts)
        except (CSPMError, CredentialDecryptionError) as exc:
            report.fail("account", str(getattr(exc, "detail", exc)))
        except Exception as exc:
            logger.exception("discovery failed", extra={"team_id": team_id, "run_id": run_id})
            report.fail("account", scrub(f"{type(exc).__name__}: {exc}"))
        state = RunState.SUCCEEDED
        if report.errors:
            state = RunState.PARTIAL if report.complete_scopes else RunState.FAILED
        finished = {"state": state.value, "finished_at": datetime.now(UTC), "counts": counts,
                    "errors": report.errors[:200], "complete_scopes": sorted(report.complete_scopes)}
        await self.runs.update(team_id, run_id, finished)
        logger.info("discovery finished", extra={"team_id": team_id, "run_id": run_id, "state": state.value,
                                                 **counts})
        return {**run, **finished}

    async def discover(self, *, team_id: str, account_id: str, actor: str) -> dict[str, Any]:
        """Request and run at once (the job and the CLI; tests)."""
        run = await self.request_discovery(team_id=team_id, account_id=account_id, actor=actor)
        return await self.run_discovery(team_id=team_id, run_id=run["run_id"])

    async def _collector(self, team_id: str, account_id: str, provider: str) -> Collector:
        account, secrets = await self.accounts.discovery_access(team_id=team_id, account_id=account_id)
        identifiers = account["identifiers"]
        settings = self.settings
        if provider == "aws":
            aws = AwsProvider(self.cloud_settings)
            try:
                credentials = await asyncio.to_thread(aws.sdk_credentials, identifiers, secrets,
                                                      session_name="cspm-inventory", duration_seconds=3600)
            except Exception as exc:  # noqa: BLE001 - botocore's errors, described for the run
                raise Conflict(f"could not open the AWS account: {describe_error(exc)}") from None
            return AwsCollector(identifiers["account_id"], credentials, list(identifiers.get("regions") or []),
                                endpoint_url=aws.endpoint(identifiers),
                                max_attempts=settings.aws_max_attempts, timeout=settings.request_timeout_seconds,
                                batch_size=settings.write_batch_size)
        if provider == "gcp":
            return GcpCollector(secrets["service_account_key"], list(identifiers.get("project_ids") or []),
                                timeout=settings.request_timeout_seconds, batch_size=settings.write_batch_size,
                                api_url=settings.gcp_asset_api_url,
                                organization_id=identifiers.get("organization_id"))
        cloud = AzureCloud(settings.azure_authority_host, settings.azure_management_url,
                           settings.azure_instance_discovery)
        return AzureCollector(identifiers["tenant_id"], identifiers["client_id"], secrets["client_secret"],
                              list(identifiers["subscription_ids"]), timeout=settings.request_timeout_seconds,
                              cloud=cloud)

    async def _store_batch(self, team_id: str, run: dict[str, Any], batch: list[DiscoveredResource],
                           counts: dict[str, int]) -> None:
        account_id, run_id = run["account_id"], run["run_id"]
        now = datetime.now(UTC)
        unique = {resource.resource_id: resource for resource in batch}
        existing = await self.assets.existing(team_id, account_id, list(unique))
        operations: list[UpdateOne] = []
        changes: list[dict[str, Any]] = []
        unchanged: list[str] = []
        for resource_id, resource in unique.items():
            stored = existing.get(resource_id)
            fingerprint = resource.fingerprint()
            if stored is not None and stored.get("removed_at") is None and stored.get("fingerprint") == fingerprint:
                unchanged.append(resource_id)
                continue
            asset_id = stored["_id"] if stored else ObjectId()
            values = {"provider": run["provider"], "resource_type": resource.resource_type, "name": resource.name,
                      "region": resource.region, "scope": resource.scope, "attributes": resource.attributes,
                      "tags": resource.tags, "fingerprint": fingerprint, "link_key": normalise(resource_id),
                      "source": run.get("source"), "last_seen": now, "last_run_id": run_id, "removed_at": None}
            operations.append(UpdateOne(
                self.assets.scoped(team_id, {"account_id": account_id, "resource_id": resource_id}),
                {"$set": values, "$setOnInsert": {"_id": asset_id, "first_seen": now}}, upsert=True))
            change: dict[str, Any] = {"asset_id": str(asset_id), "run_id": run_id, "account_id": account_id,
                                      "resource_id": resource_id, "resource_type": resource.resource_type,
                                      "name": resource.name, "at": now}
            if stored is None or stored.get("removed_at") is not None:
                changes.append({**change, "kind": ChangeKind.ADDED.value, "fields": []})
                counts["added"] += 1
            else:
                changes.append({**change, "kind": ChangeKind.CHANGED.value,
                                "fields": diff_fields(tracked_fields(stored), resource.tracked())})
                counts["changed"] += 1
        await self.assets.write(operations)
        await self.assets.touch(team_id, account_id, unchanged, run_id, now)
        await self.changes.insert(team_id, changes)
        counts["unchanged"] += len(unchanged)
        counts["total"] += len(unique)

    async def _sweep_removed(self, team_id: str, run: dict[str, Any], scopes: set[str],
                             counts: dict[str, int]) -> None:
        if not scopes:
            return
        now = datetime.now(UTC)
        async for batch in self.assets.not_seen(team_id, run["account_id"], run["run_id"], sorted(scopes),
                                                self.settings.write_batch_size):
            await self.assets.mark_removed(team_id, [document["_id"] for document in batch], now)
            await self.changes.insert(team_id, [{
                "asset_id": str(document["_id"]), "run_id": run["run_id"], "account_id": run["account_id"],
                "resource_id": document["resource_id"], "resource_type": document.get("resource_type"),
                "name": document.get("name"), "at": now, "kind": ChangeKind.REMOVED.value, "fields": []}
                for document in batch])
            counts["removed"] += len(batch)

    # --- reading ----------------------------------------------------------------------------
    async def list_runs(self, *, team_id: str, account_id: str | None, limit: int) -> list[dict[str, Any]]:
        return await self.runs.recent(team_id, account_id, limit)

    async def run_detail(self, *, team_id: str, run_id: str, kind: ChangeKind | None, offset: int,
                         limit: int) -> dict[str, Any]:
        run = await self.runs.by_run_id(team_id, run_id)
        query: dict[str, Any] = {"run_id": run_id}
        if kind:
            query["kind"] = kind.value
        changes, total = await self.changes.page(team_id, query, skip=offset, limit=limit)
        return {**run, "changes": changes, "changes_total": total}

    async def list_assets(self, *, team_id: str, resource_type: str | None, account_id: str | None,
                          region: str | None, q: str | None, include_removed: bool, offset: int,
                          limit: int) -> dict[str, Any]:
        query: dict[str, Any] = {} if include_removed else {"removed_at": None}
        for field, value in (("resource_type", resource_type), ("account_id", account_id), ("region", region)):
            if value:
                query[field] = value
        if q:
            query["$or"] = [{"name": {"$regex": _literal(q), "$options": "i"}},
                            {"resource_id": {"$regex": _literal(q), "$options": "i"}}]
        items, total = await self.assets.page(team_id, query, skip=offset, limit=limit)
        return {"items": [_asset_out(item) for item in items], "total": total,
                "facets": await self.assets.facets(team_id)}

    async def asset_detail(self, *, team_id: str, asset_id: str) -> dict[str, Any]:
        asset = await self.assets.get(team_id, asset_id, what="asset")
        timeline, _ = await self.changes.page(team_id, {"asset_id": asset_id}, skip=0, limit=200)
        findings = await self.findings.for_resources(team_id, resource_variants(asset["resource_id"]),
                                                     FINDINGS_PER_ASSET)
        return {**_asset_out(asset), "attributes": asset.get("attributes", {}), "timeline": timeline,
                "findings": [{**finding, "id": str(finding.pop("_id"))} for finding in findings]}

    async def resolve(self, *, team_id: str, resource_id: str) -> list[dict[str, Any]]:
        """What a tool's resource id names (a finding's ``resource.id``): the cloud assets with its link
        key, then the registry images with its digest, or the scan targets covering its host:port. The
        images and targets come from their modules' providers; without one (module absent, switched
        off or failing) the answer has the cloud assets alone."""
        found = [{"kind": "cloud_asset", **_asset_out(asset)}
                 for asset in await self.assets.by_link_key(team_id, normalise(resource_id))]
        if digest := image_digest(resource_id):
            found += [{"kind": "registry_image", **image}
                      for image in await self._linked(IMAGES_PROVIDER, team_id, digest)]
        elif point := endpoint(resource_id):
            found += [{"kind": "target", **target}
                      for target in await self._linked(TARGETS_PROVIDER, team_id, point.host, point.port)]
        return found

    async def _linked(self, name: str, team_id: str, *arguments: Any) -> list[dict[str, Any]]:
        lookup = self.linkers(name)
        if lookup is None:
            return []
        try:
            return list(await lookup(team_id, *arguments))
        except Exception:  # another module's failure never fails the inventory's answer
            logger.exception("resolve: a linked module failed; cloud assets only", extra={"provider": name})
            return []

    async def purge_history(self) -> dict[str, int]:
        cutoff = datetime.now(UTC) - timedelta(days=self.settings.history_days)
        return {"changes": await self.changes.purge_before(cutoff), "runs": await self.runs.purge_before(cutoff)}

    async def discover_all(self) -> int:
        """Every enabled account of every team (the daily job); returns how many runs finished."""
        finished = 0
        accounts = self.accounts.repository.collection.find({"enabled": True}, {"_id": 1, "team_id": 1})
        async for account in accounts:
            try:
                await self.discover(team_id=account["team_id"], account_id=str(account["_id"]), actor="system")
            except Conflict:
                continue
            finished += 1
        return finished


def _literal(text: str) -> str:
    return re.escape(text.strip())


def _asset_out(document: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(document["_id"]), "account_id": document["account_id"], "provider": document.get("provider"),
            "resource_id": document["resource_id"], "link_key": document.get("link_key"),
            "resource_type": document.get("resource_type"), "name": document.get("name"),
            "region": document.get("region"), "tags": document.get("tags") or {}, "source": document.get("source"),
            "first_seen": document.get("first_seen"), "last_seen": document.get("last_seen"),
            "removed_at": document.get("removed_at")}
