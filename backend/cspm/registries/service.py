"""RegistryService: registry connections of one team, their sync, new-digest scans, soft delete.

Credentials are encrypted with the cloud accounts' ``CredentialVault`` (FERNET_KEYS) before
they reach the repository and are decrypted only for a sync, and for a scan's credential step
(``pull_credentials``: the scanners get them in their environment); no route returns them.
A sync lists repositories (the catalogue, or the configured list), then each repository's
tags and digests; it upserts ``registry_images`` by (registry, repository, digest), removes
the digests that are gone, records each repository's state and error, and starts a scan
(Trivy and syft, straight from the registry) of every digest it had not seen before. The scan
is an ordinary scan run: its report goes through the findings ingest and the SBOM store.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Self
from urllib.parse import urlsplit

from botocore.exceptions import BotoCoreError, ClientError
from bson import ObjectId

from cspm.audit.service import AuditService
from cspm.cloud_accounts.crypto import CredentialDecryptionError, CredentialVault
from cspm.cloud_accounts.settings import CloudAccountSettings
from cspm.core.container import ServiceContainer
from cspm.core.database.registry import Database
from cspm.core.errors import BadRequest, ServiceUnavailable
from cspm.core.logging import scrub
from cspm.registries.client import EcrRegistryClient, OciRegistryClient, RegistryClient, RegistryError
from cspm.registries.models import EcrRegistryCreate, OciRegistryCreate, RegistryKind
from cspm.registries.repository import ImageRepository, RegistryRepository, RepositoryStatusRepository
from cspm.registries.settings import RegistrySettings
from cspm.scanners.base import RegistryAuth, Target, TargetKind
from cspm.scanners.executors.factory import ScannerExecutorFactory
from cspm.scanners.network_policy import DestinationPolicy, DestinationRefused
from cspm.scans.service import ScanOrchestrationService
from cspm.teams.service import TeamService

logger = logging.getLogger(__name__)
SYNC_ERRORS = (RegistryError, BotoCoreError, ClientError)
MODULE = "registries"
"""The team switch of this module (teams.schemas.TOGGLEABLE_MODULES)."""


def registry_out(document: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(document["_id"]), "kind": document["kind"], "name": document["name"], "url": document["url"],
            "identifiers": document["identifiers"], "has_credentials": document.get("has_credentials", False),
            "created_by": document["user_id"], "created_at": document["created_at"],
            "last_sync": document.get("last_sync"), "last_sync_state": document.get("last_sync_state"),
            "last_sync_error": document.get("last_sync_error"),
            "repository_count": document.get("repository_count", 0), "image_count": document.get("image_count", 0)}


def _sync_error(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return scrub(f"ECR refused {exc.operation_name}: {error.get('Code', 'Unknown')}: {error.get('Message', '')}")
    return scrub(str(exc))[:500]


class RegistryService:
    def __init__(self, registries: RegistryRepository, repositories: RepositoryStatusRepository,
                 images: ImageRepository, vault: CredentialVault, settings: RegistrySettings,
                 destinations: DestinationPolicy, audit: AuditService, scans: ScanOrchestrationService | None,
                 aws_endpoint_url: str | None = None,
                 dispatch: Callable[[str, dict[str, Any]], Awaitable[str]] | None = None,
                 teams: TeamService | None = None) -> None:
        self.registries = registries
        self.repositories = repositories
        self.images = images
        self.vault = vault
        self.settings = settings
        self.destinations = destinations
        self.audit = audit
        self.scans = scans
        self.aws_endpoint_url = aws_endpoint_url
        self.dispatch = dispatch
        self.teams = teams

    @classmethod
    def build(cls, container: ServiceContainer) -> Self:
        database = container.database.db(Database.CONTAINER_REGISTRY)
        return cls(RegistryRepository(database), RepositoryStatusRepository(database), ImageRepository(database),
                   CredentialVault(container.settings.fernet_keys), container.resolve(RegistrySettings),
                   container.resolve(ScannerExecutorFactory).destinations, container.resolve(AuditService),
                   container.resolve(ScanOrchestrationService),
                   container.resolve(CloudAccountSettings).aws_endpoint_url,
                   lambda name, kwargs: container.dispatcher.send(name, kwargs), container.resolve(TeamService))

    # --- connections -------------------------------------------------------------------------
    def _split(self, request: OciRegistryCreate | EcrRegistryCreate) -> tuple[str, dict[str, Any], dict[str, Any]]:
        if isinstance(request, EcrRegistryCreate):
            url = f"https://{request.registry_id}.dkr.ecr.{request.region}.amazonaws.com"
            identifiers: dict[str, Any] = {"region": request.region, "registry_id": request.registry_id,
                                           "access_key_id_suffix": request.access_key_id[-4:]}
            return url, identifiers, {"access_key_id": request.access_key_id,
                                      "secret_access_key": request.secret_access_key.get_secret_value()}
        url = request.url.rstrip("/")
        host = urlsplit(url).hostname or ""
        try:
            self.destinations.check_host(host)
        except DestinationRefused as exc:
            raise BadRequest(f"registry URL refused: {exc}") from None
        identifiers = {"username": request.username, "repositories": request.repositories,
                       "insecure": url.startswith("http://")}
        secrets = {"username": request.username, "password": request.password.get_secret_value()} \
            if request.password else {}
        return url, identifiers, secrets

    async def create(self, *, team_id: str, actor: str, request: OciRegistryCreate | EcrRegistryCreate,
                     ) -> dict[str, Any]:
        url, identifiers, secrets = self._split(request)
        now = datetime.now(UTC)
        document = {"_id": ObjectId(), "team_id": team_id, "user_id": actor, "kind": str(request.kind),
                    "name": request.name, "url": url, "identifiers": identifiers,
                    "credentials": self.vault.encrypt(secrets), "has_credentials": bool(secrets),
                    "created_at": now, "deleted_at": None}
        stored = await self.registries.insert(document)
        await self.audit.record("registry.created", actor_id=actor, team_id=team_id, target_type="registry",
                                target_id=str(document["_id"]), target_name=request.name,
                                details={"kind": str(request.kind), "url": url})
        return registry_out(stored)

    async def list_registries(self, *, team_id: str) -> list[dict[str, Any]]:
        return [registry_out(document) for document in await self.registries.list_active(team_id)]

    async def get(self, *, team_id: str, registry_id: str) -> dict[str, Any]:
        document = await self.registries.active(team_id, registry_id)
        return {**registry_out(document),
                "repositories": await self.repositories.of_registry(team_id, registry_id)}

    async def delete(self, *, team_id: str, registry_id: str, actor: str) -> None:
        """Soft delete: hidden and never synced again; purged after REGISTRY_RETENTION_DAYS."""
        document = await self.registries.soft_delete(team_id, registry_id, datetime.now(UTC))
        await self.audit.record("registry.deleted", actor_id=actor, team_id=team_id, target_type="registry",
                                target_id=registry_id, target_name=document["name"],
                                details={"purge_after_days": self.settings.retention_days})

    async def purge_soft_deleted(self, now: datetime | None = None) -> dict[str, int]:
        cutoff = (now or datetime.now(UTC)) - timedelta(days=self.settings.retention_days)
        purged = images = 0
        for document in await self.registries.deleted_before(cutoff):
            registry_id = str(document["_id"])
            images += await self.images.purge_registry(registry_id)
            await self.repositories.purge_registry(registry_id)
            await self.registries.purge(document["_id"])
            purged += 1
            logger.info("soft-deleted registry purged", extra={"team_id": document["team_id"],
                                                               "registry_id": registry_id})
        return {"registries": purged, "images": images}

    async def pull_credentials(self, *, team_id: str, registry_id: str) -> RegistryAuth | None:
        """What a scanner pulls this registry's images with (the scans' credential step only, never a
        route): None for an anonymous registry, an ECR pull token fetched now for ECR. A registry of
        another team, or soft-deleted, is NotFound; credentials that cannot be had, ServiceUnavailable."""
        document = await self.registries.active(team_id, registry_id, with_credentials=True)
        try:
            secrets = self._secrets(document)
        except CredentialDecryptionError as exc:
            raise ServiceUnavailable(f"the registry's credentials cannot be decrypted: {exc}") from None
        authority = urlsplit(document["url"]).netloc
        if document["kind"] == RegistryKind.ECR.value:
            client = self._ecr(document, secrets)
            try:
                username, password = await client.pull_login()
            except SYNC_ERRORS as exc:
                raise ServiceUnavailable(f"no ECR pull token: {_sync_error(exc)}") from None
            finally:
                await client.close()
            return RegistryAuth(authority, username, password)
        if not secrets.get("username"):
            return None
        return RegistryAuth(authority, secrets["username"], secrets["password"])

    # --- sync --------------------------------------------------------------------------------
    def _secrets(self, document: dict[str, Any]) -> dict[str, Any]:
        """The decrypted credentials ({} for an anonymous registry); raises CredentialDecryptionError."""
        return self.vault.decrypt(document["credentials"]) if document.get("credentials") else {}

    def _ecr(self, document: dict[str, Any], secrets: dict[str, Any]) -> EcrRegistryClient:
        settings = self.settings
        identifiers = document["identifiers"]
        return EcrRegistryClient(region=identifiers["region"], registry_id=identifiers["registry_id"],
                                 access_key_id=secrets["access_key_id"], secret_access_key=secrets["secret_access_key"],
                                 endpoint_url=self.aws_endpoint_url, timeout=settings.request_timeout_seconds,
                                 max_repositories=settings.max_repositories, max_tags=settings.max_tags_per_repository)

    def _client(self, document: dict[str, Any], secrets: dict[str, Any]) -> RegistryClient:
        settings = self.settings
        if document["kind"] == RegistryKind.ECR.value:
            return self._ecr(document, secrets)
        return OciRegistryClient(document["url"], username=secrets.get("username"), password=secrets.get("password"),
                                 timeout=settings.request_timeout_seconds, page_size=settings.page_size,
                                 max_repositories=settings.max_repositories,
                                 max_tags=settings.max_tags_per_repository)

    async def request_sync(self, *, team_id: str, registry_id: str, actor: str) -> dict[str, Any]:
        document = await self.registries.active(team_id, registry_id)
        if self.dispatch is None:
            raise RuntimeError("RegistryService built without a dispatcher")
        try:
            await self.dispatch("registries.sync", {"team_id": team_id, "registry_id": registry_id})
        except Exception as exc:  # noqa: BLE001 - any broker failure, said to the caller
            raise ServiceUnavailable(f"the sync could not be queued: {type(exc).__name__}") from None
        await self.audit.record("registry.sync_requested", actor_id=actor, team_id=team_id, target_type="registry",
                                target_id=registry_id, target_name=document["name"])
        return {"registry_id": registry_id, "queued": True}

    async def sync(self, *, team_id: str, registry_id: str) -> dict[str, Any]:
        document = await self.registries.active(team_id, registry_id, with_credentials=True)
        report: dict[str, Any] = {"registry_id": registry_id, "state": "ok", "repositories": 0, "images": 0,
                                  "new_digests": 0, "removed_digests": 0, "scans_started": 0, "errors": []}
        try:
            secrets = self._secrets(document)
        except CredentialDecryptionError as exc:
            return await self._finish(team_id, registry_id, {**report, "state": "error", "errors": [str(exc)]})
        client = self._client(document, secrets)
        try:
            configured = document["identifiers"].get("repositories") or []
            try:
                names = list(configured) or await client.repositories()
            except SYNC_ERRORS as exc:
                return await self._finish(team_id, registry_id, {**report, "state": "error",
                                                                 "errors": [_sync_error(exc)]})
            for name in names:
                await self._sync_repository(team_id, document, client, name, report)
            for gone in await self.repositories.drop_missing(team_id, registry_id, names):
                report["removed_digests"] += await self.images.remove(team_id, registry_id, gone, None)
        finally:
            await client.close()
        if report["errors"]:
            report["state"] = "partial"
        return await self._finish(team_id, registry_id, report)

    async def _sync_repository(self, team_id: str, document: dict[str, Any], client: RegistryClient, name: str,
                               report: dict[str, Any]) -> None:
        registry_id = str(document["_id"])
        now = datetime.now(UTC)
        try:
            listed = await client.images(name)
        except SYNC_ERRORS as exc:
            reason = _sync_error(exc)
            report["errors"].append(f"{name}: {reason}")
            await self.repositories.record(team_id, registry_id, name, {"state": "error", "error": reason,
                                                                        "last_sync": now})
            return
        known = await self.images.digests(team_id, registry_id, name)
        present = {image.digest for image in listed}
        host = urlsplit(document["url"]).netloc
        await self.images.upsert(team_id, registry_id, name, [{
            "repository_name": name, "image_digest": image.digest, "tags": image.tags, "media_type": image.media_type,
            "platforms": image.platforms, "reference": f"{host}/{name}@{image.digest}"} for image in listed], now)
        gone = sorted(known - present)
        if gone:
            await self.images.remove(team_id, registry_id, name, gone)
        new = sorted(present - known)
        await self.repositories.record(team_id, registry_id, name, {
            "state": "ok", "error": None, "last_sync": now, "tag_count": sum(len(image.tags) for image in listed),
            "image_count": len(listed)})
        report["repositories"] += 1
        report["images"] += len(listed)
        report["new_digests"] += len(new)
        report["removed_digests"] += len(gone)
        for digest in new:
            if await self._scan(team_id, document, name, digest):
                report["scans_started"] += 1

    async def _scan(self, team_id: str, document: dict[str, Any], repository: str, digest: str) -> bool:
        registry_id = str(document["_id"])
        now = datetime.now(UTC)
        if not self.settings.scan_new_digests:
            return False
        if self.scans is None:
            await self.images.set_scan(team_id, registry_id, repository, digest, {
                "state": "not_scanned", "reason": "the scans module is not available", "requested_at": now})
            return False
        reference = f"{urlsplit(document['url']).netloc}/{repository}@{digest}"
        options = {"image_src": "remote"}
        if document["identifiers"].get("insecure"):
            options["insecure_registry"] = "true"
        try:
            run = await self.scans.start_run(
                team_id=team_id, target=Target(TargetKind.CONTAINER_IMAGE, reference, options),
                tools=list(self.settings.scan_tools), actor="registry-sync", trigger="registry",
                target_ref={"id": f"registry:{registry_id}", "name": f"{document['name']}: {repository}"},
                registry_id=registry_id)
            await self.scans.refresh(team_id, run["run_id"])
        except Exception as exc:  # noqa: BLE001 - the sync goes on; the image says why it is not scanned
            logger.warning("registry image scan not started", extra={"team_id": team_id, "registry_id": registry_id})
            await self.images.set_scan(team_id, registry_id, repository, digest, {
                "state": "not_scanned", "reason": f"scan not started: {type(exc).__name__}: {exc}"[:300],
                "requested_at": now})
            return False
        await self.images.set_scan(team_id, registry_id, repository, digest,
                                   {"run_id": run["run_id"], "state": "queued", "requested_at": now})
        return True

    async def _finish(self, team_id: str, registry_id: str, report: dict[str, Any]) -> dict[str, Any]:
        repositories = await self.repositories.of_registry(team_id, registry_id)
        await self.registries.update(team_id, registry_id, {
            "last_sync": datetime.now(UTC), "last_sync_state": report["state"],
            "last_sync_error": "; ".join(report["errors"])[:1000] or None, "repository_count": len(repositories),
            "image_count": sum(repository.get("image_count", 0) for repository in repositories)})
        logger.info("registry synced", extra={"team_id": team_id, "registry_id": registry_id,
                                              **{key: value for key, value in report.items() if key != "errors"}})
        return report

    async def sync_all(self) -> int:
        synced = 0
        for document in await self.registries.all_active():
            await self.sync(team_id=document["team_id"], registry_id=str(document["_id"]))
            synced += 1
        return synced

    # --- images --------------------------------------------------------------------------------
    async def list_images(self, *, team_id: str, registry_id: str, repository: str | None, offset: int,
                          limit: int) -> dict[str, Any]:
        await self.registries.active(team_id, registry_id)
        query: dict[str, Any] = {"account_id": registry_id}
        if repository:
            query["repository_name"] = repository
        items, total = await self.images.page(team_id, query, skip=offset, limit=limit)
        states = await self._run_states(team_id, [item["scan"].get("run_id") for item in items])
        return {"items": [_image_out(item, states) for item in items], "total": total}

    async def images_with_digest(self, team_id: str, digest: str) -> list[dict[str, Any]]:
        """The team's images with this digest in its active registries (under any repository or tag):
        the inventory's ``resolve`` of an image reference. Empty when the team switched the module off."""
        if self.teams and MODULE in await self.teams.disabled_modules(team_id=team_id):
            return []
        registries = {str(document["_id"]): document["name"] for document in await self.registries.list_active(team_id)}
        images = await self.images.find(team_id, {"image_digest": digest, "account_id": {"$in": list(registries)}},
                                        sort=[("last_seen", -1)], limit=100)
        return [{**_image_out(image, {}), "registry_name": registries[image["account_id"]]} for image in images]

    async def _run_states(self, team_id: str, run_ids: list[str | None]) -> dict[str, dict[str, Any]]:
        wanted = [run_id for run_id in run_ids if run_id]
        if not wanted or self.scans is None:
            return {}
        runs = await self.scans.runs.find(team_id, {"run_id": {"$in": wanted}},
                                          projection={"run_id": 1, "state": 1, "error": 1})
        return {run["run_id"]: run for run in runs}


def _image_out(document: dict[str, Any], runs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    scan = dict(document.get("scan") or {"state": "not_scanned"})
    run = runs.get(scan.get("run_id") or "")
    if run:
        scan["state"] = run["state"]
        scan["reason"] = run.get("error")
    return {"id": str(document["_id"]), "registry_id": document["account_id"],
            "repository_name": document["repository_name"], "image_digest": document["image_digest"],
            "reference": document.get("reference", ""), "tags": document.get("tags", []),
            "media_type": document.get("media_type"), "platforms": document.get("platforms", []),
            "first_seen": document["first_seen"], "last_seen": document["last_seen"], "scan": scan}
