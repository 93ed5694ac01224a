"""Principal: who is calling, in which team, with which permissions (see cspm.auth.dependencies)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cspm.auth.permissions import Role
from cspm.core.errors import Forbidden


@dataclass(frozen=True)
class Principal:
    user_id: str
    """The user; for an API token, the user who created it (the token acts on their behalf)."""
    email: str | None
    team_id: str | None
    """The active team (X-Team-ID header; an API token's own team), or None when no team was named."""
    role: Role | None
    """Role in the active team: platform admins show as PLATFORM_ADMIN, API tokens as SERVICE."""
    permissions: frozenset[str]
    is_platform_admin: bool
    via: Literal["session", "api_token"]
    token_id: str | None = None
    session_id: str | None = None

    @property
    def team(self) -> str:
        """The active team, for routes behind a team permission (``require_permission`` ensured one)."""
        if self.team_id is None:
            raise Forbidden("this request needs an active team: send the X-Team-ID header")
        return self.team_id

    def can(self, permission: str) -> bool:
        return permission in self.permissions
