"""Long id lists reach the embedded SQLite engine in chunks it accepts (it refuses an $in of ~500 values),
and a large share of a collection is read by one scan instead."""

from __future__ import annotations

import uuid

import pytest
from pymongo import AsyncMongoClient, monitoring
from pymongo.errors import OperationFailure

from cspm.core.database.batching import IN_QUERY_CHUNK, chunked, find_by_keys
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


class FindCommands(monitoring.CommandListener):
    """The filters of the find commands a client sends."""

    def __init__(self) -> None:
        self.filters: list[dict] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "find":
            self.filters.append(dict(event.command.get("filter") or {}))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.fixture
async def watched_collection(mongo_uri):
    """600 documents of team "t" and 60 of team "u" with the same keys, and the finds sent for them."""
    finds = FindCommands()
    client = AsyncMongoClient(mongo_uri, event_listeners=[finds])
    database = client[f"batching_{uuid.uuid4().hex[:8]}"]
    collection = database["findings"]
    await collection.insert_many([{"team_id": "t", "dedup_key": f"key-{index}", "n": index} for index in range(600)])
    await collection.insert_many([{"team_id": "u", "dedup_key": f"key-{index}", "n": -index} for index in range(60)])
    finds.filters.clear()
    yield collection, finds
    await client.drop_database(database.name)
    await client.close()


async def _found(collection, keys, batch_size):
    batches = [batch async for batch in find_by_keys(collection, {"team_id": "t"}, "dedup_key", keys,
                                                     {"n": 1, "team_id": 1}, batch_size=batch_size)]
    return batches, [document for batch in batches for document in batch]


async def test_keys_for_much_of_a_collection_are_read_by_one_scan_of_the_scope(watched_collection):
    collection, finds = watched_collection
    keys = [*(f"key-{index}" for index in range(0, 600, 2)), "key-absent"]
    batches, found = await _found(collection, keys, batch_size=70)
    assert sorted(document["n"] for document in found) == list(range(0, 600, 2))
    assert {document["team_id"] for document in found} == {"t"}  # the other team's same keys stay out
    assert max(len(batch) for batch in batches) <= 120 and len(batches) == 5
    assert finds.filters == [{"team_id": "t"}]


async def test_keys_for_little_of_a_collection_are_looked_up_in_chunks(watched_collection):
    collection, finds = watched_collection
    keys = [*(f"key-{index}" for index in range(0, 540, 10)), "key-absent"]  # 55 keys, 660 documents
    batches, found = await _found(collection, keys, batch_size=1000)
    assert sorted(document["n"] for document in found) == list(range(0, 540, 10))
    assert {document["team_id"] for document in found} == {"t"}
    assert len(batches) == 1
    assert len(finds.filters) == 2
    assert all(set(query) == {"team_id", "dedup_key"} and len(query["dedup_key"]["$in"]) <= IN_QUERY_CHUNK
               for query in finds.filters)


async def test_no_keys_read_nothing(watched_collection):
    collection, finds = watched_collection
    assert await _found(collection, [], batch_size=10) == ([], [])
    assert finds.filters == []


async def test_a_scan_filters_on_the_key_whatever_the_projection(watched_collection):
    collection, _finds = watched_collection
    keys = [f"key-{index}" for index in range(300)]
    for projection in ({"n": 1}, {"n": 0}, None):
        found = [document async for batch in find_by_keys(collection, {"team_id": "t"}, "dedup_key", keys,
                                                          projection) for document in batch]
        assert len(found) == 300
