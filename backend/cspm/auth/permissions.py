"""Roles and the permissions each grants. Routes declare the one permission they need.

The catalogue is the contract between routes (``require_permission("findings:write")``),
API tokens (scoped to a subset) and the admin UI; a route may only name a permission
listed here (checked at import, so a typo fails loudly).
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    PLATFORM_ADMIN = "platform_admin"
    TEAM_ADMIN = "team_admin"
    ANALYST = "analyst"
    VIEWER = "viewer"
    SERVICE = "service"
    """API tokens: exactly the permissions the token was created with."""


READ_PERMISSIONS = frozenset({
    "findings:read", "scans:read", "targets:read", "compliance:read", "assets:read", "teams:read",
    "threat_intel:read", "ai_governance:read", "assessments:read",
    "integrations:read",
    "knowledge:read", "ai_soc:read",
    "risks:read", "bia:read",
    "registries:read",
    "exports:read",
})
WRITE_PERMISSIONS = frozenset({
    "findings:write", "findings:import", "scans:write", "targets:write", "compliance:write",
    "threat_intel:write", "ai_governance:write", "assessments:write",
    "integrations:write",
    "knowledge:write", "ai_soc:write",
    "risks:write", "bia:write",
    "assets:write", "registries:write",
})
TEAM_ADMIN_PERMISSIONS = frozenset({"teams:manage", "tokens:manage", "audit:read", "modules:manage",
                                    "risks:approve"})  # risk acceptances are decided by a team admin, never a token
PLATFORM_PERMISSIONS = frozenset({"users:manage", "platform:admin"})

ALL_PERMISSIONS = READ_PERMISSIONS | WRITE_PERMISSIONS | TEAM_ADMIN_PERMISSIONS | PLATFORM_PERMISSIONS

ROLE_PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.VIEWER: READ_PERMISSIONS,
    Role.ANALYST: READ_PERMISSIONS | WRITE_PERMISSIONS,
    Role.TEAM_ADMIN: READ_PERMISSIONS | WRITE_PERMISSIONS | TEAM_ADMIN_PERMISSIONS,
    Role.PLATFORM_ADMIN: ALL_PERMISSIONS,
    Role.SERVICE: frozenset(),
}

# What an API token may be granted: never user or platform administration.
TOKEN_GRANTABLE_PERMISSIONS = READ_PERMISSIONS | WRITE_PERMISSIONS


def check_known(permission: str) -> str:
    if permission not in ALL_PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}; add it to cspm.auth.permissions")
    return permission
