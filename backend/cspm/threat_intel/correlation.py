"""Correlation: KEV and EPSS onto findings (with the explained priority), indicators onto assets.

Both are joins, never a scan per finding or a loop over (finding, indicator) pairs. A whole-team
run (after an indicator import) reads each side once: the team's findings in batches; the whole
KEV (1,404 entries) and the EPSS scores of the team's distinct CVE ids (one ``distinct``, then by
id, or one pass when they are most of the catalogue); the distinct observable keys of the team's
indicators (one ``distinct``). Each batch is joined in memory by dictionary and set lookups, CIDR
ranges through a table keyed by (prefix length, network): one lookup per prefix length in use,
whatever the number of ranges. Only the indicators an asset names are then read, once. A small
change (the FINDINGS_CHANGED event of an import, a catalogue change) reads the catalogues by the
changed findings' CVE ids and observable keys instead. Only findings whose intel changed are written.

It runs on the findings module's FINDINGS_CHANGED event (the findings module does not know it),
when a catalogue changes (only the findings with a changed CVE, in every team) and when a team
imports indicators (that team's findings). New indicator matches publish INDICATORS_MATCHED. A
team that switched the module off gets none of it.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Self
from urllib.parse import urlsplit

from cspm.core.container import ServiceContainer
from cspm.core.database.registry import Database
from cspm.core.events import INDICATORS_MATCHED
from cspm.core.providers import provider
from cspm.findings.models import HASH_ALGORITHMS
from cspm.teams.service import TeamService
from cspm.threat_intel.models import normalise_domain, url_key
from cspm.threat_intel.priority import PriorityInputs, score
from cspm.threat_intel.repository import (
    EPSS,
    KEV,
    CatalogueRepository,
    CorrelationRepository,
    FindingIntelRepository,
    IndicatorRepository,
    SbomFileRepository,
    TargetContextRepository,
)

logger = logging.getLogger(__name__)
BATCH = 1000
MODULE = "threat_intel"  # the team switch (teams.schemas.TOGGLEABLE_MODULES)
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_HOSTNAME = re.compile(r"(?<![\w.-])(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}(?![\w-])", re.IGNORECASE)
_NETWORK_TYPES = {"host_port", "host", "ip", "ip_address"}
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


# --- what an asset shows ------------------------------------------------------------------------
@dataclass(frozen=True)
class AssetValue:
    key: str
    value: str
    address: Address | None = None


@dataclass(frozen=True)
class Sighting:
    """Where an asset value was seen: a finding's resource, or a file an SBOM lists (with its digest)."""

    asset: Mapping[str, Any]
    ref: str  # the asset's part of the correlation's identity: a finding's dedup key, or sbom:<asset>:<path>
    where: str
    value: AssetValue


def finding_sightings(finding: Mapping[str, Any]) -> list[Sighting]:
    resource = finding.get("resource") or {}
    asset = {"finding_id": str(finding["_id"]), "dedup_key": finding["dedup_key"],
             "resource_type": resource.get("type"), "resource_id": resource.get("id"),
             "source_tool": finding.get("source_tool")}
    where = f"{finding.get('source_tool')} {resource.get('type')} {resource.get('id')}"
    return [Sighting(asset, finding["dedup_key"], where, value) for value in asset_values(finding)]


def file_sightings(listed: Mapping[str, Any]) -> list[Sighting]:
    """An SBOM file's digests (syft): a file-hash indicator naming one matches the file in that asset."""
    asset_id, path = str(listed["asset_id"]), str(listed["path"])
    asset = {"sbom_asset_id": asset_id, "path": path, "resource_type": "file", "resource_id": f"{asset_id}:{path}",
             "source_tool": "syft"}
    return [Sighting(asset, f"sbom:{asset_id}:{path}", f"syft SBOM of {asset_id}: {path}",
                     AssetValue(key, key.partition(":")[2])) for key in listed.get("hash_keys") or []]


