"""Platform modules a team admin can switch off for a team, and the gate that enforces it.

A switched-off module is hidden in the dashboard *and* refused by the API for that team
(403 naming the module), so a CI token cannot keep using what the team turned off.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request

from cspm.auth.dependencies import Principal, authenticated
from cspm.core.errors import Forbidden
from cspm.teams.schemas import TOGGLEABLE_MODULES
from cspm.teams.service import TeamService


def module_enabled(toggle: str) -> Callable[..., Awaitable[None]]:
    """Dependency refusing the module's routes for a team that switched it off."""
    if toggle not in TOGGLEABLE_MODULES:
        raise ValueError(f"unknown module toggle {toggle!r}")

    async def gate(request: Request, principal: Annotated[Principal, Depends(authenticated)]) -> None:
        if principal.team_id is None:
            return  # the route's own permission check asks for a team
        disabled = await request.app.state.container.resolve(TeamService).disabled_modules(team_id=principal.team_id)
        if toggle in disabled:
            raise Forbidden(f"the {TOGGLEABLE_MODULES[toggle]} module is switched off for this team")

    gate.__name__ = f"module_enabled_{toggle}"
    return gate
