"""The destination policy on its own: every spelling of a denied address, names, ranges, URLs.

Pure: host names are answered by a table (StaticResolver); nothing here opens a socket.
"""

from __future__ import annotations

import ipaddress
import socket

import pytest

from cspm.scanners.network_policy import (
    AllowList,
    DestinationPolicy,
    DestinationRefused,
    parse_host,
    parse_web_url,
)
from tests.conftest import StaticResolver

HOSTS = {
    "localhost": ("127.0.0.1", "::1"),
    "example.com": ("93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"),
    "rebound.example": ("169.254.169.254",),
    "mapped.example": ("::ffff:10.0.0.5",),
    "half-private.example": ("93.184.215.14", "10.0.0.7"),
    "intranet.corp.example": ("10.20.30.40",),
    "loopy.corp.example": ("127.0.0.1",),
    "metadata.google.internal": ("169.254.169.254",),
}


def full_width(text: str) -> str:
    """The full-width forms of ASCII characters (U+FF01..U+FF5E), which UTS #46 maps back."""
    return "".join(chr(ord(char) + 0xFEE0) for char in text)


def policy(*allowlist: str) -> DestinationPolicy:
    return DestinationPolicy(allowlist or ("public",), StaticResolver(HOSTS))


def refused_rule(destinations: DestinationPolicy, host: str) -> str:
    with pytest.raises(DestinationRefused) as refused:
        destinations.check_host(host)
    assert str(refused.value).startswith(f"refused by rule {refused.value.rule}:") or refused.value.rule == "syntax"
    return refused.value.rule


@pytest.mark.parametrize("spelling", [
    "169.254.169.254",
    "169.254.169.254.",            # trailing dot
    "::ffff:169.254.169.254",      # IPv4-mapped IPv6
    "::ffff:a9fe:a9fe",
    "[::ffff:169.254.169.254]",
    "0:0:0:0:0:ffff:a9fe:a9fe",
    "0251.0376.0251.0376",         # octal
    "2852039166",                  # one decimal number
    "0xa9fea9fe",                  # one hex number
    "0xA9.0xFE.0xA9.0xFE",
    "169.254.43518",               # three parts: the last fills two bytes
    "169.16689662",                # two parts
    "0251.254.0xa9.254",           # mixed bases
    full_width("169.254.169.254"),  # full-width digits and dots (UTS #46 maps them)
    "64:ff9b::a9fe:a9fe",          # NAT64 reaches 169.254.169.254
    "2002:a9fe:a9fe::1",           # 6to4 reaches 169.254.169.254
])
def test_every_spelling_of_the_metadata_address_is_refused(spelling):
    assert refused_rule(policy(), spelling) == "cloud-metadata"
    # Even a broad entry or "public" does not lift it: only an entry inside the denied range does.
    assert refused_rule(policy("public", "0.0.0.0/0", "::/0", "169.254.0.0/16"), spelling) == "cloud-metadata"


@pytest.mark.parametrize("spelling", ["0251.0376.0251.0376", "2852039166", "0xa9fea9fe", "169.254.43518",
                                      "127.1", "0x7f.1", "017700000001", "10.1", "1.2.65535"])
def test_numeric_hosts_are_read_as_the_c_library_reads_them(spelling):
    assert parse_host(spelling) == ipaddress.IPv4Address(socket.inet_aton(spelling))


@pytest.mark.parametrize(("host", "rule"), [
    ("127.0.0.1", "loopback"), ("127.1", "loopback"), ("0x7f.1", "loopback"), ("127.0.0.2", "loopback"),
    ("::1", "loopback"), ("[::1]", "loopback"), ("::ffff:127.0.0.1", "loopback"),
    ("0.0.0.0", "unspecified"), ("0", "unspecified"), ("::", "unspecified"),
    ("169.254.10.1", "link-local"), ("fe80::1", "link-local"),
    ("fd00:ec2::254", "cloud-metadata"), ("100.100.100.200", "cloud-metadata"), ("168.63.129.16", "cloud-metadata"),
    ("169.254.170.2", "cloud-metadata"),
    ("224.0.0.251", "multicast"), ("ff02::1", "multicast"), ("255.255.255.255", "broadcast"),
    ("10.0.0.1", "private"), ("192.168.1.1", "private"), ("172.16.0.1", "private"), ("0xc0a80101", "private"),
    ("fd12:3456::1", "private"), ("100.64.0.1", "shared-address-space"), ("192.0.2.1", "documentation"),
    ("198.18.0.1", "reserved"), ("240.0.0.1", "reserved"),
])
def test_non_public_addresses_are_refused_by_default_naming_the_rule(host, rule):
    assert refused_rule(policy(), host) == rule


