"""The header check runs in-process under either executor: same timeout, cancellation and report rules.

The URL is checked by the destination policy when the invocation is built (target creation and
each scan), and again hop by hop when the check runs (``checker.check_headers``).
"""

from __future__ import annotations

from functools import partial

from cspm.scanners.base import InProcessInvocation, Target, TargetKind
from cspm.scanners.headers.checker import check_headers
from cspm.scanners.invocations import BuildContext, InvocationError, ToolInvocationSpec

REPORT_NAME = "headers.json"


def build(target: Target, context: BuildContext) -> InProcessInvocation:
    verify = target.options.get("verify_tls", "true")
    if verify not in ("true", "false"):
        raise InvocationError("option verify_tls must be true or false")
    checked = context.destinations.check_url(target.value)
    report = context.workspace.output_dir / REPORT_NAME
    timeout = float(min(context.settings.timeout_for("headers"), 30))
    return InProcessInvocation(name="headers", report_path=report,
                               run=partial(check_headers, checked.url.text, report, destinations=context.destinations,
                                           timeout=timeout, verify_tls=verify == "true"))


SPEC = ToolInvocationSpec(
    tool="headers", target_kinds=frozenset({TargetKind.WEB_APPLICATION}), queue="web",
    build_local=build, build_docker=build, description="HTTP security headers and cookie flags (native)",
)
