"""sslyze: TLS configuration of one endpoint, checked against Mozilla's profile, JSON out.

sslyze exits 1 when the server does not comply with the Mozilla profile: that is a
result (the report is complete), so 0 and 1 are both accepted exit codes.
Target: tls_endpoint ``host:port`` (``[v6]:port``), or a web application's https URL. The host
must be allowed by the destination policy; a host name is resolved here and sslyze is told the
address (``host:port{ip}``), so it connects to what was checked and still sends the name as SNI.
"""

from __future__ import annotations

from cspm.scanners.base import DockerInvocation, LocalInvocation, Target, TargetKind
from cspm.scanners.invocations import CONTAINER_OUTPUT, BuildContext, InvocationError, ToolInvocationSpec
from cspm.scanners.network_policy import DestinationPolicy

REPORT_NAME = "sslyze.json"
PROFILES = ("modern", "intermediate", "old")


def endpoint(target: Target, destinations: DestinationPolicy) -> str:
    """The server string sslyze is given: ``host:port``, or ``name:port{address}`` for a host name."""
    if target.kind is TargetKind.WEB_APPLICATION:
        checked = destinations.check_url(target.value)
        if checked.url.scheme != "https":
            raise InvocationError("sslyze checks TLS: the URL must be https")
        destination, port = checked.destination, checked.url.effective_port
    else:
        host, _, port_text = target.value.strip().rpartition(":")
        if not port_text.isdigit() or not host:
            raise InvocationError(f"TLS endpoint must be host:port, got {target.value[:80]!r}")
        port = int(port_text)
        if not 0 < port < 65536:
            raise InvocationError(f"port {port} out of range")
        destination = destinations.check_host(host)
    address = destination.addresses[0]
    shown = f"[{address}]" if address.version == 6 else str(address)
    if destination.is_name:
        return f"{destination.host}:{port}{{{shown}}}"
    return f"{shown}:{port}"


def _arguments(target: Target, context: BuildContext, report: str) -> tuple[str, ...]:
    profile = target.options.get("mozilla_profile", "intermediate")
    if profile not in PROFILES:
        raise InvocationError(f"unknown Mozilla profile {profile!r} ({', '.join(PROFILES)})")
    return (f"--json_out={report}", "--quiet", f"--mozilla_config={profile}", endpoint(target, context.destinations))


def build_local(target: Target, context: BuildContext) -> LocalInvocation:
    report = context.workspace.output_dir / REPORT_NAME
    return LocalInvocation(argv=("sslyze", *_arguments(target, context, str(report))), report_path=report,
                           ok_exit_codes=frozenset({0, 1}))


def build_docker(target: Target, context: BuildContext) -> DockerInvocation:
    report = CONTAINER_OUTPUT / REPORT_NAME
    return DockerInvocation(image=context.settings.image_for("sslyze"), args=_arguments(target, context, str(report)),
                            report_path=report, network="bridge", ok_exit_codes=frozenset({0, 1}))


SPEC = ToolInvocationSpec(
    tool="sslyze", target_kinds=frozenset({TargetKind.TLS_ENDPOINT, TargetKind.WEB_APPLICATION}), queue="web",
    build_local=build_local, build_docker=build_docker, description="TLS configuration against Mozilla's profile",
)
