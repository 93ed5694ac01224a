"""nginx: the real configuration rendered by the real entrypoint, checked by `nginx -t` and served.

The entrypoint renders into a temporary runtime directory (CSPM_RUNTIME_DIR), so nothing here
needs root paths. The pre-TLS variant uses the self-signed certificate the entrypoint makes; the
TLS variant uses a certificate "issued" into a temporary Let's Encrypt directory, as certbot would.
"""

from __future__ import annotations

import grp
import http.server
import json
import os
import pwd
import signal
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy.tooling import REPO, free_port, run, tool

ENTRYPOINT = REPO / "nginx" / "entrypoint.sh"
DOMAIN = "cspm.example.test"


def nginx_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    (tmp_path / "html" / "assets").mkdir(parents=True, exist_ok=True)
    (tmp_path / "acme" / ".well-known" / "acme-challenge").mkdir(parents=True, exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", "") + ":/usr/sbin",
        "CSPM_DOMAIN": DOMAIN,
        "CSPM_RUNTIME_DIR": str(tmp_path / "run"),
        "CSPM_TEMPLATE_DIR": str(REPO / "nginx" / "templates"),
        "LETSENCRYPT_DIR": str(tmp_path / "letsencrypt"),
        "ACME_WEBROOT": str(tmp_path / "acme"),
        "SPA_ROOT": str(tmp_path / "html"),
        # Workers run as the test's own user so they can read the temporary directories.
        "NGINX_USER": f"{pwd.getpwuid(os.getuid()).pw_name} {grp.getgrgid(os.getgid()).gr_name}",
        "CSPM_RESOLVER": "127.0.0.1",
        "CSPM_BACKEND_UPSTREAM": "127.0.0.1:9",
        "CSPM_HTTP_PORT": "80",
        "CSPM_HTTPS_PORT": "443",
        "CSPM_IPV6": "off",
    }
    env.update(overrides)
    return env


