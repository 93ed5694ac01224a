"""TeamService: teams, their members and invitations. Every method acts on one team id."""

from __future__ import annotations

import re
import secrets
import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any, Self

from cspm.audit.service import AuditService
from cspm.auth.principal import Principal
from cspm.auth.repository import UserRepository
from cspm.auth.service import ClientInfo
from cspm.auth.settings import AuthSettings
from cspm.auth.tokens import new_id, sha256_hex
from cspm.core.container import ServiceContainer
from cspm.core.errors import Conflict, Forbidden, NotFound
from cspm.teams.repository import AlreadyExists, TeamRepository
from cspm.teams.schemas import TOGGLEABLE_MODULES

TEAM_ADMIN = "team_admin"


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:60] or "team"


class TeamService:
    def __init__(self, *, teams: TeamRepository, users: UserRepository, audit: AuditService,
                 settings: AuthSettings) -> None:
        self.teams = teams
        self.users = users
        self.audit = audit
        self.settings = settings

    @classmethod
    def build(cls, container: ServiceContainer) -> Self:
        return cls(teams=TeamRepository(container.database), users=UserRepository(container.database),
                   audit=container.resolve(AuditService),
                   settings=container.resolve(AuthSettings))

    async def create(self, *, name: str, creator_id: str, client: ClientInfo) -> dict[str, Any]:
        """Create a team with ``creator_id`` as its team admin."""
        now = datetime.now(UTC)
        base = slugify(name)
        team: dict[str, Any] = {"_id": new_id(), "name": name, "created_at": now, "created_by": creator_id}
        for attempt in range(5):
            team["slug"] = base if attempt == 0 else f"{base}-{secrets.token_hex(3)}"
            try:
                await self.teams.insert_team(team)
                break
            except AlreadyExists:
                continue
        else:
            raise Conflict("could not find a free slug for this team name")
        try:
            await self.teams.add_member(team_id=team["_id"], user_id=creator_id, role=TEAM_ADMIN,
                                        added_by=creator_id)
        except Exception:
            await self.teams.delete_team(team["_id"])
            raise
        await self.audit.record("team.created", actor_id=creator_id, team_id=team["_id"], ip=client.ip,
                                target_type="team", target_id=team["_id"], details={"name": name})
        return {**team, "role": TEAM_ADMIN}

    async def mine(self, user_id: str) -> list[dict[str, Any]]:
        memberships = await self.teams.memberships_of(user_id)
        roles = {m["team_id"]: m["role"] for m in memberships}
        teams = await self.teams.teams_by_ids(list(roles))
        return sorted(({**team, "role": roles[team["_id"]]} for team in teams), key=lambda t: t["created_at"])

    async def get(self, *, team_id: str) -> dict[str, Any]:
        team = await self.teams.get_team(team_id)
        if team is None:
            raise NotFound("team not found")
        return team

    async def rename(self, *, team_id: str, name: str, actor: Principal, client: ClientInfo) -> dict[str, Any]:
        team = await self.teams.rename_team(team_id=team_id, name=name)
        if team is None:
            raise NotFound("team not found")
        await self.audit.record("team.renamed", actor_id=actor.user_id, team_id=team_id, ip=client.ip,
                                target_type="team", target_id=team_id, details={"name": name}, via=actor.via,
                                token_id=actor.token_id)
        return team

    async def disabled_modules(self, *, team_id: str) -> frozenset[str]:
        team = await self.teams.get_team(team_id)
        return frozenset(team.get("disabled_modules") or ()) if team else frozenset()

    async def modules(self, *, team_id: str) -> list[dict[str, Any]]:
        disabled = await self.disabled_modules(team_id=team_id)
        return [{"name": name, "title": title, "enabled": name not in disabled}
                for name, title in TOGGLEABLE_MODULES.items()]

    async def set_module(self, *, team_id: str, module: str, enabled: bool, actor: Principal,
                         client: ClientInfo) -> list[dict[str, Any]]:
        if module not in TOGGLEABLE_MODULES:
            raise NotFound(f"no module named {module!r} (modules: {', '.join(TOGGLEABLE_MODULES)})")
        if await self.teams.set_module(team_id=team_id, module=module, enabled=enabled) is None:
            raise NotFound("team not found")
        await self.audit.record("team.module_enabled" if enabled else "team.module_disabled",
                                actor_id=actor.user_id, team_id=team_id, ip=client.ip, target_type="module",
                                target_id=module, via=actor.via, token_id=actor.token_id)
        return await self.modules(team_id=team_id)

    async def members(self, *, team_id: str) -> list[dict[str, Any]]:
        memberships = await self.teams.members(team_id=team_id)
        users = {user["_id"]: user for user in await self.users.many([m["user_id"] for m in memberships])}
        return [{"user_id": m["user_id"], "email": users[m["user_id"]]["email"],
                 "display_name": users[m["user_id"]].get("display_name"), "role": m["role"],
                 "joined_at": m["created_at"]}
                for m in memberships if m["user_id"] in users]

    async def set_role(self, *, team_id: str, user_id: str, role: str, actor: Principal,
                       client: ClientInfo) -> dict[str, Any]:
        current = await self.teams.membership(team_id=team_id, user_id=user_id)
        if current is None:
            raise NotFound("member not found in this team")
        if current["role"] == TEAM_ADMIN and role != TEAM_ADMIN:
            await self._keep_one_admin(team_id)
        updated = await self.teams.set_role(team_id=team_id, user_id=user_id, role=role)
        if updated is None:
            raise NotFound("member not found in this team")
        await self.audit.record("team.role_changed", actor_id=actor.user_id, team_id=team_id, ip=client.ip,
                                target_type="user", target_id=user_id,
                                details={"from": current["role"], "to": role}, via=actor.via,
                                token_id=actor.token_id)
        return updated

    async def remove(self, *, team_id: str, user_id: str, actor: Principal, client: ClientInfo) -> None:
        current = await self.teams.membership(team_id=team_id, user_id=user_id)
        if current is None:
            raise NotFound("member not found in this team")
        if current["role"] == TEAM_ADMIN:
            await self._keep_one_admin(team_id)
        await self.teams.remove_member(team_id=team_id, user_id=user_id)
        await self.audit.record("team.member_removed", actor_id=actor.user_id, team_id=team_id, ip=client.ip,
                                target_type="user", target_id=user_id, details={"role": current["role"]},
                                via=actor.via, token_id=actor.token_id)

    async def _keep_one_admin(self, team_id: str) -> None:
        if await self.teams.count_role(team_id=team_id, role=TEAM_ADMIN) <= 1:
            raise Conflict("a team keeps at least one team admin")

    async def invite(self, *, team_id: str, email: str, role: str, actor: Principal,
                     client: ClientInfo) -> dict[str, Any]:
        if actor.via != "session":
            raise Forbidden("invitations are sent by users, not API tokens")
        existing = await self.users.by_email(email)
        if existing and await self.teams.membership(team_id=team_id, user_id=existing["_id"]):
            raise Conflict("this user is already a member of the team")
        token = "inv_" + secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        document: dict[str, Any] = {"_id": new_id(), "team_id": team_id, "email": email, "role": role,
                    "token_hash": sha256_hex(token), "created_by": actor.user_id, "created_at": now,
                    "expires_at": now + timedelta(days=self.settings.invitation_days), "accepted_at": None,
                    "revoked_at": None}
        await self.teams.insert_invitation(document)
        await self.audit.record("team.invitation_created", actor_id=actor.user_id, team_id=team_id, ip=client.ip,
                                target_type="invitation", target_id=document["_id"],
                                details={"email": email, "role": role})
        return {**document, "token": token}

    async def invitations(self, *, team_id: str) -> list[dict[str, Any]]:
        return await self.teams.invitations_of(team_id=team_id)

    async def revoke_invitation(self, *, team_id: str, invitation_id: str, actor: Principal,
                                client: ClientInfo) -> dict[str, Any]:
        revoked = await self.teams.revoke_invitation(team_id=team_id, invitation_id=invitation_id)
        if revoked is None:
            raise NotFound("open invitation not found in this team")
        await self.audit.record("team.invitation_revoked", actor_id=actor.user_id, team_id=team_id, ip=client.ip,
                                target_type="invitation", target_id=invitation_id, via=actor.via,
                                token_id=actor.token_id)
        return revoked
