"""The feeds: CISA KEV and FIRST EPSS (shared catalogues), TAXII 2.1 collections (a team's indicators).

Each feed is read the same way whether it comes from the daily job (a URL setting), an
operator's file (CLI or API) or, for KEV, the snapshot shipped in ``data/`` (the offline
baseline, loaded when the catalogue is empty). A download or validation failure is recorded
on the feed's status with the error in words and changes nothing: the last good catalogue
stays. A KEV catalogue must validate against CISA's JSON schema (shipped beside the snapshot)
and its ``count`` must match its entries; an EPSS file must have FIRST's header.
"""

from __future__ import annotations

import asyncio
import csv
import functools
import gzip
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib.resources import files
from typing import Any, Self

import httpx
import jsonschema
import requests
from taxii2client.v21 import Collection, as_pages

from cspm.core.container import ServiceContainer
from cspm.core.database.registry import Database
from cspm.core.settings import load
from cspm.threat_intel.correlation import ThreatCorrelationService
from cspm.threat_intel.models import CVE_ID
from cspm.threat_intel.repository import EPSS, KEV, CatalogueRepository, FeedStatusRepository
from cspm.threat_intel.settings import ThreatIntelSettings

logger = logging.getLogger(__name__)

DATA = files("cspm.threat_intel") / "data"
SHIPPED_KEV = DATA / "known_exploited_vulnerabilities.json"
KEV_SCHEMA = json.loads((DATA / "known_exploited_vulnerabilities_schema.json").read_text())
KEV_FEED = "cisa_kev"
EPSS_FEED = "first_epss"
# What KEV entries are compared on to tell a modified entry (the catalogue date fields aside).
KEV_FIELDS = ("cveID", "vendorProject", "product", "vulnerabilityName", "dateAdded", "shortDescription",
              "requiredAction", "dueDate", "knownRansomwareCampaignUse", "notes", "cwes")


class FeedError(RuntimeError):
    """The feed could not be read or is not what it should be; the message says which."""


@dataclass(frozen=True)
class KevCatalogue:
    version: str
    released: str
    entries: list[dict[str, Any]]

    @property
    def date(self) -> str:
        return self.released[:10]


@dataclass(frozen=True)
class EpssFile:
    model_version: str | None
    score_date: str | None
    scores: dict[str, tuple[float, float]]


@dataclass(frozen=True)
class CatalogueChange:
    added: list[str]
    removed: list[str]
    modified: list[str]

    @property
    def changed(self) -> list[str]:
        return [*self.added, *self.removed, *self.modified]

    def as_dict(self) -> dict[str, Any]:
        return {"added": len(self.added), "removed": len(self.removed), "modified": len(self.modified)}


# --- reading -------------------------------------------------------------------------------
def parse_kev(raw: bytes | str) -> KevCatalogue:
    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FeedError(f"KEV catalogue is not JSON: {exc}") from None
    try:
        jsonschema.validate(document, KEV_SCHEMA, format_checker=jsonschema.FormatChecker())
    except jsonschema.ValidationError as exc:
        where = "/".join(str(part) for part in exc.absolute_path) or "(top level)"
        raise FeedError(f"KEV catalogue does not match CISA's schema at {where}: {exc.message}") from None
    entries = document["vulnerabilities"]
    if document["count"] != len(entries):
        raise FeedError(f"KEV catalogue says count {document['count']} but holds {len(entries)} entries")
    return KevCatalogue(document["catalogVersion"], document["dateReleased"], entries)