def _host_values(host: str) -> list[AssetValue]:
    host = host.strip().strip("[]")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        name = normalise_domain(host)
        if "." not in name:
            return []
        labels = name.split(".")
        # www.evil.example is on evil.example: an indicator naming a domain covers its sub-domains.
        return [AssetValue(f"domain:{'.'.join(labels[start:])}", name) for start in range(len(labels) - 1)]
    family = "ipv4" if address.version == 4 else "ipv6"
    return [AssetValue(f"{family}:{address}", str(address), address)]


def _endpoint_host(endpoint: str) -> str:
    if endpoint.startswith("["):
        return endpoint[1:endpoint.find("]")]
    return endpoint.rpartition(":")[0] if endpoint.count(":") == 1 else endpoint


def asset_values(finding: Mapping[str, Any]) -> list[AssetValue]:
    """The values of a finding's resource an indicator could name, and its CVE ids."""
    resource = finding.get("resource") or {}
    kind, resource_id, name = str(resource.get("type") or ""), str(resource.get("id") or ""), resource.get("name")
    values: list[AssetValue] = []
    if kind in _NETWORK_TYPES:
        values += _host_values(_endpoint_host(resource_id))
    elif kind == "url" and urlsplit(resource_id).hostname:
        values.append(AssetValue(f"url:{url_key(resource_id)}", resource_id))
        values += _host_values(urlsplit(resource_id).hostname or "")
    else:  # cloud resources and the rest: IPs and DNS names written in their id or name
        for text in (resource_id, str(name or "")):
            for found in _IPV4.findall(text):
                values += _host_values(found) if _valid_ip(found) else []
            values += [value for host in _HOSTNAME.findall(text) for value in _host_values(host)]
    if name and kind in (*_NETWORK_TYPES, "url"):
        values += _host_values(str(name))
    values += [AssetValue(f"cve:{cve}", cve) for cve in finding.get("cve_ids") or []]
    return list({value.key: value for value in values}.values())


def _valid_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


class RangeIndex:
    """CIDR observables by (family, prefix length, network bits): nested and overlapping ranges all found."""

    def __init__(self, indicators: Sequence[Mapping[str, Any]]) -> None:
        self._table: dict[tuple[int, int, int], list[tuple[Mapping[str, Any], Mapping[str, Any]]]] = defaultdict(list)
        self._prefixes: set[tuple[int, int]] = set()
        for indicator in indicators:
            for item in indicator.get("observables", []):
                if item.get("cidr"):
                    network = ipaddress.ip_network(item["value"], strict=False)
                    shift = network.max_prefixlen - network.prefixlen
                    key = (network.version, network.prefixlen, int(network.network_address) >> shift)
                    self._table[key].append((indicator, item))
                    self._prefixes.add((network.version, network.prefixlen))

    def lookup(self, address: Address) -> list[tuple[Mapping[str, Any], Mapping[str, Any]]]:
        width = 32 if address.version == 4 else 128
        value = int(address)
        found: list[tuple[Mapping[str, Any], Mapping[str, Any]]] = []
        for version, prefix in self._prefixes:
            if version == address.version:
                found += self._table.get((version, prefix, value >> (width - prefix)), [])
        return found


# --- KEV, EPSS and priority on a finding -----------------------------------------------------------
def target_id(finding: Mapping[str, Any]) -> str | None:
    """Scans record ``tool:target:<id>:<part>`` as the scope: the target the finding came from."""
    parts = str(finding.get("scope_key") or "").split(":")
    return parts[2] if len(parts) >= 3 and parts[1] == "target" else None


def kev_flag(cve_ids: Sequence[str], kev: Mapping[str, Mapping[str, Any]]) -> dict[str, Any] | None:
    entries = sorted((kev[cve] for cve in cve_ids if cve in kev), key=lambda entry: entry.get("dueDate") or "")
    if not entries:
        return None
    first = entries[0]
    return {"cve_ids": [entry["cveID"] for entry in entries],
            "date_added": min(entry.get("dateAdded") or "" for entry in entries),
            "due_date": first.get("dueDate"), "required_action": first.get("requiredAction"),
            "ransomware": "Known" if any(entry.get("knownRansomwareCampaignUse") == "Known" for entry in entries)
            else "Unknown",
            "vulnerability_name": first.get("vulnerabilityName")}


