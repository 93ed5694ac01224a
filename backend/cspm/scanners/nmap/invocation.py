"""Nmap: service/version detection (-sV) with XML output (-oX), only where the destination policy allows.

Target value: host names, IP addresses or CIDR ranges separated by commas or spaces. Every
address must be allowed by the destination policy (``SCANNER_NETWORK_ALLOWLIST`` and the
always-on deny rules, see ``cspm.scanners.network_policy``): a range that touches a denied one
is refused, and host names are resolved here and nmap is given the resolved addresses, so a
DNS answer cannot change between the check and the scan. Option ``ports``: an nmap port list
("22,80,8000-8100").
"""

from __future__ import annotations

import ipaddress
import re

from cspm.scanners.base import DockerInvocation, LocalInvocation, Target, TargetKind
from cspm.scanners.invocations import CONTAINER_OUTPUT, BuildContext, InvocationError, ToolInvocationSpec
from cspm.scanners.network_policy import DestinationPolicy, Network
from cspm.scanners.settings import ScannerSettings

REPORT_NAME = "nmap.xml"
_PORTS = re.compile(r"^(?:[TU]:)?\d{1,5}(?:-\d{1,5})?(?:,(?:[TU]:)?\d{1,5}(?:-\d{1,5})?)*$")


def _networks(entry: str, destinations: DestinationPolicy) -> list[Network]:
    if "/" in entry:
        return [destinations.check_network(entry)]
    destination = destinations.check_host(entry)
    # A name with both A and AAAA records is scanned over IPv4, like nmap itself does.
    addresses = [address for address in destination.addresses if address.version == 4] or destination.addresses
    return [ipaddress.ip_network(address) for address in addresses]


def scan_targets(value: str, settings: ScannerSettings, destinations: DestinationPolicy) -> list[str]:
    """The addresses/ranges nmap will be given, each allowed by the destination policy."""
    entries = [entry for entry in re.split(r"[\s,]+", value.strip()) if entry]
    if not entries:
        raise InvocationError("no host or network given")
    targets: list[str] = []
    total = 0
    for entry in entries:
        for candidate in _networks(entry, destinations):
            total += candidate.num_addresses
            targets.append(str(candidate.network_address) if candidate.num_addresses == 1 else str(candidate))
    if len({ipaddress.ip_network(entry).version for entry in targets}) > 1:
        raise InvocationError("IPv4 and IPv6 targets cannot share one nmap run; scan them separately")
    if total > settings.nmap_max_addresses:
        raise InvocationError(f"{total} addresses requested; at most {settings.nmap_max_addresses} per scan")
    return list(dict.fromkeys(targets))


def _address_family(targets: list[str]) -> list[str]:
    return ["-6"] if ipaddress.ip_network(targets[0]).version == 6 else []


def _arguments(target: Target, settings: ScannerSettings, report: str) -> list[str]:
    arguments = ["-sV", "-Pn", f"-T{settings.nmap_timing}", "--host-timeout", settings.nmap_host_timeout,
                 "--max-retries", "2", "-oX", report]
    ports = target.options.get("ports")
    if ports:
        if not _PORTS.match(ports):
            raise InvocationError(f"invalid port list {ports[:80]!r}")
        arguments += ["-p", ports]
    return arguments


def build_local(target: Target, context: BuildContext) -> LocalInvocation:
    report = context.workspace.output_dir / REPORT_NAME
    arguments = _arguments(target, context.settings, str(report))
    targets = scan_targets(target.value, context.settings, context.destinations)
    return LocalInvocation(argv=("nmap", *_address_family(targets), *arguments, *targets),
                           report_path=report)


def build_docker(target: Target, context: BuildContext) -> DockerInvocation:
    report = CONTAINER_OUTPUT / REPORT_NAME
    # No capabilities in the container: TCP connect scan instead of raw SYN packets.
    arguments = ["-sT", "--unprivileged", *_arguments(target, context.settings, str(report))]
    targets = scan_targets(target.value, context.settings, context.destinations)
    return DockerInvocation(image=context.settings.image_for("nmap"),
                            args=(*_address_family(targets), *arguments, *targets),
                            report_path=report,
                            network="host" if target.options.get("network") == "host" else "bridge")


SPEC = ToolInvocationSpec(
    tool="nmap", target_kinds=frozenset({TargetKind.NETWORK}), queue="network",
    build_local=build_local, build_docker=build_docker,
    description="network service and version discovery",
)
