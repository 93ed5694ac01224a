"""Every README walkthrough runs as written, against a fresh `cspm serve` of its own.

A walkthrough is a ```bash block that starts with ``API=http://127.0.0.1:8000/api``; a later
block that uses ``$API`` without setting it ("continuing the walkthrough above") continues the
one before, in the same bash session. Each runs in `bash` from the repository
root on a new data directory, exactly as written except the port: the server listens on a free
one and ``127.0.0.1:8000`` is rewritten to it, so a platform already on 8000 is never touched.
The settings are the ones the README names for its walkthroughs (the scan allow-list naming
this machine, Trivy offline); everything else is the default a new user gets. The other bash
blocks are the two commands (CI runs the second, which is this suite) and the benchmarks (run
by hand: they measure, they do not check).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis

from cspm.core.settings import CoreSettings, DatabaseNameSettings
from tests.conftest import TEST_REDIS_URL

REPO = Path(__file__).resolve().parents[3]
README = REPO / "README.md"
BLOCK = re.compile(r"^```bash\n(.*?)^```", re.MULTILINE | re.DOTALL)
START = "API=http://127.0.0.1:8000/api\n"
SECTION = re.compile(r"^## (.+?)\n(.*?)(?=^## |\Z)", re.MULTILINE | re.DOTALL)
pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Walkthrough:
    heading: str
    script: str


def walkthroughs() -> list[Walkthrough]:
    text = README.read_text(encoding="utf-8")
    found: list[Walkthrough] = []
    for section in SECTION.finditer(text):
        heading, body = section.group(1), section.group(2)
        for block in BLOCK.finditer(body):
            script = block.group(1)
            if script.startswith(START):
                found.append(Walkthrough(heading, script))
            elif found and "$API" in script:
                # "Continuing the walkthrough above (same API and H)": one bash session with it.
                name = found[-1].heading if found[-1].heading.endswith(heading) else f"{found[-1].heading} + {heading}"
                found[-1] = Walkthrough(name, found[-1].script + script)
    return found


def test_the_readme_has_walkthroughs():
    names = [walkthrough.heading for walkthrough in walkthroughs()]
    assert names[0] == "Walkthrough: users, MFA, teams", names
    assert any(name.startswith("Walkthrough: targets, scans, findings + ") for name in names), names
    assert "Compliance" in names, names


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(tmp_path: Path, port: int, prefix: str) -> subprocess.Popen[bytes]:
    names = {name.upper() for name in [*CoreSettings.model_fields, *DatabaseNameSettings.model_fields]}
    # The suite's own settings (baseline registry, no KEV at start-up) are not a new user's.
    env = {key: value for key, value in os.environ.items()
           if key not in names and key not in ("COMPLIANCE_IMPORT_BUNDLED_WORKBOOK", "KEV_BASELINE_AT_STARTUP")}
    env.update({"PYTHONPATH": str(REPO / "backend"), "DATA_DIR": str(tmp_path / "data"),
                "REDIS_URL": TEST_REDIS_URL, "REDIS_KEY_PREFIX": prefix,
                "SCANNER_NETWORK_ALLOWLIST": "127.0.0.1", "SCANNER_TRIVY_OFFLINE": "true"})
    log = (tmp_path / "serve.log").open("wb")
    return subprocess.Popen([sys.executable, "-m", "cspm.cli", "serve", "--port", str(port)], env=env,
                            cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _stop(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM to its process group (the worker and the embedded store with it), SIGKILL after 60 s."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait()


@pytest.mark.parametrize("walkthrough", walkthroughs(), ids=lambda walkthrough: walkthrough.heading)
def test_walkthrough_runs_as_written(walkthrough: Walkthrough, tmp_path: Path, shared_dir: Path):
    port = _free_port()
    prefix = f"test-readme-{uuid.uuid4().hex[:10]}:"
    server = _serve(tmp_path, port, prefix)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, (tmp_path / "serve.log").read_text(errors="replace")[-3000:]
            try:
                if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "cspm serve did not answer within 120 s"
            time.sleep(0.5)
        script = walkthrough.script.replace("http://127.0.0.1:8000", base)
        result = subprocess.run(["bash", "-c", script], cwd=REPO, capture_output=True, text=True, timeout=900,
                                env={**os.environ, "PYTHONPATH": str(REPO / "backend")})
        output = result.stdout + result.stderr
        assert result.returncode == 0, f"{walkthrough.heading} exited {result.returncode}:\n{output[-4000:]}"
        # A block can "succeed" while its curls answer errors: none may be a server error or a refusal
        # the walkthrough did not mean (those it means are shown with jq -r .detail and say why).
        assert "Internal Server Error" not in output and '"status_code":500' not in output, output[-4000:]
        assert "Not authenticated" not in output, output[-4000:]
    finally:
        _stop(server)
        client = redis.Redis.from_url(TEST_REDIS_URL)
        keys = list(client.scan_iter(match=f"{prefix}*", count=500))
        if keys:
            client.delete(*keys)
        client.close()
