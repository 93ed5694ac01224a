"""syft SBOMs (CycloneDX, SPDX, syft JSON) → component inventory through the SBOM registry."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from cspm.findings.models import SbomComponent
from cspm.scanners.base import ReportFormatError
from cspm.scanners.parsers import get_sbom_parser
from tests.scanners.helpers import REPORTS

EXPECTED_NAMES = ["defusedxml", "demo", "flask", "ijson", "lodash", "pyotp", "requests", "segno", "urllib3"]


def _components(path: Path) -> list[SbomComponent]:
    with path.open("rb") as report:
        return list(get_sbom_parser("syft").parse_components(report))


@pytest.mark.parametrize("name", ["syft_1.18.1_dir.cdx.json", "syft_1.18.1_dir.spdx.json",
                                  "syft_1.18.1_dir.syft.json"])
def test_same_inventory_from_every_format(name: str) -> None:
    components = {c.name: c for c in _components(REPORTS / "syft" / name)}
    assert sorted(components) == EXPECTED_NAMES  # the scanned directory itself is not a component
    ijson = components["ijson"]
    assert (ijson.version, ijson.type, ijson.purl) == ("3.6.0", "python", "pkg:pypi/ijson@3.6.0")
    assert ijson.licenses == ["BSD-3-Clause AND ISC"]
    assert "/site-packages/ijson-3.6.0.dist-info/METADATA" in ijson.locations
    assert any(cpe.startswith("cpe:2.3:a:") for cpe in ijson.cpes)
    lodash = components["lodash"]
    assert (lodash.type, lodash.licenses, lodash.locations) == ("npm", ["MIT"], ["/package-lock.json"])
    assert components["defusedxml"].licenses == ["PSFL"]
    assert components["requests"].locations == ["/requirements.txt"]


def test_nested_cyclonedx_components() -> None:
    document = json.loads((REPORTS / "syft/syft_1.18.1_dir.cdx.json").read_bytes())
    parent = document["components"][0]
    parent["components"] = [{"type": "library", "name": "vendored-lib", "version": "0.1"}]
    components = list(get_sbom_parser("syft").parse_components(io.BytesIO(json.dumps(document).encode())))
    assert len(components) == 10 and components[1].name == "vendored-lib"


def test_a_findings_report_is_not_an_sbom(shared_dir: Path) -> None:
    with pytest.raises(ReportFormatError, match="looks like a Trivy JSON report"):
        _components(shared_dir / "scans/trivy/scheme_2_many_vulns.json")
    with pytest.raises(ReportFormatError, match="not an SBOM"):
        list(get_sbom_parser("syft").parse_components(io.BytesIO(b'{"name": "x", "packages_": []}')))