def parse_epss(raw: bytes) -> EpssFile:
    """FIRST's CSV: ``#model_version:v2025.03.14,score_date:2025-08-25T00:00:00Z``, then cve,epss,percentile."""
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise FeedError(f"EPSS file is not valid gzip: {exc}") from None
    text = raw.decode("utf-8-sig", errors="strict")
    lines = text.splitlines()
    meta: dict[str, str] = {}
    if lines and lines[0].startswith("#"):
        for part in lines[0].lstrip("#").split(","):
            name, _, value = part.partition(":")
            meta[name.strip()] = value.strip()
        lines = lines[1:]
    reader = csv.reader(lines)
    header = [cell.strip().lower() for cell in next(reader, [])]
    if header[:3] != ["cve", "epss", "percentile"]:
        raise FeedError("EPSS file must have the header cve,epss,percentile (after its #model_version line)")
    scores: dict[str, tuple[float, float]] = {}
    for line, row in enumerate(reader, start=3):
        if not row:
            continue
        try:
            cve, epss, percentile = row[0].strip().upper(), float(row[1]), float(row[2])
        except (IndexError, ValueError):
            shown = ",".join(row)[:80]
            raise FeedError(f"EPSS file line {line}: expected cve,epss,percentile, got {shown!r}") from None
        if not CVE_ID.match(cve) or not (0 <= epss <= 1 and 0 <= percentile <= 1):
            raise FeedError(f"EPSS file line {line}: {cve!r} {epss} {percentile} is not a CVE with probabilities")
        scores[cve] = (epss, percentile)
    score_date = meta.get("score_date", "")[:10] or None
    return EpssFile(meta.get("model_version"), score_date, scores)


async def download(url: str, settings: ThreatIntelSettings) -> bytes:
    """The feed's bytes, or FeedError naming the URL and what went wrong (no network here: always that)."""
    try:
        async with httpx.AsyncClient(timeout=settings.feed_timeout_seconds, follow_redirects=True) as client:
            async with client.stream("GET", url) as response:
                response.raise_for_status()
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > settings.feed_max_bytes:
                        raise FeedError(f"{url}: larger than FEED_MAX_BYTES ({settings.feed_max_bytes})")
                    chunks.append(chunk)
                return b"".join(chunks)
    except httpx.HTTPStatusError as exc:
        raise FeedError(f"{url} answered HTTP {exc.response.status_code}") from None
    except httpx.HTTPError as exc:
        raise FeedError(f"{url} could not be reached: {type(exc).__name__}: {exc or 'no detail'}") from None


# --- storing -------------------------------------------------------------------------------
ChangeListener = Callable[[Sequence[str]], Awaitable[Any]]


