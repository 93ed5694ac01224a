"""Read the official SCF Excel workbook (streaming, read-only) into a ``ParsedWorkbook``.

Columns are found by header name, never by position: headers are normalised (line breaks,
non-breaking spaces and runs of blanks collapsed) and compared case-insensitively, so the
2022.x and 2025.x layouts both import. Every column that is not SCF metadata (description,
weighting, maturity levels, risk and threat matrices, SCF's own profiles...) and holds
requirement ids is a framework-mapping column.

Cells may hold several requirement ids separated by line breaks; some ids are stored as
numbers (``5.1``): those are turned back into text with the cell's number format when it has
one (``0.00`` → ``5.10``) and their shortest exact decimal otherwise, never ``5.1000000001``.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from cspm.compliance.registry import (
    SCF_ID,
    ControlRegistry,
    Framework,
    RegistryInfo,
    Requirement,
    ScfControl,
    framework_slug,
    normalise_header,
)


class WorkbookError(ValueError):
    """The file is not an SCF workbook we can import; the message names the problem."""


HEADER_SCAN_ROWS = 6
MAX_FILE_BYTES = 64 * 1024 * 1024

# Required control columns: accepted header spellings (normalised, case-insensitive).
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "scf_id": ("scf #", "scf#", "scf control #", "scf id"),
    "title": ("scf control",),
    "domain": ("scf domain",),
    "description": ("secure controls framework (scf) control description", "scf control description",
                    "control description"),
}
OPTIONAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "weighting": ("relative control weighting", "control weighting"),
    "nist_csf_function": ("nist csf function grouping", "function grouping"),
    "question": ("scf control question",),
}

# Headers of SCF's own metadata: never framework mappings.
_METADATA_PATTERNS = tuple(re.compile(pattern) for pattern in (
    r"^scf\b", r"^scf-", r"control description", r"^methods to comply", r"evidence request list",
    r"control question", r"control weighting", r"function grouping", r"^pptdf", r"conformity validation",
    r"^possible solutions", r"^scrm\b", r"\bcmm\b", r"^risk\b", r"^threat\b", r"threat summary", r"errata",
    r"^minimum security requirements", r"minimum compliance (controls|requirements)",
    r"discretionary security requirements", r"^(mcr|dsr)\b", r"principle intent", r"\) principles$",
    r"^notes?\b", r"^#$",
))
_MARKERS = {"x", "✓", "✔", "yes", "y"}
_SPLIT = re.compile(r"[\r\n]+")
_DECIMALS_FORMAT = re.compile(r"^0\.(0+)$")
_PROSE_AVERAGE_CHARS = 80


@dataclass
class ParsedWorkbook:
    sheet: str
    release: str | None
    controls: list[ScfControl]
    frameworks: list[Framework]
    domains: dict[str, str]
    sha256: str
    file_name: str
    skipped_columns: list[dict[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "controls": len(self.controls),
            "domains": len({control.domain for control in self.controls}),
            "frameworks": len(self.frameworks),
            "requirements": sum(len(framework.requirements) for framework in self.frameworks),
            "links": sum(len(requirement.scf_ids) for framework in self.frameworks
                         for requirement in framework.requirements.values()),
        }

    def to_registry(self, version_id: str, imported_at: str | None = None) -> ControlRegistry:
        info = RegistryInfo(version_id=version_id, source="workbook", release=self.release,
                            imported_at=imported_at, file_name=self.file_name, sha256=self.sha256)
        return ControlRegistry(info, self.controls, self.frameworks, self.domains)


def cell_text(value: Any, number_format: str | None = None) -> str:
    """A cell as the text a person sees, without float noise."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        match = _DECIMALS_FORMAT.match(number_format or "")
        if match:
            return f"{value:.{len(match.group(1))}f}"
        if value.is_integer():
            return str(int(value))
        return repr(value)  # shortest text that reads back as the same double: 5.1, 12.1, 5.11
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def split_requirements(value: Any, number_format: str | None = None) -> list[str]:
    """Requirement ids of one mapping cell (one per line), cleaned and de-duplicated in order."""
    text = cell_text(value, number_format)
    seen: dict[str, None] = {}
    for line in _SPLIT.split(text):
        token = normalise_header(line)
        if token:
            seen.setdefault(token, None)
    return list(seen)


