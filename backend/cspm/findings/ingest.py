"""Report ingestion: parse ► normalise ► deduplicate ► store ► resolve ► notify.

The report is parsed completely into a spool file before anything is written, so a
report that turns out to be truncated or of the wrong format stores nothing; the spool
keeps memory flat however large the report is. Findings are then written in batches:
one read and one unordered bulk write per batch, never a round trip per finding.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import tempfile
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any, BinaryIO

import msgspec

from cspm.core.database.writes import NewDocument
from cspm.core.errors import Unprocessable
from cspm.findings.lifecycle import SuppressionMatcher, history_entry
from cspm.findings.models import CheckResult, FindingStatus, Severity, service_of
from cspm.findings.repository import FindingsRepository
from cspm.findings.settings import FindingsSettings
from cspm.findings.vulnerabilities import VulnerabilitySync
from cspm.scanners.base import ReportFormatError, ReportParser, SkippedRecord
from cspm.scans.models import RunState
from cspm.scans.repository import ScanRunRepository

logger = logging.getLogger(__name__)
# The ``finding_intel`` provider (threat intel): for findings about to be inserted, the fields to add to each.
FindingIntel = Callable[[str, Sequence[dict[str, Any]]], Awaitable[list[dict[str, Any]]]]

# Fields a re-scan may change; their hash tells "updated" from "unchanged".
MUTABLE_FIELDS = (
    "title", "description", "severity", "result", "category", "resource", "cve_ids", "cwe_ids", "package",
    "cvss_score", "cvss_vector", "epss_score", "evidence", "remediation", "references", "compliance_tags",
    "tool_severity",
)


@dataclass
class IngestCounts:
    new: int = 0
    updated: int = 0
    reopened: int = 0
    resolved: int = 0
    unchanged: int = 0
    suppressed: int = 0
    duplicates_in_report: int = 0
    parsed: int = 0
    skipped: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass
class IngestRequest:
    team_id: str
    tool: str
    run_id: str
    actor: str
    scope_key: str | None
    """The scope every finding of the run belongs to (a scan target, or an import's explicit scope);
    None: each finding's own ``scope`` as its report names it (see ``finding_scope_key``)."""
    complete: bool = True
    """A complete scan of the scope: findings it no longer reports are resolved."""
    finish_run: bool = True
    """Imports own their run; an orchestrated scan's sub-job does not (the run has other jobs)."""


@dataclass
class IngestResult:
    run_id: str
    counts: IngestCounts
    changed_keys: list[str] = field(default_factory=list)
    tool: str = ""
    """The parser that read the report (the one detected, for tool=auto)."""
    scope_keys: list[str] = field(default_factory=list)
    """The scopes the run's findings were filed under (resolution stays within these)."""
    complete: bool = True
    """Whether absent findings were resolved: asked for, and the report named what it scanned."""
    incomplete_reason: str | None = None
    skipped: list[SkippedRecord] = field(default_factory=list)
    """Records that could not become findings (the first MAX_SKIPPED_KEPT), with their reasons."""


UNSCOPED = "unscoped"
"""The scope of findings whose report names nothing scanned: a complete import never resolves it."""


def finding_scope_key(request: IngestRequest, finding: dict[str, Any]) -> str:
    """The scope a finding is filed under: the run's, else what its report says was scanned.

    ``report:`` keeps a report's own names apart from scan targets (``tool:target:<id>:…``)."""
    if request.scope_key:
        return request.scope_key
    scope = finding.get("scope")
    return f"{request.tool}:report:{scope}" if scope else f"{request.tool}:{UNSCOPED}"


def resolvable_scopes(request: IngestRequest, scope_keys: set[str], parsed: int) -> tuple[list[str], str | None]:
    """The scopes a complete import resolves within, and why it resolves less than asked (if so)."""
    if request.scope_key:
        return [request.scope_key], None
    unscoped = f"{request.tool}:{UNSCOPED}"
    named = sorted(scope_keys - {unscoped})
    if not named:
        what = ("the report has no findings, so it names nothing that was scanned" if parsed == 0
                else "the report names nothing that was scanned (no artifact, account, site or host)")
        return [], f"nothing was resolved: {what}; give scope= to resolve within a scope of your own"
    if unscoped in scope_keys:
        return named, (f"findings that name nothing scanned were filed under {unscoped!r} and resolve nothing; "
                       "give scope= to resolve them too")
    return named, None


# What ``json.dumps(payload, sort_keys=True, default=str)`` builds on every call, built once: the
# hashed text (and so every stored content_hash) stays byte for byte the same.
_CONTENT_ENCODER = json.JSONEncoder(sort_keys=True, default=str)
# The spool holds JSON written by pydantic: msgspec reads it back into the same dicts, a few times faster.
_SPOOL_DECODER = msgspec.json.Decoder()


def content_hash(finding: dict[str, Any]) -> str:
    payload = _CONTENT_ENCODER.encode({key: finding.get(key) for key in MUTABLE_FIELDS})
    return hashlib.sha1(payload.encode(), usedforsecurity=False).hexdigest()


MAX_SKIPPED_KEPT = 100
"""Skipped records kept with their reasons on the run and in the answer (all are counted)."""


def spool_report(parser: ReportParser, report: BinaryIO, spool: IO[str], skipped: list[SkippedRecord]
                 ) -> tuple[int, int]:
    """Parse the whole report into JSON lines; raises ReportFormatError before any write.

    Answers the findings spooled and the records skipped; the first MAX_SKIPPED_KEPT of those are
    appended to ``skipped``. A report whose every record was skipped is not of the format at all,
    and is refused whole."""
    count = 0
    skipped_total = 0
    for item in parser.parse(report):
        if isinstance(item, SkippedRecord):
            skipped_total += 1
            if len(skipped) < MAX_SKIPPED_KEPT:
                skipped.append(item)
            continue
        spool.write(item.model_dump_json() + "\n")  # one write: each also resets the text file's decoder
        count += 1
    if count == 0 and skipped:
        raise ReportFormatError(parser.tool, f"none of its {skipped_total} records could be read; the first: "
                                             f"{skipped[0].reason}")
    spool.flush()
    return count, skipped_total


def read_batches(spool: IO[str], size: int) -> Iterator[list[dict[str, Any]]]:
    spool.seek(0)
    batch: list[dict[str, Any]] = []
    for line in spool:
        batch.append(_SPOOL_DECODER.decode(line))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class FindingsIngestService:
    def __init__(self, findings: FindingsRepository, runs: ScanRunRepository, vulnerabilities: VulnerabilitySync,
                 settings: FindingsSettings, metrics: Any, spool_dir: Path | None = None,
                 intel: Callable[[], FindingIntel | None] | None = None) -> None:
        self.findings = findings
        self.runs = runs
        self.vulnerabilities = vulnerabilities
        self.settings = settings
        self.metrics = metrics
        self.spool_dir = spool_dir
        self.intel = intel or (lambda: None)

    async def ingest(self, request: IngestRequest, parser: ReportParser, report: BinaryIO) -> IngestResult:
        """Ingest one report for one team; the scan run record reflects the outcome."""
        with tempfile.TemporaryFile("w+", encoding="utf-8", dir=self.spool_dir, suffix=".jsonl") as spool:
            skipped: list[SkippedRecord] = []
            try:
                parsed, skipped_total = await asyncio.to_thread(spool_report, parser, report, spool, skipped)
            except ReportFormatError as exc:
                if request.finish_run:
                    await self.runs.finish(request.team_id, request.run_id, RunState.FAILED, error=str(exc))
                raise Unprocessable(str(exc)) from exc
            counts = IngestCounts(parsed=parsed, skipped=skipped_total)
            changed: list[str] = []
            scope_keys: set[str] = set()
            resolve_within: list[str] = []
            incomplete_reason: str | None = None
            try:
                matcher = SuppressionMatcher(await self.findings.rules_for(request.team_id))
                for batch in read_batches(spool, self.settings.ingest_batch_size):
                    changed += await self._write_batch(request, batch, counts, matcher, scope_keys)
                    if request.finish_run:
                        await self.runs.heartbeat(request.team_id, request.run_id)
                if request.complete:
                    resolve_within, incomplete_reason = resolvable_scopes(request, scope_keys, parsed)
                    changed += await self._resolve_absent(request, resolve_within, counts)
            except Exception as exc:
                # The batches written so far are real findings and stay; the run says it stopped
                # part-way (and no absent finding was resolved), instead of staying "running".
                if request.finish_run:
                    written = counts.new + counts.updated + counts.unchanged
                    await self.runs.finish(request.team_id, request.run_id, RunState.FAILED, counts=counts.as_dict(),
                                           error=f"ingest stopped after {written} findings: {type(exc).__name__}")
                raise
        if request.finish_run:
            await self.runs.finish(request.team_id, request.run_id, RunState.SUCCEEDED, counts=counts.as_dict(),
                                   skipped=[asdict(record) for record in skipped])
        return IngestResult(request.run_id, counts, changed, request.tool, sorted(scope_keys),
                            complete=request.complete and bool(resolve_within), incomplete_reason=incomplete_reason,
                            skipped=skipped)

    async def _write_batch(self, request: IngestRequest, batch: list[dict[str, Any]], counts: IngestCounts,
                           matcher: SuppressionMatcher, scope_keys: set[str]) -> list[str]:
        """One read, then about one document write per finding that is new or changed.

        A finding seen again unchanged only gets its sighting fields; its vulnerability
        occurrence is written only when the finding is new or changed, and before the finding
        itself, so a crash between the two leaves nothing to repair.
        """
        now = datetime.now(UTC)
        unique: dict[str, dict[str, Any]] = {}
        for finding in batch:
            if finding["dedup_key"] in unique:
                counts.duplicates_in_report += 1
            unique[finding["dedup_key"]] = finding
        existing = await self.findings.existing_by_key(request.team_id, list(unique))
        # What a sighting of an unchanged finding writes: as little as possible, because on the embedded
        # store each updated document costs ~2 ms however few fields change (every index entry is rewritten).
        sighting = {"last_seen": now, "last_run_id": request.run_id}
        new: list[NewDocument] = []
        new_keys: list[str] = []
        updates: list[tuple[Any, dict[str, Any]]] = []
        transitions: list[tuple[str, FindingStatus | None, FindingStatus, str]] = []
        changed: list[str] = []
        statuses: dict[str, str] = {}
        for key, finding in unique.items():
            stored = existing.get(key)
            digest = content_hash(finding)
            scope_key = finding_scope_key(request, finding)
            scope_keys.add(scope_key)
            severity = Severity(finding["severity"])
            result = CheckResult(finding["result"])
            content = {**{name: finding.get(name) for name in MUTABLE_FIELDS}, "identity": finding["identity"],
                       "severity_rank": severity.rank, "content_hash": digest, "service": service_of(finding)}
            if stored is None:
                status = self._initial_status(result, finding, matcher)
                statuses[key] = status.value
                if status is FindingStatus.SUPPRESSED:
                    counts.suppressed += 1
                identity = {"team_id": request.team_id, "dedup_key": key}
                new.append(NewDocument(
                    document={**identity, **content, **sighting, "scope_key": scope_key, "updated_at": now,
                              "times_seen": 1, "source_tool": finding["source_tool"],
                              "rule_id": finding["rule_id"], "first_seen": now, "first_run_id": request.run_id,
                              "status": status.value, "sla_due_at": self._sla_due(severity, now),
                              "occurrence_synced": True},
                    identity=identity,
                    update_if_present={"$set": {**content, **sighting, "scope_key": scope_key,
                                                "updated_at": now}, "$inc": {"times_seen": 1}}))
                new_keys.append(key)
                continue
            previous = FindingStatus(stored["status"])
            target = self._status_on_sighting(previous, result)
            statuses[key] = target.value
            changes: dict[str, Any] = dict(sighting)
            if stored.get("scope_key") != scope_key:
                changes["scope_key"] = scope_key
            if target is not previous:
                changes.update(content, status=target.value, updated_at=now)
                if target is FindingStatus.REOPENED:
                    changes["sla_due_at"] = self._sla_due(severity, now)
                    counts.reopened += 1
                else:
                    changes["resolved_at"] = now
                    counts.resolved += 1
                transitions.append((key, previous, target, f"reported {result.value} in run {request.run_id}"))
                changed.append(key)
            elif stored.get("content_hash") != digest:
                changes.update(content, updated_at=now)
                counts.updated += 1
                changed.append(key)
            else:
                counts.unchanged += 1
            updates.append((stored["_id"], {"$set": changes, "$inc": {"times_seen": 1}}))
        written = [unique[key] for key in (*new_keys, *changed)]
        await self._add_intel(request.team_id, [item.document for item in new])
        await self.vulnerabilities.sync_batch(request.team_id, written, now, statuses)
        inserted = await self.findings.insert_new(request.team_id, new)
        await self.findings.update_by_id(request.team_id, updates)
        for index, key in enumerate(new_keys):
            if index in inserted:
                counts.new += 1
                changed.append(key)
            else:
                counts.unchanged += 1  # another import of the same report inserted it first
        await self._record_transitions(request, transitions, now, existing)
        for finding in unique.values():
            self.metrics.findings_ingested.labels(tool=finding["source_tool"], severity=finding["severity"]).inc()
        return changed

    async def _add_intel(self, team_id: str, documents: list[dict[str, Any]]) -> None:
        """Threat intel's fields (KEV, EPSS, priority) in a new finding's own insert, when that module is there.

        Otherwise its FINDINGS_CHANGED subscriber would rewrite every new finding right after the
        insert: on the embedded store that second write cost more than the import itself. Without
        the provider, or when it fails, the subscriber still enriches the findings afterwards."""
        intel = self.intel()
        if intel is None or not documents:
            return
        try:
            fields = await intel(team_id, documents)
        except Exception:
            logger.exception("finding intel provider failed; findings are enriched after the import",
                             extra={"team_id": team_id})
            return
        for document, extra in zip(documents, fields, strict=True):
            document.update(extra)

    @staticmethod
    def _initial_status(result: CheckResult, finding: dict[str, Any], matcher: SuppressionMatcher) -> FindingStatus:
        if result is not CheckResult.FAIL:
            return FindingStatus.RESOLVED  # a passing check is evidence, never an active finding
        if matcher.matches(finding):
            return FindingStatus.SUPPRESSED
        return FindingStatus.OPEN

    @staticmethod
    def _status_on_sighting(previous: FindingStatus, result: CheckResult) -> FindingStatus:
        if result is CheckResult.FAIL and previous in (FindingStatus.RESOLVED,
                                                       FindingStatus.RESOLVED_PENDING_VERIFICATION):
            return FindingStatus.REOPENED  # the fix a ticket reported did not hold
        if result is CheckResult.PASS and (previous.active or previous is FindingStatus.RESOLVED_PENDING_VERIFICATION):
            return FindingStatus.RESOLVED
        return previous  # triaged findings (false positive, accepted, suppressed) keep their status

    def _sla_due(self, severity: Severity, now: datetime) -> datetime | None:
        days = self.settings.sla_days(severity)
        return now + timedelta(days=days) if days else None

    async def _record_transitions(self, request: IngestRequest,
                                  transitions: list[tuple[str, FindingStatus | None, FindingStatus, str]],
                                  now: datetime, ids: dict[str, dict[str, Any]]) -> None:
        if not transitions:
            return
        await self.findings.record_history(
            history_entry(team_id=request.team_id, finding_id=ids[key]["_id"], actor=request.actor,
                          from_status=previous, to_status=target, reason=reason, at=now)
            for key, previous, target, reason in transitions if key in ids
        )

    async def _resolve_absent(self, request: IngestRequest, scope_keys: list[str], counts: IngestCounts) -> list[str]:
        if not scope_keys:
            return []
        now = datetime.now(UTC)
        absent = await self.findings.resolve_absent(
            request.team_id, scope_keys=scope_keys, source_tool=request.tool, run_id=request.run_id, now=now)
        counts.resolved += len(absent)
        await self.findings.record_history(
            history_entry(team_id=request.team_id, finding_id=document["_id"], actor=request.actor,
                          from_status=FindingStatus(document["status"]), to_status=FindingStatus.RESOLVED,
                          reason=f"not reported by complete scan {request.run_id}", at=now)
            for document in absent
        )
        if absent:
            await self.vulnerabilities.mark_status(request.team_id, [d["dedup_key"] for d in absent], "resolved")
        return [document["dedup_key"] for document in absent]
