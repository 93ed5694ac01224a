"""Real scanner runs through LocalExecutor against things the test opens on 127.0.0.1.

Each test asserts on the report the tool itself wrote (it exists, is well-formed and holds
the planted issue) and, when the report parsers are installed, on the findings they make.
"""

from __future__ import annotations

import importlib
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from cspm.findings.models import CanonicalFinding
from cspm.scanners.base import Target, TargetKind
from cspm.scanners.executors import ExecutionState
from cspm.scanners.headers.parser import HeaderReportParser

from .conftest import PLANTED_ACCESS_KEY

pytestmark = pytest.mark.slow


def parse_with_registered_parser(tool: str, report: Path) -> list[CanonicalFinding] | None:
    """Findings from the platform's parser for `tool`, or None while the parser registry is absent."""
    try:
        parsers = importlib.import_module("cspm.scanners.parsers")
    except ModuleNotFoundError as exc:
        if exc.name == "cspm.scanners.parsers":
            return None
        raise
    with report.open("rb") as handle:
        return list(parsers.get_parser(tool).parse(handle))


async def test_nmap_finds_the_open_port(runner, service_port):
    run = await runner.run("nmap", Target(TargetKind.NETWORK, "127.0.0.1", {"ports": str(service_port)}))
    try:
        result = run.result
        assert result.state is ExecutionState.SUCCEEDED, result.reason
        assert result.exit_code == 0
        root = ET.parse(result.report_path).getroot()
        assert root.tag == "nmaprun" and "-sV" in root.get("args", "")
        ports = root.findall("./host/ports/port")
        assert [(port.get("portid"), port.find("state").get("state")) for port in ports] == \
            [(str(service_port), "open")]
        service = ports[0].find("service")
        assert service.get("name") == "http" and service.get("method") == "probed"
        assert "SimpleHTTPServer" in service.get("product", "")
        findings = parse_with_registered_parser("nmap", result.report_path)
        if findings is not None:
            assert any(f"127.0.0.1:{service_port}" in finding.resource.id for finding in findings)
    finally:
        run.cleanup()


async def test_trivy_fs_offline_finds_secret_and_misconfigurations(runner, iac_repository):
    run = await runner.run("trivy", Target(TargetKind.REPOSITORY, str(iac_repository)))
    try:
        result = run.result
        assert result.state is ExecutionState.SUCCEEDED, f"{result.reason}\n{result.stderr_tail}"
        report = json.loads(result.report_path.read_text())
        by_target = {item["Target"]: item for item in report["Results"]}
        secrets = by_target["deploy.env"]["Secrets"]
        assert {secret["RuleID"] for secret in secrets} >= {"aws-access-key-id", "aws-secret-access-key"}
        assert PLANTED_ACCESS_KEY not in json.dumps(secrets)  # trivy masks the value itself
        dockerfile_ids = {item["ID"] for item in by_target["Dockerfile"]["Misconfigurations"]}
        terraform_ids = {item["ID"] for item in by_target["main.tf"]["Misconfigurations"]}
        assert "DS-0002" in dockerfile_ids  # image runs as root
        assert "AWS-0107" in terraform_ids  # ingress from 0.0.0.0/0
        findings = parse_with_registered_parser("trivy", result.report_path)
        if findings is not None:
            assert {"aws-access-key-id", "DS-0002", "AWS-0107"} <= {finding.rule_id for finding in findings}
    finally:
        run.cleanup()


async def test_trivy_config_offline_scans_iac_only(runner, iac_repository):
    run = await runner.run("trivy", Target(TargetKind.REPOSITORY, str(iac_repository), {"mode": "config"}))
    try:
        result = run.result
        assert result.state is ExecutionState.SUCCEEDED, f"{result.reason}\n{result.stderr_tail}"
        report = json.loads(result.report_path.read_text())
        targets = {item["Target"] for item in report["Results"]}
        assert {"Dockerfile", "main.tf"} <= targets
        assert "deploy.env" not in targets
        failed = [item for result_item in report["Results"] for item in result_item.get("Misconfigurations") or []
                  if item["Status"] == "FAIL"]
        assert any(item["ID"] == "AWS-0107" for item in failed)
    finally:
        run.cleanup()


