"""Splitting long ``$in`` lists.

A real MongoDB takes an ``$in`` of any length. The embedded stand-in's SQLite engine turns
one into a nested expression and refuses past a depth of 1,000 (about 500 values), so
queries over a batch of ids go out in chunks of this size on every engine.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

IN_QUERY_CHUNK = 250

def chunked[T](values: Sequence[T], size: int = IN_QUERY_CHUNK) -> Iterator[list[T]]:
    for start in range(0, len(values), size):
        yield list(values[start:start + size])