def _is_metadata(header: str) -> bool:
    lowered = header.lower()
    return any(pattern.search(lowered) for pattern in _METADATA_PATTERNS)


def _find(headers: list[str], spellings: tuple[str, ...]) -> int | None:
    lowered = [header.lower() for header in headers]
    for spelling in spellings:
        if spelling in lowered:
            return lowered.index(spelling)
    for spelling in spellings:  # tolerate extra words around the name ("... Control Description")
        for index, header in enumerate(lowered):
            if spelling in header:
                return index
    return None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class _Column:
    index: int
    header: str
    tokens: list[tuple[str, list[str], bool]] = field(default_factory=list)
    """(scf_id, requirement ids, stored-as-number) per non-empty cell."""


def _open(path: Path) -> Any:
    if not path.is_file():
        raise WorkbookError(f"{path}: no such file")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise WorkbookError(f"{path.name}: {size} bytes is larger than the {MAX_FILE_BYTES} accepted")
    try:
        return load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise WorkbookError(f"{path.name}: not an Excel .xlsx workbook ({type(exc).__name__}: {exc})") from None


def _header_row(sheet: Any) -> tuple[int, list[str]] | None:
    for number, row in enumerate(sheet.iter_rows(min_row=1, max_row=HEADER_SCAN_ROWS, values_only=True), start=1):
        headers = [normalise_header(value) for value in row]
        if _find(headers, REQUIRED_COLUMNS["scf_id"]) is not None and \
                _find(headers, REQUIRED_COLUMNS["title"]) is not None:
            return number, headers
    return None


def _select_sheet(workbook: Any) -> tuple[Any, int, list[str], dict[str, int]]:
    problems: list[str] = []
    candidates = []
    for sheet in workbook.worksheets:
        found = _header_row(sheet)
        if found is None:
            continue
        row_number, headers = found
        columns = {name: _find(headers, spellings) for name, spellings in REQUIRED_COLUMNS.items()}
        missing = [REQUIRED_COLUMNS[name][0] for name, index in columns.items() if index is None]
        if missing:
            problems.append(f"sheet {sheet.title!r} lacks {', '.join(repr(name) for name in missing)}")
            continue
        candidates.append((len(headers), sheet, row_number, headers, columns))
    if not candidates:
        detail = "; ".join(problems) if problems else (
            "no sheet has a header row with 'SCF #' and 'SCF Control' "
            f"(sheets: {', '.join(repr(sheet.title) for sheet in workbook.worksheets)})")
        raise WorkbookError(f"not an SCF workbook: {detail}")
    # The control catalogue is the widest sheet that has every control column.
    _, sheet, row_number, headers, columns = max(candidates, key=lambda item: item[0])
    return sheet, row_number, headers, {name: index for name, index in columns.items() if index is not None}


def _release(sheet_title: str, headers: list[str]) -> str | None:
    for text in (sheet_title, *(header for header in headers if "errata" in header.lower())):
        match = re.search(r"(20\d\d\.\d+(?:\.\d+)?)", text)
        if match:
            return match.group(1)
    return None


def _domains_sheet(workbook: Any) -> dict[str, str]:
    """Domain name → identifier from the 'Domains & Principles' sheet, when present."""
    for sheet in workbook.worksheets:
        if "domain" not in sheet.title.lower():
            continue
        rows = sheet.iter_rows(values_only=True)
        for row in rows:
            headers = [normalise_header(value).lower() for value in row]
            if "scf domain" in headers and "scf identifier" in headers:
                name_index, code_index = headers.index("scf domain"), headers.index("scf identifier")
                result = {}
                for data in rows:
                    if len(data) <= max(name_index, code_index):
                        continue
                    name, code = normalise_header(data[name_index]), normalise_header(data[code_index])
                    if name and code:
                        result[name] = code
                return result
    return {}


