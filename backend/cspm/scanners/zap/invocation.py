"""OWASP ZAP baseline (passive) or full (active) scan of a web application, in Docker only.

Reports: JSON (``-J``, handed to the parser) and XML (``-x``) in /zap/wrk, the job's output
volume. ZAP exits 1 when rules FAIL and 2 when they WARN: both are complete results.
Option ``mode``: ``baseline`` (default) or ``full`` (active attacks: only on applications
the team owns).

ZAP is given the URL as the destination policy parsed it, and the container's /etc/hosts maps
the host name to the address that was checked. ZAP's spider stays on the target's site by its
own scope rules, but ZAP follows redirects itself and the packaged scan scripts have no option
to confine that: a redirect to another host is not checked by the policy.
"""

from __future__ import annotations

from pathlib import Path

from cspm.scanners.base import DockerInvocation, Target, TargetKind
from cspm.scanners.invocations import BuildContext, InvocationError, ToolInvocationSpec

WORK_DIR = Path("/zap/wrk")
REPORT_NAME = "zap.json"
XML_REPORT_NAME = "zap.xml"
SCRIPTS = {"baseline": "zap-baseline.py", "full": "zap-full-scan.py"}


def build_docker(target: Target, context: BuildContext) -> DockerInvocation:
    mode = target.options.get("mode", "baseline")
    script = SCRIPTS.get(mode)
    if script is None:
        raise InvocationError(f"unknown ZAP mode {mode!r} (baseline or full)")
    checked = context.destinations.check_url(target.value)
    minutes = str(context.settings.zap_max_minutes)
    args = (script, "-t", checked.url.text, "-J", REPORT_NAME, "-x", XML_REPORT_NAME, "-m", minutes, "-I")
    return DockerInvocation(image=context.settings.image_for("zap"), args=args,
                            report_path=WORK_DIR / REPORT_NAME, env={"HOME": "/home/zap"}, network="bridge",
                            ok_exit_codes=frozenset({0, 1, 2}), writable_paths=("/home/zap",),
                            extra_hosts=checked.destination.pinned_hosts())


SPEC = ToolInvocationSpec(
    tool="zap", target_kinds=frozenset({TargetKind.WEB_APPLICATION}), queue="web", build_docker=build_docker,
    description="web application scanning (baseline passive / full active)",
)
