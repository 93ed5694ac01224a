"""sslyze: TLS configuration of one endpoint, checked against Mozilla's profile, JSON out.

sslyze exits 1 when the server does not comply with the Mozilla profile: that is a
result (the report is complete), so 0 and 1 are both accepted exit codes.
Target: tls_endpoint ``host:port`` (``[v6]:port``), or a web application's https URL.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from cspm.scanners.base import DockerInvocation, LocalInvocation, Target, TargetKind
from cspm.scanners.invocations import CONTAINER_OUTPUT, BuildContext, InvocationError, ToolInvocationSpec, web_url

REPORT_NAME = "sslyze.json"
PROFILES = ("modern", "intermediate", "old")
_HOST = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")


def endpoint(target: Target) -> str:
    """``host:port`` as sslyze wants it (IPv6 in brackets)."""
    if target.kind is TargetKind.WEB_APPLICATION:
        parts = urlsplit(web_url(target.value))
        if parts.scheme != "https":
            raise InvocationError("sslyze checks TLS: the URL must be https")
        host, port = parts.hostname or "", parts.port or 443
    else:
        host, _, port_text = target.value.strip().rpartition(":")
        host = host.strip("[]")
        if not port_text.isdigit():
            raise InvocationError(f"TLS endpoint must be host:port, got {target.value[:80]!r}")
        port = int(port_text)
    if not 0 < port < 65536:
        raise InvocationError(f"port {port} out of range")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if not _HOST.match(host):
            raise InvocationError(f"invalid host name {host[:80]!r}") from None
        return f"{host}:{port}"
    return f"[{address}]:{port}" if address.version == 6 else f"{address}:{port}"


def _arguments(target: Target, report: str) -> tuple[str, ...]:
    profile = target.options.get("mozilla_profile", "intermediate")
    if profile not in PROFILES:
        raise InvocationError(f"unknown Mozilla profile {profile!r} ({', '.join(PROFILES)})")
    return (f"--json_out={report}", "--quiet", f"--mozilla_config={profile}", endpoint(target))


def build_local(target: Target, context: BuildContext) -> LocalInvocation:
    report = context.workspace.output_dir / REPORT_NAME
    return LocalInvocation(argv=("sslyze", *_arguments(target, str(report))), report_path=report,
                           ok_exit_codes=frozenset({0, 1}))


def build_docker(target: Target, context: BuildContext) -> DockerInvocation:
    report = CONTAINER_OUTPUT / REPORT_NAME
    return DockerInvocation(image=context.settings.image_for("sslyze"), args=_arguments(target, str(report)),
                            report_path=report, network="bridge", ok_exit_codes=frozenset({0, 1}))


SPEC = ToolInvocationSpec(
    tool="sslyze", target_kinds=frozenset({TargetKind.TLS_ENDPOINT, TargetKind.WEB_APPLICATION}), queue="web",
    build_local=build_local, build_docker=build_docker, description="TLS configuration against Mozilla's profile",
)
