"""Where scanners may connect: one destination policy for every tool that opens a connection.

nmap (hosts and CIDR ranges), sslyze (TLS endpoints), ZAP, nuclei and the in-process header
check (web URLs, and each redirect the header check follows) all ask this module before anything
is sent. A destination is allowed only when every address it stands for is allowed; host names
are resolved first and *every* answer must pass, at target creation and again at scan time.

Address rules, checked on each address or range (and on the IPv4 addresses an IPv4-mapped, NAT64
or 6to4 IPv6 range reaches):

* **always denied** -- cloud metadata services, loopback, unspecified, link-local, multicast,
  broadcast -- unless an allow-list entry *inside* the denied range lists it (``127.0.0.1``,
  ``169.254.169.254/32``): a broad entry such as ``0.0.0.0/0`` or ``public`` never lifts them;
* **not publicly routable** -- RFC 1918, carrier-grade NAT, ULA, documentation and reserved
  ranges -- only when an allow-list entry covers the address, or the host name is listed;
* **publicly routable** -- when the allow-list contains ``public`` (the default).

Host text is read the way the OS resolver and browsers read it, so an obfuscated spelling cannot
slip past: inet_aton forms (``0251.0376.0251.0376``, ``2852039166``, ``127.1``, ``0x7f.1``),
IPv4-mapped IPv6 (``::ffff:169.254.169.254``), one trailing dot, full-width characters and IDNA
(UTS #46 mapping, then A-labels). Anything that is neither an address nor a valid DNS name is
refused rather than guessed at. Cloud metadata host names are refused before any lookup.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import idna

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str], Sequence[str]]
"""Host name → address strings; raises OSError (socket.gaierror) when the name does not resolve."""

SETTING = "SCANNER_NETWORK_ALLOWLIST"
PUBLIC = "public"
"""The allow-list entry that admits every publicly routable address."""
DEFAULT_ALLOWLIST = (PUBLIC,)
WEB_SCHEMES = {"http": 80, "https": 443}
MAX_URL_LENGTH = 2048


class DestinationRefused(ValueError):
    """The policy does not allow this destination; the message names the rule. Nothing was sent."""

    def __init__(self, message: str, rule: str) -> None:
        super().__init__(message)
        self.rule = rule


@dataclass(frozen=True)
class AddressRule:
    name: str
    description: str
    networks: tuple[Network, ...]
    always_denied: bool


def _rule(name: str, description: str, *cidrs: str, always_denied: bool) -> AddressRule:
    return AddressRule(name, description, tuple(ipaddress.ip_network(cidr) for cidr in cidrs), always_denied)


# Most specific first, so an address inside nested ranges is refused with the narrowest rule's name.
ADDRESS_RULES: tuple[AddressRule, ...] = (
    _rule("cloud-metadata", "a cloud instance metadata service",
          "169.254.169.254/32",  # AWS, GCP, Azure, OCI, DigitalOcean, OpenStack
          "169.254.170.2/32",    # AWS ECS task metadata and credentials
          "fd00:ec2::254/128",   # AWS IMDS over IPv6
          "100.100.100.200/32",  # Alibaba Cloud
          "168.63.129.16/32",    # Azure WireServer
          "192.0.0.192/32",      # Oracle Cloud (classic)
          always_denied=True),
    _rule("loopback", "a loopback address", "127.0.0.0/8", "::1/128", always_denied=True),
    _rule("unspecified", "an unspecified ('this host') address", "0.0.0.0/8", "::/128", always_denied=True),
    _rule("link-local", "a link-local address", "169.254.0.0/16", "fe80::/10", always_denied=True),
    _rule("multicast", "a multicast address", "224.0.0.0/4", "ff00::/8", always_denied=True),
    _rule("broadcast", "the broadcast address", "255.255.255.255/32", always_denied=True),
    _rule("private", "a private address", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7",
          always_denied=False),
    _rule("shared-address-space", "carrier-grade NAT space", "100.64.0.0/10", always_denied=False),
    _rule("documentation", "a documentation address", "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24",
          "2001:db8::/32", "3fff::/20", always_denied=False),
    _rule("reserved", "a reserved address", "192.0.0.0/24", "198.18.0.0/15", "240.0.0.0/4", "::/96",
          "64:ff9b:1::/48", "100::/64", "2001::/32", "2001:2::/48", "fec0::/10", always_denied=False),
)

METADATA_HOST_NAMES = frozenset({
    "metadata.google.internal", "metadata.goog", "metadata", "instance-data", "instance-data.ec2.internal",
})
"""Names of metadata services: refused by name too, since a tool's resolver may answer differently from ours."""

