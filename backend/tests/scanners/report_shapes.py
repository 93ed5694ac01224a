"""One small valid report per (tool, format) of the parser registries, with slots for hostile shapes.

Every template holds ``@TEXT@`` where a string the parser reads goes (a title, a description)
and, in the formats that nest (JSON, XML), ``@NEST@`` where a container goes (a list of
references, or an element the parser skips). ``report(sample, text=..., nest=...)`` fills them:

- ``deep``: arrays (or XML elements) nested 200,000 levels, the reproduction of issue 11;
- ``wide``: 100,000 siblings in one array (or element), a big but legitimate report;
- ``huge``: a string of 2 MiB where the template's text goes.

A new parser or format without a sample here fails ``test_every_format_has_a_sample``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

DEEP_LEVELS = 200_000
WIDE_SIBLINGS = 100_000
HUGE_TEXT_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class Sample:
    tool: str
    format: str
    syntax: str
    """json, xml, xml-attribute (the text goes in an attribute) or csv."""
    template: str
    findings: int
    """What the report with ordinary slot values yields."""

    @property
    def nests(self) -> bool:
        return "@NEST@" in self.template

    def __str__(self) -> str:
        return f"{self.tool}-{self.format}"


def _json_text(value: str) -> str:
    return json.dumps(value)


def _csv_text(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


TEXT_ENCODERS = {"json": _json_text, "xml": escape, "xml-attribute": quoteattr, "csv": _csv_text}

# Ordinary, deep, wide: what goes in @NEST@, per syntax.
NEST_VALUES = {
    "json": {
        "ordinary": '["https://x.test/ref"]',
        "deep": "[" * DEEP_LEVELS + "]" * DEEP_LEVELS,
        "wide": "[" + ", ".join(['"https://x.test/ref"'] * WIDE_SIBLINGS) + "]",
    },
    "xml": {
        "ordinary": "<extra/>",
        "deep": "<extra>" * DEEP_LEVELS + "</extra>" * DEEP_LEVELS,
        "wide": "<extra>" + "<item/>" * WIDE_SIBLINGS + "</extra>",
    },
}

SAMPLES: tuple[Sample, ...] = (
    Sample("trivy", "json", "json", """{"SchemaVersion": 2, "ArtifactName": "registry.test/app:1", "Results": [
        {"Target": "app (debian 12)", "Class": "os-pkgs", "Type": "debian", "Vulnerabilities": [
          {"VulnerabilityID": "CVE-2024-0001", "PkgName": "openssl", "InstalledVersion": "3.0.1",
           "Severity": "HIGH", "Title": @TEXT@, "References": @NEST@}]}]}""", 1),
    Sample("prowler", "json", "json", """[{"metadata": {"event_code": "s3_bucket_public_access"},
        "status_code": "FAIL", "severity": "High", "finding_info": {"title": @TEXT@, "desc": "d"},
        "resources": [{"uid": "arn:aws:s3:::b", "name": "b", "region": "eu-west-1", "type": "AwsS3Bucket"}],
        "cloud": {"account": {"uid": "123456789012"}, "provider": "aws", "region": "eu-west-1"},
        "unmapped": {"additional_urls": @NEST@}}]""", 1),
    Sample("prowler", "csv", "csv", "CHECK_ID;STATUS;SEVERITY;CHECK_TITLE;PROVIDER;ACCOUNT_UID;RESOURCE_UID;REGION\n"
           "s3_bucket_public_access;FAIL;high;@TEXT@;aws;123456789012;arn:aws:s3:::b;eu-west-1\n", 1),
    Sample("zap", "xml", "xml", """<OWASPZAPReport version="2.16.1" generated="Mon, 1 Jan 2026">
        <site name="https://app.test" host="app.test" port="443" ssl="true"><alerts><alertitem>
          <pluginid>10038</pluginid><alertRef>10038-1</alertRef><alert>@TEXT@</alert><name>CSP</name>
          <riskcode>2</riskcode><confidence>2</confidence><desc>d</desc><solution>s</solution>
          <instances><instance><uri>https://app.test/</uri><method>GET</method><param></param></instance>
          </instances>@NEST@<reference>https://x.test/ref</reference><cweid>693</cweid>
        </alertitem></alerts></site></OWASPZAPReport>""", 1),
    Sample("zap", "json", "json", """{"@programName": "ZAP", "@version": "2.16.1", "site": [
        {"@name": "https://app.test", "@host": "app.test", "@port": "443", "alerts": [
          {"pluginid": "10038", "alertRef": "10038-1", "alert": @TEXT@, "name": "CSP", "riskcode": "2",
           "confidence": "2", "desc": "d", "solution": "s", "reference": "https://x.test/ref", "cweid": "693",
           "instances": [{"uri": "https://app.test/", "method": "GET", "param": ""}], "tags": @NEST@}]}]}""", 1),
    Sample("nmap", "xml", "xml-attribute", """<nmaprun scanner="nmap"><host><status state="up"/>
        <address addr="10.0.0.1" addrtype="ipv4"/><ports>
          <port protocol="tcp" portid="22"><state state="open" reason="syn-ack"/>
            <service name="ssh" product=@TEXT@/></port>@NEST@</ports></host></nmaprun>""", 1),
    Sample("grype", "json", "json", """{"matches": [{"vulnerability": {"id": "CVE-2024-0001",
        "severity": "High", "description": @TEXT@, "urls": @NEST@},
        "artifact": {"name": "openssl", "version": "3.0.1", "type": "deb"}}],
        "source": {"type": "image", "target": {"userInput": "registry.test/app:1"}}}""", 1),
    Sample("checkov", "json", "json", """{"check_type": "terraform", "results": {"failed_checks": [
        {"check_id": "CKV_AWS_20", "check_name": @TEXT@, "file_path": "/main.tf", "resource": "aws_s3_bucket.b",
         "file_line_range": [1, 3], "guideline": "https://x.test/g", "benchmarks": {"CIS": @NEST@}}]},
        "summary": {"failed": 1}}""", 1),
    Sample("sslyze", "json", "json", """{"sslyze_version": "6.0.0", "server_scan_results": [
        {"server_location": {"hostname": "app.test", "port": 443, "ip_address": "10.0.0.1"},
         "connectivity_status": "COMPLETED", "scan_result": {
           "heartbleed": {"status": "COMPLETED", "result": {"is_vulnerable_to_heartbleed": true}},
           "session_resumption": {"status": "COMPLETED", "result": {"note": @TEXT@, "attempts": @NEST@}}}}]}""",
           1),
    Sample("sslyze", "xml", "xml-attribute", """<document SSLyzeVersion="2.1.4" title="sslyze">
        <results><target host="app.test" ip="10.0.0.1" port="443">
          <heartbleed title=@TEXT@><openSslHeartbleed isVulnerable="True"/></heartbleed>@NEST@
        </target></results></document>""", 1),
    Sample("nuclei", "jsonl", "json", """{"template-id": "exposed-panel", "info": {"name": @TEXT@,
        "severity": "high", "reference": @NEST@}, "type": "http", "host": "https://app.test",
        "matched-at": "https://app.test/admin"}
{"template-id": "tech-detect", "info": {"name": "t", "severity": "info"}, "type": "http",
 "matched-at": "https://app.test/"}