class FeedService:
    """Imports and refreshes the shared KEV and EPSS catalogues, and reports their health."""

    def __init__(self, container: ServiceContainer, settings: ThreatIntelSettings,
                 on_change: ChangeListener | None = None) -> None:
        database = container.database.db(Database.THREAT_INTELLIGENCE)
        self.container = container
        self.settings = settings
        self.kev = CatalogueRepository(database, KEV)
        self.epss = CatalogueRepository(database, EPSS)
        self.status = FeedStatusRepository(database)
        self.on_change = on_change
        """Called with the CVE ids whose catalogue entry changed: the findings with them are refreshed."""

    @classmethod
    def build(cls, container: ServiceContainer) -> Self:
        return cls(container, load(ThreatIntelSettings), container.resolve(ThreatCorrelationService).refresh_cves)

    async def _changed(self, cve_ids: Sequence[str]) -> None:
        if self.on_change is not None:
            await self.on_change(cve_ids)

    # --- KEV ------------------------------------------------------------------------------
    async def ensure_kev_baseline(self) -> bool:
        """Load the shipped snapshot when the catalogue is empty (first start, offline installs)."""
        if not self.settings.kev_baseline_at_startup or await self.kev.count():
            await self.report_health()
            return False
        await self.import_kev(SHIPPED_KEV.read_bytes(), source="shipped snapshot")
        return True

    async def import_kev(self, raw: bytes, *, source: str) -> dict[str, Any]:
        """Validate, then upsert by cveID; entries absent from the new catalogue are removed."""
        started = datetime.now(UTC)
        try:
            catalogue = parse_kev(raw)
        except FeedError as exc:
            await self._failed(KEV_FEED, source, str(exc), started)
            raise
        incoming = {entry["cveID"]: {"_id": entry["cveID"], **entry} for entry in catalogue.entries}
        stored = {cve: document for cve, document in
                  (await self.kev.by_cve(list(await self.kev.all_ids()))).items()}
        change = CatalogueChange(
            added=sorted(set(incoming) - set(stored)), removed=sorted(set(stored) - set(incoming)),
            modified=sorted(cve for cve in set(incoming) & set(stored)
                            if any(incoming[cve].get(name) != stored[cve].get(name) for name in KEV_FIELDS)))
        await self.kev.insert([incoming[cve] for cve in change.added])
        await self.kev.upsert([incoming[cve] for cve in change.modified])
        await self.kev.delete(change.removed)
        run = {"at": started, "ok": True, "source": source, "version": catalogue.version, "date": catalogue.date,
               "count": len(incoming), **change.as_dict(),
               "added_ids": change.added[:500], "removed_ids": change.removed[:500]}
        await self.status.record(KEV_FEED, run, {"last_attempt": started, "last_success": started, "ok": True,
                                                "error": None, "source": source, "version": catalogue.version,
                                                "date": catalogue.date, "count": len(incoming),
                                                "last_change": change.as_dict()})
        await self.report_health()
        if change.changed:
            await self._changed(change.changed)
        return {"version": catalogue.version, "date": catalogue.date, "count": len(incoming), **change.as_dict()}

    async def refresh_kev(self) -> dict[str, Any]:
        """The daily job: fetch, validate, import; a failure is recorded and the last catalogue stays."""
        started = datetime.now(UTC)
        try:
            raw = await download(self.settings.kev_url, self.settings)
        except FeedError as exc:
            await self._failed(KEV_FEED, self.settings.kev_url, str(exc), started)
            return {"ok": False, "error": str(exc)}
        try:
            return {"ok": True, **await self.import_kev(raw, source=self.settings.kev_url)}
        except FeedError as exc:
            return {"ok": False, "error": str(exc)}

    # --- EPSS -----------------------------------------------------------------------------
    async def import_epss(self, raw: bytes, *, source: str) -> dict[str, Any]:
        """Store FIRST's scores; a file older than the stored scores of a CVE does not replace them."""
        started = datetime.now(UTC)
        try:
            parsed = parse_epss(raw)
        except (FeedError, UnicodeDecodeError) as exc:
            await self._failed(EPSS_FEED, source, str(exc), started)
            raise FeedError(str(exc)) from None
        score_date = parsed.score_date or started.date().isoformat()
        stored = await self.epss.by_cve(list(parsed.scores), {"epss": 1, "date": 1})
        changed = [cve for cve, (epss, _) in parsed.scores.items()
                   if cve not in stored or (stored[cve].get("date", "") <= score_date and stored[cve]["epss"] != epss)]
        newer = [cve for cve in parsed.scores if cve not in stored or stored[cve].get("date", "") <= score_date]
        await self.epss.upsert({"_id": cve, "epss": parsed.scores[cve][0], "percentile": parsed.scores[cve][1],
                                "date": score_date, "model_version": parsed.model_version, "source": "FIRST EPSS"}
                               for cve in newer)
        summary = {"count": len(parsed.scores), "changed": len(changed), "date": score_date,
                   "version": parsed.model_version}
        await self.status.record(EPSS_FEED, {"at": started, "ok": True, "source": source, **summary},
                                 {"last_attempt": started, "last_success": started, "ok": True, "error": None,
                                  "source": source, **summary})
        await self.report_health()
        if changed:
            await self._changed(changed)
        return summary

    async def refresh_epss(self) -> dict[str, Any]:
        started = datetime.now(UTC)
        try:
            raw = await download(self.settings.epss_url, self.settings)
            return {"ok": True, **await self.import_epss(raw, source=self.settings.epss_url)}
        except FeedError as exc:
            if not isinstance(exc.__cause__, UnicodeDecodeError):
                await self._failed(EPSS_FEED, self.settings.epss_url, str(exc), started)
            return {"ok": False, "error": str(exc)}

    # --- health ---------------------------------------------------------------------------
    async def _failed(self, feed: str, source: str, error: str, at: datetime) -> None:
        logger.warning("threat intel feed failed", extra={"feed": feed, "source": source, "error": error})
        await self.status.record(feed, {"at": at, "ok": False, "source": source, "error": error},
                                 {"last_attempt": at, "ok": False, "error": error})
        await self.report_health()

    async def feeds(self) -> list[dict[str, Any]]:
        """Every feed's status, with its age in days and the health line the integrity monitor shows."""
        today = datetime.now(UTC).date()
        found = {document["_id"]: document for document in await self.status.all()}
        result = []
        for feed, max_age, title in ((KEV_FEED, self.settings.kev_max_age_days, "KEV catalogue"),
                                     (EPSS_FEED, self.settings.epss_max_age_days, "EPSS scores")):
            status = found.get(feed) or {"_id": feed}
            age = (today - date.fromisoformat(status["date"])).days if status.get("date") else None
            state = "down" if age is None else ("degraded" if age > max_age or not status.get("ok", True)
                                                else "optimal")
            health = f"{title} from {status['date']}: {age} days old" if age is not None else f"no {title} loaded"
            if status.get("error") and not status.get("ok", True):
                health += f"; last update failed: {status['error']}"
            result.append({**status, "feed": feed, "title": title, "age_days": age, "state": state,
                           "health": health, "runs": await self.status.recent_runs(feed, 5)})
        return result

    async def report_health(self) -> None:
        """The integrity monitor's line per feed: "KEV catalogue from 2025-08-25: 12 days old"."""
        for feed in await self.feeds():
            component = f"threat_intel:{feed['feed']}"
            if feed["state"] == "optimal":
                self.container.integrity.optimal(component, feed["health"])
            elif feed["state"] == "degraded":
                self.container.integrity.degraded(component, feed["health"],
                                                  "priorities use an old catalogue until the feed updates")
            else:
                self.container.integrity.degraded(component, feed["health"],
                                                  "findings are not prioritised by this feed until one is imported")


