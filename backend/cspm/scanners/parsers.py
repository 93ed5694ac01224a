"""The explicit registry of report parsers: tool name → parser instance.

Every parser is imported by name below. A parser whose module fails to import makes this
module fail to import (the import error propagates, naming the module): no parser ever
disappears silently, and there is no directory scanning. Two parsers claiming the same tool
name stop the registry from being built. SBOM parsers (inventory, not findings) are a
separate registry because they have a different interface (``parse_components``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import cast

from cspm.scanners.base import ReportParser, SbomParser
from cspm.scanners.checkov.parser import CheckovParser
from cspm.scanners.cyclonedx.parser import CycloneDxParser
from cspm.scanners.generic.parser import GenericParser
from cspm.scanners.grype.parser import GrypeParser
from cspm.scanners.headers.parser import HeaderReportParser
from cspm.scanners.kubescape.parser import KubescapeParser
from cspm.scanners.nmap.parser import NmapParser
from cspm.scanners.nuclei.parser import NucleiParser
from cspm.scanners.prowler.parser import ProwlerParser
from cspm.scanners.sarif.parser import SarifParser
from cspm.scanners.ssl_labs.parser import SslLabsParser
from cspm.scanners.sslyze.parser import SslyzeParser
from cspm.scanners.syft.parser import SyftParser
from cspm.scanners.testssl.parser import TestsslParser
from cspm.scanners.trivy.parser import TrivyParser
from cspm.scanners.zap.parser import ZapParser


class ParserRegistryError(RuntimeError):
    """The registry is inconsistent (duplicate or nameless tool): a programming error, fail at start-up."""


class UnknownToolError(KeyError):
    """No parser for this tool name. ``args[0]`` is the message (KeyError would quote it)."""

    def __str__(self) -> str:
        return str(self.args[0])


def build_registry[P: (ReportParser, SbomParser)](parsers: Iterable[P]) -> Mapping[str, P]:
    registry: dict[str, P] = {}
    for parser in parsers:
        name = getattr(parser, "tool", None)
        if not isinstance(name, str) or not name or name != name.strip().lower():
            raise ParserRegistryError(f"{type(parser).__name__} has no valid lower-case tool name: {name!r}")
        if name in registry:
            raise ParserRegistryError(f"duplicate parser for tool {name!r}: {type(registry[name]).__name__} "
                                      f"and {type(parser).__name__}")
        registry[name] = parser
    return MappingProxyType(registry)


REPORT_PARSERS: Mapping[str, ReportParser] = build_registry([
    ProwlerParser(),
    TrivyParser(),
    ZapParser(),
    NmapParser(),
    GrypeParser(),
    CheckovParser(),
    SslyzeParser(),
    NucleiParser(),
    SarifParser(),
    CycloneDxParser(),
    KubescapeParser(),
    TestsslParser(),
    SslLabsParser(),
    # HeaderReportParser declares `formats = ("json",)` without the protocol's tuple[str, ...]
    # annotation, which mypy reads as an incompatible (invariant) attribute type.
    cast(ReportParser, HeaderReportParser()),
    GenericParser(),
])

SBOM_PARSERS: Mapping[str, SbomParser] = build_registry([
    SyftParser(),
])


def _normalise(tool: str) -> str:
    return tool.strip().lower() if isinstance(tool, str) else ""


def get_parser(tool: str) -> ReportParser:
    """The findings parser for ``tool`` (case-insensitive); UnknownToolError names the known tools."""
    parser = REPORT_PARSERS.get(_normalise(tool))
    if parser is None:
        hint = " (syft produces an SBOM: use the SBOM import)" if _normalise(tool) in SBOM_PARSERS else ""
        raise UnknownToolError(f"unknown tool {tool!r}{hint}; report parsers exist for: "
                               + ", ".join(sorted(REPORT_PARSERS)))
    return parser


def get_sbom_parser(tool: str) -> SbomParser:
    """The SBOM (component inventory) parser for ``tool``; UnknownToolError names the known ones."""
    parser = SBOM_PARSERS.get(_normalise(tool))
    if parser is None:
        raise UnknownToolError(f"unknown SBOM tool {tool!r}; SBOM parsers exist for: "
                               + ", ".join(sorted(SBOM_PARSERS)))
    return parser


def report_tools() -> tuple[str, ...]:
    return tuple(sorted(REPORT_PARSERS))


def sbom_tools() -> tuple[str, ...]:
    return tuple(sorted(SBOM_PARSERS))
