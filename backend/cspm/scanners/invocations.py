"""The explicit list of scanner tools the platform can run, and how each one is invoked.

Each tool module ``cspm.scanners.<tool>.invocation`` declares one ``SPEC``: the target kinds
it accepts, its default queue, and builders that turn a ``Target`` into a
``LocalInvocation`` (or an in-process check) and/or a ``DockerInvocation``. The list is
explicit; a duplicate tool name, a broken import or a module without ``SPEC`` fails loudly
when the registry loads — a tool never silently disappears.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from cspm.core.jobs import QUEUES
from cspm.core.settings import ExecutorMode
from cspm.scanners.base import (
    DockerInvocation,
    InProcessInvocation,
    LocalInvocation,
    RegistryAuth,
    Target,
    TargetKind,
)
from cspm.scanners.network_policy import DestinationPolicy, DestinationRefused
from cspm.scanners.settings import ScannerSettings
from cspm.scanners.workspace import JobWorkspace

INVOCATION_MODULES: tuple[str, ...] = (
    "cspm.scanners.nmap.invocation",
    "cspm.scanners.trivy.invocation",
    "cspm.scanners.syft.invocation",
    "cspm.scanners.grype.invocation",
    "cspm.scanners.sslyze.invocation",
    "cspm.scanners.prowler.invocation",
    "cspm.scanners.zap.invocation",
    "cspm.scanners.nuclei.invocation",
    "cspm.scanners.headers.invocation",
)


CONTAINER_OUTPUT = Path("/out")
"""Where the job's output directory is mounted in a tool container (ZAP uses /zap/wrk)."""
CONTAINER_INPUT = Path("/in")
"""Where a scanned directory or SBOM is mounted read-only."""


class InvocationError(ValueError):
    """The target cannot be scanned by this tool as given; the message names the problem."""


class InvocationRegistryError(RuntimeError):
    pass


@dataclass(frozen=True)
class BuildContext:
    workspace: JobWorkspace
    settings: ScannerSettings
    destinations: DestinationPolicy
    """Where the tool may connect (SCANNER_NETWORK_ALLOWLIST); builders check every host and address with it."""
    credentials: Mapping[str, str] = field(default_factory=dict)
    """Environment variables with the target's credentials (cloud keys): env only, never argv."""


LocalBuilder = Callable[[Target, BuildContext], LocalInvocation | InProcessInvocation]
DockerBuilder = Callable[[Target, BuildContext], DockerInvocation | InProcessInvocation]


@dataclass(frozen=True)
class ExpectedMessage:
    """A line a tool writes to stderr in a normal run, and what it means, so a succeeded job says
    so instead of alarming (Trivy offline logs ERROR when it falls back to its embedded checks)."""

    pattern: str
    note: str


@dataclass(frozen=True)
class ToolInvocationSpec:
    tool: str
    target_kinds: frozenset[TargetKind]
    queue: str
    build_local: LocalBuilder | None = None
    build_docker: DockerBuilder | None = None
    description: str = ""
    expected_stderr: tuple[ExpectedMessage, ...] = ()
    registry_env: Callable[[RegistryAuth], dict[str, str]] | None = None
    """How the tool takes pull credentials for an image's registry: its environment variables
    (they reach the builders as ``BuildContext.credentials``). None: the tool pulls no images."""

    def notes(self, stderr: str | None) -> list[str]:
        """The notes of the expected messages found in a run's stderr, each once."""
        if not stderr:
            return []
        return [message.note for message in self.expected_stderr if re.search(message.pattern, stderr)]

    def modes(self) -> frozenset[ExecutorMode]:
        return frozenset(mode for mode, builder in ((ExecutorMode.LOCAL, self.build_local),
                                                     (ExecutorMode.DOCKER, self.build_docker)) if builder)

    def build(self, mode: ExecutorMode, target: Target,
              context: BuildContext) -> LocalInvocation | DockerInvocation | InProcessInvocation:
        if target.kind not in self.target_kinds:
            accepted = ", ".join(sorted(self.target_kinds))
            raise InvocationError(f"{self.tool} does not scan {target.kind} targets (accepts: {accepted})")
        builder = self.build_local if mode is ExecutorMode.LOCAL else self.build_docker
        if builder is None:
            other = ", ".join(sorted(self.modes()))
            raise InvocationError(f"{self.tool} cannot run with the {mode} executor (supported: {other})")
        try:
            return builder(target, context)
        except DestinationRefused as exc:
            raise InvocationError(str(exc)) from None


