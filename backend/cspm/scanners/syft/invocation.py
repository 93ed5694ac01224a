"""syft: a software bill of materials for a directory or an image, in CycloneDX and SPDX JSON.

The report handed to the SBOM parser is the CycloneDX file; the SPDX file lands beside it
(``ExecutionResult.outputs``) for export.
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

CYCLONEDX_NAME = "sbom.cdx.json"
SPDX_NAME = "sbom.spdx.json"
ENV = {"SYFT_CHECK_FOR_APP_UPDATE": "false"}


def _env(target: Target, credentials: dict[str, str]) -> dict[str, str]:
    """A registry served over plain HTTP (option ``insecure_registry``) is read over HTTP; a
    private registry's pull credentials come with ``credentials`` (SPEC.registry_env)."""
    env = {**ENV, **credentials}
    if target.kind is TargetKind.CONTAINER_IMAGE and target.options.get("insecure_registry") == "true":
        env["SYFT_REGISTRY_INSECURE_USE_HTTP"] = "true"
    return env


def _source(target: Target, context: BuildContext, *, in_container: bool) -> tuple[str, dict[str, str]]:
    if target.kind is TargetKind.CONTAINER_IMAGE:
        return f"registry:{image_reference(target.value)}", {}
    if target.kind is TargetKind.REPOSITORY:
        path = local_path(target.value, context.settings)
        if in_container:
            return f"dir:{CONTAINER_INPUT}", {str(path): str(CONTAINER_INPUT)}
        return f"dir:{path}", {}
    raise InvocationError(f"syft cannot read a {target.kind} target")


def _arguments(source: str, output_dir: str) -> tuple[str, ...]:
    return ("scan", source, "-o", f"cyclonedx-json={output_dir}/{CYCLONEDX_NAME}",
            "-o", f"spdx-json={output_dir}/{SPDX_NAME}", "-q")


def build_local(target: Target, context: BuildContext) -> LocalInvocation:
    source, _ = _source(target, context, in_container=False)
    output = context.workspace.output_dir
    return LocalInvocation(argv=("syft", *_arguments(source, str(output))), report_path=output / CYCLONEDX_NAME,
                           env=_env(target, dict(context.credentials)))


def build_docker(target: Target, context: BuildContext) -> DockerInvocation:
    source, mounts = _source(target, context, in_container=True)
    credentials, secret_mounts = container_credentials(context)
    mounts.update(secret_mounts)
    return DockerInvocation(image=context.settings.image_for("syft"),
                            args=_arguments(source, str(CONTAINER_OUTPUT)),
                            report_path=CONTAINER_OUTPUT / CYCLONEDX_NAME, env=_env(target, credentials),
                            network="bridge" if target.kind is TargetKind.CONTAINER_IMAGE else "none",
                            read_only_mounts=mounts)


SPEC = ToolInvocationSpec(
    tool="syft", target_kinds=frozenset({TargetKind.REPOSITORY, TargetKind.CONTAINER_IMAGE}), queue="container",
    build_local=build_local, build_docker=build_docker, description="SBOM (CycloneDX and SPDX JSON)",
    registry_env=anchore_registry_env("SYFT"),
)
