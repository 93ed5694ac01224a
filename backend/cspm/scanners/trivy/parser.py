"""Trivy JSON reports (``-f json``): vulnerabilities, misconfigurations, secrets and licenses.

Shapes accepted, all streamed with ijson one item at a time:

- SchemaVersion 2 (Trivy ≥ 0.20): ``{"SchemaVersion": 2, "ArtifactName", "ArtifactType",
  "Metadata", "Results": [{"Target", "Class", "Type", "Vulnerabilities": [...],
  "Misconfigurations": [...], "Secrets": [...], "Licenses": [...]}]}``;
- the legacy list (Trivy < 0.20): ``[{"Target", "Type", "Vulnerabilities": [...]}]``, and the
  bare ``null`` it wrote when nothing was found;
- ``trivy k8s``: ``{"ClusterName", "Resources": [{"Namespace", "Kind", "Name", "Results": [...]}]}``
  and the older ``{"ClusterName", "Vulnerabilities": [{...workload...}], "Misconfigurations": [...]}``.

Results without findings, and ``Packages``/``Metadata`` blocks, are skipped without being
built. Trivy writes ``ArtifactName``/``ClusterName`` before the results; a re-serialised report
with its keys reordered is read twice (first pass: those names only) so the identities do not
change. Vulnerability stubs without an id, and misconfigurations in ``EXCEPTION`` status (the
user's own Trivy exceptions) are not findings. Any other item that is not a JSON object, lacks its
id (VulnerabilityID and PkgName, AVDID/ID, RuleID, Name) or has an invalid field is skipped with its
position (items counted across the report, 1-based) and the reason; the rest imports. A truncated
or non-Trivy report is still refused whole. Misconfigurations in ``PASS`` status (with
``--include-non-failures``) become ``result=pass``, and so do vulnerabilities whose ``Status`` is
``not_affected`` (a VEX statement Trivy applied with ``--vex``): assessed, not open. ``Status``
``fixed`` stays a failure: Trivy writes it whenever a fixed version exists (``--ignore-unfixed``
keeps exactly those), while the installed version is still the vulnerable one.

Identity (hashed into ``dedup_key``); every kind also carries ``target`` (Trivy's Target),
``artifact`` (ArtifactName: image reference, repository URL or scanned path) and, for
``trivy k8s``, ``cluster`` and ``workload`` (namespace/kind/name):

- vulnerability: ``vuln`` (VulnerabilityID) + ``package`` + ``version`` (installed) + ``pkg_path``;
- misconfiguration: ``check`` (AVDID, else ID) + ``cause`` (CauseMetadata.Resource, else the
  check's Message, which names the container / statement, else "lines start-end": line numbers
  are the last resort because any edit above the cause shifts them);
- secret: ``rule`` (RuleID) + ``match`` (Trivy's redacted match line; line numbers only when
  there is no match text, so an edit above the secret does not make it a new finding);
- license: ``license`` (Name) + ``package`` + ``file``.

Mapping: Trivy's own ``Severity`` (UNKNOWN → info); CVSS from the ``SeveritySource`` vendor,
else NVD/GHSA/Red Hat (v3, else v4, else v2); CWE ids (also as ``compliance_tags["CWE"]``);
package, installed and fixed version, PURL, package path; references = PrimaryURL +
References; misconfiguration resolution as remediation and cause lines as evidence;
``compliance_tags["AVD"]``/``["trivy"]`` carry the check ids for control mapping.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, BinaryIO

from cspm.findings.models import CanonicalFinding
from cspm.scanners.base import ReportFormatError, SkippedRecord, findings_or_skip
from cspm.scanners.normalize import text
from cspm.scanners.sniff import what_is_it
from cspm.scanners.streaming import (
    PEEK_BYTES,
    JsonEvents,
    PeekedReport,
    open_report,
    rereadable,
    start_position,
)
from cspm.scanners.trivy.parser_items import ITEM_KINDS, TOOL, Context, convert

_TOP_KEYS = {"SchemaVersion", "ArtifactName", "ArtifactType", "Results", "ClusterName", "Resources",
             "Vulnerabilities", "Misconfigurations", "Metadata", "CreatedAt", "ReportID", "Trivy"}
_ARTIFACT_KEYS = {"ArtifactName": "artifact", "ArtifactType": "artifact_type", "ClusterName": "cluster"}
_WORKLOAD_KEYS = {"Namespace": "namespace", "Kind": "kind", "Name": "name"}
_RESULT_KEYS = {"Target": "target", "Class": "result_class", "Type": "result_type"}
# Where results and workloads sit, per report shape.
_OBJECT_RESULTS = ("Results.item", "Resources.item.Results.item", "Vulnerabilities.item.Results.item",
                   "Misconfigurations.item.Results.item")
_OBJECT_WORKLOADS = ("Resources.item", "Vulnerabilities.item", "Misconfigurations.item")
_CONTEXT_KEY = re.compile(rb'(?<!\\)"(ArtifactName|ClusterName)"\s*:')
_RESULTS_KEY = re.compile(rb'(?<!\\)"(Results|Resources|Vulnerabilities|Misconfigurations)"\s*:')


class TrivyParser:
    tool: str = TOOL
    formats: tuple[str, ...] = ("json",)

    def parse(self, report: BinaryIO) -> Iterator[CanonicalFinding | SkippedRecord]:
        start = start_position(report)
        stream = open_report(self.tool, report)
        if stream.first_char() not in ("{", "[", "n"):
            raise ReportFormatError(self.tool, f"not a Trivy JSON report: {what_is_it(stream.head)}")
        if stream.first_char() == "{" and not _context_first(stream.head):
            return _two_passes(report, stream, start)
        return _TrivyStream(stream).findings()


def _first(pattern: re.Pattern[bytes], head: bytes) -> int | None:
    match = pattern.search(head)
    return match.start() if match else None


def _context_first(head: bytes) -> bool:
    """Whether ArtifactName/ClusterName come before the results, as Trivy writes them.

    A re-serialised report (keys reordered) may put them after; it is then read twice.
    """
    context, results = _first(_CONTEXT_KEY, head), _first(_RESULTS_KEY, head)
    if results is None:
        return context is not None or len(head) < PEEK_BYTES  # all of a small report is in the head
    return context is not None and context < results


def _two_passes(report: BinaryIO, stream: PeekedReport, start: int | None
                ) -> Iterator[CanonicalFinding | SkippedRecord]:
    with rereadable(TOOL, report, stream, start) as reopen:
        context = _read_context(reopen())
        yield from _TrivyStream(reopen(), context).findings()


def _read_context(stream: PeekedReport) -> Context:
    """First pass: the top-level ArtifactName, ArtifactType and ClusterName only (nothing is built)."""
    context = Context()
    for prefix, event, value in JsonEvents(TOOL, stream):
        if prefix in _ARTIFACT_KEYS and event == "string":
            setattr(context, _ARTIFACT_KEYS[prefix], text(value))
    return context


class _TrivyStream:
    """One pass over the events. Items wait in a buffer only while their context is incomplete:
    until their result's Target is known (per result) and, inside a ``trivy k8s`` workload, until
    its Namespace/Kind/Name are known (per workload). Trivy writes those first, so in practice
    nothing waits; a re-ordered report costs one result's or one workload's items of memory."""

    def __init__(self, stream: PeekedReport, artifact: Context | None = None) -> None:
        self.stream = stream
        self.events = JsonEvents(TOOL, stream)
        self.artifact = artifact or Context()
        self.workload = Context()
        self.workload_keys: set[str] = set()
        self.in_workload = False
        self.result = Context()
        self.target_seen = False
        self.result_pending: list[tuple[str, Any]] = []
        self.workload_pending: list[tuple[str, Any, Context]] = []
        self.count = 0

    def findings(self) -> Iterator[CanonicalFinding | SkippedRecord]:
        first = next(iter(self.events), None)
        if first is None:
            raise ReportFormatError(TOOL, "the report holds no JSON value")
        _prefix, event, _value = first
        if event == "null":
            if next(self.events, None) is not None:  # yajl raises on trailing data; this is belt and braces
                raise ReportFormatError(TOOL, "unexpected data after the bare null of a legacy Trivy report")
            return  # Trivy < 0.20 wrote a bare null when nothing was found
        if event == "start_array":
            yield from self._walk(result_bases=("item",), workload_bases=())
        elif event == "start_map":
            yield from self._walk(result_bases=_OBJECT_RESULTS, workload_bases=_OBJECT_WORKLOADS, top_level=True)
        else:
            raise ReportFormatError(TOOL, "not a Trivy JSON report: the document is a single scalar value")

    def _walk(self, *, result_bases: tuple[str, ...], workload_bases: tuple[str, ...],
              top_level: bool = False) -> Iterator[CanonicalFinding | SkippedRecord]:
        item_prefixes = {f"{base}.{kind}.item": kind for base in result_bases for kind in ITEM_KINDS}
        top_keys: set[str] = set()
        results = 0
        for prefix, event, value in self.events:
            if top_level and prefix == "" and event == "map_key":
                top_keys.add(value)
                continue
            if prefix in item_prefixes and event in ("start_map", "start_array", "string", "number", "null"):
                kind = item_prefixes[prefix]
                item = self.events.build(event, value)  # checked when converted: a bad one is skipped
                if self.target_seen:
                    yield from self._ready(kind, item)
                else:
                    self.result_pending.append((kind, item))
                continue
            if prefix in result_bases:
                if event == "start_map":
                    self.result = Context()
                    self.target_seen = False
                    results += 1
                elif event == "end_map":
                    pending, self.result_pending = self.result_pending, []
                    for kind, item in pending:
                        yield from self._ready(kind, item)
                    self.target_seen = False
                elif event != "map_key":
                    raise ReportFormatError(TOOL, f"result #{results + 1} is not a JSON object; "
                                                  + what_is_it(self.stream.head))
                continue
            if prefix in workload_bases:
                if event == "start_map":
                    self.workload, self.workload_keys, self.in_workload = Context(), set(), True
                elif event == "end_map":
                    pending_items, self.workload_pending = self.workload_pending, []
                    for kind, item, result in pending_items:
                        yield from self._convert(kind, item, result)
                    self.in_workload = False
                continue
            head, _, key = prefix.rpartition(".")
            if event in ("string", "number") or event == "null":
                if head in result_bases and key in _RESULT_KEYS:
                    setattr(self.result, _RESULT_KEYS[key], text(value))
                    if key == "Target":
                        self.target_seen = True
                elif head in workload_bases and key in _WORKLOAD_KEYS:
                    setattr(self.workload, _WORKLOAD_KEYS[key], text(value))
                    self.workload_keys.add(key)
                elif top_level and head == "" and key in _ARTIFACT_KEYS:
                    setattr(self.artifact, _ARTIFACT_KEYS[key], text(value))
        if top_level and not (top_keys & _TOP_KEYS):
            raise ReportFormatError(TOOL, "not a Trivy JSON report: no Results, Resources or SchemaVersion; "
                                          + what_is_it(self.stream.head))

    def _ready(self, kind: str, item: Any) -> Iterator[CanonicalFinding | SkippedRecord]:
        """The item's result context is complete; convert now unless its workload's is not."""
        result = Context(target=self.result.target, result_class=self.result.result_class,
                         result_type=self.result.result_type)
        if self.in_workload and not self.workload_keys >= set(_WORKLOAD_KEYS):
            self.workload_pending.append((kind, item, result))
            return
        yield from self._convert(kind, item, result)

    def _convert(self, kind: str, item: Any, result: Context) -> Iterator[CanonicalFinding | SkippedRecord]:
        self.count += 1
        ctx = Context(artifact=self.artifact.artifact, artifact_type=self.artifact.artifact_type,
                      cluster=self.artifact.cluster, namespace=self.workload.namespace, kind=self.workload.kind,
                      name=self.workload.name, target=result.target, result_class=result.result_class,
                      result_type=result.result_type)
        yield from findings_or_skip(self.count, convert, kind, item, ctx, self.count)
