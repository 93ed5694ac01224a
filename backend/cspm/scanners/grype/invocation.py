"""grype: vulnerabilities of an image, a directory, or an SBOM syft wrote (JSON out).

Target kinds: container_image (registry reference), repository (directory, or with option
``mode=sbom`` the path of an SBOM file). With ``SCANNER_TRIVY_OFFLINE`` (offline mode for
all vulnerability databases) grype does not update its database.
"""

from __future__ import annotations

from cspm.scanners.base import DockerInvocation, LocalInvocation, Target, TargetKind
from cspm.scanners.invocations import (
    CONTAINER_INPUT,
    CONTAINER_OUTPUT,
    BuildContext,
    InvocationError,
    ToolInvocationSpec,
    anchore_registry_env,
    container_credentials,
    image_reference,
    local_path,
)

REPORT_NAME = "grype.json"


def _env(context: BuildContext, credentials: dict[str, str]) -> dict[str, str]:
    env = {"GRYPE_CHECK_FOR_APP_UPDATE": "false", **credentials}
    if context.settings.trivy_offline:
        env["GRYPE_DB_AUTO_UPDATE"] = "false"
    return env


def _source(target: Target, context: BuildContext, *, in_container: bool) -> tuple[str, dict[str, str]]:
    if target.kind is TargetKind.CONTAINER_IMAGE:
        return f"registry:{image_reference(target.value)}", {}
    if target.kind is TargetKind.REPOSITORY:
        sbom = target.options.get("mode") == "sbom"
        path = local_path(target.value, context.settings, directory=not sbom)
        scheme = "sbom" if sbom else "dir"
        if in_container:
            inside = f"{CONTAINER_INPUT}/{path.name}" if sbom else str(CONTAINER_INPUT)
            return f"{scheme}:{inside}", {str(path): inside}
        return f"{scheme}:{path}", {}
    raise InvocationError(f"grype cannot scan a {target.kind} target")


def build_local(target: Target, context: BuildContext) -> LocalInvocation:
    source, _ = _source(target, context, in_container=False)
    report = context.workspace.output_dir / REPORT_NAME
    return LocalInvocation(argv=("grype", source, "-o", "json", "--file", str(report), "-q"), report_path=report,
                           env=_env(context, dict(context.credentials)))


def build_docker(target: Target, context: BuildContext) -> DockerInvocation:
    source, mounts = _source(target, context, in_container=True)
    report = CONTAINER_OUTPUT / REPORT_NAME
    credentials, secret_mounts = container_credentials(context)
    mounts.update(secret_mounts)
    return DockerInvocation(image=context.settings.image_for("grype"),
                            args=(source, "-o", "json", "--file", str(report), "-q"),
                            report_path=report, env={**_env(context, credentials), "GRYPE_DB_CACHE_DIR": "/grype-db"},
                            network="bridge", read_only_mounts=mounts, writable_paths=("/grype-db",))


SPEC = ToolInvocationSpec(
    tool="grype", target_kinds=frozenset({TargetKind.CONTAINER_IMAGE, TargetKind.REPOSITORY}), queue="container",
    build_local=build_local, build_docker=build_docker, description="image and SBOM vulnerability matching",
    registry_env=anchore_registry_env("GRYPE"),
)