# --- TAXII 2.1 -------------------------------------------------------------------------------
def fetch_taxii_objects(collection_url: str, *, added_after: str | None, user: str | None = None,
                        password: str | None = None, timeout: float = 60.0) -> tuple[list[dict[str, Any]], str | None]:
    """Every object of a TAXII 2.1 collection added after ``added_after``, page by page.

    Blocking (taxii2-client uses requests): ``poll_taxii`` runs it on a thread. Returns the objects
    and the newest ``X-TAXII-Date-Added-Last`` the server sent: the next poll's starting point."""
    collection = Collection(collection_url, user=user, password=password)
    session = collection._conn.session  # the client's own session: a timeout and a header hook added
    session.request = functools.partial(requests.Session.request, session, timeout=timeout)  # type: ignore[method-assign]
    last: list[str] = [added_after] if added_after else []

    def remember_date(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        if added := response.headers.get("X-TAXII-Date-Added-Last"):
            last.append(added)

    session.hooks["response"].append(remember_date)
    filters = {"added_after": added_after} if added_after else {}
    objects: list[dict[str, Any]] = []
    try:
        for envelope in as_pages(collection.get_objects, per_request=500, **filters):
            objects += envelope.get("objects", []) or []
    except Exception as exc:  # noqa: BLE001 - requests, TAXII and JSON errors all become one feed error
        raise FeedError(f"TAXII collection {collection_url}: {type(exc).__name__}: {exc}") from None
    return objects, max(last) if last else None


async def poll_taxii(collection_url: str, **options: Any) -> tuple[list[dict[str, Any]], str | None]:
    return await asyncio.to_thread(fetch_taxii_objects, collection_url, **options)
