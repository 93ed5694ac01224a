"""Recognise which tool wrote a report from its first bytes, to name the problem on a mix-up.

Parsers decide by structure whether a report is theirs; this module only answers "what is it
then?" so the error says "this looks like a Prowler OCSF report" instead of "bad format".
Patterns match JSON keys that are not escaped inside a string (a Trivy misconfiguration
quoting a JSON file shows ``\\"class_uid\\"``, never ``"class_uid"``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


def _key(name: str) -> str:
    return r'(?<!\\)"' + re.escape(name) + r'"\s*:'


@dataclass(frozen=True)
class Fingerprint:
    tool: str
    label: str
    patterns: tuple[re.Pattern[bytes], ...]
    """All must match somewhere in the first bytes."""

    def matches(self, head: bytes) -> bool:
        return all(pattern.search(head) for pattern in self.patterns)


def _fp(tool: str, label: str, *patterns: str) -> Fingerprint:
    return Fingerprint(tool, label, tuple(re.compile(p.encode()) for p in patterns))


# Prowler 2 (shell) output, refused by name by the Prowler parser: JSON Lines and CSV.
PROWLER_2_JSON = _fp("prowler", "Prowler 2 JSON", _key("Account Number"), _key("Control ID"))
PROWLER_2_CSV = _fp("prowler", "Prowler 2 CSV", r"(?m)^[^\n]*\bTITLE_ID,[^\n]*\bCHECK_RESULT,")

FINGERPRINTS: tuple[Fingerprint, ...] = (
    _fp("prowler", "Prowler OCSF JSON", _key("class_uid"), _key("finding_info")),
    _fp("prowler", "Prowler CSV", r"(?m)^[^\n]*\bCHECK_ID;[^\n]*\bSTATUS;"),
    _fp("trivy", "Trivy JSON", _key("SchemaVersion"), _key("ArtifactName")),
    _fp("trivy", "Trivy kubernetes JSON", _key("ClusterName"),
        r'(?<!\\)"(Resources|Vulnerabilities|Misconfigurations)"'),
    _fp("trivy", "Trivy JSON (legacy list)", r'^\s*\[\s*\{\s*"Target"\s*:'),
    _fp("zap", "ZAP XML", r"<OWASPZAPReport\b"),
    _fp("zap", "ZAP JSON", _key("site"), _key("pluginid")),
    _fp("zap", "ZAP JSON", _key("@programName"), _key("site")),
    _fp("nmap", "Nmap XML", r"<nmaprun\b"),
    _fp("grype", "Grype JSON", _key("matches"), r'(?<!\\)"(artifact|descriptor|matchDetails)"\s*:'),
    # A CycloneDX document is the SBOM parser's and the vulnerability parser's: the one with a
    # vulnerabilities list in its head is named as such, any other as an SBOM; each parser then
    # decides by structure (a vulnerability list may come after 64 KiB of components).
    _fp("cyclonedx", "CycloneDX vulnerability (VEX) JSON", _key("bomFormat"), _key("vulnerabilities")),
    _fp("syft", "CycloneDX SBOM", _key("bomFormat")),
    _fp("cyclonedx", "CycloneDX JSON", _key("bomFormat")),
    _fp("syft", "SPDX SBOM", _key("spdxVersion")),
    _fp("syft", "syft JSON SBOM", _key("artifacts"), _key("artifactRelationships")),
    _fp("checkov", "Checkov JSON", _key("check_type"), _key("results")),
    _fp("checkov", "Checkov JSON", _key("checkov_version")),
    _fp("sslyze", "sslyze JSON", _key("sslyze_version")),
    _fp("sslyze", "sslyze JSON", _key("sslyze_url")),
    _fp("sslyze", "sslyze JSON", r'^\s*\{\s*"(date_scans_completed|date_scans_started|server_scan_results|'
        r'invalid_server_strings|server_connectivity_errors)"\s*:'),
    _fp("sslyze", "sslyze XML", r"<document\b[^>]*\bSSLyzeVersion="),
    _fp("nuclei", "Nuclei JSON", r'(?<!\\)"(template-id|templateID)"\s*:'),
    _fp("sarif", "SARIF", r'(?<!\\)"version"\s*:\s*"2\.1\.0"', _key("runs")),
    _fp("sarif", "SARIF", r'(?<!\\)"\$schema"\s*:\s*"[^"]*sarif', _key("runs")),
    _fp("kubescape", "Kubescape JSON", _key("resourceID"), _key("controlID")),
    _fp("kubescape", "Kubescape JSON", _key("summaryDetails"), _key("customerGUID")),
    _fp("testssl", "testssl.sh JSON", _key("ip"), _key("port"), _key("severity"), _key("finding")),
    _fp("testssl", "testssl.sh JSON", _key("scanResult"), _key("targetHost")),
    _fp("testssl", "testssl.sh CSV", r'^\s*"id","fqdn/ip","port","severity","finding"'),
    _fp("ssl_labs", "SSL Labs API JSON", _key("endpoints"), _key("criteriaVersion")),
    # "findings" too: a re-serialised SARIF or CycloneDX document may also start with "version".
    _fp("generic", "generic findings JSON", r'^\s*\{\s*"(scanner|findings|version)"\s*:', _key("findings")),
    _fp("prowler", "Prowler JSON (v3 or older)", _key("AssessmentStartTime"), _key("CheckID")),
    PROWLER_2_JSON,
    PROWLER_2_CSV,
)


def sniff(head: bytes) -> Fingerprint | None:
    """The first fingerprint the report's first bytes match, if any."""
    for fingerprint in FINGERPRINTS:
        if fingerprint.matches(head):
            return fingerprint
    return None


def looks_like_other_tool(tool: str, head: bytes) -> str | None:
    """"this looks like a <label> report" when the head matches another tool and not this one."""
    own = [fp for fp in FINGERPRINTS if fp.tool == tool]
    if any(fp.matches(head) for fp in own):
        return None
    for fingerprint in FINGERPRINTS:
        if fingerprint.tool != tool and fingerprint.matches(head):
            return f"this looks like a {fingerprint.label} report, not a {tool} report"
    return None


def what_is_it(head: bytes) -> str:
    """A short description of an unrecognised report for error messages."""
    fingerprint = sniff(head)
    if fingerprint is not None:
        return f"it looks like a {fingerprint.label} report"
    stripped = head.lstrip()
    if not stripped:
        return "it is empty"
    if stripped[:1] in (b"{", b"["):
        return "it is JSON of an unknown shape"
    if stripped[:1] == b"<":
        return "it is XML of an unknown shape"
    if b"\x00" in stripped[:512]:
        return "it is binary data"
    return "it is text of an unknown format"
