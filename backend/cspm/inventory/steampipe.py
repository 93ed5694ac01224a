"""Resources from a Steampipe query's JSON output (``steampipe query --output json``).

Steampipe cannot be installed here, so the platform does not run it; an operator who has it
imports a query's result instead. Both shapes Steampipe writes are read: ``{"rows": [...]}``
(0.21 and later) and a bare list of rows. A row's id is its ``arn`` (AWS), ``self_link`` /
``name`` with ``project`` (GCP) or ``id`` (Azure); ``title``/``name``, ``region``/``location``
and ``tags``/``labels`` fill the common fields and every other column becomes an attribute.
The import is one complete scope (``steampipe:<resource type>``): resources of that type that
an earlier import of the account had and this one lacks are removed.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from cspm.core.errors import Unprocessable
from cspm.inventory.models import CollectorReport, DiscoveredResource

ID_COLUMNS = ("arn", "self_link", "id", "resource_id", "akas")
SKIPPED_COLUMNS = {"_ctx", "sp_connection_name", "sp_ctx", "title", "name", "region", "location", "tags", "labels",
                   *ID_COLUMNS}
MAX_ROWS = 100_000


def _resource_id(row: dict[str, Any]) -> str | None:
    for column in ID_COLUMNS:
        value = row.get(column)
        if isinstance(value, list) and value and isinstance(value[0], str):
            return value[0]
        if isinstance(value, str) and value:
            return value
    return None


def _tags(value: Any) -> dict[str, str]:
    return {str(key): str(item) for key, item in value.items()} if isinstance(value, dict) else {}


def parse_rows(raw: bytes, resource_type: str) -> list[DiscoveredResource]:
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise Unprocessable(f"not Steampipe JSON output: {exc}") from None
    rows = body.get("rows") if isinstance(body, dict) else body
    if not isinstance(rows, list):
        raise Unprocessable('expected Steampipe JSON output: {"rows": [...]} or a list of rows')
    if len(rows) > MAX_ROWS:
        raise Unprocessable(f"more than {MAX_ROWS} rows: split the query")
    resources = []
    for position, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise Unprocessable(f"row {position} is not an object")
        resource_id = _resource_id(row)
        if resource_id is None:
            raise Unprocessable(f"row {position} has no id column ({', '.join(ID_COLUMNS)})")
        resources.append(DiscoveredResource(
            resource_id, resource_type, f"steampipe:{resource_type}", row.get("title") or row.get("name"),
            row.get("region") or row.get("location"),
            {key: value for key, value in row.items() if key not in SKIPPED_COLUMNS},
            _tags(row.get("tags") or row.get("labels"))))
    return resources


class SteampipeCollector:
    source = "steampipe-import"

    def __init__(self, resources: list[DiscoveredResource], resource_type: str, batch_size: int) -> None:
        self.rows = resources
        self.scope = f"steampipe:{resource_type}"
        self.batch_size = batch_size

    async def resources(self, report: CollectorReport) -> AsyncIterator[list[DiscoveredResource]]:
        for start in range(0, len(self.rows), self.batch_size):
            yield self.rows[start:start + self.batch_size]
        report.complete_scopes.add(self.scope)
