"""JSON reports read twice, both times streamed: a first pass collects context, the second converts items.

Some formats write what each item needs (CycloneDX's components, Kubescape's control severities)
apart from the items, sometimes after them. The first pass builds that context without building
the items; the second streams the items one at a time with it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, BinaryIO

from cspm.findings.models import CanonicalFinding
from cspm.scanners.base import RecordError, ReportFormatError, SkippedRecord, each_record
from cspm.scanners.sniff import what_is_it
from cspm.scanners.streaming import PeekedReport, json_items, open_report, rereadable, start_position


def parse_in_two_passes[Context](
    tool: str, report: BinaryIO, *, what: str, read_context: Callable[[PeekedReport], Context],
    items: str, item_name: str,
    convert: Callable[[dict[str, Any], Context, str], Iterable[CanonicalFinding]],
) -> Iterator[CanonicalFinding | SkippedRecord]:
    """Check the report is a JSON object (``what`` names the format in the refusal), then yield the
    findings of every object at the ijson path ``items`` (``"results.item"``): an item that is not an
    object, or for which ``convert`` raises RecordError, is a SkippedRecord (items counted from 1)."""
    start = start_position(report)
    stream = open_report(tool, report)
    if stream.first_char() != "{":
        raise ReportFormatError(tool, f"not a {what}: {what_is_it(stream.head)}")
    return _convert_items(tool, report, stream, start, read_context, items, item_name, convert)


def _convert_items[Context](tool: str, report: BinaryIO, stream: PeekedReport, start: int | None,
                            read_context: Callable[[PeekedReport], Context], items: str, item_name: str,
                            convert: Callable[[dict[str, Any], Context, str], Iterable[CanonicalFinding]],
                            ) -> Iterator[CanonicalFinding | SkippedRecord]:
    with rereadable(tool, report, stream, start) as reopen:
        context = read_context(reopen())

        def convert_item(item: Any, count: int) -> Iterable[CanonicalFinding]:
            if not isinstance(item, dict):
                raise RecordError(tool, f"{item_name} #{count} is not a JSON object")
            return convert(item, context, f"{item_name} #{count}")

        yield from each_record(json_items(tool, reopen(), items), convert_item)
