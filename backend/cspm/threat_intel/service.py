"""Threat intelligence service: the catalogues with the team's matches, indicators, correlations, sources.

KEV and EPSS are shared reference data; indicators, correlations and TAXII sources belong to
a team. TLP:RED indicators and their correlations are shown to team admins only (``see_red``).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Self

from pymongo.errors import DuplicateKeyError

from cspm.audit.service import AuditService
from cspm.cloud_accounts.crypto import CredentialVault
from cspm.core.container import ServiceContainer
from cspm.core.database.registry import Database
from cspm.core.errors import BadRequest, Conflict, NotFound
from cspm.scanners.executors.factory import ScannerExecutorFactory
from cspm.scanners.network_policy import DestinationRefused
from cspm.threat_intel.correlation import CorrelationCounts, ThreatCorrelationService
from cspm.threat_intel.feeds import EPSS_FEED, KEV_FEED, FeedError, FeedService, poll_taxii
from cspm.threat_intel.indicators import IndicatorFileError, parse_indicator_file, parse_stix_bundle, stable_id
from cspm.threat_intel.models import IndicatorError, ParsedIndicator, Tlp, observable
from cspm.threat_intel.repository import (
    CorrelationRepository,
    FindingIntelRepository,
    IndicatorRepository,
    TaxiiSourceRepository,
)

MAX_PAGE = 500
EPSS_BANDS = ("unknown", "0.0-0.1", "0.1-0.2", "0.2-0.3", "0.3-0.4", "0.4-0.5", "0.5-0.6", "0.6-0.7", "0.7-0.8",
              "0.8-0.9", "0.9-1.0")


def _visible(see_red: bool) -> dict[str, Any]:
    return {} if see_red else {"tlp": {"$ne": Tlp.RED.value}}


def _expired(document: dict[str, Any], now: datetime) -> bool:
    until = document.get("valid_until")
    if until is not None and until.tzinfo is None:
        until = until.replace(tzinfo=UTC)
    return bool(until and until <= now)


class ThreatIntelService:
    def __init__(self, container: ServiceContainer, feeds: FeedService, correlation: ThreatCorrelationService,
                 audit: AuditService) -> None:
        intel = container.database.db(Database.THREAT_INTELLIGENCE)
        self.container = container
        self.feeds = feeds
        self.correlation = correlation
        self.audit = audit
        self.indicators = IndicatorRepository(intel)
        self.correlations = CorrelationRepository(intel)
        self.taxii = TaxiiSourceRepository(intel)
        self.findings = FindingIntelRepository(container.database.db(Database.SECURITY_SCANS))

    @classmethod
    def build(cls, container: ServiceContainer) -> Self:
        return cls(container, container.resolve(FeedService), container.resolve(ThreatCorrelationService),
                   container.resolve(AuditService))

    # --- KEV / EPSS -------------------------------------------------------------------------
    async def kev_page(self, *, team_id: str, q: str | None, matched_only: bool, ransomware: bool | None,
                       offset: int, limit: int) -> dict[str, Any]:
        summary = await self.findings.kev_summary(team_id, datetime.now(UTC))
        query: dict[str, Any] = {}
        if matched_only:
            query["_id"] = {"$in": sorted(summary["by_cve"])}
        if ransomware is not None:
            query["knownRansomwareCampaignUse"] = "Known" if ransomware else {"$ne": "Known"}
        if q:
            pattern = {"$regex": re.escape(q.strip()), "$options": "i"}
            query["$or"] = [{"_id": pattern}, {"vendorProject": pattern}, {"product": pattern},
                            {"vulnerabilityName": pattern}]
        entries, total = await self.feeds.kev.page(query, sort=[("dateAdded", -1), ("_id", 1)], skip=offset,
                                                   limit=limit)
        status = next(feed for feed in await self.feeds.feeds() if feed["feed"] == KEV_FEED)
        open_count, past_due = summary["open"], summary["past_due"]
        return {
            "catalogue_version": status.get("version"), "catalogue_date": status.get("date"), "total": total,
            "open_findings_known_exploited": open_count, "open_findings_past_due": past_due,
            "summary": f"{open_count} open findings are known exploited; {past_due} are past CISA's due date",
            "items": [{"cve_id": entry["cveID"], "vendor_project": entry["vendorProject"], "product": entry["product"],
                       "vulnerability_name": entry["vulnerabilityName"], "date_added": entry["dateAdded"],
                       "due_date": entry["dueDate"], "required_action": entry["requiredAction"],
                       "known_ransomware_campaign_use": entry["knownRansomwareCampaignUse"],
                       "short_description": entry.get("shortDescription", ""), "cwes": entry.get("cwes", []),
                       "open_findings": summary["by_cve"].get(entry["cveID"], 0)} for entry in entries]}

    async def import_kev(self, *, actor: str, raw: bytes, source: str) -> dict[str, Any]:
        return await self._import_feed(KEV_FEED, self.feeds.import_kev, actor=actor, raw=raw, source=source)

    async def import_epss(self, *, actor: str, raw: bytes, source: str) -> dict[str, Any]:
        return await self._import_feed(EPSS_FEED, self.feeds.import_epss, actor=actor, raw=raw, source=source)

    async def _import_feed(self, feed: str, importer: Callable[..., Awaitable[dict[str, Any]]], *, actor: str,
                           raw: bytes, source: str) -> dict[str, Any]:
        """An operator's file for a shared catalogue: validated, imported, audited (no team: it is everyone's)."""
        try:
            result = await importer(raw, source=source)
        except FeedError as exc:
            raise BadRequest(str(exc)) from None
        await self.audit.record(f"threat_intel.{feed}_imported", actor_id=actor, team_id=None, target_type="feed",
                                target_id=feed, details=result)
        return {"feed": feed, **result}

    async def epss_overview(self, *, team_id: str, cves: list[str]) -> dict[str, Any]:
        scores = await self.feeds.epss.by_cve([cve.strip().upper() for cve in cves]) if cves else {}
        status = next(feed for feed in await self.feeds.feeds() if feed["feed"] == EPSS_FEED)
        bands = {row["_id"]: row["n"] for row in await self.findings.epss_distribution(team_id)}
        boundaries = [-1, 0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
        return {"feed_date": status.get("date"),
                "scores": [{"cve_id": cve, "epss": item["epss"], "percentile": item.get("percentile"),
                            "date": item.get("date"), "source": item.get("source") or "FIRST EPSS"}
                           for cve, item in scores.items()],
                "distribution": [{"band": band, "open_findings": bands.get(boundary, 0)}
                                 for band, boundary in zip(EPSS_BANDS, boundaries, strict=True)]}

    # --- indicators --------------------------------------------------------------------------
    async def list_indicators(self, *, team_id: str, see_red: bool, q: str | None, type_: str | None,
                              offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        query = _visible(see_red)
        if type_:
            query["observables.type"] = type_
        if q:
            pattern = {"$regex": re.escape(q.strip()), "$options": "i"}
            query["$or"] = [{"observables.value": pattern}, {"name": pattern}, {"stix_id": pattern},
                            {"context.name": pattern}]
        cursor = self.indicators.collection.find(self.indicators.scoped(team_id, query))
        items = await cursor.sort([("updated_at", -1), ("_id", 1)]).skip(offset).limit(limit).to_list()
        return [self._indicator_out(item) for item in items], await self.indicators.count(team_id, query)

    async def get_indicator(self, *, team_id: str, see_red: bool, indicator_id: str) -> dict[str, Any]:
        document = await self.indicators.get(team_id, indicator_id, what="indicator")
        if not see_red and document.get("tlp") == Tlp.RED.value:
            raise NotFound("indicator not found")  # not 403: TLP:RED existence is itself not to be shared
        return self._indicator_out(document)

    @staticmethod
    def _indicator_out(document: dict[str, Any]) -> dict[str, Any]:
        return {**document, "id": str(document["_id"]), "expired": _expired(document, datetime.now(UTC))}

    async def create_indicator(self, *, team_id: str, actor: str, values: dict[str, Any]) -> dict[str, Any]:
        try:
            item = observable(values["type"], values["value"])
        except IndicatorError as exc:
            raise BadRequest(str(exc)) from None
        source = f"manual:{actor}"
        parsed = ParsedIndicator(stix_id=stable_id("manual", item.type.value, item.value), name=values.get("name")
                                 or item.value, pattern_type="manual", observables=[item],
                                 confidence=values.get("confidence"), tlp=values.get("tlp"),
                                 tags=values.get("tags") or [], valid_until=values.get("valid_until"), source=source)
        now = datetime.now(UTC)
        try:
            stored = await self.indicators.insert(team_id, {**parsed.document(), "created_at": now, "updated_at": now,
                                                            "created_by": actor})
        except DuplicateKeyError:
            raise Conflict(f"an indicator for {item.type.value} {item.value} already exists") from None
        await self.correlation.correlate_team(team_id)
        return self._indicator_out(stored)

    async def update_indicator(self, *, team_id: str, see_red: bool, indicator_id: str,
                               changes: dict[str, Any]) -> dict[str, Any]:
        await self.get_indicator(team_id=team_id, see_red=see_red, indicator_id=indicator_id)
        identifier = self.indicators.object_id(indicator_id, "indicator")
        await self.indicators.update(team_id, identifier, {**changes, "updated_at": datetime.now(UTC)})
        return await self.get_indicator(team_id=team_id, see_red=True, indicator_id=indicator_id)

    async def delete_indicator(self, *, team_id: str, see_red: bool, indicator_id: str) -> None:
        await self.get_indicator(team_id=team_id, see_red=see_red, indicator_id=indicator_id)
        await self.indicators.delete(team_id, self.indicators.object_id(indicator_id, "indicator"))

    async def import_indicators(self, *, team_id: str, actor: str, kind: str, raw: bytes,
                                source: str) -> dict[str, Any]:
        try:
            parsed = parse_indicator_file(kind, raw, source)
        except IndicatorFileError as exc:
            raise BadRequest(str(exc)) from None
        result = await self._store(team_id, parsed)
        await self.audit.record("threat_intel.indicators_imported", actor_id=actor, team_id=team_id,
                                target_type="indicators", target_id=None,
                                details={"format": kind, "source": source, "parsed": len(parsed),
                                         "new": result["new"], "updated": result["updated"]})
        return {"format": kind, "source": source, **result}

    async def _store(self, team_id: str, parsed: list[ParsedIndicator]) -> dict[str, Any]:
        new, updated = await self.indicators.upsert_many(team_id, [item.document() for item in parsed],
                                                         datetime.now(UTC))
        counts: CorrelationCounts = await self.correlation.correlate_team(team_id)
        return {"parsed": len(parsed), "new": new, "updated": updated,
                "not_matchable": sum(1 for item in parsed if not item.observables), "correlation": counts.as_dict()}

    # --- correlations -----------------------------------------------------------------------------
    async def list_correlations(self, *, team_id: str, see_red: bool, finding_id: str | None, offset: int,
                                limit: int) -> tuple[list[dict[str, Any]], int]:
        query = _visible(see_red)
        if finding_id:
            query["asset.finding_id"] = finding_id
        cursor = self.correlations.collection.find(self.correlations.scoped(team_id, query))
        items = await cursor.sort([("last_seen", -1), ("_id", 1)]).skip(offset).limit(limit).to_list()
        return ([{**item, "id": str(item["_id"])} for item in items],
                await self.correlations.count(team_id, query))

    # --- sources ----------------------------------------------------------------------------------
    async def sources(self, *, team_id: str) -> dict[str, Any]:
        taxii = await self.taxii.find(team_id, sort=[("name", 1)])
        return {"feeds": await self.feeds.feeds(), "taxii": [self._taxii_out(item) for item in taxii]}

    @staticmethod
    def _taxii_out(document: dict[str, Any]) -> dict[str, Any]:
        return {**document, "id": str(document["_id"])}

    def _check_destination(self, url: str) -> None:
        """A team-supplied URL: the platform connects only where the scanners' destination policy allows."""
        try:
            self.container.resolve(ScannerExecutorFactory).destinations.check_url(url)
        except DestinationRefused as exc:
            raise BadRequest(f"TAXII collection URL refused: {exc}") from None

    def _vault(self) -> CredentialVault:
        return CredentialVault(self.container.settings.fernet_keys)

    async def add_taxii_source(self, *, team_id: str, actor: str, values: dict[str, Any]) -> dict[str, Any]:
        self._check_destination(values["collection_url"])
        password = values.pop("password", None)
        document = {**values, "created_at": datetime.now(UTC), "created_by": actor,
                    "credentials": self._vault().encrypt({"password": password}) if password else None}
        try:
            stored = await self.taxii.insert(team_id, document)
        except DuplicateKeyError:
            raise Conflict(f"a TAXII source named {values['name']!r} already exists") from None
        await self.audit.record("threat_intel.taxii_source_added", actor_id=actor, team_id=team_id,
                                target_type="taxii_source", target_id=str(stored["_id"]),
                                details={"name": values["name"], "collection_url": values["collection_url"]})
        return self._taxii_out(stored)

    async def delete_taxii_source(self, *, team_id: str, actor: str, source_id: str) -> None:
        if not await self.taxii.delete(team_id, self.taxii.object_id(source_id, "TAXII source")):
            raise NotFound("TAXII source not found")
        await self.audit.record("threat_intel.taxii_source_deleted", actor_id=actor, team_id=team_id,
                                target_type="taxii_source", target_id=source_id)

    async def poll_taxii_source(self, *, team_id: str, source_id: str) -> dict[str, Any]:
        """Fetch what the collection added since the last poll and import it; failures are recorded on the source."""
        source = await self.taxii.get(team_id, source_id, what="TAXII source")
        now = datetime.now(UTC)
        try:
            self._check_destination(source["collection_url"])
            password = self._vault().decrypt(source["credentials"])["password"] if source.get("credentials") else None
            objects, added_last = await poll_taxii(source["collection_url"], added_after=source.get("last_added_after"),
                                                   user=source.get("username"), password=password)
            # The collection's objects are validated as one bundle, like an uploaded file.
            bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects}
            parsed = parse_stix_bundle(json.dumps(bundle), f"taxii:{source['name']}") if objects else []
        except (FeedError, IndicatorFileError, BadRequest) as exc:
            detail = exc.detail if isinstance(exc, BadRequest) else str(exc)
            await self.taxii.update(team_id, source["_id"], {"last_poll_at": now, "last_ok": False,
                                                             "last_error": detail})
            return {"ok": False, "error": detail}
        result = await self._store(team_id, parsed) if parsed else {"parsed": 0, "new": 0, "updated": 0}
        counts = {name: value for name, value in result.items() if isinstance(value, int)}
        await self.taxii.update(team_id, source["_id"], {"last_poll_at": now, "last_ok": True, "last_error": None,
                                                         "last_added_after": added_last, "last_counts": counts})
        return {"ok": True, **counts}

    async def poll_all_taxii(self) -> int:
        sources = await self.taxii.all_teams()
        for source in sources:
            await self.poll_taxii_source(team_id=source["team_id"], source_id=str(source["_id"]))
        return len(sources)