""", 2),
    Sample("nuclei", "json", "json", """[{"template-id": "exposed-panel", "info": {"name": @TEXT@,
        "severity": "high", "reference": @NEST@}, "type": "http", "host": "https://app.test",
        "matched-at": "https://app.test/admin"}]""", 1),
    Sample("headers", "json", "json", """{"schema": "cspm-headers/1", "url": "https://app.test/",
        "final_url": "https://app.test/", "results": [{"check_id": "missing-hsts", "result": "fail",
        "title": @TEXT@, "severity": "medium", "references": @NEST@}]}""", 1),
    Sample("generic", "json", "json", """{"scanner": "acme", "version": 1, "findings": [{"rule_id": "A-1",
        "title": @TEXT@, "severity": "low", "resource": {"type": "url", "id": "https://app.test/"},
        "references": @NEST@}]}""", 1),
    Sample("generic", "csv", "csv", "rule_id,title,severity,resource_id\nA-1,@TEXT@,low,https://app.test/\n", 1),
    Sample("sarif", "sarif", "json", """{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "Semgrep OSS",
        "rules": [{"id": "py.sqli", "shortDescription": {"text": "SQL injection"}, "properties": {"tags": @NEST@}}]}},
        "results": [{"ruleId": "py.sqli", "level": "error", "message": {"text": @TEXT@},
          "locations": [{"physicalLocation": {"artifactLocation": {"uri": "app/db.py"},
            "region": {"startLine": 12}}}]}]}]}""", 1),
    Sample("sarif", "json", "json", """{"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "CodeQL", "rules": [{"id": "js/xss",
          "properties": {"tags": @NEST@}}]}}, "results": [{"ruleId": "js/xss", "level": "warning",
          "message": {"text": @TEXT@}, "locations": [{"physicalLocation": {"artifactLocation": {"uri": "src/a.js"},
            "region": {"startLine": 3}}}]}]}]}""", 1),
    Sample("cyclonedx", "cyclonedx-json", "json", """{"bomFormat": "CycloneDX", "specVersion": "1.6",
        "components": [{"bom-ref": "pkg:npm/left-pad@1.3.0", "type": "library", "name": "left-pad",
          "version": "1.3.0", "purl": "pkg:npm/left-pad@1.3.0"}],
        "vulnerabilities": [{"id": "CVE-2024-0001", "description": @TEXT@,
          "ratings": [{"severity": "high"}], "advisories": @NEST@,
          "affects": [{"ref": "pkg:npm/left-pad@1.3.0"}]}]}""", 1),
    Sample("kubescape", "json", "json", """{"clusterName": "prod", "generationTime": "2026-01-01T00:00:00Z",
        "summaryDetails": {"controls": {"C-0017": {"name": "Immutable container filesystem", "scoreFactor": 3}}},
        "results": [{"resourceID": "apps/v1/default/Deployment/web", "controls": [{"controlID": "C-0017",
          "name": @TEXT@, "status": {"status": "failed"}, "rules": [{"name": "immutable-fs", "status": "failed",
            "paths": @NEST@}]}]}]}""", 1),
    Sample("testssl", "json", "json", """[{"id": "service", "ip": "app.test/10.0.0.1", "port": "443",
        "severity": "INFO", "finding": "HTTP"},
        {"id": "LUCKY13", "ip": "app.test/10.0.0.1", "port": "443", "severity": "LOW", "cve": "CVE-2013-0169",
         "finding": @TEXT@, "extra": @NEST@}]""", 1),
    Sample("testssl", "csv", "csv", '"id","fqdn/ip","port","severity","finding","cve","cwe"\n'
           '"LUCKY13","app.test/10.0.0.1","443","LOW",@TEXT@,"CVE-2013-0169","CWE-310"\n', 1),
    Sample("ssl_labs", "json", "json", """[{"host": "app.test", "port": 443, "protocol": "http", "status": "READY",
        "engineVersion": "2.1.8", "endpoints": [{"ipAddress": "10.0.0.1", "serverName": @TEXT@,
          "statusMessage": "Ready", "grade": "C",
          "details": {"vulnBeast": true, "protocols": [{"id": 769, "name": "TLS", "version": "1.0"}],
            "extra": @NEST@}}]}]""", 2),
    Sample("syft", "cyclonedx-json", "json", """{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [
        {"type": "library", "name": "left-pad", "version": "1.3.0", "purl": "pkg:npm/left-pad@1.3.0",
         "description": @TEXT@, "tags": @NEST@}]}""", 1),
    Sample("syft", "spdx-json", "json", """{"spdxVersion": "SPDX-2.3", "packages": [
        {"SPDXID": "SPDXRef-Package-npm-left-pad-1", "name": "left-pad", "versionInfo": "1.3.0",
         "description": @TEXT@, "attributionTexts": @NEST@}]}""", 1),
    Sample("syft", "syft-json", "json", """{"artifacts": [{"name": "left-pad", "version": "1.3.0", "type": "npm",
        "purl": "pkg:npm/left-pad@1.3.0", "foundBy": @TEXT@, "cpes": @NEST@}],
        "artifactRelationships": [], "source": {"type": "directory"}, "descriptor": {"name": "syft"}}""", 1),
)


def report(sample: Sample, *, text: str = "An ordinary title", nest: str = "ordinary") -> bytes:
    """The sample with ``text`` in its text slot and the ``nest`` shape (ordinary, deep, wide) in its nest slot."""
    filled = sample.template.replace("@TEXT@", TEXT_ENCODERS[sample.syntax](text))
    if sample.nests:
        filled = filled.replace("@NEST@", NEST_VALUES["xml" if sample.syntax.startswith("xml") else "json"][nest])
    return filled.encode()


def huge_text() -> str:
    return "x" * HUGE_TEXT_BYTES