class InvocationRegistry:
    def __init__(self, specs: Iterable[ToolInvocationSpec]) -> None:
        self._specs: dict[str, ToolInvocationSpec] = {}
        for spec in specs:
            if spec.tool in self._specs:
                raise InvocationRegistryError(f"scanner tool {spec.tool!r} is declared twice")
            if spec.queue not in QUEUES:
                raise InvocationRegistryError(f"scanner tool {spec.tool!r}: unknown queue {spec.queue!r}")
            if not spec.target_kinds:
                raise InvocationRegistryError(f"scanner tool {spec.tool!r} accepts no target kind")
            if spec.build_local is None and spec.build_docker is None:
                raise InvocationRegistryError(f"scanner tool {spec.tool!r} has no invocation builder")
            self._specs[spec.tool] = spec

    def get(self, tool: str) -> ToolInvocationSpec:
        try:
            return self._specs[tool]
        except KeyError:
            known = ", ".join(sorted(self._specs))
            raise InvocationError(f"unknown scanner tool {tool!r} (known: {known})") from None

    def tools(self) -> list[str]:
        return sorted(self._specs)

    def for_target(self, kind: TargetKind) -> list[ToolInvocationSpec]:
        return [spec for spec in self._specs.values() if kind in spec.target_kinds]

    def __iter__(self) -> Iterator[ToolInvocationSpec]:
        return iter(self._specs.values())


def load_registry(modules: Iterable[str] = INVOCATION_MODULES) -> InvocationRegistry:
    specs: list[ToolInvocationSpec] = []
    for module_name in modules:
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:
            raise InvocationRegistryError(
                f"scanner invocation module {module_name} failed to import: {type(exc).__name__}: {exc}") from exc
        spec = getattr(module, "SPEC", None)
        if not isinstance(spec, ToolInvocationSpec):
            raise InvocationRegistryError(f"{module_name} declares no SPEC (a ToolInvocationSpec)")
        specs.append(spec)
    return InvocationRegistry(specs)


@cache
def default_registry() -> InvocationRegistry:
    return load_registry()


# --- validation helpers the tool modules share ------------------------------------------------
_SAFE_TOKEN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/@+=,-]*$")


def safe_argument(value: str, what: str) -> str:
    """A value that goes on argv: no leading dash (option injection), no whitespace or control chars."""
    if not value or not _SAFE_TOKEN.match(value):
        raise InvocationError(f"invalid {what}: {value[:80]!r}")
    return value


_IMAGE_REFERENCE = re.compile(
    r"^(?:[a-zA-Z0-9.-]+(?::\d{1,5})?/)?[a-z0-9]+(?:[._-]+[a-z0-9]+)*(?:/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$")
_GIT_URL = re.compile(r"^https://[A-Za-z0-9.-]+(?::\d{1,5})?/[A-Za-z0-9._~/-]+$")


def image_reference(value: str) -> str:
    if not _IMAGE_REFERENCE.match(value) or len(value) > 512:
        raise InvocationError(f"invalid container image reference: {value[:80]!r}")
    return value


def git_url(value: str) -> str | None:
    """The URL when the value is an https Git URL, else None."""
    return value if _GIT_URL.match(value) else None


def local_path(value: str, settings: ScannerSettings, *, directory: bool | None = True) -> Path:
    """An existing path below one of SCANNER_PATH_ROOTS (symlinks resolved first)."""
    if not value.startswith("/"):
        raise InvocationError(f"path must be absolute: {value[:80]!r}")
    path = Path(value).resolve()
    roots = [root.resolve() for root in settings.path_roots]
    if not any(path.is_relative_to(root) for root in roots):
        raise InvocationError(f"{path} is outside the directories that may be scanned (SCANNER_PATH_ROOTS)")
    if not path.exists():
        raise InvocationError(f"{path} does not exist")
    if directory is True and not path.is_dir():
        raise InvocationError(f"{path} is not a directory")
    if directory is False and not path.is_file():
        raise InvocationError(f"{path} is not a file")
    return path


def anchore_registry_env(prefix: str) -> Callable[[RegistryAuth], dict[str, str]]:
    """syft and grype (both read images with stereoscope) take one registry credential from
    ``<PREFIX>_REGISTRY_AUTH_AUTHORITY``/``_USERNAME``/``_PASSWORD``, used for that authority only."""
    def env(auth: RegistryAuth) -> dict[str, str]:
        return {f"{prefix}_REGISTRY_AUTH_AUTHORITY": auth.authority, f"{prefix}_REGISTRY_AUTH_USERNAME": auth.username,
                f"{prefix}_REGISTRY_AUTH_PASSWORD": auth.password}
    return env


CONTAINER_SECRETS = Path("/secrets")


def container_credentials(context: BuildContext) -> tuple[dict[str, str], dict[str, str]]:
    """(environment, read-only mounts) for a container: credential files in the job's secrets
    directory are mounted at /secrets and the variables naming them rewritten to match."""
    secrets_dir = context.workspace.secrets_dir
    env: dict[str, str] = {}
    for name, value in context.credentials.items():
        if value.startswith("/") and Path(value).resolve().is_relative_to(secrets_dir):
            env[name] = str(CONTAINER_SECRETS / Path(value).name)
        else:
            env[name] = value
    mounts = {str(secrets_dir): str(CONTAINER_SECRETS)} if env != dict(context.credentials) else {}
    return env, mounts
