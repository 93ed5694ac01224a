"""Where the deployment files and the real check tools are; a missing tool fails with the install hint."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
VENV_BIN = Path(sys.executable).parent

DEBIAN_TOOLS = {"nginx": "nginx", "promtool": "prometheus", "amtool": "prometheus-alertmanager",
                "openssl": "openssl", "shellcheck": "shellcheck", "envsubst": "gettext-base"}


def tool(name: str) -> str:
    """Path of a check tool: the venv's wheels (actionlint, hadolint), then PATH and /usr/sbin."""
    found = shutil.which(name, path=os.pathsep.join([str(VENV_BIN), os.environ.get("PATH", ""), "/usr/sbin"]))
    if found is None:
        hint = (f"apt-get install {DEBIAN_TOOLS[name]} (scripts/system-packages.sh)" if name in DEBIAN_TOOLS
                else "pip install -e 'backend[test]' (scripts/bootstrap.sh)")
        pytest.fail(f"{name} is not installed: {hint}")
    return found


def run(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False, **kwargs)  # type: ignore[call-overload]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