async def test_syft_writes_cyclonedx_and_spdx(runner, iac_repository):
    run = await runner.run("syft", Target(TargetKind.REPOSITORY, str(iac_repository)))
    try:
        result = run.result
        assert result.state is ExecutionState.SUCCEEDED, result.reason
        assert [path.name for path in result.outputs] == ["sbom.cdx.json", "sbom.spdx.json"]
        cyclonedx = json.loads(result.report_path.read_text())
        assert cyclonedx["bomFormat"] == "CycloneDX"
        components = {(item["name"], item.get("version")) for item in cyclonedx["components"]}
        assert {("requests", "2.31.0"), ("flask", "2.0.1")} <= components
        spdx = json.loads((result.report_path.parent / "sbom.spdx.json").read_text())
        assert spdx["spdxVersion"].startswith("SPDX-")
        assert {"requests", "flask"} <= {package["name"] for package in spdx["packages"]}
    finally:
        run.cleanup()


async def test_sslyze_against_self_signed_server(runner, tls_port):
    run = await runner.run("sslyze", Target(TargetKind.TLS_ENDPOINT, f"127.0.0.1:{tls_port}"))
    try:
        result = run.result
        assert result.state is ExecutionState.SUCCEEDED, f"{result.reason}\n{result.stdout_tail}"
        assert result.exit_code in (0, 1)  # 1: not compliant with Mozilla's profile, still a result
        report = json.loads(result.report_path.read_text())
        [server] = report["server_scan_results"]
        assert server["server_location"]["port"] == tls_port
        assert server["connectivity_status"] == "COMPLETED"
        deployments = server["scan_result"]["certificate_info"]["result"]["certificate_deployments"]
        validations = deployments[0]["path_validation_results"]
        assert validations and not any(item["was_validation_successful"] for item in validations)
        findings = parse_with_registered_parser("sslyze", result.report_path)
        if findings is not None:
            assert findings, "a self-signed certificate must produce at least one finding"
    finally:
        run.cleanup()


async def test_header_check_against_local_server(runner, http_port):
    url = f"http://127.0.0.1:{http_port}/"
    run = await runner.run("headers", Target(TargetKind.WEB_APPLICATION, url))
    try:
        result = run.result
        assert result.state is ExecutionState.SUCCEEDED, result.reason
        report = json.loads(result.report_path.read_text())
        assert report["status_code"] == 200 and report["final_url"] == url
        failed = {item["check_id"] for item in report["results"] if item["result"] == "fail"}
        assert {"no-https", "missing-csp", "missing-frame-protection", "missing-content-type-options",
                "server-version-disclosure", "x-powered-by-disclosure", "insecure-cookie"} <= failed
        with result.report_path.open("rb") as handle:
            findings = list(HeaderReportParser().parse(handle))
        cookie = next(finding for finding in findings if finding.rule_id == "insecure-cookie")
        assert cookie.resource.id == url and cookie.identity["subject"] == "session"
        assert "HttpOnly" in cookie.title and "SameSite" in cookie.title
    finally:
        run.cleanup()


async def test_header_check_against_unreachable_port_fails_cleanly(runner):
    import socket

    with socket.socket() as sock:  # a port that was free a moment ago: connection refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    run = await runner.run("headers", Target(TargetKind.WEB_APPLICATION, f"http://127.0.0.1:{port}/"))
    try:
        assert run.result.state is ExecutionState.FAILED
        assert run.result.reason.startswith("ConnectError")
        assert run.workspace.outputs() == ()
    finally:
        run.cleanup()


async def test_nmap_outside_allowlist_is_refused_before_running(runner):
    run = await runner.run("nmap", Target(TargetKind.NETWORK, "8.8.8.8"))
    try:
        assert run.result.state is ExecutionState.FAILED
        assert "outside the scan allow-list" in run.result.reason
    finally:
        run.cleanup()


async def test_timeout_of_a_real_tool(runner, tmp_path):
    """nmap version-probing a port that accepts and never answers, with a timeout far too short."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]
    try:
        run = await runner.run("nmap", Target(TargetKind.NETWORK, "127.0.0.1", {"ports": str(port)}), timeout=1.0)
        assert run.result.state is ExecutionState.TIMED_OUT
        assert run.workspace.outputs() == ()  # nmap's partial XML is gone
        run.cleanup()
    finally:
        listener.close()