# IPv6 prefixes whose addresses carry an IPv4 address (and the bit shift to it): the OS or a gateway
# connects to that IPv4 address, so it is judged too.
_IPV4_TRANSLATIONS = ((ipaddress.IPv6Network("::ffff:0:0/96"), 0),   # IPv4-mapped
                      (ipaddress.IPv6Network("64:ff9b::/96"), 0),    # NAT64
                      (ipaddress.IPv6Network("2002::/16"), 80))      # 6to4
_INET_ATON_PART = r"(?:0[xX][0-9a-fA-F]*|[0-9]+)"
_INET_ATON = re.compile(rf"^{_INET_ATON_PART}(?:\.{_INET_ATON_PART}){{0,3}}$")
_NUMERIC_LABEL = re.compile(rf"^{_INET_ATON_PART}$")
_URL_FORBIDDEN = re.compile(r"[\x00-\x20\x7f\"'<>\\]")


def resolve_with_system(host: str) -> list[str]:
    """The OS resolver's answers (getaddrinfo), in its order of preference."""
    answers = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(answer[4][0]) for answer in answers))


def _syntax(message: str) -> DestinationRefused:
    return DestinationRefused(message, "syntax")


def _ipv6(text: str, shown: str) -> Address:
    if "%" in text:
        raise _syntax(f"invalid host {shown[:80]!r}: IPv6 zone ids are not accepted")
    try:
        address = ipaddress.IPv6Address(text)
    except ValueError:
        raise _syntax(f"invalid IPv6 address {shown[:80]!r}") from None
    # ::ffff:a.b.c.d is the IPv4 address on the wire: judge (and connect to) that.
    return address.ipv4_mapped or address


def _ipv4(text: str, shown: str) -> ipaddress.IPv4Address:
    # inet_aton is what the C library's resolver does with a numeric host: octal, hex, 1-4 parts.
    if _INET_ATON.match(text):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(text))
        except OSError:
            pass
    raise _syntax(f"{shown[:80]!r} ends in a number but is not an IPv4 address")


def parse_host(text: str) -> Address | str:
    """An IP address (in any spelling the OS accepts) or a DNS name as lower-case A-labels, no trailing dot."""
    if not text or len(text) > 300 or any(char.isspace() or ord(char) < 32 for char in text):
        raise _syntax(f"invalid host {text[:80]!r}")
    if text.startswith("[") and text.endswith("]"):
        return _ipv6(text[1:-1], text)
    try:
        # UTS #46 mapping first (full-width digits and dots, upper case), as a browser does before
        # it decides whether the host is an IPv4 address.
        mapped = idna.uts46_remap(text, std3_rules=False, transitional=False)
    except idna.IDNAError:
        raise _syntax(f"invalid host {text[:80]!r}") from None
    if ":" in mapped:
        return _ipv6(mapped, text)
    name = mapped.removesuffix(".")
    if not name or name.endswith("."):
        raise _syntax(f"invalid host {text[:80]!r}")
    if _NUMERIC_LABEL.match(name.rpartition(".")[2]):
        return _ipv4(name, text)
    try:
        return idna.encode(name, uts46=True, std3_rules=True).decode("ascii")
    except idna.IDNAError as exc:
        raise _syntax(f"invalid host name {text[:80]!r}: {exc}") from None


def host_text(host: Address | str) -> str:
    return str(host) if isinstance(host, str) else host.compressed


def _parse_network(text: str) -> Network:
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise _syntax(f"{text[:80]!r} is not a CIDR range") from None
    if isinstance(network, ipaddress.IPv6Network) and network.network_address.ipv4_mapped \
            and network.prefixlen >= 96:
        return ipaddress.IPv4Network((network.network_address.ipv4_mapped, network.prefixlen - 96))
    return network


def _contains(outer: Network, inner: Network) -> bool:
    return outer.version == inner.version and inner.subnet_of(outer)  # type: ignore[arg-type]


def _overlap(first: Network, second: Network) -> Network | None:
    """The addresses two ranges share: CIDR ranges either nest or are disjoint."""
    if _contains(first, second):
        return second
    if _contains(second, first):
        return first
    return None


def _covered(part: Network, entries: Iterable[Network]) -> bool:
    """Whether the union of `entries` covers every address of `part` (CIDRs only nest or are disjoint)."""
    inside: list[Network] = []
    for entry in entries:
        if _contains(entry, part):
            return True
        if _contains(part, entry):
            inside.append(entry)
    merged = ipaddress.collapse_addresses(inside)  # type: ignore[type-var]
    return sum(piece.num_addresses for piece in merged) == part.num_addresses


