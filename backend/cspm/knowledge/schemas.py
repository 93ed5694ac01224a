"""Request and response bodies of the knowledge base API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Source = Literal["scf", "asvs", "csf", "kev", "rule", "doc"]


class SearchResult(BaseModel):
    chunk_id: str = Field(description="Stable id: <source>:<key>#<chunk number>")
    source: Source
    source_label: str
    key: str
    title: str
    excerpt: str
    score: float = Field(description="Reciprocal rank fusion score")
    lexical_rank: int | None
    vector_rank: int | None
    team: bool = Field(description="True for the team's own passages (documents, rule texts)")


class SearchOut(BaseModel):
    query: str
    mode: Literal["bm25", "hybrid"]
    notes: list[str]
    results: list[SearchResult]
    took_ms: float


class DocumentOut(BaseModel):
    id: str
    filename: str
    title: str
    kind: Literal["markdown", "text", "pdf"]
    bytes: int
    chars: int
    chunks: int = 0
    sha256: str
    uploaded_by: str
    uploaded_at: datetime


class ReindexProgress(BaseModel):
    step: str
    done: int
    total: int


class ReindexOut(BaseModel):
    id: str
    state: Literal["queued", "running", "done", "failed"]
    started_at: datetime
    finished_at: datetime | None = None
    progress: ReindexProgress
    counts: dict[str, Any] | None = None
    error: str | None = None


class KnowledgeStatus(BaseModel):
    model_config = ConfigDict(extra="ignore")
    chunks: dict[str, int]
    embeddings_configured: bool
    embedding_model: str | None
    lexical: str
