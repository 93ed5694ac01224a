"""Trivy: container images, directories (fs / config), remote Git repositories, Kubernetes.

Target kinds and options:
- container_image: ``trivy image`` (vulnerabilities and secrets).
- repository: an absolute directory → ``trivy fs`` (option ``mode=config`` → ``trivy config``,
  IaC only); an https Git URL → ``trivy repo``.
- cloud_account with option ``mode=k8s``: ``trivy k8s`` on the kube context named by the
  value; the kubeconfig comes with the credentials (``KUBECONFIG``).

With ``SCANNER_TRIVY_OFFLINE=true`` nothing is downloaded: vulnerability scanning is left
out of directory scans (there is no database), misconfigurations use the checks embedded
in the binary, and image scans use whatever database the cache already holds.
"""

from __future__ import annotations

from cspm.scanners.base import DockerInvocation, LocalInvocation, RegistryAuth, Target, TargetKind
from cspm.scanners.invocations import (
    CONTAINER_INPUT,
    CONTAINER_OUTPUT,
    BuildContext,
    ExpectedMessage,
    InvocationError,
    ToolInvocationSpec,
    container_credentials,
    git_url,
    image_reference,
    local_path,
    safe_argument,
)

REPORT_NAME = "trivy.json"
OFFLINE_FLAGS = ("--skip-db-update", "--skip-java-db-update", "--skip-check-update", "--offline-scan")
COMMON_FLAGS = ("--disable-telemetry", "--skip-version-check")


def registry_env(auth: RegistryAuth) -> dict[str, str]:
    """Trivy takes basic credentials (or an ECR token as AWS:password) from TRIVY_USERNAME/TRIVY_PASSWORD;
    the image is the only registry a scan reads, so they need no authority."""
    return {"TRIVY_USERNAME": auth.username, "TRIVY_PASSWORD": auth.password}


def registry_flags(target: Target) -> list[str]:
    """``image_src=remote``: straight from the registry, no Docker engine; ``insecure_registry``: plain HTTP."""
    flags = ["--image-src", "remote"] if target.options.get("image_src") == "remote" else []
    return flags + (["--insecure"] if target.options.get("insecure_registry") == "true" else [])


def _plan(target: Target, context: BuildContext, *, in_container: bool) -> tuple[list[str], dict[str, str], str]:
    """(arguments without the output flags, read-only mounts, subject) for this target."""
    offline = context.settings.trivy_offline
    mode = target.options.get("mode", "")
    mounts: dict[str, str] = {}
    if target.kind is TargetKind.CONTAINER_IMAGE:
        subject = image_reference(target.value)
        command = ["image", "--scanners", "vuln,secret", "--no-progress"]
        flags = list(OFFLINE_FLAGS) if offline else []
        flags += registry_flags(target)
    elif target.kind is TargetKind.REPOSITORY and (url := git_url(target.value)):
        subject = url
        command = ["repo", "--scanners", "misconfig,secret" if offline else "vuln,misconfig,secret", "--no-progress"]
        flags = list(OFFLINE_FLAGS) if offline else []
    elif target.kind is TargetKind.REPOSITORY:
        path = local_path(target.value, context.settings)
        subject = str(CONTAINER_INPUT) if in_container else str(path)
        if in_container:
            mounts[str(path)] = str(CONTAINER_INPUT)
        if mode == "config":
            command, flags = ["config"], ["--skip-check-update"] if offline else []
        elif mode in ("", "fs"):
            command = ["fs", "--scanners", "misconfig,secret" if offline else "vuln,misconfig,secret", "--no-progress"]
            flags = list(OFFLINE_FLAGS) if offline else []
        else:
            raise InvocationError(f"unknown trivy mode {mode!r} for a repository (fs or config)")
    elif target.kind is TargetKind.CLOUD_ACCOUNT and mode == "k8s":
        subject = safe_argument(target.value, "kube context")
        command = ["k8s", "--report", "all", "--no-progress"]
        if namespaces := target.options.get("namespaces"):
            command += ["--include-namespaces", safe_argument(namespaces, "namespace list")]
        flags = list(OFFLINE_FLAGS) if offline else []
    else:
        raise InvocationError(f"trivy cannot scan a {target.kind} target with mode {mode or 'default'!r}")
    timeout = f"{context.settings.timeout_for('trivy')}s"
    return [*command, *COMMON_FLAGS, *flags, "--timeout", timeout], mounts, subject


def build_local(target: Target, context: BuildContext) -> LocalInvocation:
    arguments, _, subject = _plan(target, context, in_container=False)
    report = context.workspace.output_dir / REPORT_NAME
    cache_dir = context.settings.trivy_cache_dir or (context.workspace.home / ".cache" / "trivy")
    return LocalInvocation(
        argv=("trivy", *arguments, "--cache-dir", str(cache_dir), "-f", "json", "-o", str(report), subject),
        report_path=report, env=dict(context.credentials))


def build_docker(target: Target, context: BuildContext) -> DockerInvocation:
    arguments, mounts, subject = _plan(target, context, in_container=True)
    report = CONTAINER_OUTPUT / REPORT_NAME
    offline = context.settings.trivy_offline
    cache = context.settings.trivy_cache_dir
    writable: tuple[str, ...]
    if offline and cache:
        # The database and checks are prepared on the host; the container only reads them.
        mounts[str(cache)] = "/cache"
        cache_path, writable = "/cache", ()
    else:
        # Online: the container downloads into a tmpfs of its own (the root stays read-only).
        cache_path, writable = "/trivy-cache", ("/trivy-cache",)
    # An image is pulled from its registry and a Git repository cloned, whatever the DB mode.
    env, secret_mounts = container_credentials(context)
    mounts.update(secret_mounts)
    needs_network = not offline or target.kind is TargetKind.CONTAINER_IMAGE or git_url(target.value)
    return DockerInvocation(
        image=context.settings.image_for("trivy"),
        args=(*arguments, "--cache-dir", cache_path, "-f", "json", "-o", str(report), subject),
        report_path=report, env=env, network="bridge" if needs_network else "none",
        read_only_mounts=mounts, writable_paths=writable)


SPEC = ToolInvocationSpec(
    tool="trivy",
    target_kinds=frozenset({TargetKind.CONTAINER_IMAGE, TargetKind.REPOSITORY, TargetKind.CLOUD_ACCOUNT}),
    queue="container", build_local=build_local, build_docker=build_docker, registry_env=registry_env,
    description="vulnerabilities, misconfigurations and secrets in images, directories, repositories, clusters",
    expected_stderr=(
        ExpectedMessage(r"Falling back to embedded checks",
                        "Offline mode (SCANNER_TRIVY_OFFLINE): Trivy checked misconfigurations with the checks "
                        "embedded in its binary, as expected without a network; its ERROR line says only that."),
    ),
)