def test_public_addresses_are_allowed_by_default():
    for host in ("8.8.8.8", "2001:4860:4860::8888", "2002:808:808::1", "[2606:4700::1111]"):
        destination = policy().check_host(host)
        assert destination.public and not destination.is_name


def test_private_ranges_only_when_listed():
    listed = policy("public", "10.0.0.0/8", "fd12:3456::/32")
    assert listed.check_host("10.0.0.1").addresses == (ipaddress.IPv4Address("10.0.0.1"),)
    assert not listed.check_host("10.0.0.1").public  # private: nuclei may not be told to refuse local networks
    assert listed.check_host("fd12:3456::1").host == "fd12:3456::1"
    assert refused_rule(listed, "192.168.1.1") == "private"
    # Without "public" only what is listed is allowed at all.
    internal_only = policy("10.0.0.0/8")
    assert refused_rule(internal_only, "8.8.8.8") == "not-allow-listed"
    assert internal_only.check_host("10.9.8.7").host == "10.9.8.7"


def test_always_denied_ranges_need_an_entry_inside_them():
    assert refused_rule(policy("public", "0.0.0.0/0"), "127.0.0.1") == "loopback"
    loopback_one = policy("127.0.0.1/32")
    assert loopback_one.check_host("127.0.0.1").host == "127.0.0.1"
    assert loopback_one.check_host("127.1").host == "127.0.0.1"  # any spelling of the listed address
    assert refused_rule(loopback_one, "127.0.0.2") == "loopback"
    link_local = policy("169.254.0.0/16")
    assert link_local.check_host("169.254.1.1").host == "169.254.1.1"
    assert refused_rule(link_local, "169.254.169.254") == "cloud-metadata"  # the narrower rule still holds
    assert policy("169.254.169.254").check_host("0251.0376.0251.0376").host == "169.254.169.254"


def test_host_names_are_resolved_and_every_answer_must_pass():
    assert refused_rule(policy(), "rebound.example") == "cloud-metadata"
    assert refused_rule(policy(), "half-private.example") == "private"  # one public answer is not enough
    assert refused_rule(policy(), "mapped.example") == "private"        # ::ffff:10.0.0.5 is 10.0.0.5
    # localhost resolves to 127.0.0.1 and ::1: listing 127.0.0.1 alone does not allow the name.
    assert refused_rule(policy("127.0.0.1"), "localhost") == "loopback"
    assert policy("127.0.0.1", "::1").check_host("LOCALHOST.").addresses == (
        ipaddress.IPv4Address("127.0.0.1"), ipaddress.IPv6Address("::1"))
    assert refused_rule(policy(), "nowhere.example") == "unresolvable"
    destination = policy().check_host("Example.COM.")
    assert destination.host == "example.com" and destination.is_name and destination.public
    assert destination.pinned_hosts() == {"example.com": "93.184.215.14"}


def test_a_listed_host_name_admits_its_private_addresses_but_not_denied_ones():
    listed = policy("public", "intranet.corp.example", "loopy.corp.example")
    assert listed.check_host("intranet.corp.example").addresses == (ipaddress.IPv4Address("10.20.30.40"),)
    assert refused_rule(listed, "loopy.corp.example") == "loopback"
    assert refused_rule(policy(), "intranet.corp.example") == "private"


@pytest.mark.parametrize("name", ["metadata.google.internal", "METADATA.Google.Internal.",
                                  full_width("metadata") + ".google.internal",
                                  "metadata.goog", "metadata", "instance-data"])
def test_metadata_host_names_are_refused_before_any_lookup(name):
    resolver = StaticResolver(HOSTS)
    with pytest.raises(DestinationRefused, match=r"refused by rule cloud-metadata: .* cloud metadata host name"):
        DestinationPolicy(["public"], resolver).check_host(name)
    assert resolver.asked == []


@pytest.mark.parametrize("host", ["1.2.3.4.5", "example.123", "1.2.3.256", "08.1.1.1", "a..b", "-x.example",
                                  "under_score.example", "fe80::1%eth0", "[127.0.0.1]", "1.2.3.4 x", "", "ex ample.com",
                                  "%31%32%37.0.0.1", "127.0.0.1.."])
