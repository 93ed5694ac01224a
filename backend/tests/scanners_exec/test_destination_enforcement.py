"""The destination policy at scan time, against real servers on 127.0.0.1.

The runner allows 127.0.0.1 only (tests/conftest.py). A listener on 127.0.0.2 -- loopback too,
so nothing leaves the machine, but denied -- shows that a refused hop is never connected to:
its accept queue stays empty. Host names come from the runner's StaticResolver table.
"""

from __future__ import annotations

import http.server
import json
import socket
import threading
from collections.abc import Iterator

import pytest

from cspm.core.settings import CoreSettings, ExecutorMode
from cspm.scanners.base import Target, TargetKind
from cspm.scanners.executors import ExecutionState, ScannerExecutorFactory, ToolRunner
from tests.conftest import StaticResolver


class _Redirector(http.server.BaseHTTPRequestHandler):
    """/go answers 302 to the server's `location`; anything else is a plain page. Records Host headers."""

    def do_GET(self) -> None:
        self.server.hosts.append(self.headers["Host"])  # type: ignore[attr-defined]
        if self.path == "/go":
            self.send_response(302)
            self.send_header("Location", self.server.location)  # type: ignore[attr-defined]
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b"landed"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def redirector() -> Iterator[http.server.ThreadingHTTPServer]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Redirector)
    server.location = "/landing"  # type: ignore[attr-defined]
    server.hosts = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def denied_listener() -> Iterator[socket.socket]:
    """A TCP listener on 127.0.0.2 that never accepts: a connection attempt would wait in its queue."""
    listener = socket.socket()
    listener.bind(("127.0.0.2", 0))
    listener.listen(8)
    listener.setblocking(False)
    yield listener
    listener.close()


def assert_never_connected(listener: socket.socket) -> None:
    with pytest.raises(BlockingIOError):
        listener.accept()


async def run(runner: ToolRunner, tool: str, target: Target):
    outcome = await runner.run(tool, target)
    outcome.cleanup()
    return outcome.result


async def test_redirect_within_the_allow_list_is_followed(runner, redirector):
    port = redirector.server_address[1]
    result = await runner.run("headers", Target(TargetKind.WEB_APPLICATION, f"http://127.0.0.1:{port}/go"))
    try:
        assert result.result.state is ExecutionState.SUCCEEDED, result.result.reason
        report = json.loads(result.result.report_path.read_text())
        assert report["redirects"] == [f"http://127.0.0.1:{port}/go"]
        assert report["final_url"] == f"http://127.0.0.1:{port}/landing" and report["status_code"] == 200
    finally:
        result.cleanup()


@pytest.mark.parametrize(("location", "rule"), [
    ("http://127.0.0.2:{denied}/", "loopback"),
    ("http://2130706434:{denied}/", "loopback"),            # 127.0.0.2 spelt as one number
    ("http://internal.test:{denied}/", "loopback"),         # a name that resolves to 127.0.0.2
    ("http://169.254.169.254/latest/meta-data/", "cloud-metadata"),
    ("http://[::ffff:a9fe:a9fe]/latest/meta-data/", "cloud-metadata"),
    ("http://metadata.google.internal/computeMetadata/v1/", "cloud-metadata"),
    ("http://10.0.0.1/", "private"),
    ("gopher://127.0.0.1:6379/_INFO", "syntax"),
])
async def test_redirect_to_a_denied_address_stops_without_connecting(runner, resolver, redirector, denied_listener,
                                                                     location, rule):
    resolver.table["internal.test"] = ("127.0.0.2",)
    redirector.location = location.format(denied=denied_listener.getsockname()[1])
    port = redirector.server_address[1]
    result = await run(runner, "headers", Target(TargetKind.WEB_APPLICATION, f"http://127.0.0.1:{port}/go"))
    assert result.state is ExecutionState.FAILED
    assert f"redirect from http://127.0.0.1:{port}/go" in result.reason and "refused" in result.reason
    assert f"rule {rule}" in result.reason or rule == "syntax"
    assert redirector.hosts == [f"127.0.0.1:{port}"]  # one request: the redirect was not followed anywhere
    assert_never_connected(denied_listener)


async def test_header_check_connects_to_the_checked_address_and_keeps_the_name(runner, resolver, redirector):
    resolver.table["app.test"] = ("127.0.0.1",)
    port = redirector.server_address[1]
    result = await runner.run("headers", Target(TargetKind.WEB_APPLICATION, f"http://app.test:{port}/"))
    try:
        assert result.result.state is ExecutionState.SUCCEEDED, result.result.reason
        assert redirector.hosts == [f"app.test:{port}"]
        assert json.loads(result.result.report_path.read_text())["final_url"] == f"http://app.test:{port}/"
    finally:
        result.cleanup()


async def test_a_name_that_now_resolves_to_a_denied_address_fails_the_scan(runner, resolver, redirector,
                                                                          denied_listener):
    """Allowed when the target was created; DNS changed since: the scan fails, nothing is sent."""
    port = redirector.server_address[1]
    resolver.table["app.test"] = ("127.0.0.1",)
    assert (await run(runner, "headers", Target(TargetKind.WEB_APPLICATION, f"http://app.test:{port}/"))).state \
        is ExecutionState.SUCCEEDED
    resolver.table["app.test"] = ("127.0.0.2",)
    denied_port = denied_listener.getsockname()[1]
    targets = {"headers": Target(TargetKind.WEB_APPLICATION, f"http://app.test:{denied_port}/"),
               "sslyze": Target(TargetKind.TLS_ENDPOINT, f"app.test:{denied_port}"),
               "nmap": Target(TargetKind.NETWORK, "app.test", {"ports": str(denied_port)})}
    for tool, target in targets.items():
        result = await run(runner, tool, target)
        assert result.state is ExecutionState.FAILED, tool
        assert result.reason.startswith("invalid invocation: refused by rule loopback: app.test (resolves to "
                                        "127.0.0.2)"), result.reason
    assert_never_connected(denied_listener)


class _Rebinding(StaticResolver):
    """First answer allowed, every later one denied: DNS rebinding between the check and the connection."""

    def __call__(self, name: str):
        answer = super().__call__(name)
        self.table[name] = ("127.0.0.2",)
        return answer


async def test_dns_rebinding_after_the_check_cannot_reach_a_denied_address(scanner_settings, denied_listener):
    runner = ScannerExecutorFactory(CoreSettings.model_construct(scanner_executor=ExecutorMode.LOCAL),
                                    scanner_settings, resolver=_Rebinding({"app.test": ("127.0.0.1",)})).runner()
    result = await run(runner, "headers", Target(TargetKind.WEB_APPLICATION,
                                                 f"http://app.test:{denied_listener.getsockname()[1]}/"))
    assert result.state is ExecutionState.FAILED
    assert result.reason.startswith("DestinationRefused: refused by rule loopback"), result.reason
    assert_never_connected(denied_listener)
