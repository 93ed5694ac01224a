"""Threat intelligence API: KEV and EPSS with the team's matches, indicators, correlations, sources.

Reading needs ``threat_intel:read`` and changing the team's indicators and sources
``threat_intel:write``. KEV and EPSS are shared by every team, so replacing them by file is a
platform administrator's act (``platform:admin``); the daily jobs do it otherwise.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile, status

from cspm.auth.dependencies import Principal, require_permission
from cspm.core.container import ServiceContainer
from cspm.core.dependencies import service
from cspm.core.errors import PayloadTooLarge
from cspm.core.fields import SingleLineText
from cspm.threat_intel.feeds import FeedService
from cspm.threat_intel.models import IndicatorType
from cspm.threat_intel.schemas import (
    CorrelationOut,
    CorrelationPage,
    EpssOverview,
    FeedImportResult,
    IndicatorFormat,
    IndicatorImportResult,
    IndicatorIn,
    IndicatorOut,
    IndicatorPage,
    IndicatorUpdate,
    KevPage,
    SourcesOut,
    TaxiiSourceIn,
    TaxiiSourceOut,
)
from cspm.threat_intel.service import MAX_PAGE, ThreatIntelService

router = APIRouter(tags=["threat-intel"])
MAX_UPLOAD = 200 * 1024 * 1024

Intel = Annotated[ThreatIntelService, Depends(service(ThreatIntelService))]
Reader = Annotated[Principal, Depends(require_permission("threat_intel:read"))]
Writer = Annotated[Principal, Depends(require_permission("threat_intel:write"))]
PlatformAdmin = Annotated[Principal, Depends(require_permission("platform:admin"))]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]


async def on_startup(container: ServiceContainer) -> None:
    """An empty KEV catalogue (first start, offline install) gets the shipped snapshot."""
    await container.resolve(FeedService).ensure_kev_baseline()


def see_red(principal: Principal) -> bool:
    """TLP:RED is for the team's admins (and platform admins), not for every member."""
    return principal.can("teams:manage")


async def _read(upload: UploadFile) -> bytes:
    raw = await upload.read(MAX_UPLOAD + 1)
    if len(raw) > MAX_UPLOAD:
        raise PayloadTooLarge(f"file larger than {MAX_UPLOAD} bytes")
    return raw


@router.get("/kev", response_model=KevPage)
async def list_kev(principal: Reader, intel: Intel, q: Annotated[str | None, Query(max_length=200)] = None,
                   matched: bool = False, ransomware: bool | None = None, offset: Offset = 0,
                   limit: Limit = 50) -> KevPage:
    """Lists the KEV catalogue with the team's open findings per entry (matched=true: only those)."""
    return KevPage.model_validate(await intel.kev_page(team_id=principal.team, q=q, matched_only=matched,
                                                       ransomware=ransomware, offset=offset, limit=limit))


@router.post("/kev/import", response_model=FeedImportResult)
async def import_kev(principal: PlatformAdmin, intel: Intel,
                     file: Annotated[UploadFile, File(description="CISA KEV catalogue JSON")]) -> FeedImportResult:
    """Replaces the KEV catalogue with a file (validated against CISA's schema first)."""
    result = await intel.import_kev(actor=principal.user_id, raw=await _read(file),
                                    source=f"upload:{file.filename or 'file'}")
    return FeedImportResult.model_validate(result)


@router.get("/epss", response_model=EpssOverview)
async def epss(principal: Reader, intel: Intel,
               cve: Annotated[list[str], Query(max_length=100)] = []) -> EpssOverview:  # noqa: B006 - query list
    """Shows EPSS scores of the given CVEs and the EPSS distribution of the team's open CVE findings."""
    return EpssOverview.model_validate(await intel.epss_overview(team_id=principal.team, cves=cve))


@router.post("/epss/import", response_model=FeedImportResult)
async def import_epss(principal: PlatformAdmin, intel: Intel,
                      file: Annotated[UploadFile, File(description="FIRST EPSS CSV, plain or gzip")],
                      ) -> FeedImportResult:
    """Imports FIRST EPSS scores from a file."""
    result = await intel.import_epss(actor=principal.user_id, raw=await _read(file),
                                     source=f"upload:{file.filename or 'file'}")
    return FeedImportResult.model_validate(result)


@router.get("/indicators", response_model=IndicatorPage)
async def list_indicators(principal: Reader, intel: Intel, q: Annotated[str | None, Query(max_length=200)] = None,
                          type: IndicatorType | None = None, offset: Offset = 0, limit: Limit = 50) -> IndicatorPage:
    """Lists the team's indicators (TLP:RED ones only for team admins)."""
    items, total = await intel.list_indicators(team_id=principal.team, see_red=see_red(principal), q=q,
                                               type_=type.value if type else None, offset=offset, limit=limit)
    return IndicatorPage(items=[IndicatorOut.model_validate(item) for item in items], total=total)


