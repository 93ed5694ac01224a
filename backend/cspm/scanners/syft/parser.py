"""syft SBOMs → component inventory (``SbomComponent``), not findings.

Formats, all streamed one component at a time with ijson:

- CycloneDX JSON (``-o cyclonedx-json``): ``components[]`` (nested ``components`` too):
  name, version, type (syft's ``syft:package:type`` property, else CycloneDX's type), purl,
  ``cpe`` + ``syft:cpe23`` properties, licenses (``license.id``/``license.name``/``expression``),
  locations (``syft:location:N:path`` properties), supplier/publisher/author.
  ``metadata.component`` (the scanned artifact itself) is not a component.
- SPDX JSON (``-o spdx-json``): ``packages[]``: name, versionInfo, purl and CPEs from
  ``externalRefs``, ``licenseDeclared`` (else ``licenseConcluded``; NOASSERTION/NONE dropped,
  ``LicenseRef-`` prefixes removed), supplier (``Organization:``/``Person:`` prefix removed),
  type from syft's SPDXID (``SPDXRef-Package-<type>-…``) else the purl type, locations from
  syft's ``sourceInfo`` ("…: /path, /path"). syft's ``SPDXRef-DocumentRoot-…`` package (the
  scanned source) is not a component.
- syft JSON (``-o syft-json``): ``artifacts[]``: name, version, type, purl, cpes, licenses,
  locations.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, BinaryIO

from cspm.findings.models import SbomComponent, SbomFile
from cspm.scanners.base import ReportFormatError
from cspm.scanners.normalize import as_list, mapping, text, unique
from cspm.scanners.sniff import what_is_it
from cspm.scanners.streaming import JsonEvents, PeekedReport, open_report

TOOL = "syft"
_CDX_COMPONENT = re.compile(r"^components\.item(\.components\.item)*$")
_MARKERS = {"bomFormat": "CycloneDX", "spdxVersion": "SPDX", "artifacts": "syft JSON"}
_NO_VALUE = {"NOASSERTION", "NONE", ""}
_SPDXID_TYPE = re.compile(r"^SPDXRef-Package-([a-z0-9-]+?)-")
_PURL_TYPE = re.compile(r"^pkg:([a-zA-Z0-9.+-]+)/")


class SyftParser:
    tool: str = TOOL
    formats: tuple[str, ...] = ("cyclonedx-json", "spdx-json", "syft-json")

    def parse_components(self, report: BinaryIO) -> Iterator[SbomComponent]:
        return (item for item in self.parse_inventory(report) if isinstance(item, SbomComponent))

    def parse_inventory(self, report: BinaryIO) -> Iterator[SbomComponent | SbomFile]:
        """Components and, in the same pass, the files the SBOM lists with their digests."""
        stream = open_report(self.tool, report)
        if stream.first_char() != "{":
            raise ReportFormatError(self.tool, f"not a CycloneDX, SPDX or syft JSON SBOM: {what_is_it(stream.head)}")
        return _components(stream)


def _components(stream: PeekedReport) -> Iterator[SbomComponent | SbomFile]:
    events = JsonEvents(TOOL, stream)
    formats: set[str] = set()
    count = 0
    for prefix, event, value in events:
        if prefix == "" and event == "map_key":
            if value in _MARKERS:
                formats.add(_MARKERS[value])
            continue
        if event != "start_map":
            continue
        if prefix == "files.item":  # syft JSON's and SPDX's file list (path and digests)
            if (listed := _file(events.build(event, value))) is not None:
                yield listed
            continue
        if _CDX_COMPONENT.match(prefix):  # built whole: its nested components come with it
            item = events.build(event, value)
            for entry in (item, *_nested(as_list(item.get("components")))):
                if (listed := _cyclonedx_file(entry)) is not None:
                    yield listed
                    continue
                count += 1
                if (component := _cyclonedx(entry, f"component #{count}")) is not None:
                    yield component
            continue
        if prefix == "packages.item":
            item, convert = events.build(event, value), _spdx
        elif prefix == "artifacts.item":
            item, convert = events.build(event, value), _syft
        else:
            continue
        count += 1
        if (component := convert(item, f"component #{count}")) is not None:
            yield component
    if not formats:
        raise ReportFormatError(TOOL, "not an SBOM: no bomFormat, spdxVersion or artifacts key; "
                                      + what_is_it(stream.head))


def _digest_algorithm(name: object) -> str | None:
    """``SHA-256``, ``SHA256`` and ``sha256`` are one algorithm: ``sha256``."""
    return (text(name) or "").lower().replace("-", "") or None


def _digests(entries: object, algorithm_field: str, value_field: str) -> dict[str, str]:
    found = {}
    for entry in as_list(entries):
        if isinstance(entry, dict) and (algorithm := _digest_algorithm(entry.get(algorithm_field))):
            if value := text(entry.get(value_field)):
                found[algorithm] = value.lower()
    return found


def _file(item: dict[str, Any]) -> SbomFile | None:
    """A ``files[]`` entry: syft JSON (``location.path``, ``digests``) or SPDX (``fileName``, ``checksums``)."""
    path = text(mapping(item.get("location")).get("path")) or text(item.get("fileName"))
    digests = _digests(item.get("digests"), "algorithm", "value") or _digests(item.get("checksums"), "algorithm",
                                                                              "checksumValue")
    return SbomFile(path=path, digests=digests) if path and digests else None


def _cyclonedx_file(item: dict[str, Any]) -> SbomFile | None:
    """CycloneDX models a file as a component of type ``file`` with ``hashes``: a file, not a package."""
    if item.get("type") != "file":
        return None
    digests = _digests(item.get("hashes"), "alg", "content")
    path = text(item.get("name"))
    return SbomFile(path=path, digests=digests) if path and digests else None


def _nested(components: list[Any]) -> Iterator[dict[str, Any]]:
    for component in components:
        if isinstance(component, dict):
            yield component
            yield from _nested(as_list(component.get("components")))


def _license_name(value: object) -> str | None:
    name = text(value)
    if name is None or name.upper() in _NO_VALUE:
        return None
    if name.startswith("(") and name.endswith(")") and name.count("(") == 1:
        name = name[1:-1].strip()
    return name.removeprefix("LicenseRef-")


def _required_name(item: dict[str, Any], position: str) -> str:
    name = text(item.get("name"))
    if name is None:
        raise ReportFormatError(TOOL, f"{position} has no name")
    return name


def _cyclonedx(item: dict[str, Any], position: str) -> SbomComponent | None:
    properties: dict[str, str | None] = {}
    cpes = [item.get("cpe")]
    locations = []
    for prop in as_list(item.get("properties")):
        if not isinstance(prop, dict):
            continue
        name, value = text(prop.get("name")) or "", text(prop.get("value"))
        if name == "syft:cpe23":
            cpes.append(value)
        elif name.startswith("syft:location:") and name.endswith(":path"):
            locations.append(value)
        else:
            properties.setdefault(name, value)
    licenses = []
    for entry in as_list(item.get("licenses")):
        if not isinstance(entry, dict):
            continue
        license_ = mapping(entry.get("license"))
        licenses.append(_license_name(license_.get("id") or license_.get("name") or entry.get("expression")))
    supplier = mapping(item.get("supplier"))
    return SbomComponent(
        name=_required_name(item, position),
        version=text(item.get("version")),
        type=properties.get("syft:package:type") or text(item.get("type")),
        purl=text(item.get("purl")),
        cpes=unique(cpes),
        licenses=unique(licenses),
        locations=unique(locations),
        supplier=text(supplier.get("name")) or text(item.get("publisher")) or text(item.get("author")),
    )


def _spdx(item: dict[str, Any], position: str) -> SbomComponent | None:
    spdx_id = text(item.get("SPDXID")) or ""
    if spdx_id.startswith("SPDXRef-DocumentRoot-"):
        return None
    purl = None
    cpes = []
    for ref in as_list(item.get("externalRefs")):
        if not isinstance(ref, dict):
            continue
        kind = (text(ref.get("referenceType")) or "").lower()
        if kind == "purl" and purl is None:
            purl = text(ref.get("referenceLocator"))
        elif kind.startswith("cpe"):
            cpes.append(ref.get("referenceLocator"))
    kind_match = _SPDXID_TYPE.match(spdx_id)
    purl_match = _PURL_TYPE.match(purl or "")
    source_info = text(item.get("sourceInfo")) or ""
    locations = [part.strip() for part in source_info.rpartition(": ")[2].split(",")] if ": /" in source_info else []
    supplier = text(item.get("supplier"))
    if supplier and supplier.upper() not in _NO_VALUE:
        supplier = re.sub(r"^(Organization|Person|Tool):\s*", "", supplier)
    else:
        supplier = None
    return SbomComponent(
        name=_required_name(item, position),
        version=text(item.get("versionInfo")),
        type=kind_match.group(1) if kind_match else (purl_match.group(1) if purl_match else None),
        purl=purl,
        cpes=unique(cpes),
        licenses=unique([_license_name(item.get("licenseDeclared")) or _license_name(item.get("licenseConcluded"))]),
        locations=unique(locations),
        supplier=supplier,
    )


def _syft(item: dict[str, Any], position: str) -> SbomComponent | None:
    cpes = [c.get("cpe") if isinstance(c, dict) else c for c in as_list(item.get("cpes"))]
    licenses = [_license_name((entry.get("spdxExpression") or entry.get("value")) if isinstance(entry, dict) else entry)
                for entry in as_list(item.get("licenses"))]
    locations = [loc.get("path") for loc in as_list(item.get("locations")) if isinstance(loc, dict)]
    return SbomComponent(
        name=_required_name(item, position),
        version=text(item.get("version")),
        type=text(item.get("type")),
        purl=text(item.get("purl")),
        cpes=unique(cpes),
        licenses=unique(licenses),
        locations=unique(locations),
    )
