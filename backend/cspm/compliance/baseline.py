"""The built-in SCF baseline: about 90 of the most important controls, used until a workbook is imported.

``data/scf_baseline.json`` holds real SCF ids, titles, domains and framework mappings taken
from the official workbook's columns (ISO 27001/27002, SOC 2 TSC, NIST 800-53 r5, NIST CSF,
PCI DSS, CIS CSC, OWASP Top 10), plus our own short descriptions and matching keywords. It is
regenerated from a workbook with ``cspm scf baseline-refresh FILE`` (our descriptions and
keywords are kept), so the baseline and an import of the same release always agree.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from cspm.compliance.registry import (
    SCF_ID,
    ControlRegistry,
    Framework,
    RegistryInfo,
    Requirement,
    ScfControl,
)
from cspm.compliance.scf_import import ParsedWorkbook

DATA_DIR = Path(__file__).parent / "data"
BASELINE_PATH = DATA_DIR / "scf_baseline.json"
BASELINE_VERSION_ID = "builtin-baseline"

# The frameworks the baseline carries, by framework id (see registry.framework_slug).
BASELINE_FRAMEWORKS = (
    "aicpa-tsc-2017-soc-2", "cis-csc-8.0", "iso-27001-2013", "iso-27001-2022", "iso-27002-2013",
    "iso-27002-2022", "nist-800-53-r5", "nist-csf-1.1", "owasp-top-10-2021", "pcidss-3.2", "pcidss-4.0",
)


class BaselineError(ValueError):
    pass


class BaselineFramework(BaseModel):
    model_config = ConfigDict(extra="forbid")

    framework_id: str
    name: str
    title: str | None = None
    source: str | None = None
    version: str | None = None
    geography: str | None = None
    url: str | None = None


class BaselineControl(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scf_id: str
    title: str
    domain: str
    domain_code: str
    description: str = Field(min_length=10)
    keywords: list[str] = Field(default_factory=list)
    weighting: int | None = None
    nist_csf_function: str | None = None
    mappings: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("scf_id")
    @classmethod
    def _scf_id(cls, value: str) -> str:
        if not SCF_ID.match(value):
            raise ValueError(f"{value!r} is not an SCF control id")
        return value


class BaselineFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    notice: str
    release: str
    frameworks: list[BaselineFramework]
    controls: list[BaselineControl] = Field(min_length=1)


def load_baseline_file(path: Path = BASELINE_PATH) -> BaselineFile:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        baseline = BaselineFile.model_validate(data)
    except FileNotFoundError:
        raise BaselineError(f"SCF baseline {path}: missing") from None
    except (json.JSONDecodeError, ValidationError) as exc:
        raise BaselineError(f"SCF baseline {path}: invalid: {exc}") from None
    known = {framework.framework_id for framework in baseline.frameworks}
    seen: set[str] = set()
    for control in baseline.controls:
        if control.scf_id in seen:
            raise BaselineError(f"SCF baseline {path}: {control.scf_id} listed twice")
        seen.add(control.scf_id)
        unknown = set(control.mappings) - known
        if unknown:
            raise BaselineError(
                f"SCF baseline {path}: {control.scf_id} maps to undeclared frameworks {sorted(unknown)}")
    return baseline


def baseline_registry(path: Path = BASELINE_PATH) -> ControlRegistry:
    return _cached_registry(str(path))


@lru_cache(maxsize=4)
def _cached_registry(path: str) -> ControlRegistry:
    baseline = load_baseline_file(Path(path))
    controls = [ScfControl(scf_id=c.scf_id, title=c.title, domain=c.domain, domain_code=c.domain_code,
                           description=c.description, weighting=c.weighting, nist_csf_function=c.nist_csf_function,
                           keywords=tuple(c.keywords)) for c in baseline.controls]
    requirements: dict[str, dict[str, list[str]]] = {f.framework_id: {} for f in baseline.frameworks}
    for control in baseline.controls:
        for framework_id, requirement_ids in control.mappings.items():
            for requirement_id in requirement_ids:
                requirements[framework_id].setdefault(requirement_id, []).append(control.scf_id)
    frameworks = [
        Framework(framework_id=f.framework_id, name=f.name, header=f.name, title=f.title, source=f.source,
                  version=f.version, geography=f.geography, url=f.url,
                  requirements={rid: Requirement(rid, tuple(ids)) for rid, ids in requirements[f.framework_id].items()})
        for f in baseline.frameworks
    ]
    info = RegistryInfo(version_id=BASELINE_VERSION_ID, source="baseline", release=baseline.release)
    return ControlRegistry(info, controls, frameworks)


def refresh_baseline(parsed: ParsedWorkbook, current: BaselineFile) -> dict[str, Any]:
    """The baseline regenerated from a workbook: ids, titles and mappings from it, our words kept."""
    by_id = {control.scf_id: control for control in parsed.controls}
    frameworks = {framework.framework_id: framework for framework in parsed.frameworks}
    missing_frameworks = [fid for fid in BASELINE_FRAMEWORKS if fid not in frameworks]
    if missing_frameworks:
        raise BaselineError(f"workbook lacks the baseline frameworks {missing_frameworks}")
    mapped: dict[str, dict[str, list[str]]] = {}
    for framework_id in BASELINE_FRAMEWORKS:
        for requirement in frameworks[framework_id].requirements.values():
            for scf_id in requirement.scf_ids:
                mapped.setdefault(scf_id, {}).setdefault(framework_id, []).append(requirement.requirement_id)
    controls = []
    for entry in current.controls:
        control = by_id.get(entry.scf_id)
        if control is None:
            raise BaselineError(f"workbook has no control {entry.scf_id}")
        controls.append({
            "scf_id": control.scf_id, "title": control.title, "domain": control.domain,
            "domain_code": control.domain_code, "description": entry.description, "keywords": entry.keywords,
            "weighting": control.weighting, "nist_csf_function": control.nist_csf_function,
            "mappings": mapped.get(control.scf_id, {}),
        })
    return {
        "notice": current.notice,
        "release": parsed.release or current.release,
        "frameworks": [
            {key: value for key, value in frameworks[fid].summary().items()
             if key in BaselineFramework.model_fields}
            for fid in BASELINE_FRAMEWORKS
        ],
        "controls": controls,
    }
