"""register_all_routes: mounts every domain router; a broken module is reported and skipped.

Each domain package has a ``routes.py`` exposing ``router``. Private modules are mounted
behind the authentication dependency, so a route is authenticated unless its module is
listed as public here (health) or the route itself is a public auth step (login).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.routing import APIRouter

from cspm.core.integrity import SystemIntegrityMonitor
from cspm.core.manifest import MANIFEST, RouteModule
from cspm.modules import ROUTE_MODULES

__all__ = ["ROUTE_MODULES", "RouteModule", "register_all_routes"]

logger = logging.getLogger(__name__)


def _authentication(target: str) -> Callable[..., Any] | None:
    module_name, attribute = target.split(":")
    try:
        return getattr(importlib.import_module(module_name), attribute)  # type: ignore[no-any-return]
    except Exception:  # reported below; private routes are then not mounted
        logger.exception("authentication module failed to import")
        return None


def _module_gate() -> Callable[[str], Any] | None:
    try:
        return importlib.import_module(MANIFEST.module_gate).module_enabled  # type: ignore[no-any-return]
    except Exception:  # reported below; switchable modules are then not mounted
        logger.exception("module switches failed to import")
        return None


def register_all_routes(app: FastAPI, monitor: SystemIntegrityMonitor,
                        modules: Iterable[RouteModule] | None = None) -> list[str]:
    """Mount each module's router; returns the names mounted. Failures never stop start-up.

    Sets ``app.state.private_prefixes`` (the prefixes of the private modules mounted) and
    ``app.state.authenticate_before_body`` for the middleware that authenticates their requests
    before reading a body.
    """
    authenticated = _authentication(MANIFEST.authentication)
    before_body = _authentication(MANIFEST.authentication_before_body)
    if before_body is None:
        authenticated = None  # both or neither: a private route is never served half-protected
    app.state.authenticate_before_body = before_body
    app.state.private_prefixes = []
    gate = _module_gate()
    mounted: list[str] = []
    for module in MANIFEST.route_modules if modules is None else modules:
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