@router.post("/indicators", status_code=status.HTTP_201_CREATED, response_model=IndicatorOut)
async def create_indicator(principal: Writer, intel: Intel, indicator: IndicatorIn) -> IndicatorOut:
    """Creates one indicator and matches it against the team's assets."""
    return IndicatorOut.model_validate(await intel.create_indicator(team_id=principal.team, actor=principal.user_id,
                                                                    values=indicator.model_dump()))


@router.post("/indicators/import", status_code=status.HTTP_201_CREATED, response_model=IndicatorImportResult)
async def import_indicators(
    principal: Writer, intel: Intel,
    file: Annotated[UploadFile, File(description="STIX 2.1 bundle, CSV (value,type,confidence,tags) or MISP event")],
    format: Annotated[IndicatorFormat, Form()] = "stix",
    source: Annotated[SingleLineText | None, Form(max_length=200, description="Where the file comes from")] = None,
) -> IndicatorImportResult:
    """Imports indicators from a file and correlates them with the team's assets."""
    name = f"{format}:{source or file.filename or 'upload'}"
    result = await intel.import_indicators(team_id=principal.team, actor=principal.user_id, kind=format,
                                           raw=await _read(file), source=name)
    return IndicatorImportResult.model_validate(result)


@router.get("/indicators/{indicator_id}", response_model=IndicatorOut)
async def get_indicator(principal: Reader, intel: Intel, indicator_id: str) -> IndicatorOut:
    """Shows one indicator with its pattern, validity and STIX context."""
    return IndicatorOut.model_validate(await intel.get_indicator(team_id=principal.team, see_red=see_red(principal),
                                                                 indicator_id=indicator_id))


@router.patch("/indicators/{indicator_id}", response_model=IndicatorOut)
async def update_indicator(principal: Writer, intel: Intel, indicator_id: str,
                           changes: IndicatorUpdate) -> IndicatorOut:
    """Changes an indicator's name, confidence, tags, TLP or expiry."""
    updated = await intel.update_indicator(team_id=principal.team, see_red=see_red(principal),
                                           indicator_id=indicator_id, changes=changes.model_dump(exclude_unset=True))
    return IndicatorOut.model_validate(updated)


@router.delete("/indicators/{indicator_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_indicator(principal: Writer, intel: Intel, indicator_id: str) -> None:
    """Deletes an indicator (its past correlations stay as history)."""
    await intel.delete_indicator(team_id=principal.team, see_red=see_red(principal), indicator_id=indicator_id)


@router.get("/correlations", response_model=CorrelationPage)
async def list_correlations(principal: Reader, intel: Intel,
                            finding_id: Annotated[str | None, Query(max_length=64)] = None,
                            offset: Offset = 0, limit: Limit = 50) -> CorrelationPage:
    """Lists indicator matches on the team's assets, newest first, with their STIX context."""
    items, total = await intel.list_correlations(team_id=principal.team, see_red=see_red(principal),
                                                 finding_id=finding_id, offset=offset, limit=limit)
    return CorrelationPage(items=[CorrelationOut.model_validate(item) for item in items], total=total)


@router.get("/sources", response_model=SourcesOut)
async def list_sources(principal: Reader, intel: Intel) -> SourcesOut:
    """Shows the feeds' health and the team's TAXII sources."""
    return SourcesOut.model_validate(await intel.sources(team_id=principal.team))


@router.post("/sources/taxii", status_code=status.HTTP_201_CREATED, response_model=TaxiiSourceOut)
async def add_taxii_source(principal: Writer, intel: Intel, source: TaxiiSourceIn) -> TaxiiSourceOut:
    """Adds a TAXII 2.1 collection the poll job imports indicators from."""
    return TaxiiSourceOut.model_validate(await intel.add_taxii_source(team_id=principal.team, actor=principal.user_id,
                                                                      values=source.model_dump()))


@router.delete("/sources/taxii/{source_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_taxii_source(principal: Writer, intel: Intel, source_id: str) -> None:
    """Removes a TAXII source (the indicators it brought stay)."""
    await intel.delete_taxii_source(team_id=principal.team, actor=principal.user_id, source_id=source_id)


@router.post("/sources/taxii/{source_id}/poll", response_model=dict[str, int | bool | str])
async def poll_taxii_source(principal: Writer, intel: Intel, source_id: str) -> dict[str, int | bool | str]:
    """Polls a TAXII source now."""
    return await intel.poll_taxii_source(team_id=principal.team, source_id=source_id)
