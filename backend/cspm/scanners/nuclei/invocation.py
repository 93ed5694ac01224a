"""Nuclei: template-based checks of a web application, in Docker only, JSON lines out.

The templates are downloaded by nuclei into the container's tmpfs home on each run (the
root file system stays read-only). Option ``severity``: a comma list to restrict templates.

Nuclei is given the URL as the destination policy parsed it, the container's /etc/hosts maps
the host name to the address that was checked, redirects are disabled for every template
(``-disable-redirects`` overrides templates that ask for them), and when the target is publicly
routable nuclei itself refuses connections to local and private networks
(``-restrict-local-network-access``).
"""

from __future__ import annotations

import re

from cspm.scanners.base import DockerInvocation, Target, TargetKind
from cspm.scanners.invocations import CONTAINER_OUTPUT, BuildContext, InvocationError, ToolInvocationSpec

REPORT_NAME = "nuclei.jsonl"
_SEVERITIES = re.compile(r"^(?:info|low|medium|high|critical|unknown)(?:,(?:info|low|medium|high|critical|unknown))*$")


def build_docker(target: Target, context: BuildContext) -> DockerInvocation:
    report = CONTAINER_OUTPUT / REPORT_NAME
    checked = context.destinations.check_url(target.value)
    args = ["-u", checked.url.text, "-jsonl", "-o", str(report), "-silent", "-no-color",
            "-disable-update-check", "-disable-redirects"]
    if checked.destination.public:
        args.append("-restrict-local-network-access")
    if severity := target.options.get("severity"):
        if not _SEVERITIES.match(severity):
            raise InvocationError(f"invalid nuclei severity list {severity[:80]!r}")
        args += ["-severity", severity]
    return DockerInvocation(image=context.settings.image_for("nuclei"), args=tuple(args), report_path=report,
                            env={"HOME": "/home/nuclei"}, network="bridge", writable_paths=("/home/nuclei",),
                            extra_hosts=checked.destination.pinned_hosts())


SPEC = ToolInvocationSpec(
    tool="nuclei", target_kinds=frozenset({TargetKind.WEB_APPLICATION}), queue="web", build_docker=build_docker,
    description="template-based vulnerability checks",
)
