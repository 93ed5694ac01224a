"""Counting what an upload costs: an ASGI receive channel that counts the bytes the app takes."""

from __future__ import annotations

from typing import Any

CHUNK = 64 * 1024
FIFTY_MB = 50 * 1024 * 1024
BOUNDARY = "cspm-test-boundary"
MULTIPART = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
# A well-formed start of a multipart upload, so a parser keeps reading the file part that follows.
FILE_PART = (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="report.json"\r\n'
             "Content-Type: application/json\r\n\r\n").encode()


class CountingUpload:
    """An ASGI receive channel serving ``total`` bytes in chunks; ``consumed`` is what the app read."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.consumed = 0

    async def receive(self) -> dict[str, Any]:
        if self.consumed >= self.total:
            return {"type": "http.disconnect"}
        size = min(CHUNK, self.total - self.consumed)
        body = (FILE_PART + b"x" * size)[:size] if self.consumed == 0 else b"x" * size
        self.consumed += size
        return {"type": "http.request", "body": body, "more_body": self.consumed < self.total}


async def post(app, path: str, upload: CountingUpload, *, headers: dict[str, str],
               declare_length: bool = True) -> tuple[int, bytes]:
    """POST ``upload`` straight to the ASGI app, with its length declared or chunked; the status and body."""
    raw = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
    raw.append((b"content-length", str(upload.total).encode()) if declare_length
               else (b"transfer-encoding", b"chunked"))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"testserver"), *raw], "client": ("203.0.113.9", 40000),
             "server": ("testserver", 80)}
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, upload.receive, send)
    status = next(message["status"] for message in sent if message["type"] == "http.response.start")
    return status, b"".join(message.get("body", b"") for message in sent if message["type"] == "http.response.body")
