"""Passages and chunks: the unit the knowledge base indexes, with ids that stay the same across re-indexing.

A chunk id is ``<source>:<key>#<n>``: the source (scf, asvs, csf, kev, rule, doc), the item's own
key (an SCF id, an ASVS ref, a CVE id, a rule's content hash, a document id) and the chunk's
position in that item. Re-indexing unchanged text gives the same ids and the same content hashes.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

SOURCES = ("scf", "asvs", "csf", "kev", "rule", "doc")
SOURCE_LABELS = {"scf": "SCF control", "asvs": "OWASP ASVS 5.0.0", "csf": "NIST CSF 2.0", "kev": "CISA KEV",
                 "rule": "tool rule", "doc": "team document"}
_BREAK = re.compile(r"\n\s*\n")


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Passage:
    """One item of a source (a control, a requirement, a KEV entry, a rule's fix text, a document)."""

    source: str
    key: str
    title: str
    text: str
    team_id: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


def split_text(text: str, size: int, overlap: int) -> list[str]:
    """Chunks of at most ``size`` characters, cut at paragraph, then line, then word boundaries."""
    text = text.strip()
    if len(text) <= size:
        return [text] if text else []
    chunks: list[str] = []
    start = 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            window = text[start:end]
            cut = max((m.start() for m in _BREAK.finditer(window)), default=-1)
            if cut < size // 2:
                cut = max(window.rfind("\n"), window.rfind(". "), window.rfind(" "))
            if cut >= size // 2:
                end = start + cut + 1
        piece = text[start:end].strip()
        if piece:
            chunks.append(piece)
        if end >= len(text):
            break
        start = max(end - overlap, start + 1)
    return chunks


def chunks_of(passage: Passage, size: int, overlap: int) -> list[dict[str, Any]]:
    """The chunk records of a passage: id, source, key, team, title, text and its content hash."""
    records = []
    for number, piece in enumerate(split_text(passage.text, size, overlap)):
        records.append({"chunk_id": f"{passage.source}:{passage.key}#{number}", "source": passage.source,
                        "key": passage.key, "team_id": passage.team_id, "title": passage.title, "text": piece,
                        "content_hash": content_hash(piece), **({"meta": passage.meta} if passage.meta else {})})
    return records
