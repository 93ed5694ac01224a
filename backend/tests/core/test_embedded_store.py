"""The embedded default store (SecantusDB child process): persistent, exclusive, and durable under kill -9."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from pymongo import MongoClient

from benchmarks.report_generators import write_trivy_report
from cspm.core.database.embedded import CAPACITY, EmbeddedServerError, SecantusServer
from cspm.core.settings import CoreSettings, DatabaseNameSettings, EmbeddedEngine
from tests.core.test_serve import _alive, _children, _free_port

BACKEND = Path(__file__).resolve().parents[2]
PASSWORD = "violet-Lantern-93-quarry"

pytestmark = pytest.mark.slow


def _client(uri: str) -> MongoClient:
    return MongoClient(uri, serverSelectionTimeoutMS=10_000)


def test_data_survives_a_restart_and_a_second_server_is_refused(tmp_path):
    first = SecantusServer(tmp_path)
    uri = first.start()
    try:
        with _client(uri) as client:
            client.cspm_platform.things.insert_many([{"n": n} for n in range(100)])
        second = SecantusServer(tmp_path)
        with pytest.raises(EmbeddedServerError, match="another cspm"):
            second.start()
        assert not second.alive()
    finally:
        first.stop()
    assert not first.alive()
    again = SecantusServer(tmp_path)
    uri = again.start()
    try:
        with _client(uri) as client:
            assert client.cspm_platform.things.count_documents({}) == 100
    finally:
        again.stop()


def test_the_store_stops_when_its_parent_is_killed(tmp_path):
    """kill -9 of the process that started it leaves no orphan holding the store's lock."""
    script = (f"import sys, time; sys.path.insert(0, {str(BACKEND)!r})\n"
              "from pathlib import Path\n"
              "from cspm.core.database.embedded import SecantusServer\n"
              f"server = SecantusServer(Path({str(tmp_path)!r})); print(server.start(), flush=True)\n"
              "time.sleep(600)\n")
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        uri = parent.stdout.readline().strip()
        assert uri.startswith("mongodb://127.0.0.1:")
        children = _children(parent.pid)
        assert len(children) == 1
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 30
    while _alive(children[0]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(children[0]), "the SecantusDB child outlived its parent"
    restarted = SecantusServer(tmp_path)
    restarted.start()
    restarted.stop()


class Serve:
    """`cspm serve` in embedded mode on the default engine, as a real process."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.port = _free_port()
        self.log_path = tmp_path / "serve.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        names = {name.upper() for name in [*CoreSettings.model_fields, *DatabaseNameSettings.model_fields]}
        env = {key: value for key, value in os.environ.items() if key not in names}
        env.update({"PYTHONPATH": str(BACKEND), "ENVIRONMENT": "development", "DATA_DIR": str(self.tmp_path / "data"),
                    "REDIS_URL": "redis://127.0.0.1:1/15", "REDIS_KEY_PREFIX": f"test-{uuid.uuid4().hex[:8]}:",
                    "FRONTEND_DIST": str(self.tmp_path / "no-dashboard")})
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "cspm.cli", "serve", "--port", str(self.port)],
                                            env=env, cwd=self.tmp_path, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"cspm serve exited with {self.process.returncode}:\n{self.output()}")
            try:
                if httpx.get(f"{self.base}/api/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        pytest.fail(f"cspm serve did not answer within 120 s:\n{self.output()}")

    def database_uri(self) -> str:
        found = re.findall(r"embedded database \(secantus\) listening at (\S+)", self.output())
        assert found, self.output()
        return found[-1]

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _sign_in(base: str, *, first: bool) -> dict[str, str]:
    if first:
        assert httpx.post(f"{base}/api/auth/register", json={"email": "ops@example.com", "password": PASSWORD},
                          timeout=30).status_code == 201
    token = httpx.post(f"{base}/api/auth/login", json={"email": "ops@example.com", "password": PASSWORD},
                       timeout=30).json()["tokens"]["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    if first:
        team = httpx.post(f"{base}/api/teams", headers=headers, json={"name": "Durability"}, timeout=30).json()["id"]
    else:
        team = httpx.get(f"{base}/api/teams", headers=headers, timeout=30).json()[0]["id"]
    return {**headers, "X-Team-ID": team}


def _import(base: str, headers: dict[str, str], report: Path, timeout: float) -> httpx.Response:
    with report.open("rb") as file:
        return httpx.post(f"{base}/api/findings/import", headers=headers, timeout=timeout,
                          data={"tool": "trivy", "scope": "shop-api"}, files={"file": ("trivy.json", file)})


def test_kill_9_mid_import_leaves_a_readable_store_a_failed_run_and_a_complete_reimport(tmp_path):
    report = write_trivy_report(tmp_path / "trivy.json", 3000)
    serve = Serve(tmp_path)
    serve.start()
    try:
        headers = _sign_in(serve.base, first=True)
        store_pid = _children(serve.process.pid)
        uri = serve.database_uri()
        importer = subprocess.Popen(  # the import runs in another process so this one can kill the server
            [sys.executable, "-c", "import sys, httpx; f = open(sys.argv[1], 'rb'); "
             "httpx.post(sys.argv[2], headers=eval(sys.argv[3]), data={'tool': 'trivy', 'scope': 'shop-api'}, "
             "files={'file': ('trivy.json', f)}, timeout=600)",
             str(report), f"{serve.base}/api/findings/import", repr(headers)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        written = 0
        deadline = time.monotonic() + 120
        with _client(uri) as client:
            findings = client["cspm_security_scans"]["findings"]
            while written == 0 and time.monotonic() < deadline:
                written = findings.count_documents({})
                time.sleep(0.05)
        assert 0 < written < 3000, f"the kill must land mid-import (saw {written} findings written)"
        os.kill(serve.process.pid, signal.SIGKILL)  # the API and, through it, the store it started
        serve.process.wait()
        importer.wait(timeout=60)
        # The store gets SIGTERM from PR_SET_PDEATHSIG and shuts down cleanly: on a loaded machine
        # (seen: the e2e and this suite at once) that took longer than 30 s.
        deadline = time.monotonic() + 120
        while any(_alive(pid) for pid in store_pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(pid) for pid in store_pid)

        serve.start()
        headers = _sign_in(serve.base, first=False)
        components = {item["component"]: item for item in
                      httpx.get(f"{serve.base}/health/status", timeout=120).json()["components"]}
        assert components["database"]["mode"] == "embedded (secantus)"
        assert components["database"]["impact"] == CAPACITY[EmbeddedEngine.SECANTUS]
        runs = httpx.get(f"{serve.base}/api/scans", headers=headers, timeout=30).json()
        assert [run["state"] for run in runs] == ["failed"], runs
        assert "interrupted" in (runs[0].get("error") or "")
        kept = httpx.get(f"{serve.base}/api/findings/counts", headers=headers, timeout=60).json()["total"]
        assert kept >= written, "findings written before the kill are readable after the restart"

        again = _import(serve.base, headers, report, timeout=600)
        assert again.status_code == 201, again.text
        counts = again.json()["counts"]
        assert counts["parsed"] == 3000
        assert counts["new"] + counts["unchanged"] + counts["updated"] == 3000
        assert counts["new"] == 3000 - kept
        total = httpx.get(f"{serve.base}/api/findings/counts", headers=headers, timeout=60).json()["total"]
        assert total == 3000
    finally:
        serve.stop()