def render(env: dict[str, str]) -> str:
    result = run(["sh", str(ENTRYPOINT), "render"], env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def nginx_test(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    runtime = Path(env["CSPM_RUNTIME_DIR"])
    return run([tool("nginx"), "-t", "-p", str(runtime), "-c", str(runtime / "conf" / "nginx.conf"),
                "-e", str(runtime / "error.log")])


def issue_certificate(env: dict[str, str]) -> Path:
    """What certbot leaves behind: live/<domain>/fullchain.pem and privkey.pem."""
    live = Path(env["LETSENCRYPT_DIR"]) / "live" / DOMAIN
    live.mkdir(parents=True, exist_ok=True)
    result = run([tool("openssl"), "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                  f"/CN={DOMAIN}", "-keyout", str(live / "privkey.pem"), "-out", str(live / "fullchain.pem")])
    assert result.returncode == 0, result.stderr
    return live


def test_pre_tls_variant_passes_nginx_t_with_the_bootstrap_certificate(tmp_path: Path) -> None:
    env = nginx_env(tmp_path)
    assert render(env) == "bootstrap"
    runtime = Path(env["CSPM_RUNTIME_DIR"])
    certificate = run([tool("openssl"), "x509", "-noout", "-subject", "-ext", "subjectAltName", "-in",
                       str(runtime / "bootstrap" / "cert.pem")])
    assert DOMAIN in certificate.stdout
    assert (runtime / "bootstrap" / "key.pem").stat().st_mode & 0o077 == 0
    http = (runtime / "conf" / "sites-enabled" / "10-http.conf").read_text()
    assert "return 301" not in http and "/.well-known/acme-challenge/" in (runtime / "conf" / "acme.conf").read_text()
    result = nginx_test(env)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_tls_variant_passes_nginx_t_with_the_letsencrypt_certificate(tmp_path: Path) -> None:
    env = nginx_env(tmp_path)
    live = issue_certificate(env)
    assert render(env) == "tls"
    conf = Path(env["CSPM_RUNTIME_DIR"]) / "conf"
    https = (conf / "sites-enabled" / "20-https.conf").read_text()
    assert f"ssl_certificate {live}/fullchain.pem;" in https
    assert "return 301 https://$host$request_uri;" in (conf / "sites-enabled" / "10-http.conf").read_text()
    assert "Strict-Transport-Security" in (conf / "hsts.conf").read_text()
    result = nginx_test(env)
    assert result.returncode == 0, result.stderr


def test_nginx_t_rejects_a_broken_certificate_path(tmp_path: Path) -> None:
    """The check can fail: a TLS config whose key file is gone does not pass."""
    env = nginx_env(tmp_path)
    live = issue_certificate(env)
    render(env)
    (live / "privkey.pem").unlink()
    result = nginx_test(env)
    assert result.returncode != 0
    assert "privkey.pem" in result.stderr


@pytest.mark.parametrize(("variable", "value"), [("CSPM_DOMAIN", "evil.example;include /etc/passwd"),
                                                 ("METRICS_ALLOW_CIDRS", "10.0.0.0/8; allow all"),
                                                 ("CSPM_HTTP_PORT", "80 ssl")])
def test_entrypoint_refuses_values_that_would_inject_configuration(tmp_path: Path, variable: str,
                                                                   value: str) -> None:
    result = run(["sh", str(ENTRYPOINT), "render"], env=nginx_env(tmp_path, **{variable: value}))
    assert result.returncode == 2
    assert variable.split("_")[-1].lower() in result.stderr.lower() or variable in result.stderr


class _Upstream(http.server.BaseHTTPRequestHandler):
    """Stands in for the backend: answers JSON with the request line and the proxy headers it got."""

    def do_GET(self) -> None:
        body = json.dumps({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def upstream() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the bootstrap and test certificates are self-signed
    opener = urllib.request.build_opener(_NoRedirect, urllib.request.HTTPSHandler(context=context))
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with opener.open(request, timeout=5) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def wait_for(condition, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


@pytest.mark.slow
def test_running_nginx_serves_the_spa_proxies_the_api_and_switches_to_https_when_certbot_delivers(
        tmp_path: Path, upstream: int) -> None:
    http_port, https_port = free_port(), free_port()
    env = nginx_env(tmp_path, CSPM_BACKEND_UPSTREAM=f"127.0.0.1:{upstream}", CSPM_HTTP_PORT=str(http_port),
                    CSPM_HTTPS_PORT=str(https_port), CERT_CHECK_INTERVAL="1", METRICS_ALLOW_CIDRS="10.1.2.0/24")
    html = Path(env["SPA_ROOT"])
    (html / "index.html").write_text("<!doctype html><title>CSPM</title>" + "<p>dashboard</p>" * 200)
    (html / "assets" / "app-1234.js").write_text("console.log('app');\n" * 100)
    token = Path(env["ACME_WEBROOT"]) / ".well-known" / "acme-challenge" / "tok3n"
    token.write_text("tok3n.thumbprint")
    process = subprocess.Popen(["sh", str(ENTRYPOINT), "run"], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, start_new_session=True)
    base, secure = f"http://127.0.0.1:{http_port}", f"https://127.0.0.1:{https_port}"
    try:
        wait_for(lambda: fetch(f"{base}/nginx-health")[0] == 200)

        # Before a certificate: HTTP serves the application, HTTPS answers with the bootstrap certificate.
        status, headers, body = fetch(f"{base}/findings/123", {"Accept-Encoding": "gzip"})
        assert status == 200 and headers["content-encoding"] == "gzip"  # SPA fallback, gzipped
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff" and headers["cache-control"] == "no-cache"
        assert "strict-transport-security" not in headers
        status, headers, _ = fetch(f"{base}/assets/app-1234.js")
        assert status == 200 and "immutable" in headers["cache-control"]
        status, _, body = fetch(f"{base}/api/health?x=1", {"X-Forwarded-For": "198.51.100.7"})
        seen = json.loads(body)
        assert status == 200 and seen["path"] == "/api/health?x=1"
        assert seen["headers"]["x-forwarded-proto"] == "http" and seen["headers"]["x-request-id"]
        assert seen["headers"]["x-forwarded-for"] == "198.51.100.7, 127.0.0.1"
        assert fetch(f"{base}/metrics")[0] == 403  # 127.0.0.1 is not in METRICS_ALLOW_CIDRS
        assert fetch(f"{base}/health/status")[0] == 403
        assert fetch(f"{base}/health/ready")[0] == 200
        assert fetch(f"{base}/.well-known/acme-challenge/tok3n")[2] == b"tok3n.thumbprint"
        assert fetch(f"{base}/.env")[0] in (403, 404)
        status, _, body = fetch(f"{secure}/api/teams")
        assert status == 200 and json.loads(body)["headers"]["x-forwarded-proto"] == "https"

        # certbot writes a certificate: the watcher re-renders and reloads with the redirect on.
        issue_certificate(env)
        wait_for(lambda: fetch(f"{base}/api/health")[0] == 301)
        status, headers, _ = fetch(f"{base}/dashboard?tab=1")
        assert status == 301 and headers["location"] == "https://127.0.0.1/dashboard?tab=1"
        assert fetch(f"{base}/.well-known/acme-challenge/tok3n")[2] == b"tok3n.thumbprint"  # renewals
        status, headers, _ = fetch(f"{secure}/")
        assert status == 200 and headers["strict-transport-security"].startswith("max-age=63072000")
        assert (Path(env["CSPM_RUNTIME_DIR"]) / "mode").read_text().strip() == "tls"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        output = process.communicate(timeout=20)[0].decode(errors="replace")
    assert "reloaded nginx in tls mode" in output, output


def test_shell_scripts_pass_shellcheck() -> None:
    scripts = [REPO / "nginx" / "entrypoint.sh", REPO / "nginx" / "certbot-loop.sh",
               REPO / "monitoring" / "alertmanager" / "render.sh", REPO / "scripts" / "system-packages.sh"]
    result = run([tool("shellcheck"), *map(str, scripts)])
    assert result.returncode == 0, result.stdout
