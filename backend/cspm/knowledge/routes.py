"""Knowledge base API: search, the team's documents, and re-indexing.

Reading needs ``knowledge:read``; uploading, deleting and re-indexing ``knowledge:write``. The
shared corpus is global; documents and rule passages are the caller's team's only.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, UploadFile, status

from cspm.auth.dependencies import Principal, require_permission
from cspm.core.dependencies import service
from cspm.core.errors import PayloadTooLarge, Unprocessable
from cspm.knowledge.schemas import DocumentOut, KnowledgeStatus, ReindexOut, SearchOut, Source
from cspm.knowledge.service import KnowledgeService

router = APIRouter(tags=["knowledge"])

Knowledge = Annotated[KnowledgeService, Depends(service(KnowledgeService))]
Reader = Annotated[Principal, Depends(require_permission("knowledge:read"))]
Writer = Annotated[Principal, Depends(require_permission("knowledge:write"))]


@router.get("/search", response_model=SearchOut)
async def search(principal: Reader, knowledge: Knowledge, q: Annotated[str, Query(min_length=1, max_length=500)],
                 limit: Annotated[int, Query(ge=1, le=50)] = 10,
                 source: Annotated[list[Source] | None, Query()] = None) -> SearchOut:
    """Searches the shared corpus and the team's documents (BM25, fused with embeddings when configured)."""
    return SearchOut.model_validate(await knowledge.search(team_id=principal.team, q=q, limit=limit,
                                                           sources=source or ()))


@router.get("/status", response_model=KnowledgeStatus)
async def knowledge_status(principal: Reader, knowledge: Knowledge) -> KnowledgeStatus:
    """Chunks per source visible to the team, and whether embeddings are configured."""
    return KnowledgeStatus.model_validate(await knowledge.status(team_id=principal.team))


@router.get("/documents", response_model=list[DocumentOut])
async def list_documents(principal: Reader, knowledge: Knowledge) -> list[DocumentOut]:
    """Lists the team's uploaded documents."""
    return [DocumentOut.model_validate(d) for d in await knowledge.list_documents(team_id=principal.team)]


@router.post("/documents", status_code=status.HTTP_201_CREATED, response_model=DocumentOut)
async def upload_document(principal: Writer, knowledge: Knowledge,
                          file: Annotated[UploadFile, File(description="Markdown, plain text or PDF")]) -> DocumentOut:
    """Uploads a runbook or policy (Markdown, text or PDF); its text is chunked and indexed for the team."""
    limit = knowledge.settings.document_max_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"document larger than {limit} bytes")
    if not file.filename:
        raise Unprocessable("file: a file name is required")
    return DocumentOut.model_validate(await knowledge.upload(team_id=principal.team, actor=principal.user_id,
                                                             filename=file.filename[:200], data=data))


@router.delete("/documents/{document_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_document(principal: Writer, knowledge: Knowledge, document_id: str) -> None:
    """Deletes a team document and its chunks."""
    await knowledge.delete_document(team_id=principal.team, actor=principal.user_id, document_id=document_id)


@router.post("/reindex", status_code=status.HTTP_202_ACCEPTED, response_model=ReindexOut)
async def start_reindex(principal: Writer, knowledge: Knowledge) -> ReindexOut:
    """Starts re-indexing the shared corpus (a background job); poll the run for its progress."""
    return ReindexOut.model_validate(await knowledge.start_reindex(team_id=principal.team, actor=principal.user_id))


@router.get("/reindex/{run_id}", response_model=ReindexOut)
async def reindex_status(principal: Reader, knowledge: Knowledge, run_id: str) -> ReindexOut:
    """Shows a re-index run: state, progress and counts."""
    return ReindexOut.model_validate(await knowledge.reindex_status(team_id=principal.team, run_id=run_id))
