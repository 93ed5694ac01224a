"""CycloneDX JSON with ``vulnerabilities`` (1.4 to 1.6: Trivy, Grype, Dependency-Track, VEX documents).

``{"bomFormat": "CycloneDX", "specVersion": "1.6", "metadata": {"component": {...}},
"components": [...], "vulnerabilities": [{"id", "source", "references", "ratings", "cwes",
"description", "detail", "recommendation", "advisories", "affects": [{"ref"}], "analysis":
{"state", "justification", "response", "detail"}}]}``.

Read twice, both times streamed: a first pass collects what ``affects[].ref`` points at (the
``bom-ref``, name, version, purl and type of every component, nested ones included, and of
``metadata.component``, the document's subject); the second converts the vulnerabilities one by
one. A vulnerability affecting several components is one finding per component. A CycloneDX
document without a ``vulnerabilities`` list is an SBOM (inventory), refused here with a pointer
to the SBOM import; an empty list is a report with no findings. A vulnerability that is not an
object or has no ``id`` is skipped with its position (vulnerabilities counted from 1) and the
reason; a truncated or non-CycloneDX document is refused whole.

VEX: ``analysis.state`` ``not_affected``, ``false_positive``, ``resolved`` and
``resolved_with_pedigree`` are not open issues: they become ``result=pass`` (evidence that the
vulnerability was assessed, state and justification in the evidence). ``exploitable``,
``in_triage`` and a missing analysis are ``result=fail``.

Identity (hashed into ``dedup_key``): ``vuln`` (id) + ``component`` (the affected component's
purl, else name@version, else its bom-ref) + ``subject`` (``metadata.component``: purl, else
name and version, when the document names one).

Mapping: severity from the rating of the vulnerability's own ``source`` (the feed the scanner
used, as Trivy's ``SeveritySource``), else the highest rated severity, else the CVSS score;
CVSS score and vector (v3.1, v3, v4, then v2; the own source, then NVD, then any); CWE ids;
CVE ids from the id and ``references``; package from the component (ecosystem = purl type);
remediation = recommendation and workaround; references = source URL and advisories.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from cspm.findings.models import CanonicalFinding
from cspm.scanners.base import ReportFormatError, SkippedRecord
from cspm.scanners.cyclonedx.parser_vulnerabilities import TOOL, Inventory, findings
from cspm.scanners.sniff import what_is_it
from cspm.scanners.streaming import JsonEvents, PeekedReport
from cspm.scanners.two_pass import parse_in_two_passes


class CycloneDxParser:
    tool: str = TOOL
    formats: tuple[str, ...] = ("cyclonedx-json",)

    def parse(self, report: BinaryIO) -> Iterator[CanonicalFinding | SkippedRecord]:
        return parse_in_two_passes(self.tool, report, what="CycloneDX JSON document", read_context=_read_inventory,
                                   items="vulnerabilities.item", item_name="vulnerability", convert=findings)


def _read_inventory(stream: PeekedReport) -> Inventory:
    """First pass: the components ``affects`` refers to, the subject, and whether this is CycloneDX at all."""
    events = JsonEvents(TOOL, stream)
    inventory = Inventory()
    keys: set[str] = set()
    for prefix, event, value in events:
        if prefix == "" and event == "map_key":
            keys.add(value)
        elif prefix == "bomFormat" and value != "CycloneDX":
            raise ReportFormatError(TOOL, f"bomFormat is {value!r}, not 'CycloneDX'")
        elif prefix == "metadata.component" and event == "start_map":
            inventory.set_subject(events.build(event, value))
        elif prefix == "components.item" and event == "start_map":
            inventory.add(events.build(event, value))
        elif prefix == "vulnerabilities" and event not in ("start_array", "end_array"):
            raise ReportFormatError(TOOL, "\"vulnerabilities\" must be an array")
    if "bomFormat" not in keys:
        raise ReportFormatError(TOOL, "not a CycloneDX document: no bomFormat; " + what_is_it(stream.head))
    if "vulnerabilities" not in keys:
        raise ReportFormatError(TOOL, "this CycloneDX document has no vulnerabilities list: it is an SBOM "
                                      "(component inventory); import it with the SBOM import (syft)")
    return inventory
