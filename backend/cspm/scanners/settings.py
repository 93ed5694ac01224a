"""Scanner execution settings (environment variables prefixed ``SCANNER_``).

Images are pinned by digest: the Docker executor refuses a reference without
``@sha256:``. Digests are deployment configuration (resolved once with
``docker buildx imagetools inspect IMAGE:TAG``), so a fresh install names the image and
the variable to set instead of silently running a floating tag.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from cspm.core.settings import CSPMSettings
from cspm.scanners.network_policy import DEFAULT_ALLOWLIST, AllowList

DEFAULT_IMAGES = {
    "nmap": "instrumentisto/nmap",
    "trivy": "aquasec/trivy",
    "syft": "anchore/syft",
    "grype": "anchore/grype",
    "sslyze": "nablac0d3/sslyze",
    "prowler": "prowlercloud/prowler",
    "zap": "zaproxy/zap-stable",
    "nuclei": "projectdiscovery/nuclei",
}

DEFAULT_TIMEOUTS = {
    "nmap": 1800, "trivy": 1800, "syft": 900, "grype": 900, "sslyze": 600,
    "prowler": 4 * 3600, "zap": 3 * 3600, "nuclei": 3600, "headers": 60,
}


def _split(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class ScannerSettings(CSPMSettings):
    model_config = SettingsConfigDict(**{**CSPMSettings.model_config, "env_prefix": "SCANNER_"})

    work_dir: Path | None = Field(
        default=None, description="Where per-job directories are made (system temp if unset). In Docker mode it "
                                  "must be the same path on the host, since sibling containers mount it.")
    stderr_tail_bytes: int = Field(default=8192, ge=256, le=1_048_576)
    kill_grace_seconds: float = Field(default=5.0, ge=0.1, le=120)
    timeouts: dict[str, int] = Field(default_factory=lambda: dict(DEFAULT_TIMEOUTS))

    # Trivy: production downloads its vulnerability DB; offline mode scans misconfigurations
    # and secrets with the checks embedded in the binary and never touches the network.
    trivy_offline: bool = False
    trivy_cache_dir: Path | None = None

    # Directory targets (code, IaC): only below these roots, so nobody scans the platform's own files.
    path_roots: Annotated[list[Path], NoDecode] = Field(
        default_factory=lambda: [Path(tempfile.gettempdir()), Path("data/repositories")])

    # Where every scanner may connect (nmap, sslyze, ZAP, nuclei, the header check), whatever a team
    # asks for: "public", CIDR ranges, addresses, host names (see cspm/scanners/network_policy.py).
    # Private ranges are scanned only when listed; loopback, link-local and metadata only when an
    # entry inside them lists them explicitly.
    network_allowlist: Annotated[list[str], NoDecode] = Field(default_factory=lambda: list(DEFAULT_ALLOWLIST))
    nmap_max_addresses: int = Field(default=4096, ge=1)
    nmap_timing: int = Field(default=4, ge=0, le=5, description="-T0 … -T5")
    nmap_host_timeout: str = "15m"

    zap_max_minutes: int = Field(default=10, ge=1, le=600)

    # Docker executor: one image per tool, limits for every container.
    images: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_IMAGES))
    docker_memory_limit: str = "2g"
    docker_nano_cpus: int = Field(default=1_500_000_000, ge=100_000_000)
    docker_pids_limit: int = Field(default=512, ge=16)
    docker_tmpfs_size: str = "512m"

    @field_validator("images")
    @classmethod
    def _merge_images(cls, value: dict[str, str]) -> dict[str, str]:
        return {**DEFAULT_IMAGES, **value}

    @field_validator("timeouts")
    @classmethod
    def _merge_timeouts(cls, value: dict[str, int]) -> dict[str, int]:
        if any(seconds <= 0 for seconds in value.values()):
            raise ValueError("timeouts must be positive seconds")
        return {**DEFAULT_TIMEOUTS, **value}

    @field_validator("network_allowlist", "path_roots", mode="before")
    @classmethod
    def _split_lists(cls, value: object) -> object:
        return _split(value)

    @field_validator("network_allowlist")
    @classmethod
    def _valid_allowlist(cls, value: list[str]) -> list[str]:
        AllowList.parse(value)  # raises ValueError naming the bad entry
        return value

    def timeout_for(self, tool: str) -> int:
        return self.timeouts.get(tool, DEFAULT_TIMEOUTS.get(tool, 1800))

    def image_for(self, tool: str) -> str:
        try:
            return self.images[tool]
        except KeyError:
            raise KeyError(f"no Docker image configured for {tool}; set SCANNER_IMAGES") from None
