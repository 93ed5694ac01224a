"""Fixtures for real tool runs: local servers on 127.0.0.1, a fixture repository, fake tools.

Everything listens on 127.0.0.1 with a port the OS picks; nothing leaves the machine.
"""

from __future__ import annotations

import datetime as dt
import http.server
import ipaddress
import ssl
import stat
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from cspm.core.settings import CoreSettings, ExecutorMode
from cspm.scanners.executors import ScannerExecutorFactory, ToolRunner
from cspm.scanners.settings import ScannerSettings
from tests.conftest import StaticResolver, scanner_test_settings

# A planted AWS key pair (the example pair from AWS's own documentation shape, not a real key).
PLANTED_ACCESS_KEY = "AKIA2E0A8F3B244C9986"
PLANTED_SECRET_KEY = "ZAbZWCBu0r9nIgbe7EJvKq7JtBhRCy6bzxZXGP7T"


@pytest.fixture
def scanner_settings(tmp_path: Path) -> ScannerSettings:
    # Loopback-only allow-list (127.0.0.1/32): the servers below, nothing else.
    return scanner_test_settings(work_dir=tmp_path / "jobs", trivy_offline=True, kill_grace_seconds=2.0,
                                 path_roots=[tmp_path])


@pytest.fixture
def resolver() -> StaticResolver:
    """The runner's resolver: a table a test may change (DNS answers that change between runs)."""
    return StaticResolver()


@pytest.fixture
def runner(scanner_settings: ScannerSettings, resolver: StaticResolver) -> ToolRunner:
    core = CoreSettings.model_construct(scanner_executor=ExecutorMode.LOCAL)
    return ScannerExecutorFactory(core, scanner_settings, resolver=resolver).runner()


@pytest.fixture
def iac_repository(tmp_path: Path) -> Path:
    """A directory with a Dockerfile, Terraform and a committed credentials file."""
    root = tmp_path / "repo"
    root.mkdir()
    (root / "Dockerfile").write_text("FROM ubuntu:latest\nRUN apt-get update && apt-get install -y curl\n")
    (root / "main.tf").write_text(textwrap.dedent("""\
        resource "aws_s3_bucket" "data" {
          bucket = "cspm-fixture-bucket"
          acl    = "public-read"
        }

        resource "aws_security_group" "ssh" {
          name = "ssh-from-anywhere"
          ingress {
            from_port   = 22
            to_port     = 22
            protocol    = "tcp"
            cidr_blocks = ["0.0.0.0/0"]
          }
        }
        """))
    (root / "deploy.env").write_text(
        f"AWS_ACCESS_KEY_ID={PLANTED_ACCESS_KEY}\nAWS_SECRET_ACCESS_KEY={PLANTED_SECRET_KEY}\n")
    (root / "requirements.txt").write_text("requests==2.31.0\nflask==2.0.1\n")
    return root


class _PlainHandler(http.server.BaseHTTPRequestHandler):
    """Answers every GET with a small page, a version-revealing Server header and a bare cookie."""

    server_version = "FixtureHTTP/1.4"

    def do_GET(self) -> None:
        body = b"<html><body>fixture</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Set-Cookie", "session=abc123; Path=/")
        self.send_header("X-Powered-By", "FixtureFramework/2.1")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _serve(server: http.server.HTTPServer) -> Iterator[int]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def http_port() -> Iterator[int]:
    """A web application without security headers, with a bare cookie and version banners."""
    yield from _serve(http.server.ThreadingHTTPServer(("127.0.0.1", 0), _PlainHandler))


class _QuietFileHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def service_port(tmp_path: Path) -> Iterator[int]:
    """Python's stock HTTP file server (nmap knows its banner) on a random port."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<html>cspm fixture</html>")

    class Handler(_QuietFileHandler):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, directory=str(site), **kwargs)

    yield from _serve(http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler))


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cspm-fixture.invalid")])
    now = dt.datetime.now(dt.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                  critical=False)
                   .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture
def tls_port(tmp_path: Path) -> Iterator[int]:
    """An HTTPS server with a self-signed certificate for cspm-fixture.invalid."""
    cert, key = _self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _PlainHandler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.handle_error = lambda request, address: None  # type: ignore[method-assign]  # sslyze probes fail on purpose
    yield from _serve(server)


@pytest.fixture
def fake_tool(tmp_path: Path):
    """Write an executable Python script standing in for a tool: it tests the executor, not a scanner."""
    import sys

    def make(name: str, body: str) -> Path:
        path = tmp_path / "fake-tools" / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(f"#!{sys.executable}\n" + textwrap.dedent(body))
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
        return path

    return make