def _ipv4_reached(network: Network) -> list[ipaddress.IPv4Network]:
    """The IPv4 addresses an IPv6 range reaches through IPv4-mapped, NAT64 or 6to4 translation."""
    reached: list[ipaddress.IPv4Network] = []
    if isinstance(network, ipaddress.IPv6Network):
        for translation, shift in _IPV4_TRANSLATIONS:
            part = _overlap(network, translation)
            if part is None:
                continue
            prefix = min(32, max(0, part.prefixlen - 96 + shift))
            value = (int(part.network_address) >> shift) & 0xFFFF_FFFF
            reached.append(ipaddress.IPv4Network((value, prefix), strict=False))
    return reached


@dataclass(frozen=True)
class AllowList:
    """SCANNER_NETWORK_ALLOWLIST parsed: ``public``, CIDR ranges or addresses, and host names."""

    public: bool
    networks: tuple[Network, ...]
    names: frozenset[str]

    @classmethod
    def parse(cls, entries: Iterable[str]) -> AllowList:
        """Raises ValueError naming the first entry that is none of the three."""
        public, networks, names = False, [], set()
        for raw in entries:
            entry = raw.strip()
            if entry.lower() == PUBLIC:
                public = True
                continue
            try:
                if "/" in entry:
                    networks.append(_parse_network(entry))
                    continue
                host = parse_host(entry)
            except DestinationRefused:
                raise ValueError(f"{entry!r} is not a network (CIDR), an address, a host name or "
                                 f"{PUBLIC!r}") from None
            if isinstance(host, str):
                # A dot is required so that a typo of "public" is not taken for a host name.
                if "." not in host:
                    raise ValueError(f"{entry!r} is not a network (CIDR), an address, a host name with a "
                                     f"dot or {PUBLIC!r}")
                names.add(host)
            else:
                networks.append(ipaddress.ip_network(host))
        return cls(public, tuple(networks), frozenset(names))


@dataclass(frozen=True)
class Destination:
    """A host the policy allowed, with the addresses it was allowed for: connect to these only."""

    host: str
    """Canonical: an address's standard text or an ASCII (IDNA) host name."""
    addresses: tuple[Address, ...]
    is_name: bool
    public: bool
    """Every address is publicly routable (no address rule applied): tools may refuse private networks."""

    def pinned_hosts(self) -> dict[str, str]:
        """/etc/hosts entries that make a tool connect to the address that was checked, not a fresh answer."""
        return {self.host: str(self.addresses[0])} if self.is_name else {}


