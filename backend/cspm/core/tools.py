"""Scanner tool binaries: where they are and which version answers.

Used by the health status, the integrity monitor and the local executor. Binaries are
looked up on PATH, then in the platform's own virtual environment (the trivy, syft and
sslyze wheels install there), then in `TOOLS_DIR/<tool>/bin` (Prowler's own venv).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from cspm.core.integrity import SystemIntegrityMonitor

VERSION_TIMEOUT_SECONDS = 20


@dataclass(frozen=True)
class ToolBinary:
    name: str
    executable: str
    version_args: tuple[str, ...]
    purpose: str


TOOL_CATALOGUE: tuple[ToolBinary, ...] = (
    ToolBinary("nmap", "nmap", ("--version",), "network service discovery"),
    ToolBinary("trivy", "trivy", ("--version",), "container, filesystem and IaC scanning"),
    ToolBinary("syft", "syft", ("version",), "SBOM generation"),
    ToolBinary("grype", "grype", ("version",), "image vulnerability matching"),
    ToolBinary("sslyze", "sslyze", ("--help",), "TLS configuration checks"),
    ToolBinary("prowler", "prowler", ("--version",), "cloud posture (AWS, GCP, Azure)"),
    ToolBinary("zap", "zap-baseline.py", ("-h",), "web application scanning"),
    ToolBinary("nuclei", "nuclei", ("-version",), "template-based vulnerability scanning"),
)

_VERSION_PATTERN = re.compile(r"(\d+\.\d+(?:\.\d+)?)")


REPOSITORY_ROOT = Path(__file__).resolve().parents[3]


def tools_dir() -> Path:
    """TOOLS_DIR, else `.tools` in the working directory, else the repository's `.tools`
    (scripts/install-prowler.sh installs there; tests and workers run from backend/)."""
    if configured := os.environ.get("TOOLS_DIR"):
        return Path(configured).resolve()
    local = Path(".tools").resolve()
    return local if local.is_dir() else REPOSITORY_ROOT / ".tools"


def search_path() -> str:
    extra = [str(Path(sys.executable).parent)]
    if tools_dir().is_dir():
        extra += [str(path / "bin") for path in sorted(tools_dir().iterdir()) if (path / "bin").is_dir()]
    return os.pathsep.join([os.environ.get("PATH", ""), *extra])


def locate(executable: str) -> str | None:
    return shutil.which(executable, path=search_path())


@dataclass(frozen=True)
class ToolStatus:
    name: str
    found: bool
    path: str | None
    version: str | None
    purpose: str
    error: str | None = None


# A binary's version does not change under a running process: one answer serves every caller
# (health status, the start-up check, every app a test builds) for a while. Keyed by path, so a
# tool installed meanwhile is seen at once. The probe runs on a thread behind a per-tool lock:
# callers arriving while it runs (Prowler takes seconds to print its version) wait for that one
# answer instead of starting the tool again, whichever event loop they come from.
PROBE_CACHE_SECONDS = 300.0
_probe_cache: dict[tuple[str, str], tuple[float, ToolStatus]] = {}
_probe_locks: dict[tuple[str, str], threading.Lock] = {}
_locks_guard = threading.Lock()


async def probe(tool: ToolBinary) -> ToolStatus:
    path = locate(tool.executable)
    if path is None:
        return ToolStatus(tool.name, False, None, None, tool.purpose, "not installed")
    return await asyncio.to_thread(_probe_once, tool, path)


def _probe_once(tool: ToolBinary, path: str) -> ToolStatus:
    key = (tool.name, path)
    with _locks_guard:
        lock = _probe_locks.setdefault(key, threading.Lock())
    with lock:
        cached = _probe_cache.get(key)
        if cached is not None and time.monotonic() - cached[0] < PROBE_CACHE_SECONDS:
            return cached[1]
        status = _run_version(tool, path)
        if status.found:
            _probe_cache[key] = (time.monotonic(), status)
        return status


def _run_version(tool: ToolBinary, path: str) -> ToolStatus:
    try:
        completed = subprocess.run([path, *tool.version_args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, timeout=VERSION_TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        return ToolStatus(tool.name, False, path, None, tool.purpose,
                          f"did not answer within {VERSION_TIMEOUT_SECONDS} s")
    except OSError as exc:
        return ToolStatus(tool.name, False, path, None, tool.purpose, f"did not start: {exc!r}")
    match = _VERSION_PATTERN.search(completed.stdout.decode(errors="replace"))
    return ToolStatus(tool.name, True, path, match.group(1) if match else "unknown", tool.purpose)


async def probe_all(catalogue: tuple[ToolBinary, ...] = TOOL_CATALOGUE) -> list[ToolStatus]:
    return list(await asyncio.gather(*(probe(tool) for tool in catalogue)))


def report_tools(statuses: list[ToolStatus], integrity: SystemIntegrityMonitor) -> list[ToolStatus]:
    """The one place tool availability reaches the integrity monitor: a ``tool:<name>`` component
    per binary and the ``scanner_tools`` summary naming every missing one, so the two never disagree."""
    for status in statuses:
        if status.found:
            integrity.optimal(f"tool:{status.name}", f"local {status.version} at {status.path}")
        else:
            integrity.degraded(f"tool:{status.name}", "missing",
                               f"{status.purpose} unavailable with the local executor ({status.error})")
    missing = [status.name for status in statuses if not status.found]
    if missing:
        integrity.degraded("scanner_tools", "local",
                           f"missing: {', '.join(missing)}; scans needing them fail with state tool_missing")
    else:
        integrity.optimal("scanner_tools", "local")
    return [status for status in statuses if not status.found]
