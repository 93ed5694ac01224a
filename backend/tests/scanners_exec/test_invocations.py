"""Invocation builders and the registry: argv/args per target, validation, loud failures."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from cspm.core.settings import ExecutorMode
from cspm.scanners.base import DockerInvocation, InProcessInvocation, LocalInvocation, Target, TargetKind
from cspm.scanners.invocations import (
    INVOCATION_MODULES,
    BuildContext,
    InvocationError,
    InvocationRegistry,
    InvocationRegistryError,
    ToolInvocationSpec,
    default_registry,
    load_registry,
)
from cspm.scanners.network_policy import DestinationPolicy
from cspm.scanners.settings import ScannerSettings
from cspm.scanners.workspace import JobWorkspace
from tests.conftest import StaticResolver

DIGEST = "sha256:" + "a" * 64


# Builders only check and resolve (from a table): nothing here connects anywhere.
ALLOWLIST = ["public", "127.0.0.1/32", "::1/128", "10.0.0.0/8"]


@pytest.fixture
def context(tmp_path: Path) -> BuildContext:
    settings = ScannerSettings(path_roots=[tmp_path], trivy_offline=True, network_allowlist=ALLOWLIST,
                               images={tool: f"example/{tool}@{DIGEST}" for tool in
                                       ("nmap", "trivy", "syft", "grype", "sslyze", "prowler", "zap", "nuclei")})
    return BuildContext(JobWorkspace.create("t", tmp_path / "jobs"), settings,
                        DestinationPolicy(ALLOWLIST, StaticResolver()))


def build(tool: str, target: Target, context: BuildContext, mode: ExecutorMode = ExecutorMode.LOCAL):
    return default_registry().get(tool).build(mode, target, context)


def test_registry_lists_every_tool_with_its_queue():
    registry = default_registry()
    assert registry.tools() == ["grype", "headers", "nmap", "nuclei", "prowler", "sslyze", "syft", "trivy", "zap"]
    queues = {spec.tool: spec.queue for spec in registry}
    assert queues == {"nmap": "network", "trivy": "container", "syft": "container", "grype": "container",
                      "sslyze": "web", "prowler": "cloud", "zap": "web", "nuclei": "web", "headers": "web"}
    assert {spec.tool for spec in registry.for_target(TargetKind.WEB_APPLICATION)} == \
        {"sslyze", "zap", "nuclei", "headers"}
    assert registry.get("zap").modes() == {ExecutorMode.DOCKER}


def test_registry_fails_loudly_on_duplicates_broken_imports_and_missing_spec(monkeypatch):
    spec = default_registry().get("nmap")
    with pytest.raises(InvocationRegistryError, match="'nmap' is declared twice"):
        InvocationRegistry([spec, spec])
    broken = types.ModuleType("cspm_test_broken_invocation")
    monkeypatch.setitem(sys.modules, "cspm_test_empty_invocation", broken)
    with pytest.raises(InvocationRegistryError, match="declares no SPEC"):
        load_registry([*INVOCATION_MODULES, "cspm_test_empty_invocation"])
    with pytest.raises(InvocationRegistryError, match=r"cspm\.scanners\.nosuchtool\.invocation failed to import"):
        load_registry(["cspm.scanners.nosuchtool.invocation"])
    with pytest.raises(InvocationRegistryError, match="unknown queue 'gpu'"):
        InvocationRegistry([ToolInvocationSpec("x", frozenset({TargetKind.NETWORK}), "gpu",
                                               build_local=spec.build_local)])


def test_unknown_tool_wrong_target_and_unsupported_mode(context):
    with pytest.raises(InvocationError, match="unknown scanner tool 'nessus'"):
        default_registry().get("nessus")
    with pytest.raises(InvocationError, match="nmap does not scan web_application targets"):
        build("nmap", Target(TargetKind.WEB_APPLICATION, "https://example.com"), context)
    with pytest.raises(InvocationError, match="zap cannot run with the local executor"):
        build("zap", Target(TargetKind.WEB_APPLICATION, "https://example.com"), context)


def test_nmap_argv_and_allowlist(context):
    invocation = build("nmap", Target(TargetKind.NETWORK, "127.0.0.1, 10.1.2.0/30", {"ports": "22,80,8000-8100"}),
                       context)
    assert isinstance(invocation, LocalInvocation)
    report = str(context.workspace.output_dir / "nmap.xml")
    assert invocation.argv == ("nmap", "-sV", "-Pn", "-T4", "--host-timeout", "15m", "--max-retries", "2",
                               "-oX", report, "-p", "22,80,8000-8100", "127.0.0.1", "10.1.2.0/30")
    for value, problem in (("192.168.1.1", "refused by rule private"),
                           ("127.0.0.0/30", "refused by rule loopback"),
                           ("--script=evil 127.0.0.1", "invalid host name"),
                           ("10.0.0.0/8", "at most 4096 per scan"),
                           ("127.0.0.1 ::1", "IPv4 and IPv6")):
        with pytest.raises(InvocationError, match=problem):
            build("nmap", Target(TargetKind.NETWORK, value), context)
    with pytest.raises(InvocationError, match="invalid port list"):
        build("nmap", Target(TargetKind.NETWORK, "127.0.0.1", {"ports": "80 -oN /etc/passwd"}), context)
    docker = build("nmap", Target(TargetKind.NETWORK, "127.0.0.1"), context, ExecutorMode.DOCKER)
    assert docker.args[:2] == ("-sT", "--unprivileged") and docker.report_path == Path("/out/nmap.xml")


def test_trivy_offline_flags_modes_and_paths(context, tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    fs = build("trivy", Target(TargetKind.REPOSITORY, str(repo)), context)
    assert fs.argv[:4] == ("trivy", "fs", "--scanners", "misconfig,secret")
    assert {"--skip-db-update", "--skip-check-update", "--offline-scan", "--disable-telemetry"} <= set(fs.argv)
    assert fs.argv[-1] == str(repo) and fs.argv[fs.argv.index("-f") + 1] == "json"
    config = build("trivy", Target(TargetKind.REPOSITORY, str(repo), {"mode": "config"}), context)
    assert config.argv[1] == "config" and "--offline-scan" not in config.argv
    online = BuildContext(context.workspace, context.settings.model_copy(update={"trivy_offline": False}),
                          context.destinations)
    fs_online = build("trivy", Target(TargetKind.REPOSITORY, str(repo)), online)
    assert "vuln,misconfig,secret" in fs_online.argv and "--skip-db-update" not in fs_online.argv
    image = build("trivy", Target(TargetKind.CONTAINER_IMAGE, "registry.example.com:5000/team/app:1.2"), context)
    assert image.argv[1] == "image" and image.argv[-1] == "registry.example.com:5000/team/app:1.2"
    k8s = build("trivy", Target(TargetKind.CLOUD_ACCOUNT, "prod-cluster", {"mode": "k8s"}), context)
    assert k8s.argv[1:4] == ("k8s", "--report", "all") and k8s.argv[-1] == "prod-cluster"
    for value, problem in (("/etc", "outside the directories"), ("relative/path", "must be absolute"),
                           (str(tmp_path / "missing"), "does not exist")):
        with pytest.raises(InvocationError, match=problem):
            build("trivy", Target(TargetKind.REPOSITORY, value), context)
    with pytest.raises(InvocationError, match="invalid container image reference"):
        build("trivy", Target(TargetKind.CONTAINER_IMAGE, "--input /etc/shadow"), context)
    docker = build("trivy", Target(TargetKind.REPOSITORY, str(repo)), context, ExecutorMode.DOCKER)
    assert docker.read_only_mounts == {str(repo.resolve()): "/in"} and docker.args[-1] == "/in"
    assert docker.network == "none"  # offline directory scan: nothing to reach


def test_sslyze_and_headers_targets(context):
    sslyze = build("sslyze", Target(TargetKind.TLS_ENDPOINT, "127.0.0.1:8443"), context)
    assert sslyze.argv[-1] == "127.0.0.1:8443" and sslyze.ok_exit_codes == {0, 1}
    from_url = build("sslyze", Target(TargetKind.WEB_APPLICATION, "https://example.com/login"), context)
    assert from_url.argv[-1] == "example.com:443{93.184.215.14}"  # connects to the address that was checked
    ipv6 = build("sslyze", Target(TargetKind.TLS_ENDPOINT, "[::1]:443"), context)
    assert ipv6.argv[-1] == "[::1]:443"
    with pytest.raises(InvocationError, match="must be https"):
        build("sslyze", Target(TargetKind.WEB_APPLICATION, "http://example.com"), context)
    headers = build("headers", Target(TargetKind.WEB_APPLICATION, "https://example.com/"), context)
    assert isinstance(headers, InProcessInvocation) and headers.report_path.name == "headers.json"
    with pytest.raises(InvocationError, match="invalid web application URL"):
        build("headers", Target(TargetKind.WEB_APPLICATION, "file:///etc/passwd"), context)
    for tool, target in (("headers", Target(TargetKind.WEB_APPLICATION, "http://169.254.169.254/latest/")),
                         ("sslyze", Target(TargetKind.TLS_ENDPOINT, "metadata.google.internal:443")),
                         ("sslyze", Target(TargetKind.TLS_ENDPOINT, "[::ffff:169.254.169.254]:443"))):
        with pytest.raises(InvocationError, match="refused by rule cloud-metadata"):
            build(tool, target, context)


def test_prowler_arguments_keep_credentials_off_argv(context):
    context = BuildContext(context.workspace, context.settings, context.destinations,
                           {"AWS_ACCESS_KEY_ID": "AKIAEXAMPLEEXAMPLE12", "AWS_SECRET_ACCESS_KEY": "s" * 40})
    target = Target(TargetKind.CLOUD_ACCOUNT, "123456789012",
                    {"provider": "aws", "regions": "us-east-1,eu-west-1", "services": "s3,iam",
                     "role_arn": "arn:aws:iam::123456789012:role/Audit", "external_id": "ext-123"})
    invocation = build("prowler", target, context)
    assert invocation.argv[:5] == ("prowler", "aws", "-f", "us-east-1", "eu-west-1")
    assert ("--role", "arn:aws:iam::123456789012:role/Audit") == invocation.argv[5:7]
    assert "json-ocsf" in invocation.argv and invocation.ok_exit_codes == {0, 3}
    assert not any("AKIA" in part or "s" * 40 in part for part in invocation.argv)
    assert invocation.env["AWS_SECRET_ACCESS_KEY"] == "s" * 40
    key = context.workspace.write_secret("gcp.json", b"{}")
    gcp_context = BuildContext(context.workspace, context.settings, context.destinations,
                               {"GOOGLE_APPLICATION_CREDENTIALS": str(key)})
    gcp = build("prowler", Target(TargetKind.CLOUD_ACCOUNT, "p", {"provider": "gcp", "project_ids": "my-project-1"}),
                gcp_context, ExecutorMode.DOCKER)
    assert gcp.env["GOOGLE_APPLICATION_CREDENTIALS"] == "/secrets/gcp.json"
    assert gcp.read_only_mounts == {str(context.workspace.secrets_dir): "/secrets"}
    assert gcp.args[:3] == ("gcp", "--project-id", "my-project-1")
    azure = build("prowler", Target(TargetKind.CLOUD_ACCOUNT, "a", {
        "provider": "azure", "tenant_id": "11111111-2222-3333-4444-555555555555",
        "subscription_ids": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"}), context)
    assert azure.argv[1:5] == ("azure", "--sp-env-auth", "--tenant-id", "11111111-2222-3333-4444-555555555555")
    for options, problem in (({"provider": "oracle"}, "unknown cloud provider"),
                             ({"provider": "aws", "regions": "us-east-1 --x"}, "invalid AWS region"),
                             ({"provider": "aws", "role_arn": "arn:aws:iam::1:user/x"}, "invalid IAM role ARN")):
        with pytest.raises(InvocationError, match=problem):
            build("prowler", Target(TargetKind.CLOUD_ACCOUNT, "x", options), context)


def test_zap_and_nuclei_docker_invocations(context):
    zap = build("zap", Target(TargetKind.WEB_APPLICATION, "https://app.example.com"), context, ExecutorMode.DOCKER)
    assert isinstance(zap, DockerInvocation)
    assert zap.args[:3] == ("zap-baseline.py", "-t", "https://app.example.com/")  # the URL as the policy read it
    assert zap.extra_hosts == {"app.example.com": "93.184.215.14"}  # the container resolves to what was checked
    assert {"-J", "-x"} <= set(zap.args) and zap.report_path == Path("/zap/wrk/zap.json")
    assert zap.ok_exit_codes == {0, 1, 2} and "/home/zap" in zap.writable_paths
    full = build("zap", Target(TargetKind.WEB_APPLICATION, "https://app.example.com", {"mode": "full"}), context,
                 ExecutorMode.DOCKER)
    assert full.args[0] == "zap-full-scan.py"
    nuclei = build("nuclei", Target(TargetKind.WEB_APPLICATION, "https://app.example.com",
                                    {"severity": "high,critical"}), context, ExecutorMode.DOCKER)
    assert nuclei.report_path == Path("/out/nuclei.jsonl") and "-jsonl" in nuclei.args
    assert nuclei.args[-2:] == ("-severity", "high,critical")
    assert nuclei.extra_hosts == {"app.example.com": "93.184.215.14"}
    # Redirects off for every template; a public target also keeps nuclei off local networks.
    assert {"-disable-redirects", "-restrict-local-network-access"} <= set(nuclei.args)
    private = build("nuclei", Target(TargetKind.WEB_APPLICATION, "http://10.1.2.3:8080/"), context,
                    ExecutorMode.DOCKER)
    assert "-disable-redirects" in private.args and "-restrict-local-network-access" not in private.args
    assert private.extra_hosts == {}


def test_syft_and_grype_sources(context, tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    syft = build("syft", Target(TargetKind.REPOSITORY, str(repo)), context)
    assert syft.argv[1:3] == ("scan", f"dir:{repo.resolve()}")
    assert any(part.startswith("spdx-json=") for part in syft.argv)
    sbom = tmp_path / "sbom.json"
    sbom.write_text("{}")
    grype = build("grype", Target(TargetKind.REPOSITORY, str(sbom), {"mode": "sbom"}), context, ExecutorMode.DOCKER)
    assert grype.args[0] == "sbom:/in/sbom.json" and grype.read_only_mounts == {str(sbom.resolve()): "/in/sbom.json"}


def test_settings_from_environment(monkeypatch):
    monkeypatch.setenv("SCANNER_NETWORK_ALLOWLIST", "192.0.2.0/24, 127.0.0.1/32")
    monkeypatch.setenv("SCANNER_IMAGES", f'{{"zap": "zaproxy/zap-stable@{DIGEST}"}}')
    monkeypatch.setenv("SCANNER_TRIVY_OFFLINE", "true")
    monkeypatch.setenv("SCANNER_TIMEOUTS", '{"nmap": 60}')
    settings = ScannerSettings()
    assert settings.network_allowlist == ["192.0.2.0/24", "127.0.0.1/32"]
    assert settings.image_for("zap") == f"zaproxy/zap-stable@{DIGEST}"
    assert settings.image_for("trivy") == "aquasec/trivy"  # defaults kept for the others
    assert settings.trivy_offline is True and settings.timeout_for("nmap") == 60
    assert settings.timeout_for("prowler") == 4 * 3600
    monkeypatch.setenv("SCANNER_NETWORK_ALLOWLIST", "everything")  # a typo of "public" is no host name either
    with pytest.raises(ValueError, match="'everything' is not a network"):
        ScannerSettings()
    monkeypatch.delenv("SCANNER_NETWORK_ALLOWLIST")
    assert ScannerSettings().network_allowlist == ["public"]  # private ranges only when listed
