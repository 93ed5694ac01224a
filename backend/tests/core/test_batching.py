"""Long id lists reach the embedded SQLite engine in chunks it accepts (it refuses an $in of ~500 values)."""

from __future__ import annotations

import pytest
from pymongo import AsyncMongoClient
from pymongo.errors import OperationFailure

from cspm.core.database.batching import IN_QUERY_CHUNK, chunked
from cspm.core.database.embedded import MongoEcoServer
from cspm.core.settings import EmbeddedEngine
from cspm.findings.repository import FindingsRepository


def test_chunks_cover_every_value_once():
    values = list(range(1001))
    chunks = list(chunked(values))
    assert [value for chunk in chunks for value in chunk] == values
    assert max(len(chunk) for chunk in chunks) == IN_QUERY_CHUNK
    assert list(chunked([])) == []


@pytest.fixture
async def sqlite_database(tmp_path):
    server = MongoEcoServer(EmbeddedEngine.SQLITE, tmp_path)
    client = AsyncMongoClient(server.start())
    yield client["batching"]
    await client.close()
    server.stop()


async def test_repository_lookups_of_a_full_batch_work_on_the_sqlite_engine(sqlite_database):
    keys = [f"key-{index}" for index in range(1000)]
    await sqlite_database["findings"].insert_many([{"team_id": "t", "dedup_key": key, "status": "open"}
                                                   for key in keys[::100]])
    # The engine's own limit, which the repository must stay under.
    with pytest.raises(OperationFailure, match="Expression tree is too large"):
        await sqlite_database["findings"].find({"dedup_key": {"$in": keys}}).to_list()
    found = await FindingsRepository(sqlite_database).existing_by_key("t", keys)
    assert sorted(found) == sorted(keys[::100])
