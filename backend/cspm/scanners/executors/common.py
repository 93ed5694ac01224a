"""Pieces both executors share: bounded output tails and the report's final check."""

from __future__ import annotations

import asyncio
from collections import deque
from pathlib import Path

from cspm.core.logging import scrub
from cspm.scanners.workspace import JobWorkspace

# Report suffix → first non-blank bytes a report of that format starts with. Executors never
# parse: this only tells a report from an HTML error page, a crash dump or an empty file.
_LEADING_BYTES = {".json": (b"{", b"["), ".xml": (b"<",), ".jsonl": (b"{",)}
_EMPTY_ALLOWED = {".jsonl"}  # a JSON-lines report with no findings is an empty file
_SNIFF_BYTES = 4096


class TailBuffer:
    """Keeps the last `limit` bytes of a stream."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._chunks: deque[bytes] = deque()
        self._size = 0
        self.total = 0

    def feed(self, chunk: bytes) -> None:
        self.total += len(chunk)
        self._chunks.append(chunk)
        self._size += len(chunk)
        while self._size - len(self._chunks[0]) >= self.limit:
            self._size -= len(self._chunks.popleft())

    def text(self) -> str:
        data = b"".join(self._chunks)[-self.limit:]
        prefix = "…" if self.total > len(data) else ""
        return scrub(prefix + data.decode("utf-8", errors="replace"))


async def pump(stream: asyncio.StreamReader | None, tail: TailBuffer) -> None:
    if stream is None:
        return
    while chunk := await stream.read(65536):
        tail.feed(chunk)


def report_problem(report_path: Path, workspace: JobWorkspace) -> str | None:
    """Why the report cannot be handed to a parser, or None when it can."""
    if not workspace.contains(report_path):
        return f"report path {report_path} is outside the job's output directory"
    if not report_path.is_file():
        return f"the tool wrote no report at {report_path.name}"
    suffix = report_path.suffix.lower()
    if report_path.stat().st_size == 0:
        return None if suffix in _EMPTY_ALLOWED else f"the report {report_path.name} is empty"
    expected = _LEADING_BYTES.get(suffix)
    if expected is None:
        return None
    with report_path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head and not head.startswith(expected):
        shown = head[:40].decode("utf-8", errors="replace")
        return f"the report {report_path.name} is not {suffix[1:].upper()}: it starts with {shown!r}"
    return None