def _sources_sheet(workbook: Any) -> dict[str, dict[str, str | None]]:
    """Framework metadata from 'Authoritative Sources', keyed by the header's letters and digits."""
    for sheet in workbook.worksheets:
        if "authoritative" not in sheet.title.lower():
            continue
        rows = sheet.iter_rows(values_only=True)
        for row in rows:
            headers = [normalise_header(value).lower() for value in row]
            if "mapping column header" not in headers:
                continue
            wanted = {"geography": ("geography",), "source": ("source",), "version": ("version",),
                      "title": ("authoritative source",), "url": ("url",)}
            positions: dict[str, int] = {}
            for name, prefixes in wanted.items():
                for position, header in enumerate(headers):
                    if header == prefixes[0] or (name in ("title", "url") and header.startswith(prefixes[0])):
                        positions[name] = position
                        break
            header_index = headers.index("mapping column header")
            result: dict[str, dict[str, str | None]] = {}
            for data in rows:
                if header_index >= len(data) or not normalise_header(data[header_index]):
                    continue
                entry = {}
                for name, position in positions.items():
                    text = normalise_header(cell_text(data[position])) if position < len(data) else ""
                    entry[name] = text or None
                result[_loose(normalise_header(data[header_index]))] = entry
            return result
    return {}


def _loose(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


def _rows(sheet: Any, first_data_row: int) -> Iterator[tuple[Any, ...]]:
    yield from sheet.iter_rows(min_row=first_data_row)


def parse_workbook(path: str | Path) -> ParsedWorkbook:
    """Parse the workbook; raises WorkbookError naming the problem (nothing is stored here)."""
    path = Path(path)
    workbook = _open(path)
    try:
        return _parse(workbook, path)
    finally:
        workbook.close()


def _parse(workbook: Any, path: Path) -> ParsedWorkbook:
    sheet, header_row, headers, required = _select_sheet(workbook)
    optional = {name: _find(headers, spellings) for name, spellings in OPTIONAL_COLUMNS.items()}
    pptdf_columns = [index for index, header in enumerate(headers) if header.lower().startswith("pptdf")]
    known = set(required.values()) | {index for index in optional.values() if index is not None} | set(pptdf_columns)
    skipped: list[dict[str, str]] = []
    columns: dict[int, _Column] = {}
    for index, header in enumerate(headers):
        if index in known or not header:
            continue
        if _is_metadata(header):
            skipped.append({"header": header, "reason": "SCF metadata"})
            continue
        columns[index] = _Column(index, header)

    domain_codes = _domains_sheet(workbook)
    controls: list[ScfControl] = []
    seen_ids: set[str] = set()
    warnings: list[str] = []
    id_index = required["scf_id"]
    for row_number, row in enumerate(_rows(sheet, header_row + 1), start=header_row + 1):
        if len(row) <= id_index:
            continue
        scf_id = normalise_header(cell_text(row[id_index].value)).upper()
        if not scf_id:
            continue
        if not SCF_ID.match(scf_id):
            warnings.append(f"row {row_number}: {scf_id!r} is not an SCF control id; row skipped")
            continue
        if scf_id in seen_ids:
            warnings.append(f"row {row_number}: {scf_id} appears twice; the first row is kept")
            continue
        seen_ids.add(scf_id)
        controls.append(_control(row, scf_id, required, optional, pptdf_columns, headers, domain_codes))
        for index, column in columns.items():
            if index >= len(row):
                continue
            cell = row[index]
            value = cell.value
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            number_format = getattr(cell, "number_format", None)
            tokens = split_requirements(value, number_format)
            if tokens:
                is_number = isinstance(value, int | float) and not isinstance(value, bool)
                column.tokens.append((scf_id, tokens, is_number))
    if not controls:
        raise WorkbookError(f"sheet {sheet.title!r} has the SCF columns but no control rows")

    frameworks = _frameworks(columns, skipped, _sources_sheet(workbook))
    domains: dict[str, str] = {}
    for control in controls:
        domains.setdefault(control.domain_code, control.domain)
    return ParsedWorkbook(sheet=sheet.title, release=_release(sheet.title, headers), controls=controls,
                          frameworks=frameworks, domains=domains, sha256=_sha256(path), file_name=path.name,
                          skipped_columns=skipped, warnings=warnings)


def _control(row: tuple[Any, ...], scf_id: str, required: dict[str, int], optional: dict[str, int | None],
             pptdf_columns: list[int], headers: list[str], domain_codes: dict[str, str]) -> ScfControl:
    def text(index: int | None) -> str:
        if index is None or index >= len(row):
            return ""
        return normalise_header(cell_text(row[index].value))

    domain = text(required["domain"])
    weighting_text = text(optional["weighting"])
    weighting = int(float(weighting_text)) if re.fullmatch(r"\d+(\.0+)?", weighting_text) else None
    pptdf: list[str] = []
    if len(pptdf_columns) == 1:
        pptdf = [part.strip() for part in re.split(r"[,/;\n]+", text(pptdf_columns[0])) if part.strip()]
    else:  # one column per letter: the header names it, a mark in the cell selects it
        for index in pptdf_columns:
            if text(index):
                pptdf.append(headers[index].split(" ", 1)[-1])
    code = scf_id.split("-", 1)[0]
    return ScfControl(
        scf_id=scf_id,
        title=text(required["title"]),
        domain=domain,
        domain_code=domain_codes.get(domain, code).strip() or code,
        description=text(required["description"]),
        weighting=weighting,
        pptdf=tuple(pptdf),
        nist_csf_function=text(optional["nist_csf_function"]) or None,
        question=text(optional["question"]) or None,
    )


def _frameworks(columns: dict[int, _Column], skipped: list[dict[str, str]],
                sources: dict[str, dict[str, str | None]]) -> list[Framework]:
    frameworks: list[Framework] = []
    used_ids: set[str] = set()
    for column in columns.values():
        if not column.tokens:
            skipped.append({"header": column.header, "reason": "no mappings"})
            continue
        all_tokens = [token for _, tokens, _ in column.tokens for token in tokens]
        last_line = column.header.split(" ")[-1].lower()
        distinct = {token.lower() for token in all_tokens}
        if distinct <= _MARKERS or distinct == {last_line}:
            skipped.append({"header": column.header, "reason": "marker column (profile, not requirement ids)"})
            continue
        if sum(len(token) for token in all_tokens) / len(all_tokens) > _PROSE_AVERAGE_CHARS:
            skipped.append({"header": column.header, "reason": "descriptive text, not requirement ids"})
            continue
        framework_id = framework_slug(column.header)
        base, suffix = framework_id, 2
        while framework_id in used_ids:
            framework_id, suffix = f"{base}-{suffix}", suffix + 1
        used_ids.add(framework_id)
        requirements: dict[str, list[str]] = {}
        numeric: set[str] = set()
        for scf_id, tokens, is_number in column.tokens:
            for token in tokens:
                linked = requirements.setdefault(token, [])
                if scf_id not in linked:
                    linked.append(scf_id)
                if is_number:
                    numeric.add(token)
        meta = sources.get(_loose(column.header), {})
        frameworks.append(Framework(
            framework_id=framework_id, name=column.header, header=column.header,
            requirements={rid: Requirement(rid, tuple(ids), rid in numeric) for rid, ids in requirements.items()},
            source=meta.get("source"), title=meta.get("title"), version=meta.get("version"),
            geography=meta.get("geography"), url=meta.get("url"),
        ))
    return frameworks