def newest_epss(finding: Mapping[str, Any], scores: Mapping[str, Mapping[str, Any]]) -> dict[str, Any] | None:
    """The finding's EPSS: the highest of its CVEs' FIRST scores, or the scanner's, whichever is newer.

    The canonical finding keeps the scanner's score but not the scanner's own EPSS date, so a
    scanner value is dated by the import that reported it (the finding's last_seen)."""
    candidates: list[dict[str, Any]] = []
    feed = [scores[cve] for cve in finding.get("cve_ids") or [] if cve in scores]
    if feed:
        best = max(feed, key=lambda item: item["epss"])
        candidates.append({"score": best["epss"], "percentile": best.get("percentile"), "date": best.get("date"),
                           "source": best.get("source") or "FIRST EPSS", "cve_id": best["_id"]})
    if isinstance(finding.get("epss_score"), int | float) and isinstance(finding.get("last_seen"), datetime):
        candidates.append({"score": float(finding["epss_score"]), "percentile": None,
                           "date": finding["last_seen"].date().isoformat(), "source": str(finding.get("source_tool")),
                           "cve_id": None})
    if not candidates:
        return None
    # Newest wins; on the same day the feed wins (it carries the percentile).
    return max(candidates, key=lambda item: (item["date"] or "", item["percentile"] is not None))


def asset_refs(finding: Mapping[str, Any]) -> list[str]:
    """The keys BIA dependencies are matched on: target, cloud account, resource id, host."""
    resource = finding.get("resource") or {}
    refs = [f"target:{tid}"] if (tid := target_id(finding)) else []
    if resource.get("account"):
        refs.append(f"cloud_account:{resource['account']}")
    if resource.get("id"):
        refs.append(f"resource:{resource['id']}")
        if str(resource.get("type") or "") in _NETWORK_TYPES:
            refs.append(f"host:{_endpoint_host(str(resource['id'])).lower()}")
        elif resource.get("type") == "url" and urlsplit(str(resource["id"])).hostname:
            refs.append(f"host:{urlsplit(str(resource['id'])).hostname}")
    return refs


