"""pytest plugin: real users, teams, sessions and API tokens for tests of any module.

    async def test_something(client, auth):
        analyst = await auth.user(role="analyst")              # new team, analyst in it
        viewer = await auth.user(role="viewer", team=analyst)   # same team as `analyst`
        response = await client.get("/api/findings", headers=analyst.headers)

Users, teams and sessions are created through the real services (AuthService,
TeamService) against the test's own databases and Redis prefix. Password hashing uses
``AUTH_PASSWORD_ITERATIONS`` = 1,000 in tests (set below before any settings load) so a
user costs milliseconds, not half a second; ``tests/auth/test_passwords.py`` checks the
production default separately. ``auth.configure(lockout_seconds=1, ...)`` changes auth
settings for one test. ``await auth.api_token(session, ["findings:read"])`` returns a real
API token of the session's team.

Tenancy: ``tests/teams/test_cross_team.py`` probes every route of the app from another
team. To give it realistic data of your module, add ``tests/<module>/tenancy_seed.py`` with
``async def seed(client, session) -> None`` that creates data in ``session.team_id`` through
your routes (``session.headers``); the test then tries every id it finds from another team.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from cspm.auth.service import AuthService, ClientInfo
from cspm.auth.settings import AuthSettings
from cspm.auth.tokens import new_id
from cspm.core.container import ServiceContainer
from cspm.teams.service import TeamService, slugify

TEST_PASSWORD_ITERATIONS = "1000"


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("AUTH_PASSWORD_ITERATIONS", TEST_PASSWORD_ITERATIONS)


@dataclass
class Session:
    user_id: str
    email: str
    password: str
    team_id: str | None
    role: str | None
    access_token: str
    refresh_token: str
    session_id: str
    headers: dict[str, str] = field(default_factory=dict)

    def for_team(self, team_id: str | None) -> dict[str, str]:
        """Headers for the same user with another (or no) active team."""
        headers = {"Authorization": f"Bearer {self.access_token}"}
        if team_id:
            headers["X-Team-ID"] = team_id
        return headers


class AuthHelper:
    def __init__(self, container: ServiceContainer) -> None:
        self.container = container
        self.service: AuthService = container.resolve(AuthService)
        self.teams: TeamService = container.resolve(TeamService)
        self.client_info = ClientInfo(ip="198.51.100.7", user_agent="pytest")

    def configure(self, **overrides: object) -> AuthSettings:
        """Replace auth settings for this test (e.g. ``lockout_seconds=1``) and rebuild the services."""
        settings = self.service.settings.model_copy(update=overrides)
        self.container.override(AuthSettings, settings)
        self.container.override(AuthService, AuthService.build(self.container))
        self.container.override(TeamService, TeamService.build(self.container))
        self.service = self.container.resolve(AuthService)
        self.teams = self.container.resolve(TeamService)
        return settings

    async def team(self, name: str | None = None, *, creator_id: str | None = None) -> str:
        """A new team (with no members unless ``creator_id`` is given); returns its id."""
        if creator_id:
            team = await self.teams.create(name=name or f"team {uuid.uuid4().hex[:6]}", creator_id=creator_id,
                                           client=self.client_info)
            return team["_id"]
        team_id = new_id()
        name = name or f"team {team_id[:6]}"
        await self.teams.teams.insert_team({"_id": team_id, "name": name, "slug": f"{slugify(name)}-{team_id[:6]}",
                                            "created_at": datetime.now(UTC), "created_by": None})
        return team_id

    async def user(self, role: str | None = "analyst", team: str | Session | None = None, *,
                   email: str | None = None, password: str | None = None, mfa_secret: str | None = None) -> Session:
        """A user with a live session; ``role`` in ``team`` (a new team when None).

        ``role`` is a membership role (team_admin, analyst, viewer) or "platform_admin"
        (a platform administrator who is team admin of the team). ``role=None`` creates a
        user without any team.
        """
        email = email or f"user-{uuid.uuid4().hex[:10]}@example.com"
        password = password or f"Correct-Horse-{uuid.uuid4().hex[:12]}"
        platform_admin = role == "platform_admin"
        document = self.service.new_user_document(
            email=email, password_hash=await self.service.hasher.hash(password), display_name=None,
            platform_admin=platform_admin)
        await self.service.users.insert(document)
        team_id: str | None = None
        if role is not None:
            team_id = team.team_id if isinstance(team, Session) else team
            if team_id is None:
                team_id = await self.team()
            membership_role = "team_admin" if platform_admin else role
            await self.teams.teams.add_member(team_id=team_id, user_id=document["_id"], role=membership_role,
                                              added_by=None)
        if mfa_secret:
            await self.service.users.update(document["_id"], {"mfa": {
                "enabled": True, "secret": self.service.secret_box.encrypt(mfa_secret), "recovery_codes": []}})
        tokens = await self.service.create_session(document, client=self.client_info, mfa=bool(mfa_secret))
        session = Session(user_id=document["_id"], email=email, password=password, team_id=team_id, role=role,
                          access_token=tokens.access_token, refresh_token=tokens.refresh_token,
                          session_id=tokens.session_id)
        session.headers = session.for_team(team_id)
        return session

    async def api_token(self, session: Session, permissions: list[str], *, name: str = "ci",
                        expires_in_days: int = 30) -> str:
        """A real API token created by ``session``'s user for its team; returns the token."""
        principal = await self.service.authenticate(session.access_token, team_id=session.team_id)
        document = await self.service.create_api_token(principal, name=name, permissions=permissions,
                                                       expires_in_days=expires_in_days, client=self.client_info)
        return document["token"]


@pytest.fixture
async def auth(container: ServiceContainer) -> AuthHelper:
    """Creates real users and teams: ``await auth.user(role="analyst", team=None)``."""
    return AuthHelper(container)
