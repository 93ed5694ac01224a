"""Knowledge base settings: chunk size, upload limits, and the optional embedding provider."""

from __future__ import annotations

from typing import Self

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from cspm.core.settings import CSPMSettings, load


class KnowledgeSettings(CSPMSettings):
    """Environment variables are prefixed ``KNOWLEDGE_`` (``KNOWLEDGE_EMBEDDING_URL``)."""

    model_config = SettingsConfigDict(env_prefix="KNOWLEDGE_")

    chunk_chars: int = Field(default=1200, ge=200, le=8000, description="Largest chunk of a document, in characters")
    chunk_overlap: int = Field(default=150, ge=0, le=1000, description="Characters repeated between two chunks")
    document_max_bytes: int = Field(
        default=2 * 1024 * 1024, ge=1024, le=2 * 1024 * 1024,
        description="Largest uploaded document (Markdown, text or PDF); the API's body limit for "
                    "non-report uploads (2 MiB) caps it")
    document_max_chars: int = Field(default=400_000, ge=1000, le=2_000_000,
                                    description="Most characters of text kept from one document")
    documents_per_team: int = Field(default=200, ge=1, le=10_000, description="Documents a team may keep")
    pdf_max_pages: int = Field(default=300, ge=1, le=5000, description="Most PDF pages read from one document")
    embedding_url: str | None = Field(
        default=None, description="OpenAI-compatible API base ending in /v1 (Ollama, vLLM, OpenAI, Azure "
                                  "OpenAI); unset: lexical search (BM25) only")
    embedding_model: str = Field(default="text-embedding-3-small", min_length=1, max_length=200)
    embedding_api_key: SecretStr | None = Field(default=None, description="Bearer key of the embedding endpoint")
    embedding_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    embedding_batch: int = Field(default=64, ge=1, le=2048, description="Texts per /v1/embeddings request")

    @classmethod
    def build(cls, container: object) -> Self:
        """Loaded once per container; tests replace it with ``container.override``."""
        return load(cls)
