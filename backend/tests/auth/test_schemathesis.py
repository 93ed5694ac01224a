"""Schemathesis over every operation of the OpenAPI spec, as an authenticated team admin.

No 5xx anywhere, and every answer matches the response schema the spec declares for its status
(a 422's ``detail`` included). The scan-launching routes are fuzzed too: the server's scanner
allow-list admits 127.0.0.1 only, and its host-name lookups go through a test stand-in that never
leaves the machine (``tests/offline_dns``).

The platform runs as a real server (``cspm serve`` in a subprocess, embedded MongoDB in
memory, the machine's Redis under a private key prefix), so this exercises exactly what a
client reaches. Every operation gets a few schema-valid (positive) and schema-violating
(negative) requests with a fresh session; the number is kept small because the embedded
database is slow.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import schemathesis
from cryptography.fernet import Fernet
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import FailureGroup, not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.conftest import TEST_REDIS_URL

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "4"))
BACKEND = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def live_server(tmp_path_factory) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("live")
    port = free_port()
    env = {
        **os.environ,
        "ENVIRONMENT": "test",
        "DATA_DIR": str(workdir / "data"),
        "EMBEDDED_ENGINE": "memory",
        "REDIS_URL": TEST_REDIS_URL,
        "REDIS_KEY_PREFIX": f"test-live-{uuid.uuid4().hex[:10]}:",
        "JWT_SECRET": "s" * 48,
        "FERNET_KEYS": Fernet.generate_key().decode(),
        "CELERY_ALWAYS_IN_PROCESS": "true",
        "LOG_LEVEL": "WARNING",
        "AUTH_PASSWORD_ITERATIONS": "1000",
        # The fuzzer logs in before each operation; keep the limits out of its way.
        "AUTH_LOGIN_IP_LIMIT": "100000",
        "AUTH_LOGIN_ACCOUNT_LIMIT": "100000",
        "AUTH_LOCKOUT_THRESHOLD": "100000",
        "AUTH_LOGIN_DELAY_AFTER": "100000",
        # sitecustomize in tests/offline_dns: fuzzed host names are never looked up on the network.
        "PYTHONPATH": os.pathsep.join([str(BACKEND / "tests" / "offline_dns"), str(BACKEND)]),
        "SCANNER_NETWORK_ALLOWLIST": "127.0.0.1/32",
    }
    env.pop("MONGODB_URI", None)
    log = (workdir / "server.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "cspm.cli", "serve", "--port", str(port), "--no-worker"],
                               cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if requests.get(f"{base}/api/health", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail("server did not start:\n" + (workdir / "server.log").read_text()[-3000:])
            time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


class Admin:
    """The first registered user (platform admin) with a team; logs in afresh on demand."""

    password = "violet-Lantern-93-quarry"

    def __init__(self, base: str) -> None:
        self.base = base
        self.email = "fuzz-admin@example.com"
        registered = requests.post(f"{base}/api/auth/register", json={"email": self.email,
                                                                     "password": self.password}, timeout=30)
        assert registered.status_code == 201, registered.text
        team = requests.post(f"{base}/api/teams", json={"name": "fuzz team"}, headers=self.headers(None), timeout=30)
        assert team.status_code == 201, team.text
        self.team_id = team.json()["id"]

    def headers(self, team_id: str | None = "active") -> dict[str, str]:
        login = requests.post(f"{self.base}/api/auth/login", json={"email": self.email, "password": self.password},
                              timeout=30)
        assert login.status_code == 200, login.text
        headers = {"Authorization": f"Bearer {login.json()['tokens']['access_token']}"}
        if team_id is not None:
            headers["X-Team-ID"] = self.team_id if team_id == "active" else team_id
        return headers


def make_probe(base: str, operation, mode: GenerationMode, headers: dict[str, str], failures: list[str],
               succeeded: set[str]):
    """A Hypothesis test sending generated requests for one operation and recording 5xx answers."""

    @settings(max_examples=EXAMPLES, database=None, deadline=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode, headers=headers))
    def probe(case) -> None:
        try:
            response = case.call(base_url=base, headers=headers, timeout=60)
        except (requests.exceptions.InvalidHeader, UnicodeEncodeError, ValueError):
            return  # the client library refuses to send it; nothing reached the server
        if response.status_code < 300:
            succeeded.add(f"{case.method} {operation.path}")
        try:
            case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
        except (AssertionError, FailureGroup) as failure:
            failures.append(f"{mode} {case.method} {case.formatted_path} query={case.query} "
                            f"body={str(case.body)[:200]} -> {response.status_code} {response.text[:200]}: "
                            f"{str(failure).splitlines()[0][:200]}")

    return probe


@pytest.mark.slow
def test_no_server_errors_anywhere(live_server):
    admin = Admin(live_server)
    schema = schemathesis.openapi.from_url(f"{live_server}/api/openapi.json")
    failures: list[str] = []
    succeeded: set[str] = set()
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            probe = make_probe(live_server, operation, mode, admin.headers(), failures, succeeded)
            try:
                probe()
            except Unsatisfiable:
                # Nothing to make invalid (an operation without parameters or body): negative mode is empty.
                assert mode is GenerationMode.NEGATIVE, f"{operation.method} {operation.path}"
    assert operations >= 20
    # The session really worked: many operations answered 2xx, not just 401/403.
    assert len(succeeded) >= 15, sorted(succeeded)
    assert not failures, f"{len(failures)} server errors or answers off the spec:\n" + "\n".join(failures[:30])
