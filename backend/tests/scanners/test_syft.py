"""syft SBOMs (CycloneDX, SPDX, syft JSON) → component inventory through the SBOM registry."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from cspm.findings.models import SbomComponent, SbomFile
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


@pytest.mark.parametrize(("name", "path"), [("syft_1.18.1_dir.syft.json", "/requirements.txt"),
                                            ("syft_1.18.1_dir.spdx.json", "requirements.txt")])
def test_files_come_with_their_digests_in_the_same_pass(name: str, path: str) -> None:
    with (REPORTS / "syft" / name).open("rb") as report:
        inventory = list(get_sbom_parser("syft").parse_inventory(report))
    files = {item.path: item for item in inventory if isinstance(item, SbomFile)}
    assert len(files) == 12 and len(inventory) - len(files) == len(EXPECTED_NAMES)
    assert files[path].digests == {"sha1": "c389f205c782f35b088f1e3af632571e3de39445",
                                   "sha256": "2236a27ba870996922d9322f240a5f5f66a033bdefffa8c2ce138adda855d86e"}
    assert files[path].hash_keys()[0] == "sha1:c389f205c782f35b088f1e3af632571e3de39445"


def test_a_cyclonedx_file_component_is_a_file_not_a_package() -> None:
    """CycloneDX models files as components of type "file" (built for the test: syft writes none by default)."""
    document = {"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [
        {"type": "library", "name": "lodash", "version": "4.17.21",
         "components": [{"type": "file", "name": "/lodash/lodash.js",
                         "hashes": [{"alg": "SHA-256", "content": "A" * 64}, {"alg": "MD5", "content": "b" * 32}]}]}]}
    inventory = list(get_sbom_parser("syft").parse_inventory(io.BytesIO(json.dumps(document).encode())))
    assert [type(item).__name__ for item in inventory] == ["SbomComponent", "SbomFile"]
    assert inventory[1].digests == {"sha256": "a" * 64, "md5": "b" * 32}
