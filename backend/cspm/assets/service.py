"""Asset inventory service: store a syft SBOM, search components."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, BinaryIO, Self

from cspm.assets.repository import ComponentRepository
from cspm.core.container import ServiceContainer
from cspm.core.database.registry import Database
from cspm.core.errors import Unprocessable
from cspm.core.events import SBOM_STORED, EventHub
from cspm.core.pagination import decode_cursor, encode_cursor
from cspm.findings.models import SbomFile
from cspm.scanners.base import ReportFormatError, SbomParser


class AssetService:
    def __init__(self, components: ComponentRepository, events: EventHub | None = None) -> None:
        self.components = components
        self.events = events

    @classmethod
    def build(cls, container: ServiceContainer) -> Self:
        return cls(ComponentRepository(container.database.db(Database.CLOUD_ASSETS)), container.events)

    async def store_sbom(self, *, team_id: str, asset_id: str, run_id: str, parser: SbomParser,
                         report: BinaryIO) -> int:
        """The asset's components and digested files replace its previous SBOM; returns the component count."""
        # Parse fully first: a malformed SBOM must not wipe the asset's previous inventory.
        components: list[dict[str, Any]] = []
        files: dict[str, dict[str, Any]] = {}
        try:
            for item in parser.parse_inventory(report):
                if isinstance(item, SbomFile):
                    files[item.path] = {"path": item.path, "digests": item.digests, "hash_keys": item.hash_keys()}
                else:
                    components.append(item.model_dump(mode="json"))
        except ReportFormatError as exc:
            raise Unprocessable(str(exc)) from exc
        count = await self.components.replace_asset(team_id, asset_id, components, run_id=run_id,
                                                    now=datetime.now(UTC), files=files.values())
        if self.events is not None:
            await self.events.publish(SBOM_STORED, team_id=team_id, asset_id=asset_id)
        return count

    async def assets(self, *, team_id: str) -> list[dict[str, Any]]:
        return await self.components.assets(team_id)

    async def search(self, *, team_id: str, q: str | None, asset_id: str | None, cursor: str | None,
                     limit: int) -> tuple[list[dict[str, Any]], str | None]:
        query: dict[str, Any] = {}
        if q:
            query["name"] = {"$regex": re.escape(q.strip()), "$options": "i"}
        if asset_id:
            query["asset_id"] = asset_id
        if cursor:
            position = decode_cursor(cursor)
            query["_id"] = {"$gt": self.components.object_id(str(position.get("id")), "cursor position")}
        documents = await self.components.find(team_id, query, sort=[("_id", 1)], limit=limit + 1)
        next_cursor = None
        if len(documents) > limit:
            documents = documents[:limit]
            next_cursor = encode_cursor({"id": str(documents[-1]["_id"])})
        return [{**document, "id": str(document.pop("_id"))} for document in documents], next_cursor
