"""Normalised resource ids: the key that links a finding, a scanned host or image to an asset.

Each tool names a resource its own way: Prowler an ARN, GCP a full resource name with or
without the service prefix, Azure an id in whatever case, Trivy an image reference with a
digest, nmap host:port. ``normalise`` maps all of them to one comparable string;
``image_digest`` and ``endpoint`` read the image digest or the host and port out of an id, to
find the registry images and scan targets it names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from cspm.scanners.network_policy import WEB_SCHEMES, DestinationRefused, host_text, parse_host

_GCP_FULL_NAME = re.compile(r"^//[a-z0-9.-]+\.googleapis\.com/")
_DIGEST = re.compile(r"@(sha256:[0-9a-f]{64})$")


def normalise(resource_id: str) -> str:
    value = resource_id.strip()
    if value.startswith("arn:"):
        return value  # ARNs are case-sensitive in their resource part
    if value.lower().startswith("/subscriptions/"):
        return value.lower().rstrip("/")  # Azure ids are case-insensitive
    if _GCP_FULL_NAME.match(value):
        return "gcp:" + _GCP_FULL_NAME.sub("", value)
    if value.startswith("projects/"):
        return "gcp:" + value
    if digest := _DIGEST.search(value):
        return f"image:{digest.group(1)}"  # the same image under any repository or tag
    if value.startswith("sha256:"):
        return f"image:{value}"
    return value.lower()


IMAGE_PREFIX = "image:"
_BRACKETED = re.compile(r"^\[([0-9A-Fa-f:.]+)\](?::(\d{1,5}))?$")
_HOST_PORT = re.compile(r"^([^:/\s]+):(\d{1,5})$")
_PROTOCOL = re.compile(r"/(?:tcp|udp|sctp)$", re.IGNORECASE)


def image_digest(resource_id: str) -> str | None:
    """``sha256:…`` of an image reference with a digest (or of a bare digest), else None."""
    key = normalise(resource_id)
    return key.removeprefix(IMAGE_PREFIX) if key.startswith(IMAGE_PREFIX) else None


@dataclass(frozen=True)
class Endpoint:
    host: str
    """Lower-case DNS name without a trailing dot, or a compressed IP address (IPv6 without brackets)."""
    port: int | None
    """None when the id names the host only."""


def endpoint(resource_id: str) -> Endpoint | None:
    """The host and port an id names: ``host:port``, ``[v6]:port``, Nmap's ``host:port/tcp``, a URL
    (its scheme's default port when it gives none) or a bare host; None for anything else."""
    value = resource_id.strip()
    if value.startswith("arn:") or normalise(value).startswith(("image:", "gcp:", "/subscriptions/")):
        return None
    port: int | None = None
    if "://" in value:
        try:
            parts = urlsplit(value)
            host, port = parts.hostname or "", parts.port or WEB_SCHEMES.get(parts.scheme.lower())
        except ValueError:
            return None
    else:
        value = _PROTOCOL.sub("", value)
        if match := _BRACKETED.match(value) or _HOST_PORT.match(value):
            host, port = match.group(1), int(match.group(2)) if match.group(2) else None
        elif "/" in value:
            return None  # a path, a CIDR range or an image reference: not one host
        else:
            host = value
    if port is not None and not 0 < port < 65536:
        return None
    try:
        return Endpoint(host_text(parse_host(host)), port)
    except DestinationRefused:
        return None