def test_what_is_neither_an_address_nor_a_host_name_is_refused(host):
    assert refused_rule(policy(), host) == "syntax"


def test_idna_host_names_become_a_labels():
    assert parse_host("Bücher.example") == "xn--bcher-kva.example"
    assert parse_host("xn--bcher-kva.example.") == "xn--bcher-kva.example"


@pytest.mark.parametrize(("network", "rule"), [
    ("169.254.0.0/16", "cloud-metadata"), ("0.0.0.0/0", "cloud-metadata"), ("127.0.0.0/30", "loopback"),
    ("10.0.0.0/24", "private"), ("8.8.0.0/12", "not-allow-listed"), ("::ffff:0:0/95", "cloud-metadata"),
    ("::ffff:127.0.0.0/120", "loopback"), ("2002::/16", "cloud-metadata"), ("64:ff9b::/96", "cloud-metadata"),
])
def test_a_range_that_touches_a_denied_one_is_refused(network, rule):
    destinations = policy("127.0.0.1/32", "8.8.8.0/24")
    with pytest.raises(DestinationRefused) as refused:
        destinations.check_network(network)
    assert refused.value.rule == rule


def test_ranges_inside_the_allow_list_pass():
    destinations = policy("public", "10.1.0.0/16", "10.2.0.0/17", "10.2.128.0/17")
    assert str(destinations.check_network("10.1.2.0/24")) == "10.1.2.0/24"
    assert str(destinations.check_network("10.2.0.0/16")) == "10.2.0.0/16"  # covered by two entries together
    assert str(destinations.check_network("8.8.8.0/24")) == "8.8.8.0/24"
    assert str(destinations.check_network("::ffff:10.1.2.0/120")) == "10.1.2.0/24"


@pytest.mark.parametrize(("url", "rule"), [
    ("http://169.254.169.254/latest/meta-data/", "cloud-metadata"),
    ("http://[::ffff:169.254.169.254]/latest/meta-data/", "cloud-metadata"),
    ("http://0251.0376.0251.0376/latest/meta-data/", "cloud-metadata"),
    ("http://2852039166/latest/meta-data/", "cloud-metadata"),
    ("HTTP://169.254.169.254.:80/latest", "cloud-metadata"),
    ("http://metadata.google.internal/computeMetadata/v1/", "cloud-metadata"),
    ("http://allowed.example@169.254.169.254/", "cloud-metadata"),  # the host is what follows the '@'
    ("http://a:b@c@169.254.169.254/", "cloud-metadata"),
    ("http://10.0.0.1/", "private"),
    ("http://127.0.0.1:6379/", "loopback"),
    ("http://example.com\\@127.0.0.1/", "syntax"),                   # parsers disagree on '\\': refused
    ("http://user:secret@example.com/", "syntax"),                   # credentials would be stored as the target
    ("ftp://example.com/", "syntax"),
    ("http://example.com:99999/", "syntax"),
    ("http://example.com/a b", "syntax"),
    ("http:///nohost", "syntax"),
])
def test_urls_are_checked_on_the_host_a_client_would_connect_to(url, rule):
    with pytest.raises(DestinationRefused) as refused:
        policy().check_url(url)
    assert refused.value.rule == rule


def test_urls_are_handed_on_in_canonical_form():
    checked = policy().check_url("HTTPS://Example.COM.:443/p?q=ä#@169.254.169.254")
    assert checked.url.text == "https://example.com:443/p?q=%C3%A4"  # fragment gone: no second reading
    assert checked.destination.host == "example.com"
    assert parse_web_url("http://[2606:4700::1111]:8080").text == "http://[2606:4700::1111]:8080/"
    assert parse_web_url("http://bücher.example/x").text == "http://xn--bcher-kva.example/x"


def test_allow_list_entries_are_validated():
    parsed = AllowList.parse(["public", "10.0.0.0/8", "127.0.0.1", "intranet.corp.example", "::ffff:10.9.0.0/112"])
    assert parsed.public and parsed.names == {"intranet.corp.example"}
    assert ipaddress.ip_network("10.9.0.0/16") in parsed.networks
    for entry in ("everything", "pubic", "10.0.0.0/33", "not a host", "a..b"):
        with pytest.raises(ValueError, match=f"{entry!r} is not a network"):
            AllowList.parse([entry])
    assert not AllowList.parse([]).public  # an empty list allows nothing
