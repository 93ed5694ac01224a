"""Bad input is refused with a ReportFormatError naming the problem, and nothing is produced.

- every parser fed every *other* tool's real report (cross-tool mix-ups, the common mistake);
- truncated reports (cut in the middle), empty files, whitespace, binary garbage, plain text;
- hostile XML (entity expansion) is refused by defusedxml.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from cspm.scanners.base import ReportFormatError
from cspm.scanners.parsers import REPORT_PARSERS, SBOM_PARSERS
from tests.scanners.helpers import REPORTS

GENERIC_REPORT = json.dumps({"scanner": "acme", "findings": [{
    "rule_id": "A-1", "title": "t", "severity": "low", "resource": {"type": "url", "id": "https://x.test/"}}]}).encode()

# name → (tool that wrote it, where: "shared"/"local", path)
INPUTS: dict[str, tuple[str, str, str]] = {
    "prowler-ocsf": ("prowler", "shared", "prowler/prowler_5.46_aws_moto_s3_iam.ocsf.json"),
    "prowler-csv": ("prowler", "shared", "prowler/example_output_aws.csv"),
    "trivy": ("trivy", "shared", "trivy/scheme_2_many_vulns.json"),
    "trivy-k8s": ("trivy", "shared", "trivy/kubernetes.json"),
    "trivy-legacy": ("trivy", "shared", "trivy/legacy_many_vulns.json"),
    "zap-xml": ("zap", "shared", "zap/0_zap_sample.xml"),
    "zap-json": ("zap", "local", "zap/log4shell_2.11.1.json"),
    "nmap": ("nmap", "shared", "nmap/nmap_multiple_port.xml"),
    "grype": ("grype", "shared", "anchore_grype/check_all_fields.json"),
    "checkov": ("checkov", "shared", "checkov/checkov-report-severity.json"),
    "sslyze-json": ("sslyze", "shared", "sslyze/one_target_many_vuln_new.json"),
    "sslyze-json-old": ("sslyze", "shared", "sslyze/one_target_many_vuln_old.json"),
    "sslyze-xml": ("sslyze", "shared", "sslyze/report_two_target_many_vuln.xml"),
    "nuclei": ("nuclei", "shared", "nuclei/many_findings_new.json"),
    "syft-cdx": ("syft", "local", "syft/syft_1.18.1_dir.cdx.json"),
    "syft-spdx": ("syft", "local", "syft/syft_1.18.1_dir.spdx.json"),
    "generic": ("generic", "inline", ""),
    "sarif-semgrep": ("sarif", "local", "sarif/issue_10191.json"),
    "sarif-codeql": ("sarif", "local", "sarif/codeQL-output.sarif"),
    "cyclonedx-trivy": ("cyclonedx", "local", "cyclonedx/issue_9277.json"),
    "cyclonedx-vex": ("cyclonedx", "local", "cyclonedx/cisa_case3_vex.json"),
    "kubescape": ("kubescape", "local", "kubescape/with_a_failure.json"),
    "testssl-json": ("testssl", "local", "testssl/testssl_3.0.8_selfsigned_localhost.json"),
    "testssl-pretty": ("testssl", "local", "testssl/testssl_3.0.8_selfsigned_localhost.pretty.json"),
    "testssl-csv": ("testssl", "local", "testssl/defectdojo_many_vuln.csv"),
    "ssl-labs": ("ssl_labs", "local", "ssl_labs/ssl_labs_revoked_v1.5.0.json"),
}
# A CycloneDX document with components and vulnerabilities is also an SBOM: the SBOM import reads
# its components, by design (the other way round, an SBOM without vulnerabilities is refused).
READ_BY_BOTH = {("syft", "cyclonedx-trivy"): 102, ("syft", "cyclonedx-vex"): 0}  # → components read
RECEIVERS = sorted([*REPORT_PARSERS, *SBOM_PARSERS])


def _read(shared_dir: Path, name: str) -> bytes:
    _tool, where, path = INPUTS[name]
    if where == "inline":
        return GENERIC_REPORT
    return ((shared_dir / "scans") if where == "shared" else REPORTS).joinpath(path).read_bytes()


def _run(receiver: str, data: bytes) -> list[object]:
    if receiver in SBOM_PARSERS:
        return list(SBOM_PARSERS[receiver].parse_components(io.BytesIO(data)))
    return list(REPORT_PARSERS[receiver].parse(io.BytesIO(data)))


CROSS = [(receiver, name) for receiver in RECEIVERS for name, (tool, _w, _p) in INPUTS.items()
         if tool != receiver and (receiver, name) not in READ_BY_BOTH]


@pytest.mark.parametrize(("receiver", "name"), sorted(READ_BY_BOTH))
def test_a_cyclonedx_vulnerability_report_is_also_an_sbom(shared_dir: Path, receiver: str, name: str) -> None:
    assert len(_run(receiver, _read(shared_dir, name))) == READ_BY_BOTH[(receiver, name)]


@pytest.mark.parametrize(("receiver", "name"), CROSS, ids=[f"{r}<-{n}" for r, n in CROSS])
def test_another_tools_report_is_rejected(shared_dir: Path, receiver: str, name: str) -> None:
    with pytest.raises(ReportFormatError) as error:
        _run(receiver, _read(shared_dir, name))
    assert error.value.tool == receiver
    assert str(error.value).startswith(f"{receiver} report rejected: ")


@pytest.mark.parametrize(("receiver", "name", "label"), [
    ("trivy", "prowler-ocsf", "Prowler OCSF JSON"),
    ("prowler", "trivy", "Trivy JSON"),
    ("zap", "nmap", "Nmap XML"),
    ("nmap", "zap-xml", "ZAP XML"),
    ("grype", "trivy-k8s", "Trivy kubernetes JSON"),
    ("checkov", "grype", "Grype JSON"),
    ("nuclei", "sslyze-json", "sslyze JSON"),
    ("sslyze", "nuclei", "Nuclei JSON"),
    ("generic", "prowler-csv", "Prowler CSV"),
    ("syft", "checkov", "Checkov JSON"),
    ("trivy", "syft-cdx", "CycloneDX SBOM"),
    ("trivy", "sarif-codeql", "SARIF"),
    ("grype", "cyclonedx-vex", "CycloneDX vulnerability \\(VEX\\) JSON"),
    ("checkov", "kubescape", "Kubescape JSON"),
    ("sslyze", "testssl-json", "testssl.sh JSON"),
    ("prowler", "testssl-csv", "testssl.sh CSV"),
    ("sslyze", "ssl-labs", "SSL Labs API JSON"),
    ("testssl", "sslyze-json", "sslyze JSON"),
])
def test_the_message_says_what_the_report_is(shared_dir: Path, receiver: str, name: str, label: str) -> None:
    with pytest.raises(ReportFormatError, match=f"this looks like a {label} report"):
        _run(receiver, _read(shared_dir, name))


OWN = [(tool, name) for name, (tool, _w, _p) in INPUTS.items() if tool != "generic" or name == "generic"]


@pytest.mark.parametrize(("tool", "name"), OWN, ids=[n for _t, n in OWN])
def test_truncated_report_is_rejected(shared_dir: Path, tool: str, name: str) -> None:
    data = _read(shared_dir, name)
    cut = data[: int(len(data) * 0.6)]
    with pytest.raises(ReportFormatError, match=r"truncated|fewer fields|not terminated") as error:
        _run(tool, cut)
    if data.lstrip()[:1] in (b"{", b"["):
        assert f"byte {len(cut)}" in str(error.value) or "truncated JSON" in str(error.value)


@pytest.mark.parametrize("receiver", RECEIVERS)
@pytest.mark.parametrize("data", [b"", b" \n\t\n", b"\x00\x01\x02\xff\xfe garbage \x00", b"hello, world\n",
                                  b"{\"a\": [1, 2", b"<html><body>502 Bad Gateway</body></html>", b"42", b"null x"],
                         ids=["empty", "whitespace", "binary", "text", "broken-json", "html", "number", "junk"])
def test_garbage_is_rejected(receiver: str, data: bytes) -> None:
    if receiver == "nuclei" and not data.strip():
        assert _run(receiver, data) == []  # Nuclei writes an empty file when nothing matched: a valid report
        return
    if receiver == "prowler" and data == b"":
        assert _run(receiver, data) == []  # Prowler writes a 0-byte JSON file when no check ran
        return
    # (a bare "null" is a valid legacy Trivy report, but not with trailing junk: "null x" must fail too)
    with pytest.raises(ReportFormatError):
        _run(receiver, data)


def test_messages_for_empty_and_truncated_json_are_specific(shared_dir: Path) -> None:
    with pytest.raises(ReportFormatError, match=r"^trivy report rejected: the report is empty \(0 bytes\)$"):
        _run("trivy", b"")
    data = (shared_dir / "scans/trivy/kubernetes.json").read_bytes()[:5000]
    with pytest.raises(ReportFormatError, match=r"truncated JSON at byte 5000"):
        _run("trivy", data)
    nmap = (shared_dir / "scans/nmap/issue12411.xml").read_bytes()
    between_elements = nmap.index(b"</host>") + len(b"</host>\n")
    with pytest.raises(ReportFormatError, match=r"truncated XML: the document ends at line \d+"):
        _run("nmap", nmap[:between_elements])
    with pytest.raises(ReportFormatError, match=r"truncated or malformed XML at the end of the document"):
        _run("nmap", nmap[:3000])  # cut inside a tag


@pytest.mark.parametrize("receiver", ["zap", "nmap", "sslyze"])
def test_xml_entity_expansion_is_refused(receiver: str) -> None:
    roots = {"zap": "OWASPZAPReport", "nmap": "nmaprun", "sslyze": "document"}
    bomb = (f'<?xml version="1.0"?><!DOCTYPE {roots[receiver]} [<!ENTITY a "aaaaaaaaaa">'
            f'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><{roots[receiver]}>&b;</{roots[receiver]}>').encode()
    with pytest.raises(ReportFormatError, match="entity declarations are not allowed"):
        _run(receiver, bomb)


def test_external_entities_are_refused() -> None:
    xxe = (b'<?xml version="1.0"?><!DOCTYPE nmaprun [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           b"<nmaprun>&x;</nmaprun>")
    with pytest.raises(ReportFormatError, match="not allowed"):
        _run("nmap", xxe)
