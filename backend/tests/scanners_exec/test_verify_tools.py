"""Start-up verification of native tool binaries, reported to the integrity monitor."""

from __future__ import annotations

import pytest

from cspm.core.integrity import ComponentState, SystemIntegrityMonitor
from cspm.core.tools import locate
from cspm.scanners.executors import NativeToolsUnavailable, local_tools, verify_native_tools_or_fail
from cspm.scanners.invocations import default_registry


async def test_installed_tools_are_reported_optimal():
    monitor = SystemIntegrityMonitor()
    statuses = await verify_native_tools_or_fail(["nmap", "trivy", "syft", "sslyze"], monitor)
    assert all(status.found for status in statuses)
    assert monitor.get("tool:nmap").state is ComponentState.OPTIMAL
    assert monitor.get("tool:trivy").mode.startswith("local 0.")
    # One source of truth: the summary names exactly the catalogue tools the per-tool entries call missing.
    missing = sorted(status.component.removeprefix("tool:") for status in monitor.snapshot()
                     if status.component.startswith("tool:") and status.state is not ComponentState.OPTIMAL)
    summary = monitor.get("scanner_tools")
    if missing:
        assert summary.state is ComponentState.DEGRADED
        assert sorted(summary.impact.removeprefix("missing: ").split(";")[0].split(", ")) == missing
    else:
        assert summary.state is ComponentState.OPTIMAL


async def test_missing_tool_fails_start_up_or_degrades():
    """grype, ZAP and nuclei have no wheel and no Debian package here: really missing."""
    missing = next((name for name, binary in (("grype", "grype"), ("zap", "zap-baseline.py"), ("nuclei", "nuclei"))
                    if locate(binary) is None), None)
    if missing is None:
        pytest.skip("every catalogued tool is installed on this machine")
    monitor = SystemIntegrityMonitor()
    with pytest.raises(NativeToolsUnavailable, match=rf"{missing} \(not installed\)"):
        await verify_native_tools_or_fail(["nmap", missing], monitor)
    assert monitor.get(f"tool:{missing}").state is ComponentState.DEGRADED
    assert monitor.get("scanner_tools").state is ComponentState.DEGRADED
    lenient = SystemIntegrityMonitor()
    statuses = await verify_native_tools_or_fail([missing], lenient, fail=False)
    assert [status.found for status in statuses] == [False]
    with pytest.raises(ValueError, match="unknown tool"):
        await verify_native_tools_or_fail(["nessus"], lenient)


def test_local_tools_exclude_docker_only_and_in_process():
    assert local_tools(default_registry()) == ["nmap", "trivy", "syft", "grype", "sslyze", "prowler"]
