"""Benchmark figures kept between runs, so each run prints its numbers beside the previous ones.

Results go to ``benchmarks/results/<name>.json`` (one file per benchmark and database, committed
with the change that moved them), keyed by a row label such as ``trivy 10000``.
"""

from __future__ import annotations

import json
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


class History:
    def __init__(self, name: str) -> None:
        self.path = RESULTS / f"{name}.json"
        self.previous: dict[str, dict[str, Any]] = {}
        if self.path.exists():
            self.previous = json.loads(self.path.read_text()).get("rows", {})
        self.current: dict[str, dict[str, Any]] = {}

    def record(self, row: str, **figures: Any) -> None:
        self.current.setdefault(row, {}).update(figures)

    def beside(self, row: str, figure: str, value: float, unit: str = "s", digits: int = 2) -> str:
        """'12.34 s (was 45.60 s)', or just the value the first time."""
        self.record(row, **{figure: value})
        before = self.previous.get(row, {}).get(figure)
        text = f"{value:.{digits}f} {unit}".rstrip()
        return f"{text} (was {before:.{digits}f})" if isinstance(before, int | float) else text

    def save(self) -> None:
        RESULTS.mkdir(exist_ok=True)
        rows = {**self.previous, **self.current}
        self.path.write_text(json.dumps({"machine": f"{platform.machine()} {platform.python_version()}",
                                         "at": datetime.now(UTC).isoformat(timespec="seconds"),
                                         "rows": rows}, indent=1, sort_keys=True) + "\n")
