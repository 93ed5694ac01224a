"""Uploads: an anonymous body is refused unread, an oversize one as soon as it passes MAX_UPLOAD_BYTES.

Driven through the ASGI app with a receive channel that counts the bytes the app takes,
so "refused before reading" is measured, not inferred from the status code.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI

from cspm.core.container import ServiceContainer
from cspm.core.database.registry import Database
from cspm.main import create_app
from tests.auth_helpers import AuthHelper
from tests.conftest import make_settings, unique_database_names
from tests.upload_helpers import CHUNK, FIFTY_MB, MULTIPART, CountingUpload, post

UPLOAD_LIMIT = 1024 * 1024


@pytest.fixture
async def limited(tmp_path, mongo_uri) -> AsyncIterator[tuple[FastAPI, AuthHelper]]:
    """The app with MAX_UPLOAD_BYTES = 1 MiB, and users of its own."""
    settings = make_settings(tmp_path, mongo_uri, max_upload_bytes=UPLOAD_LIMIT)
    container = ServiceContainer(settings, database_names=unique_database_names())
    application = create_app(container=container)
    async with application.router.lifespan_context(application):
        yield application, AuthHelper(container)


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
