"""The database a benchmark runs against: MONGODB_URI when set, else an embedded SecantusDB in a temporary directory."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cspm.core.database.embedded import embedded_server
from cspm.core.settings import EmbeddedEngine


def store_label() -> str:
    """The results file's suffix: ``mongodb`` or ``secantus``."""
    return "mongodb" if os.environ.get("MONGODB_URI") else "secantus"


@contextmanager
def benchmark_database(prefix: str) -> Iterator[tuple[str, Path]]:
    """(MongoDB URI, a temporary working directory); the embedded store is stopped afterwards."""
    external = os.environ.get("MONGODB_URI")
    with tempfile.TemporaryDirectory(prefix=prefix) as directory:
        server = None if external else embedded_server(EmbeddedEngine.SECANTUS, Path(directory) / "store")
        uri = external or server.start()  # type: ignore[union-attr]
        print(f"database: {'MONGODB_URI' if external else 'embedded SecantusDB'}")
        try:
            yield uri, Path(directory)
        finally:
            if server is not None:
                server.stop()