@dataclass(frozen=True)
class WebURL:
    """An http(s) URL in canonical form: what the policy checked is exactly what a tool is given."""

    scheme: str
    host: str
    """Canonical host text (see Destination.host); IPv6 without brackets."""
    port: int | None
    """As written; None means the scheme's default."""
    path: str
    """Path and query, percent-encoded; the fragment is dropped."""
    has_credentials: bool = False

    @property
    def authority(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port is None else f"{host}:{self.port}"

    @property
    def effective_port(self) -> int:
        return self.port or WEB_SCHEMES[self.scheme]

    @property
    def text(self) -> str:
        return f"{self.scheme}://{self.authority}{self.path}"

    def connecting_to(self, address: Address) -> WebURL:
        """The same URL with the host replaced by the address a connection must go to."""
        return WebURL(self.scheme, address.compressed, self.port, self.path)


def parse_web_url(value: str) -> WebURL:
    """Parse an http(s) URL with the standard library's RFC 3986 parser; user info is recognised
    (the host is what follows the last '@'), the host is read as the OS would (``parse_host``)."""
    if len(value) > MAX_URL_LENGTH or _URL_FORBIDDEN.search(value):
        raise _syntax(f"invalid web application URL (http/https, no spaces): {value[:80]!r}")
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        raise _syntax(f"invalid web application URL {value[:80]!r}: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in WEB_SCHEMES or not parts.hostname:
        raise _syntax(f"invalid web application URL (http/https, no spaces): {value[:80]!r}")
    if port == 0:
        raise _syntax(f"invalid web application URL {value[:80]!r}: port 0")
    host = host_text(parse_host(parts.hostname))
    safe = "/%!$&'()*+,;=:@-._~"
    path = quote(parts.path or "/", safe=safe) + (f"?{quote(parts.query, safe=safe + '?')}" if parts.query else "")
    return WebURL(scheme, host, port, path, has_credentials="@" in parts.netloc)


@dataclass(frozen=True)
class CheckedURL:
    url: WebURL
    destination: Destination


class DestinationPolicy:
    """The allow-list and the always-on deny rules, with the resolver host names are looked up with."""

    def __init__(self, allowlist: Iterable[str] = DEFAULT_ALLOWLIST, resolver: Resolver = resolve_with_system) -> None:
        self.allowlist = AllowList.parse(allowlist)
        self.resolver = resolver

    # --- what tools ask -------------------------------------------------------------------
    def check_host(self, host: str) -> Destination:
        """The destination, or DestinationRefused naming the rule; host names are resolved now."""
        parsed = parse_host(host)
        if isinstance(parsed, str):
            listed = parsed in self.allowlist.names
            if parsed in METADATA_HOST_NAMES and not listed:
                raise DestinationRefused(
                    f"refused by rule cloud-metadata: {parsed} is a cloud metadata host name, always denied "
                    f"unless the scan allow-list ({SETTING}) names it", "cloud-metadata")
            addresses = self._resolve(parsed)
            public = all([self._check_range(ipaddress.ip_network(address), f"{parsed} (resolves to {address})",
                                            listed_by_name=listed) for address in addresses])
            return Destination(parsed, addresses, is_name=True, public=public)
        shown = parsed.compressed if host.strip("[]") == parsed.compressed else f"{host} (= {parsed})"
        public = self._check_range(ipaddress.ip_network(parsed), shown, listed_by_name=False)
        return Destination(parsed.compressed, (parsed,), is_name=False, public=public)

    def check_network(self, text: str) -> Network:
        """A CIDR range for nmap: every address in it must be allowed (a range touching a denied one is refused)."""
        network = _parse_network(text)
        self._check_range(network, str(network), listed_by_name=False)
        return network

    def check_url(self, value: str) -> CheckedURL:
        url = parse_web_url(value)
        destination = self.check_host(urlsplit(value).hostname or url.host)  # as written: reasons show the spelling
        if url.has_credentials:
            # They would be stored and shown as the target's value; tools take credentials otherwise.
            raise _syntax(f"user name or password in the URL are not accepted: {url.text}")
        return CheckedURL(url, destination)

    # --- the rules ------------------------------------------------------------------------
    def _resolve(self, name: str) -> tuple[Address, ...]:
        try:
            answers = self.resolver(name)
        except OSError as exc:
            raise DestinationRefused(f"refused by rule unresolvable: host {name!r} does not resolve "
                                     f"({getattr(exc, 'strerror', None) or exc})", "unresolvable") from None
        addresses: list[Address] = []
        for answer in answers:
            address = ipaddress.ip_address(answer.partition("%")[0])
            if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
                address = address.ipv4_mapped
            addresses.append(address)
        if not addresses:
            raise DestinationRefused(f"refused by rule unresolvable: host {name!r} has no address", "unresolvable")
        return tuple(dict.fromkeys(addresses))

    def _check_range(self, network: Network, shown: str, listed_by_name: bool) -> bool:
        """Raise for the first rule `network` breaks; True when no address rule applied at all (public)."""
        public = True
        for rule in ADDRESS_RULES:
            for denied in rule.networks:
                part = _overlap(network, denied)
                if part is None:
                    continue
                public = False
                what = f"{shown} is" if part == network else f"{shown} includes"
                if rule.always_denied:
                    # Only an entry inside the denied range lifts it: 0.0.0.0/0 or 10.0.0.0/8 never do.
                    lifting = [entry for entry in self.allowlist.networks if _contains(denied, entry)]
                    if not _covered(part, lifting):
                        raise DestinationRefused(
                            f"refused by rule {rule.name}: {what} {rule.description} ({denied}), always denied "
                            f"unless the scan allow-list ({SETTING}) lists it explicitly", rule.name)
                elif not listed_by_name and not _covered(part, self.allowlist.networks):
                    raise DestinationRefused(
                        f"refused by rule {rule.name}: {what} {rule.description} ({denied}), allowed only "
                        f"when the scan allow-list ({SETTING}) lists it", rule.name)
        for reached in _ipv4_reached(network):
            public = self._check_range(reached, f"{shown}, which reaches {reached},", listed_by_name) and public
        # With "public", whatever no rule claimed is publicly routable; without it, the entries must cover it all.
        if not self.allowlist.public and not listed_by_name and not _covered(network, self.allowlist.networks):
            raise DestinationRefused(f"refused by rule not-allow-listed: {shown} is outside the scan allow-list "
                                     f"({SETTING})", "not-allow-listed")
        return public