def business_criticality(finding: Mapping[str, Any],
                         criticality: Mapping[str, Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The most critical BIA answer among the finding's asset refs."""
    found = [criticality[ref] for ref in asset_refs(finding) if ref in criticality]
    return min(found, key=lambda item: item["tier"]) if found else None


def intel_fields(finding: Mapping[str, Any], kev: Mapping[str, Mapping[str, Any]],
                 epss: Mapping[str, Mapping[str, Any]], targets: Mapping[str, Mapping[str, str]],
                 criticality: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any]:
    flag = kev_flag(finding.get("cve_ids") or [], kev)
    epss_value = newest_epss(finding, epss)
    target = targets.get(target_id(finding) or "", {})
    business = business_criticality(finding, criticality or {})
    declared, source = target.get("criticality"), None
    if business is not None:
        processes = "', '".join(business["processes"])
        plural = "es" if len(business["processes"]) > 1 else ""
        declared = business["criticality"]
        source = f"BIA: tier-{business['tier']} process{plural} '{processes}' depend{'' if plural else 's'} on it"
    priority = score(PriorityInputs(
        severity=str(finding.get("severity") or "info"), cvss=finding.get("cvss_score"),
        epss=epss_value["score"] if epss_value else None,
        epss_percentile=epss_value["percentile"] if epss_value else None,
        kev_since=flag["date_added"] if flag else None, ransomware=bool(flag and flag["ransomware"] == "Known"),
        exposure=target.get("exposure"), criticality=declared, criticality_source=source,
        asset_name=target.get("name") or ((finding.get("resource") or {}).get("id") if business else None)))
    return {"kev": flag, "epss": epss_value, "priority": priority.score,
            "priority_explanation": priority.explanation, "priority_factors": priority.factors}


@dataclass
class CorrelationCounts:
    findings: int = 0
    intel_written: int = 0
    matches: int = 0
    new_matches: int = 0
    new_ids: list[str] = field(default_factory=list)

    def add(self, other: CorrelationCounts) -> None:
        self.findings += other.findings
        self.intel_written += other.intel_written
        self.matches += other.matches
        self.new_matches += other.new_matches
        self.new_ids += other.new_ids

    def as_dict(self) -> dict[str, int]:
        return {"findings": self.findings, "intel_written": self.intel_written, "matches": self.matches,
                "new_matches": self.new_matches}


class ThreatCorrelationService:
    def __init__(self, container: ServiceContainer) -> None:
        intel = container.database.db(Database.THREAT_INTELLIGENCE)
        self.container = container
        self.kev = CatalogueRepository(intel, KEV)
        self.epss = CatalogueRepository(intel, EPSS)
        self.indicators = IndicatorRepository(intel)
        self.correlations = CorrelationRepository(intel)
        self.findings = FindingIntelRepository(container.database.db(Database.SECURITY_SCANS))
        self.targets = TargetContextRepository(container.database.db(Database.ORCHESTRATION))
        self.sbom_files = SbomFileRepository(container.database.db(Database.CLOUD_ASSETS))

    @classmethod
    def build(cls, container: ServiceContainer) -> Self:
        return cls(container)

    # --- triggers ---------------------------------------------------------------------------
    async def on_findings_changed(self, *, team_id: str, dedup_keys: list[str]) -> None:
        """Subscriber of FINDINGS_CHANGED: the changed findings get their KEV flag, EPSS, priority and matches."""
        if await self._switched_off(team_id):
            return
        async for findings in self.findings.batches_by_keys(team_id, dedup_keys):
            await self._correlate(team_id, findings, None)

    async def on_criticality_changed(self, *, team_id: str) -> int:
        """Subscriber of BIA_CRITICALITY_CHANGED: the team's priorities re-scored with the new asset criticality."""
        if await self._switched_off(team_id):
            return 0
        return await self._enrich_all(team_id, self.findings.team_findings(team_id))

    async def on_target_options_changed(self, *, team_id: str, target_id: str) -> int:
        """Subscriber of TARGET_OPTIONS_CHANGED: the findings of that target's scans re-scored with its
        declared exposure and criticality (only those whose priority changes are written)."""
        if await self._switched_off(team_id):
            return 0
        return await self._enrich_all(team_id, self.findings.of_target(team_id, target_id))

    async def _enrich_all(self, team_id: str, findings: Any) -> int:
        """``enrich`` over a cursor of findings, a batch at a time; how many were written."""
        written = 0
        batch: list[dict[str, Any]] = []
        async for finding in findings:
            batch.append(finding)
            if len(batch) >= BATCH:
                written += await self.enrich(team_id, batch)
                batch = []
        return written + await self.enrich(team_id, batch)

    async def refresh_cves(self, cve_ids: Sequence[str]) -> int:
        """A catalogue changed: re-enrich only the findings (of every team) with one of these CVEs."""
        written = 0
        for team_id, keys in (await self.findings.teams_with_cves(cve_ids)).items():
            if await self._switched_off(team_id):
                continue
            async for findings in self.findings.batches_by_keys(team_id, keys):
                written += await self.enrich(team_id, findings)
        return written

    async def _switched_off(self, team_id: str) -> bool:
        """A team that switched the module off gets no enrichment: its findings list as they are, unscored."""
        return MODULE in await self.container.resolve(TeamService).disabled_modules(team_id=team_id)

    async def correlate_team(self, team_id: str) -> CorrelationCounts:
        """Every finding of the team (after an indicator import, or on demand), read once in batches.

        Read once per run: the whole KEV (1,404 entries) and the distinct observable keys of the
        team's active indicators. Each batch's EPSS scores are looked up by its CVE ids (a
        ``distinct`` of the team's CVEs first cost more than the lookups on the embedded store,
        which decodes every finding for it: 4.2 s at 100,000). Each batch is then joined in memory
        (dictionary and set lookups, CIDRs by prefix table), and only the indicators that an asset
        names are read, once, at the end."""
        now = datetime.now(UTC)
        kev = await self.kev.everything()
        known = await self.indicators.observable_keys(team_id)
        ranges = RangeIndex(await self.indicators.ranges(team_id, now))
        total = CorrelationCounts()
        hits: list[Sighting] = []
        batch: list[dict[str, Any]] = []

        async def flush() -> None:
            total.findings += len(batch)
            cves = [cve for finding in batch for cve in finding.get("cve_ids") or []]
            epss = await self.epss.by_cve(cves) if cves else {}
            total.intel_written += await self.enrich(team_id, batch, (kev, epss))
            hits.extend(sighting for finding in batch for sighting in finding_sightings(finding)
                        if sighting.value.key in known
                        or (sighting.value.address is not None and ranges.lookup(sighting.value.address)))
            batch.clear()

        async for finding in self.findings.team_findings(team_id):
            batch.append(finding)
            if len(batch) >= BATCH:
                await flush()
        await flush()
        hashes = [key for key in known if key.partition(":")[0] in HASH_ALGORITHMS]
        for listed in await self.sbom_files.with_hash_keys(team_id, hashes) if hashes else []:
            hits += [sighting for sighting in file_sightings(listed) if sighting.value.key in known]
        total.matches, total.new_ids = await self._record(team_id, hits, ranges, now)
        total.new_matches = len(total.new_ids)
        await self._announce(team_id, total.new_ids)
        return total

    async def _announce(self, team_id: str, new_ids: list[str]) -> None:
        if new_ids:
            await self.container.events.publish(INDICATORS_MATCHED, team_id=team_id, correlation_ids=new_ids)

    async def _correlate(self, team_id: str, findings: list[dict[str, Any]], ranges: RangeIndex | None,
                         now: datetime | None = None) -> CorrelationCounts:
        now = now or datetime.now(UTC)
        counts = CorrelationCounts(findings=len(findings))
        counts.intel_written = await self.enrich(team_id, findings)
        matched, new_ids = await self.match(team_id, findings, ranges, now)
        counts.matches, counts.new_matches, counts.new_ids = matched, len(new_ids), new_ids
        await self._announce(team_id, new_ids)
        return counts

    # --- KEV / EPSS / priority ----------------------------------------------------------------
    async def enrich(self, team_id: str, findings: Sequence[Mapping[str, Any]],
                     catalogues: tuple[Mapping[str, Mapping[str, Any]], Mapping[str, Mapping[str, Any]]] | None = None,
                     ) -> int:
        """KEV flag, EPSS and priority onto ``findings``; writes only the findings whose values changed."""
        if not findings:
            return 0
        updates = []
        for finding, fields in zip(findings, await self._intel(team_id, findings, catalogues), strict=True):
            if all(finding.get(name) == fields[name] for name in ("kev", "epss", "priority", "priority_explanation")):
                continue
            cleared = [name for name in ("kev", "epss") if fields[name] is None]
            updates.append((finding["_id"], {name: value for name, value in fields.items() if value is not None},
                            cleared))
        return await self.findings.write_intel(team_id, updates) if updates else 0

    async def intel_for_new_findings(self, team_id: str, findings: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """The findings module's ``finding_intel`` provider: the intel fields of findings about to be inserted.

        The ingest puts them in the finding's insert, so a new finding is written once, not inserted
        and then rewritten by ``on_findings_changed`` (which then finds nothing to change). Nothing
        when the team switched the module off."""
        if not findings or await self._switched_off(team_id):
            return [{} for _ in findings]
        return [{name: value for name, value in fields.items() if value is not None}
                for fields in await self._intel(team_id, findings, None)]

    async def _intel(self, team_id: str, findings: Sequence[Mapping[str, Any]],
                     catalogues: tuple[Mapping[str, Mapping[str, Any]], Mapping[str, Mapping[str, Any]]] | None,
                     ) -> list[dict[str, Any]]:
        """``intel_fields`` of each finding: catalogues by its CVEs (unless given), its targets and BIA criticality."""
        if catalogues is None:
            cves = [cve for finding in findings for cve in finding.get("cve_ids") or []]
            catalogues = (await self.kev.by_cve(cves) if cves else {}, await self.epss.by_cve(cves) if cves else {})
        kev, epss = catalogues
        targets = await self.targets.declared(team_id, [t for f in findings if (t := target_id(f))])
        criticality = await self._business_criticality(team_id, findings)
        return [intel_fields(finding, kev, epss, targets, criticality) for finding in findings]

    async def _business_criticality(self, team_id: str,
                                    findings: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
        """BIA's asset criticality through the manifest's provider; without BIA (absent, off, failing): none."""
        asset_criticality = provider(self.container, "asset_criticality")
        if asset_criticality is None:
            return {}
        refs = sorted({ref for finding in findings for ref in asset_refs(finding)})
        try:
            return dict(await asset_criticality(team_id, refs)) if refs else {}
        except Exception:
            logger.exception("asset criticality provider failed; declared target criticality used",
                             extra={"team_id": team_id})
            return {}

    # --- indicators ↔ assets -------------------------------------------------------------------
    async def match(self, team_id: str, findings: Sequence[Mapping[str, Any]], ranges: RangeIndex | None,
                    now: datetime) -> tuple[int, list[str]]:
        """Record a correlation per (indicator, observable, finding); returns the count and the new ones' keys."""
        if ranges is None:
            ranges = RangeIndex(await self.indicators.ranges(team_id, now))
        hits = [sighting for finding in findings for sighting in finding_sightings(finding)]
        return await self._record(team_id, hits, ranges, now)

    async def on_sbom_stored(self, *, team_id: str, asset_id: str) -> CorrelationCounts:
        """Subscriber of SBOM_STORED: the asset's file digests against the team's file-hash indicators."""
        counts = CorrelationCounts()
        if await self._switched_off(team_id):
            return counts
        known = await self.indicators.observable_keys(team_id)
        hits = [sighting for listed in await self.sbom_files.of_asset(team_id, asset_id)
                for sighting in file_sightings(listed) if sighting.value.key in known]
        if hits:
            now = datetime.now(UTC)
            counts.matches, counts.new_ids = await self._record(team_id, hits, RangeIndex([]), now)
            counts.new_matches = len(counts.new_ids)
            await self._announce(team_id, counts.new_ids)
        return counts

    async def _record(self, team_id: str, hits: Sequence[Sighting], ranges: RangeIndex,
                      now: datetime) -> tuple[int, list[str]]:
        """Correlation documents for the sightings an indicator names; the new ones' keys."""
        keys = [sighting.value.key for sighting in hits]
        exact: dict[str, list[tuple[Mapping[str, Any], Mapping[str, Any]]]] = defaultdict(list)
        for indicator in await self.indicators.by_keys(team_id, keys, now) if keys else []:
            for item in indicator["observables"]:
                exact[item["key"]].append((indicator, item))
        documents: dict[str, dict[str, Any]] = {}
        for sighting in hits:
            address = sighting.value.address
            for matched, item in exact.get(sighting.value.key, []) + (ranges.lookup(address) if address else []):
                correlation = correlation_document(matched, item, sighting)
                documents[correlation["key"]] = correlation
        if not documents:
            return 0, []
        existing = await self.correlations.existing_keys(team_id, list(documents))
        await self.correlations.upsert_many(team_id, list(documents.values()), now)
        return len(documents), [key for key in documents if key not in existing]


def correlation_document(indicator: Mapping[str, Any], item: Mapping[str, Any], sighting: Sighting) -> dict[str, Any]:
    identity = f"{indicator['_id']}|{item['key']}|{sighting.ref}"
    return {
        "key": hashlib.sha256(identity.encode()).hexdigest(),
        "indicator_id": str(indicator["_id"]), "stix_id": indicator.get("stix_id"),
        "indicator_name": indicator.get("name"), "indicator_value": item["value"], "indicator_type": item["type"],
        "matched_value": sighting.value.value, "tlp": indicator.get("tlp"), "source": indicator.get("source"),
        "confidence": indicator.get("confidence"), "context": indicator.get("context") or [],
        "asset": dict(sighting.asset), "where": sighting.where,
    }
