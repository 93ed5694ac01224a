"""Search indexes built from the stored chunks: BM25 on SQLite FTS5, cosine on embeddings, and their fusion.

BM25 is SQLite's FTS5 through the standard library: no extra dependency, a real inverted index
with the Porter stemmer, and ``bm25()`` ranking; every Python build we ship has FTS5 compiled in.
The index lives in memory, per process, and is rebuilt from the database when the stored
generation changes (any process that writes chunks bumps it), so the API and the workers agree.
Team documents and team rule passages carry their team id; a query sees the shared corpus
(no team) and its own team's chunks only.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

RRF_K = 60
"""Reciprocal rank fusion constant (Cormack et al. 2009): score = Σ 1 / (k + rank)."""
_TERM = re.compile(r"[\w][\w.\-]*", re.UNICODE)
MAX_TERMS = 32


def fts_query(text: str) -> str | None:
    """The user's words as an FTS5 OR query of quoted terms: no operator of theirs reaches FTS5."""
    terms = list(dict.fromkeys(term.lower() for term in _TERM.findall(text)))[:MAX_TERMS]
    return " OR ".join('"' + term.replace('"', "") + '"' for term in terms) or None


@dataclass(frozen=True)
class Hit:
    chunk_id: str
    score: float
    lexical_rank: int | None = None
    vector_rank: int | None = None


class LexicalIndex:
    """An in-memory FTS5 table of (chunk id, team, source, title, text)."""

    def __init__(self, chunks: Iterable[Mapping[str, Any]]) -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._db.execute("CREATE VIRTUAL TABLE chunks USING fts5(chunk_id UNINDEXED, team UNINDEXED, "
                         "source UNINDEXED, title, text, tokenize='porter unicode61')")
        rows = ((c["chunk_id"], c.get("team_id") or "", c["source"], c.get("title") or "", c["text"]) for c in chunks)
        self._db.executemany("INSERT INTO chunks VALUES (?, ?, ?, ?, ?)", rows)
        self.size = self._db.execute("SELECT count(*) FROM chunks").fetchone()[0]

    def search(self, text: str, *, team_id: str, sources: Sequence[str] = (), limit: int = 20) -> list[str]:
        query = fts_query(text)
        if query is None:
            return []
        sql = "SELECT chunk_id FROM chunks WHERE chunks MATCH ? AND team IN ('', ?)"
        arguments: list[Any] = [query, team_id]
        if sources:
            sql += f" AND source IN ({','.join('?' * len(sources))})"
            arguments.extend(sources)
        sql += " ORDER BY bm25(chunks, 2.0, 1.0) LIMIT ?"
        arguments.append(limit)
        with self._lock:
            return [row[0] for row in self._db.execute(sql, arguments)]


class VectorIndex:
    """Unit-normalised chunk embeddings in one matrix; cosine similarity by one matrix product."""

    def __init__(self, rows: Sequence[tuple[str, str, str, Sequence[float]]]) -> None:
        self.ids = [row[0] for row in rows]
        self.teams = np.array([row[1] for row in rows], dtype=object)
        self.sources = np.array([row[2] for row in rows], dtype=object)
        self.size = len(rows)
        matrix = np.array([row[3] for row in rows], dtype=np.float32) if rows else np.zeros((0, 1), np.float32)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True) if rows else np.ones((0, 1), np.float32)
        self.matrix = matrix / np.where(norms == 0, 1, norms)

    def search(self, vector: Sequence[float], *, team_id: str, sources: Sequence[str] = (),
               limit: int = 20) -> list[str]:
        if not self.size or len(vector) != self.matrix.shape[1]:
            return []
        query = np.asarray(vector, dtype=np.float32)
        query = query / (np.linalg.norm(query) or 1.0)
        scores = self.matrix @ query
        allowed = (self.teams == "") | (self.teams == team_id)
        if sources:
            allowed &= np.isin(self.sources, list(sources))
        scores = np.where(allowed, scores, -np.inf)
        order = np.argsort(-scores)[:limit]
        return [self.ids[i] for i in order if np.isfinite(scores[i])]


def fuse(lexical: Sequence[str], vector: Sequence[str], limit: int) -> list[Hit]:
    """Reciprocal rank fusion of two rankings (either may be empty)."""
    scores: dict[str, float] = {}
    lexical_rank = {chunk_id: rank for rank, chunk_id in enumerate(lexical, 1)}
    vector_rank = {chunk_id: rank for rank, chunk_id in enumerate(vector, 1)}
    for ranking in (lexical_rank, vector_rank):
        for chunk_id, rank in ranking.items():
            scores[chunk_id] = scores.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank)
    ordered = sorted(scores.items(), key=lambda item: -item[1])[:limit]
    return [Hit(chunk_id, round(score, 6), lexical_rank.get(chunk_id), vector_rank.get(chunk_id))
            for chunk_id, score in ordered]
