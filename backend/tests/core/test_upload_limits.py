"""Uploads: an anonymous body is refused unread, an oversize one as soon as it passes MAX_UPLOAD_BYTES.

Driven through the ASGI app with a receive channel that counts the bytes the app takes,
so "refused before reading" is measured, not inferred from the status code.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import FastAPI

from cspm.core.container import ServiceContainer
from cspm.core.database.registry import Database
from cspm.main import create_app
from tests.auth_helpers import AuthHelper
from tests.conftest import make_settings, unique_database_names

CHUNK = 64 * 1024
FIFTY_MB = 50 * 1024 * 1024
UPLOAD_LIMIT = 1024 * 1024
BOUNDARY = "cspm-test-boundary"
MULTIPART = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
# A well-formed start of a multipart upload, so the parser keeps reading the file part that follows.
FILE_PART = (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="report.json"\r\n'
             "Content-Type: application/json\r\n\r\n").encode()


@pytest.fixture
async def limited(tmp_path, mongo_uri) -> AsyncIterator[tuple[FastAPI, AuthHelper]]:
    """The app with MAX_UPLOAD_BYTES = 1 MiB, and users of its own."""
    settings = make_settings(tmp_path, mongo_uri, max_upload_bytes=UPLOAD_LIMIT)
    container = ServiceContainer(settings, database_names=unique_database_names())
    application = create_app(container=container)
    async with application.router.lifespan_context(application):
        yield application, AuthHelper(container)


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


@pytest.mark.parametrize("declare_length", [True, False], ids=["content-length", "chunked"])
@pytest.mark.parametrize("credentials", [None, "Bearer not-a-real-token", "Bearer cspm_" + "x" * 43])
async def test_anonymous_upload_is_refused_before_a_byte_is_read(app, credentials, declare_length):
    upload = CountingUpload(FIFTY_MB)
    headers = {**MULTIPART, **({"Authorization": credentials} if credentials else {})}
    status, body = await post(app, "/api/findings/import", upload, headers=headers, declare_length=declare_length)
    assert status == 401, body
    assert upload.consumed == 0


async def test_non_member_upload_is_refused_before_a_byte_is_read(app, auth):
    outsider = await auth.user(role="analyst")
    other_team = await auth.team()
    upload = CountingUpload(FIFTY_MB)
    status, _ = await post(app, "/api/findings/import", upload,
                           headers={**MULTIPART, **outsider.for_team(other_team)}, declare_length=False)
    assert status == 403
    assert upload.consumed == 0


async def test_upload_over_the_limit_is_refused_as_it_passes_the_limit(limited):
    app, auth = limited
    analyst = await auth.user(role="analyst")
    streamed = CountingUpload(FIFTY_MB)
    status, body = await post(app, "/api/findings/import", streamed, headers={**MULTIPART, **analyst.headers},
                              declare_length=False)
    assert status == 413
    assert f"larger than {UPLOAD_LIMIT} bytes".encode() in body
    assert UPLOAD_LIMIT < streamed.consumed <= UPLOAD_LIMIT + CHUNK

    declared = CountingUpload(UPLOAD_LIMIT + 1)
    status, _ = await post(app, "/api/findings/import", declared, headers={**MULTIPART, **analyst.headers})
    assert status == 413
    assert declared.consumed == 0
    runs = auth.container.database.db(Database.ORCHESTRATION)["scan_runs"]
    assert await runs.count_documents({}) == 0


async def test_requests_without_a_body_still_get_the_dependency_answers(client, auth):
    analyst = await auth.user(role="analyst")
    assert (await client.get("/api/findings")).status_code == 401
    assert (await client.get("/api/findings", headers=analyst.headers)).status_code == 200
    oversized_team = {**analyst.headers, "X-Team-ID": "a" * 65}
    assert (await client.get("/api/findings", headers=oversized_team)).status_code == 422
