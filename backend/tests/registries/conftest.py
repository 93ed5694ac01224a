"""A real registry (Debian's docker-registry: CNCF distribution 2.8) on 127.0.0.1, and skopeo to push.

Two registries with throw-away configs: one anonymous, one behind htpasswd basic auth
(user ``scanner``, password ``registry-test-pass``; the bcrypt hash is of that throw-away
password). Images are OCI layouts built from files (``oci_layout``) and copied with skopeo;
no Docker engine anywhere.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.registries.oci_layout import ALPINE, build_layout

ANONYMOUS_PORT = 18310
BASIC_PORT = 18311
USER, PASSWORD = "scanner", "registry-test-pass"
HTPASSWD = f"{USER}:$2b$05$sWfyNRzymz1gKhVMoLK8.OrM7nzg6g5uYJacWVG31671Qzw9a9pw.\n"
START_SECONDS = 15


def tool(name: str, package: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: apt-get install {package} (scripts/system-packages.sh)")
    return found


@dataclass
class LocalRegistry:
    url: str
    host: str
    work: Path
    credentials: tuple[str, str] | None = None

    def push(self, repository: str, tag: str, files: dict[str, bytes], *,
             architectures: tuple[str, ...] = ("amd64",)) -> str:
        """Builds an OCI layout from `files` and copies it to repository:tag; returns the pushed digest."""
        layout = self.work / "layouts" / f"{repository.replace('/', '_')}-{tag}"
        digest = build_layout(layout, files, tag, architectures=architectures)
        command = [tool("skopeo", "skopeo"), "copy", "--quiet", "--dest-tls-verify=false",
                   "--all" if len(architectures) > 1 else "--preserve-digests", f"oci:{layout}:{tag}",
                   f"docker://{self.host}/{repository}:{tag}"]
        if self.credentials:
            command[2:2] = ["--dest-creds", f"{self.credentials[0]}:{self.credentials[1]}"]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        assert result.returncode == 0, result.stderr
        return digest

    def delete(self, repository: str, digest: str) -> None:
        response = httpx.delete(f"{self.url}/v2/{repository}/manifests/{digest}", auth=self.credentials, timeout=10)
        assert response.status_code == 202, response.text


def _start(work: Path, port: int, htpasswd: bool) -> subprocess.Popen[bytes]:
    work.mkdir(parents=True, exist_ok=True)
    auth = ""
    if htpasswd:
        (work / "htpasswd").write_text(HTPASSWD)
        auth = f"auth:\n  htpasswd:\n    realm: cspm-test\n    path: {work / 'htpasswd'}\n"
    config = work / "config.yml"
    config.write_text(f"version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n"
                      f"    rootdirectory: {work / 'data'}\n  delete:\n    enabled: true\n"
                      f"http:\n  addr: 127.0.0.1:{port}\n{auth}")
    process = subprocess.Popen([tool("docker-registry", "docker-registry"), "serve", str(config)],
                               stdout=subprocess.DEVNULL, stderr=(work / "registry.log").open("wb"))
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v2/", timeout=1).status_code in (200, 401):
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    pytest.fail(f"docker-registry did not answer on port {port}: {(work / 'registry.log').read_text()[-500:]}")


@pytest.fixture(scope="module")
def registries(tmp_path_factory) -> Iterator[tuple[LocalRegistry, LocalRegistry]]:
    work = tmp_path_factory.mktemp("registries")
    processes = [_start(work / "anonymous", ANONYMOUS_PORT, False), _start(work / "basic", BASIC_PORT, True)]
    try:
        yield (LocalRegistry(f"http://127.0.0.1:{ANONYMOUS_PORT}", f"127.0.0.1:{ANONYMOUS_PORT}", work),
               LocalRegistry(f"http://127.0.0.1:{BASIC_PORT}", f"127.0.0.1:{BASIC_PORT}", work, (USER, PASSWORD)))
    finally:
        for process in processes:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def app_files(version: str) -> dict[str, bytes]:
    """An Alpine-like root with one installed Python package (syft's installed-package cataloguer reads it)."""
    dist_info = f"usr/lib/python3.11/site-packages/requests-{version}.dist-info"
    return {"etc/os-release": ALPINE, f"{dist_info}/METADATA": (
        f"Metadata-Version: 2.1\nName: requests\nVersion: {version}\nLicense: Apache 2.0\n").encode(),
        f"{dist_info}/RECORD": b"", "app/VERSION": version.encode()}
