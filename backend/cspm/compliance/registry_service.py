"""CommonControlRegistryService: the active SCF registry for this process, and atomic workbook imports."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from pathlib import Path
from typing import Any, Self

from cspm.compliance.baseline import baseline_registry
from cspm.compliance.direct import DirectRequirementMapper, ToolFrameworks, load_tool_frameworks
from cspm.compliance.mapping import FindingMapper, ToolMappingFile, load_tool_mappings
from cspm.compliance.models import ImportReport, RegistryStatus
from cspm.compliance.registry import ControlRegistry, Framework, RegistryInfo, Requirement, ScfControl
from cspm.compliance.repository import (
    CONTROLS,
    FRAMEWORKS,
    POSTURE_DB,
    STATES,
    ControlStateRepository,
    ImportInProgress,
    RegistryRepository,
    now,
)
from cspm.compliance.scf_import import ParsedWorkbook, WorkbookError, parse_workbook
from cspm.compliance.settings import ComplianceSettings
from cspm.core.container import ServiceContainer
from cspm.core.errors import Conflict, Unprocessable
from cspm.core.settings import load

logger = logging.getLogger(__name__)

COMPONENT = "scf_registry"
BUNDLED_WORKBOOK = Path(__file__).parent / "data" / "scf" / "Secure Controls Framework (SCF) - 2022.3.xlsx"
"""Shipped unmodified (CC BY-ND 4.0 allows it): a new installation gets the full registry."""
BUNDLED_ACTOR = "platform (bundled workbook)"
BASELINE_IMPACT = (
    "SCF baseline: built-in ({controls} controls, {frameworks} frameworks); findings map only to these "
    "controls and only these frameworks are scored. Import the official SCF workbook with "
    "`cspm scf import FILE` for the full registry")


def control_document(version_id: str, control: ScfControl, mappings: list[tuple[str, str]]) -> dict[str, Any]:
    grouped: dict[str, list[str]] = {}
    for framework_id, requirement_id in mappings:
        grouped.setdefault(framework_id, []).append(requirement_id)
    return {"_id": f"{version_id}:{control.scf_id}", "version_id": version_id, **control.as_dict(),
            "mappings": [{"framework_id": fid, "requirements": rids} for fid, rids in grouped.items()]}


def framework_document(version_id: str, framework: Framework) -> dict[str, Any]:
    return {"_id": f"{version_id}:{framework.framework_id}", "version_id": version_id,
            **{key: value for key, value in framework.summary().items()},
            "requirements": [{"id": r.requirement_id, "scf_ids": list(r.scf_ids), "from_number": r.from_number}
                             for r in framework.requirements.values()]}


def registry_from_documents(version: dict[str, Any], controls: list[dict[str, Any]],
                            frameworks: list[dict[str, Any]]) -> ControlRegistry:
    info = RegistryInfo(version_id=version["_id"], source="workbook", release=version.get("release"),
                        imported_at=version["completed_at"].isoformat() if version.get("completed_at") else None,
                        file_name=version.get("file_name"), sha256=version.get("sha256"))
    scf_controls = [ScfControl(scf_id=c["scf_id"], title=c["title"], domain=c["domain"], domain_code=c["domain_code"],
                               description=c.get("description") or "", weighting=c.get("weighting"),
                               pptdf=tuple(c.get("pptdf") or ()), nist_csf_function=c.get("nist_csf_function"),
                               question=c.get("question"), keywords=tuple(c.get("keywords") or ()))
                    for c in sorted(controls, key=lambda c: c.get("order", 0))]
    scf_frameworks = [
        Framework(framework_id=f["framework_id"], name=f["name"], header=f.get("header") or f["name"],
                  source=f.get("source"), title=f.get("title"), version=f.get("version"),
                  geography=f.get("geography"), url=f.get("url"),
                  requirements={r["id"]: Requirement(r["id"], tuple(r["scf_ids"]), bool(r.get("from_number")))
                                for r in f["requirements"]})
        for f in sorted(frameworks, key=lambda f: f.get("order", 0))
    ]
    return ControlRegistry(info, scf_controls, scf_frameworks, version.get("domains") or {})


class CommonControlRegistryService:
    def __init__(self, container: ServiceContainer, repository: RegistryRepository, settings: ComplianceSettings,
                 table: ToolMappingFile) -> None:
        self.container = container
        self.repository = repository
        self.settings = settings
        self.table = table
        self._registry: ControlRegistry | None = None
        self._checked = 0.0
        self._mappers: dict[str, FindingMapper] = {}
        self._direct: dict[str, DirectRequirementMapper] = {}
        self._bundled_step: str | None = None  # set while this process waits for the bundled import
        self.tool_frameworks = ToolFrameworks(load_tool_frameworks())
        self._lock = asyncio.Lock()

    @classmethod
    def build(cls, container: ServiceContainer) -> Self:
        # A bad mapping file fails here, loudly, with its path and the problem.
        return cls(container, RegistryRepository(container.database), load(ComplianceSettings), load_tool_mappings())

    # --- the active registry -------------------------------------------------------------
    async def registry(self) -> ControlRegistry:
        if self._registry is not None and time.monotonic() - self._checked < self.settings.registry_cache_seconds:
            return self._registry
        return await self.refresh()

    async def refresh(self) -> ControlRegistry:
        """Load the active version (or the built-in baseline) unless already loaded; report it."""
        pointer = await self.repository.active_pointer()
        wanted = pointer["version_id"] if pointer else None
        current = self._registry
        if current is None or (wanted or "builtin-baseline") != current.version_id:
            async with self._lock:
                current = await self._load(wanted)
                self._registry = current
        self._checked = time.monotonic()
        self._report(current)
        return current

    async def _load(self, version_id: str | None) -> ControlRegistry:
        if version_id is not None:
            version = await self.repository.version(version_id)
            if version is not None:
                controls = await self.repository.controls(version_id)
                frameworks = await self.repository.frameworks(version_id)
                if controls:
                    return registry_from_documents(version, controls, frameworks)
            logger.error("active SCF registry version is missing; using the built-in baseline",
                         extra={"version_id": version_id})
        return baseline_registry()

    def _report(self, registry: ControlRegistry) -> None:
        if registry.info.source == "baseline" and self._bundled_step is not None:
            self.report_bundled_import(self._bundled_step)
        elif registry.info.source == "baseline":
            counts = registry.counts()
            self.container.integrity.degraded(COMPONENT, "built-in baseline", BASELINE_IMPACT.format(**counts))
        else:
            self.container.integrity.optimal(COMPONENT, f"workbook {registry.info.release or ''}".strip())

    def mapper(self, registry: ControlRegistry) -> FindingMapper:
        mapper = self._mappers.get(registry.version_id)
        if mapper is None:
            mapper = FindingMapper(registry, self.table, keyword_threshold=self.settings.keyword_threshold,
                                   keyword_max_links=self.settings.keyword_max_links,
                                   tag_max_controls=self.settings.tag_max_controls)
            self._mappers = {registry.version_id: mapper}
        return mapper

    def direct_mapper(self, registry: ControlRegistry) -> DirectRequirementMapper:
        """The finding → requirements-its-tool-names mapper for this registry (see direct.py)."""
        mapper = self.mapper(registry)
        direct = self._direct.get(registry.version_id)
        if direct is None or direct.mapper is not mapper:
            direct = DirectRequirementMapper(mapper, self.tool_frameworks)
            self._direct = {registry.version_id: direct}
        return direct

    async def status(self) -> RegistryStatus:
        registry = await self.registry()
        return RegistryStatus(source=registry.info.source, version_id=registry.version_id,
                              release=registry.info.release, imported_at=registry.info.imported_at,
                              file_name=registry.info.file_name, counts=registry.counts())

    # --- the bundled workbook -----------------------------------------------------------
    async def needs_bundled_import(self) -> bool:
        """True on a first start: the setting allows it and no workbook was ever imported or is importing."""
        if not self.settings.import_bundled_workbook:
            return False
        # Any version but a failed one (importing, ready, active, superseded) means a workbook got in.
        return all(version.get("state") == "failed" for version in await self.repository.versions(limit=50))

    def report_bundled_import(self, step: str) -> None:
        """Progress of the first-start import, on the integrity monitor (the registry is still the baseline)."""
        self._bundled_step = step
        self.container.integrity.degraded(COMPONENT, "importing bundled workbook",
                                          f"{BUNDLED_WORKBOOK.name}: {step}; the built-in baseline serves until done")

    async def remap_all_teams(self) -> int:
        """Queue a re-mapping of every team's findings against the active registry; returns how many."""
        posture = self.container.database.db(POSTURE_DB)
        teams = await ControlStateRepository(posture[STATES]).teams()
        for team_id in teams:
            await self.container.dispatcher.send("compliance.recompute_team", {"team_id": team_id})
        return len(teams)

    # --- import ------------------------------------------------------------------------
    async def import_workbook(self, path: str | Path, *, actor: str | None = None) -> ImportReport:
        """Parse and store a workbook as a new version, then switch to it atomically.

        Any failure (not a workbook, missing sheet or columns, a database error part-way)
        leaves the active registry exactly as it was; the partial version is removed.
        """
        started = time.perf_counter()
        try:
            parsed = await asyncio.to_thread(parse_workbook, path)
        except WorkbookError as exc:
            raise Unprocessable(str(exc)) from None
        return await self.store(parsed, actor=actor, started=started)

    async def store(self, parsed: ParsedWorkbook, *, actor: str | None = None,
                    started: float | None = None) -> ImportReport:
        started = started if started is not None else time.perf_counter()
        version_id = f"scf-{parsed.release or 'unknown'}-{uuid.uuid4().hex[:12]}"
        try:
            await self.repository.acquire_import_lock(version_id)
        except ImportInProgress as exc:
            raise Conflict(str(exc)) from None
        try:
            previous = await self._write_and_switch(parsed, version_id, actor)
        finally:
            await self.repository.release_import_lock(version_id)
        await self._remove_stale(keep=[version_id])
        registry = await self.refresh()
        logger.info("SCF workbook imported", extra={"version_id": version_id, **registry.counts()})
        return ImportReport(version_id=version_id, release=parsed.release, file_name=parsed.file_name,
                            sha256=parsed.sha256, counts=parsed.counts(), previous_version_id=previous,
                            skipped_columns=parsed.skipped_columns, warnings=parsed.warnings,
                            seconds=round(time.perf_counter() - started, 3))

    async def _write_and_switch(self, parsed: ParsedWorkbook, version_id: str, actor: str | None) -> str | None:
        registry = parsed.to_registry(version_id)
        counts = parsed.counts()
        await self.repository.create_version({
            "_id": version_id, "state": "importing", "release": parsed.release, "file_name": parsed.file_name,
            "sha256": parsed.sha256, "sheet": parsed.sheet, "started_at": now(), "imported_by": actor,
            "counts": counts, "domains": parsed.domains, "skipped_columns": parsed.skipped_columns,
            "warnings": parsed.warnings[:200],
        })
        try:
            written_controls = await self.repository.insert_batches(CONTROLS, (
                {**control_document(version_id, control, registry.mappings_of(control.scf_id)), "order": order}
                for order, control in enumerate(parsed.controls)))
            written_frameworks = await self.repository.insert_batches(FRAMEWORKS, (
                {**framework_document(version_id, framework), "order": order}
                for order, framework in enumerate(parsed.frameworks)))
            stored = (await self.repository.count(CONTROLS, version_id),
                      await self.repository.count(FRAMEWORKS, version_id))
            if stored != (counts["controls"], counts["frameworks"]) or \
                    (written_controls, written_frameworks) != stored:
                raise RuntimeError(f"stored {stored} controls/frameworks, expected "
                                   f"{(counts['controls'], counts['frameworks'])}")
            await self.repository.mark_version(version_id, "ready", completed_at=now())
            previous = await self.repository.switch_active(version_id)
        except BaseException:
            await self.repository.mark_version(version_id, "failed", failed_at=now())
            await self.repository.delete_version_data(version_id)
            raise
        await self.repository.mark_version(version_id, "active")
        return previous

    async def _remove_stale(self, keep: list[str]) -> None:
        for stale in await self.repository.stale_versions(keep):
            await self.repository.delete_version_data(stale)
            await self.repository.mark_version(stale, "superseded")
