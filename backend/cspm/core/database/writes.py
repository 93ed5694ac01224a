"""Bulk writes that cost one document write each, on MongoDB and on the embedded store alike.

An upsert makes the server look the document up before it writes; for documents a batch
already knows to be new (it has just read which exist) a plain insert is about three times
cheaper on the embedded SecantusDB and cheaper on MongoDB too. Two writers racing to create
the same document both try to insert it: the unique index lets one win, and the loser's
document is applied as an update instead, so it exists exactly once either way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pymongo import InsertOne, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

from cspm.core.database.batching import chunked

DUPLICATE_KEY = 11000


@dataclass(frozen=True)
class NewDocument:
    document: dict[str, Any]
    """The whole document to insert."""
    identity: Mapping[str, Any]
    """The unique-index fields that find it, should another writer have inserted it first."""
    update_if_present: Mapping[str, Any]
    """The update to apply instead in that case."""


async def insert_new(collection: AsyncCollection, new: Sequence[NewDocument]) -> set[int]:
    """Insert the documents unordered; returns the positions that were inserted (the rest lost a race
    and were updated instead). Any error but a duplicate key is raised."""
    if not new:
        return set()
    try:
        await collection.bulk_write([InsertOne(item.document) for item in new], ordered=False)
        return set(range(len(new)))
    except BulkWriteError as error:
        errors = error.details.get("writeErrors", [])
        if any(item.get("code") != DUPLICATE_KEY for item in errors):
            raise
        lost = [item["index"] for item in errors]
    await collection.bulk_write([UpdateOne(dict(new[index].identity), dict(new[index].update_if_present))
                                 for index in lost], ordered=False)
    return set(range(len(new))) - set(lost)


Update = tuple[Mapping[str, Any], Mapping[str, Any]]


async def update_each(collection: AsyncCollection, updates: Sequence[Update]) -> None:
    """One unordered bulk write of (filter, update) pairs; nothing is sent for an empty list."""
    if updates:
        await collection.bulk_write([UpdateOne(dict(query), dict(update)) for query, update in updates],
                                    ordered=False)


@dataclass(frozen=True)
class KeyedWrite:
    insert: dict[str, Any]
    """The whole document, when no document has this key yet."""
    update: Mapping[str, Any]
    """The update, when one has."""


async def write_keyed(collection: AsyncCollection, key_field: str, writes: Mapping[str, KeyedWrite], *,
                      scope: Mapping[str, Any] | None = None) -> int:
    """Insert or update documents identified by ``key_field`` (unique within ``scope``): one read of which
    keys exist, then inserts for the others and updates for those. Returns how many were inserted."""
    scope = dict(scope or {})
    keys = list(writes)
    present: set[str] = set()
    for chunk in chunked(keys):
        cursor = collection.find({**scope, key_field: {"$in": chunk}}, {key_field: 1, "_id": 0})
        present.update([document[key_field] async for document in cursor])
    new = [NewDocument(document={**scope, key_field: key, **writes[key].insert},
                       identity={**scope, key_field: key}, update_if_present=writes[key].update)
           for key in keys if key not in present]
    inserted = await insert_new(collection, new)
    await update_each(collection, [({**scope, key_field: key}, writes[key].update) for key in keys if key in present])
    return len(inserted)
