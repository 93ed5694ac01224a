"""register_all_routes: mounts every domain router; a broken module is reported and skipped.

Each domain package has a ``routes.py`` exposing ``router``. Private modules are mounted
behind the authentication dependency, so a route is authenticated unless its module is
listed as public here (health) or the route itself is a public auth step (login).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.routing import APIRouter

from cspm.core.integrity import SystemIntegrityMonitor

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RouteModule:
    name: str
    prefix: str
    public: bool = False
    """Public modules authenticate per route themselves (auth) or not at all (health)."""
    module: str | None = None
    """Import path of the routes module when it is not ``cspm.<name>.routes`` (plugins, tests)."""
    toggle: str | None = None
    """The team-level module switch that gates it (``cspm.teams.modules``); None: always on."""

    @property
    def import_path(self) -> str:
        return self.module or f"cspm.{self.name}.routes"


ROUTE_MODULES: tuple[RouteModule, ...] = (
    RouteModule("health", "", public=True),
    RouteModule("auth", "/api/auth", public=True),
    RouteModule("teams", "/api/teams"),
    RouteModule("audit", "/api/audit"),
    RouteModule("findings", "/api/findings", toggle="findings"),
    RouteModule("webhooks", "/api/webhooks", public=True),
    RouteModule("targets", "/api/targets", toggle="scans"),
    RouteModule("scans", "/api/scans", toggle="scans"),
    RouteModule("assets", "/api/assets", toggle="assets"),
    RouteModule("compliance", "/api/compliance", toggle="compliance"),
    RouteModule("cloud_accounts", "/api/cloud-accounts", toggle="scans"),
)

# Repository-like modules declaring INDEXES beyond each route module's own repository.py.
EXTRA_INDEX_MODULES: tuple[str, ...] = ("cspm.findings.vulnerabilities", "cspm.scans.repository")


def index_modules() -> list[str]:
    return [*(f"cspm.{module.name}.repository" for module in ROUTE_MODULES), *EXTRA_INDEX_MODULES]


AUTH_DEPENDENCY = "cspm.auth.dependencies:authenticated"
# The same authentication from the headers alone, run before the body of a private route is read
# (cspm.core.middleware.AuthenticateBeforeBodyMiddleware).
AUTH_BEFORE_BODY = "cspm.auth.dependencies:authenticate_before_body"


# Team-level module switches (cspm.teams.modules): the route modules they gate and the gate.
MODULE_GATE = "cspm.teams.modules"


def _authentication(target: str) -> Callable[..., Any] | None:
    module_name, attribute = target.split(":")
    try:
        return getattr(importlib.import_module(module_name), attribute)  # type: ignore[no-any-return]
    except Exception:  # reported below; private routes are then not mounted
        logger.exception("authentication module failed to import")
        return None


def _module_gate() -> Callable[[str], Any] | None:
    try:
        return importlib.import_module(MODULE_GATE).module_enabled  # type: ignore[no-any-return]
    except Exception:  # reported below; switchable modules are then not mounted
        logger.exception("module switches failed to import")
        return None


def register_all_routes(app: FastAPI, monitor: SystemIntegrityMonitor,
                        modules: Iterable[RouteModule] = ROUTE_MODULES) -> list[str]:
    """Mount each module's router; returns the names mounted. Failures never stop start-up.

    Sets ``app.state.private_prefixes`` (the prefixes of the private modules mounted) and
    ``app.state.authenticate_before_body`` for the middleware that authenticates their requests
    before reading a body.
    """
    authenticated = _authentication(AUTH_DEPENDENCY)
    before_body = _authentication(AUTH_BEFORE_BODY)
    if before_body is None:
        authenticated = None  # both or neither: a private route is never served half-protected
    app.state.authenticate_before_body = before_body
    app.state.private_prefixes = []
    gate = _module_gate()
    mounted: list[str] = []
    for module in modules:
        component = f"routes:{module.name}"
        if not module.public and authenticated is None:
            # Fail closed: without authentication a private module is not served at all.
            monitor.down(component, "not mounted", "authentication unavailable; module not served")
            continue
        try:
            routes_module = importlib.import_module(module.import_path)
            router: APIRouter = routes_module.router
            dependencies = [] if module.public else [Depends(authenticated)]
            if module.toggle is not None:
                if gate is None:
                    # Fail closed: a module a team may have switched off is not served without the switch.
                    monitor.down(component, "not mounted", "module switches unavailable; module not served")
                    continue
                dependencies.append(Depends(gate(module.toggle)))
            app.include_router(router, prefix=module.prefix, dependencies=dependencies)
            # A module may declare `async def on_startup(container)`, run in the app's lifespan.
            if (on_startup := getattr(routes_module, "on_startup", None)) is not None:
                app.state.startup_hooks.append(on_startup)
        except Exception as exc:  # one broken module must not take the platform down
            logger.exception("route module failed", extra={"route_module": module.name})
            monitor.down(component, "failed", f"{module.name} routes unavailable: {type(exc).__name__}: {exc}")
            continue
        monitor.optimal(component, "mounted")
        mounted.append(module.name)
        if not module.public:
            app.state.private_prefixes.append(module.prefix)
    return mounted
