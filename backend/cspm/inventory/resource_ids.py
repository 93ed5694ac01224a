"""Normalised resource ids: the key that links a finding, a scanned host or image to an asset.

Each tool names a resource its own way: Prowler an ARN, GCP a full resource name with or
without the service prefix, Azure an id in whatever case, Trivy an image reference with a
digest, nmap host:port. ``normalise`` maps all of them to one comparable string.
"""

from __future__ import annotations

import re

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
