"""Splitting long ``$in`` lists.

A real MongoDB takes an ``$in`` of any length. The embedded store (SecantusDB) finds the
candidates of ``{team_id, key: {$in: [...]}}`` through the index, then checks each against the
list value by value: a query costs candidates x list length, so 10,000 keys in chunks of 250
cost five times what chunks of 50 do (measured: 2.5 s against 0.9 s for 10,000 findings;
chunks of 25 and 10 gain nothing more). mongoeco's SQLite engine also refuses an ``$in``
of about 500 values. On MongoDB 7 a chunk of 50 is one more round trip per 50 keys.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

IN_QUERY_CHUNK = 50

def chunked[T](values: Sequence[T], size: int = IN_QUERY_CHUNK) -> Iterator[list[T]]:
    for start in range(0, len(values), size):
        yield list(values[start:start + size])
