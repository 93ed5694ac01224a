"""What the domain packages contribute to the shared machinery, declared by them, read by core.

Core never names a domain: the composition root (``cspm/modules.py``, imported by the ``cspm``
package itself) fills this manifest with each domain's routes, index declarations, job modules
and event subscriptions, and the container, the job loader and the event hub read it here.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RouteModule:
    name: str
    prefix: str
    public: bool = False
    """Public modules authenticate per route themselves (auth) or not at all (health)."""
    module: str | None = None
    """Import path of the routes module when it is not ``cspm.<name>.routes`` (plugins, tests)."""
    toggle: str | None = None
    """The team-level module switch that gates it; None: always on."""

    @property
    def import_path(self) -> str:
        return self.module or f"cspm.{self.name}.routes"


@dataclass
class PlatformManifest:
    route_modules: tuple[RouteModule, ...] = ()
    extra_index_modules: tuple[str, ...] = ()
    """Modules declaring ``INDEXES`` besides each route module's own ``repository.py``."""
    job_modules: tuple[str, ...] = ()
    """Modules whose ``@job`` declarations every worker kind loads."""
    subscribers: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Event topic → ``"module:Class.method"`` subscribers (see ``cspm.core.events``)."""
    authentication: str = ""
    """``"module:attribute"`` of the dependency every private router is mounted behind."""
    authentication_before_body: str = ""
    """The same authentication from the headers alone, run before a private route's body is read
    (``cspm.core.middleware.AuthenticateBeforeBodyMiddleware``)."""
    module_gate: str = ""
    """Module whose ``module_enabled(toggle)`` builds the per-team module switch dependency."""
    providers: dict[str, str] = field(default_factory=dict)
    """Capability name → ``"module:Class.method"`` one domain offers another without an import between
    them (see ``cspm.core.providers``); absent, the caller works without it."""

    def index_modules(self) -> list[str]:
        return [*(f"cspm.{module.name}.repository" for module in self.route_modules), *self.extra_index_modules]


MANIFEST = PlatformManifest()
