"""Nmap: service/version detection (-sV) with XML output (-oX), only inside the allow-list.

Target value: host names, IP addresses or CIDR ranges separated by commas or spaces.
Every address (host names are resolved here, and nmap is given the resolved addresses,
so a DNS answer cannot change between the check and the scan) must fall inside
``SCANNER_NETWORK_ALLOWLIST``. Option ``ports``: an nmap port list ("22,80,8000-8100").
"""

from __future__ import annotations

import ipaddress
import re
import socket

from cspm.scanners.base import DockerInvocation, LocalInvocation, Target, TargetKind
from cspm.scanners.invocations import CONTAINER_OUTPUT, BuildContext, InvocationError, ToolInvocationSpec
from cspm.scanners.settings import ScannerSettings

REPORT_NAME = "nmap.xml"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*$")
_PORTS = re.compile(r"^(?:[TU]:)?\d{1,5}(?:-\d{1,5})?(?:,(?:[TU]:)?\d{1,5}(?:-\d{1,5})?)*$")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _resolve(host: str) -> list[str]:
    try:
        answers = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise InvocationError(f"host {host!r} does not resolve: {exc.strerror}") from None
    return sorted({str(answer[4][0]) for answer in answers})


def scan_targets(value: str, settings: ScannerSettings) -> list[str]:
    """The addresses/ranges nmap will be given, each checked against the allow-list."""
    allowed: list[Network] = settings.allowed_networks()
    entries = [entry for entry in re.split(r"[\s,]+", value.strip()) if entry]
    if not entries:
        raise InvocationError("no host or network given")
    targets: list[str] = []
    total = 0
    for entry in entries:
        try:
            network = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            if not _HOSTNAME.match(entry):
                raise InvocationError(f"{entry[:80]!r} is neither an IP address, a CIDR range nor a host name") \
                    from None
            resolved = [ipaddress.ip_network(address) for address in _resolve(entry)]
            # A name with both A and AAAA records is scanned over IPv4, like nmap itself does.
            networks = [net for net in resolved if net.version == 4] or resolved
        else:
            networks = [network]
        for candidate in networks:
            if not any(candidate.version == net.version and candidate.subnet_of(net) for net in allowed):  # type: ignore[arg-type]
                raise InvocationError(f"{entry} ({candidate}) is outside the scan allow-list "
                                      f"(SCANNER_NETWORK_ALLOWLIST)")
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
    targets = scan_targets(target.value, context.settings)
    return LocalInvocation(argv=("nmap", *_address_family(targets), *arguments, *targets),
                           report_path=report)


def build_docker(target: Target, context: BuildContext) -> DockerInvocation:
    report = CONTAINER_OUTPUT / REPORT_NAME
    # No capabilities in the container: TCP connect scan instead of raw SYN packets.
    arguments = ["-sT", "--unprivileged", *_arguments(target, context.settings, str(report))]
    targets = scan_targets(target.value, context.settings)
    return DockerInvocation(image=context.settings.image_for("nmap"),
                            args=(*_address_family(targets), *arguments, *targets),
                            report_path=report,
                            network="host" if target.options.get("network") == "host" else "bridge")


SPEC = ToolInvocationSpec(
    tool="nmap", target_kinds=frozenset({TargetKind.NETWORK}), queue="network",
    build_local=build_local, build_docker=build_docker,
    description="network service and version discovery",
)
