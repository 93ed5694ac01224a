"""Indicators of compromise and their observables: the one shape every import format becomes.

A STIX indicator, a CSV row and a MISP attribute all become a ``ParsedIndicator`` with a list of
``Observable`` values the platform can compare with what it knows about its assets. Observables
carry a normalised ``key`` (``domain:evil.example``) for exact matches through an index, and IP
ranges also carry ``start``/``end`` as fixed-width hex, so a CIDR can be searched as a range.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field


class IndicatorType(StrEnum):
    IPV4 = "ipv4"
    IPV6 = "ipv6"
    DOMAIN = "domain"
    URL = "url"
    MD5 = "md5"
    SHA1 = "sha1"
    SHA256 = "sha256"
    EMAIL = "email"
    CVE = "cve"


class Tlp(StrEnum):
    """Traffic Light Protocol 2.0; RED is shown to team admins only."""

    CLEAR = "clear"
    GREEN = "green"
    AMBER = "amber"
    AMBER_STRICT = "amber+strict"
    RED = "red"

    @classmethod
    def from_text(cls, value: object) -> Tlp | None:
        text = str(value or "").strip().lower().removeprefix("tlp:").removeprefix("tlp-")
        if text == "white":  # TLP 1.0's name for CLEAR
            return cls.CLEAR
        try:
            return cls(text)
        except ValueError:
            return None


class IndicatorError(ValueError):
    """A value that is not what its declared indicator type says."""


_HASH_LENGTHS = {IndicatorType.MD5: 32, IndicatorType.SHA1: 40, IndicatorType.SHA256: 64}
_HEX = re.compile(r"^[0-9a-f]+$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CVE_ID = re.compile(r"^CVE-\d{4}-\d{4,19}$")


class Observable(BaseModel):
    """One matchable value of an indicator."""

    model_config = ConfigDict(extra="forbid")

    type: IndicatorType
    value: str
    key: str = Field(description="type:normalised value, the exact-match lookup key")
    start: str | None = Field(default=None, description="IP ranges: first address, fixed-width hex")
    end: str | None = Field(default=None, description="IP ranges: last address, fixed-width hex")
    cidr: bool = False


def address_hex(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """Fixed width per family ("4:" + 8 hex, "6:" + 32 hex): string order is address order."""
    width = 8 if address.version == 4 else 32
    return f"{address.version}:{int(address):0{width}x}"


def normalise_domain(value: str) -> str:
    return value.strip().rstrip(".").lower()


def observable(kind: IndicatorType | str, raw: str) -> Observable:
    """Validate and normalise one value; raises IndicatorError for a value its type cannot hold."""
    kind = IndicatorType(kind)
    value = raw.strip()
    if kind in (IndicatorType.IPV4, IndicatorType.IPV6):
        try:
            network = ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise IndicatorError(f"{value!r} is not an IP address or CIDR range") from None
        if (network.version == 4) != (kind is IndicatorType.IPV4):
            raise IndicatorError(f"{value!r} is not an {kind.value} address")
        single = network.num_addresses == 1
        text = str(network.network_address) if single else str(network)
        return Observable(type=kind, value=text, key=f"{kind.value}:{text}", start=address_hex(network.network_address),
                          end=address_hex(network.broadcast_address), cidr=not single)
    if kind is IndicatorType.DOMAIN:
        text = normalise_domain(value)
        if not _DOMAIN.match(text):
            raise IndicatorError(f"{value!r} is not a domain name")
        return Observable(type=kind, value=text, key=f"domain:{text}")
    if kind is IndicatorType.URL:
        parts = urlsplit(value)
        if parts.scheme.lower() not in ("http", "https", "ftp") or not parts.hostname:
            raise IndicatorError(f"{value!r} is not an absolute URL")
        return Observable(type=kind, value=value, key=f"url:{url_key(value)}")
    if kind in _HASH_LENGTHS:
        text = value.lower()
        if len(text) != _HASH_LENGTHS[kind] or not _HEX.match(text):
            raise IndicatorError(f"{value!r} is not an {kind.value} hash")
        return Observable(type=kind, value=text, key=f"{kind.value}:{text}")
    if kind is IndicatorType.EMAIL:
        text = value.lower()
        if not _EMAIL.match(text):
            raise IndicatorError(f"{value!r} is not an e-mail address")
        return Observable(type=kind, value=text, key=f"email:{text}")
    text = value.upper()
    if not CVE_ID.match(text):
        raise IndicatorError(f"{value!r} is not a CVE id")
    return Observable(type=kind, value=text, key=f"cve:{text}")


def url_key(value: str) -> str:
    """Scheme and host lower-cased, default port and fragment dropped, the path kept as written."""
    parts = urlsplit(value.strip())
    host = (parts.hostname or "").rstrip(".")
    default = {"http": 80, "https": 443, "ftp": 21}.get(parts.scheme.lower())
    port = f":{parts.port}" if parts.port and parts.port != default else ""
    path = parts.path or "/"
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.scheme.lower()}://{host}{port}{path}{query}"


class ContextRef(BaseModel):
    """What an indicator points to: the malware, campaign, threat actor or report around it."""

    model_config = ConfigDict(extra="forbid")

    stix_id: str
    type: str
    name: str
    relationship: str


class ParsedIndicator(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stix_id: str
    name: str | None = None
    description: str | None = None
    pattern: str | None = None
    pattern_type: str = "stix"
    observables: list[Observable]
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    confidence: int | None = Field(default=None, ge=0, le=100)
    tlp: Tlp | None = None
    tags: list[str] = Field(default_factory=list)
    source: str
    context: list[ContextRef] = Field(default_factory=list)

    def document(self) -> dict[str, Any]:
        """The stored form (without team and timestamps)."""
        return self.model_dump(mode="python")

    def active(self, now: datetime | None = None) -> bool:
        moment = now or datetime.now(UTC)
        return self.valid_until is None or self.valid_until > moment
