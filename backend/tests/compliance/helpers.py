"""Real scanner reports → canonical findings, through the real parsers."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from cspm.findings.models import CanonicalFinding


def parser_for(tool: str) -> Any:
    """The platform's parser for ``tool``: the registry when it exists, else the tool module's parser class."""
    try:
        registry = importlib.import_module("cspm.scanners.parsers")
    except ModuleNotFoundError:
        registry = None
    if registry is not None and hasattr(registry, "get_parser"):
        return registry.get_parser(tool)
    module = importlib.import_module(f"cspm.scanners.{tool}.parser")
    for value in vars(module).values():
        if isinstance(value, type) and getattr(value, "tool", None) == tool and hasattr(value, "parse"):
            return value()
    raise LookupError(f"no parser for {tool}")


def parse_report(tool: str, path: Path) -> list[CanonicalFinding]:
    with path.open("rb") as handle:
        return list(parser_for(tool).parse(handle))


def as_dict(finding: CanonicalFinding, **changes: Any) -> dict[str, Any]:
    return {**finding.model_dump(mode="json"), **changes}
