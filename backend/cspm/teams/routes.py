"""Teams API (/api/teams). ``/api/teams/active/...`` acts on the team named by X-Team-ID."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response, status

from cspm.auth.dependencies import Principal, authenticated, client_info, require_permission
from cspm.auth.permissions import Role
from cspm.auth.service import ClientInfo
from cspm.core.dependencies import service
from cspm.core.errors import Forbidden
from cspm.teams.schemas import (
    InvitationCreate,
    InvitationCreated,
    InvitationOut,
    MemberOut,
    ModuleOut,
    ModuleUpdate,
    RoleUpdate,
    TeamCreate,
    TeamOut,
    TeamUpdate,
)
from cspm.teams.service import TeamService

router = APIRouter(tags=["teams"])

Teams = Annotated[TeamService, Depends(service(TeamService))]
Client = Annotated[ClientInfo, Depends(client_info)]
Caller = Annotated[Principal, Depends(authenticated)]
Reader = Annotated[Principal, Depends(require_permission("teams:read"))]
Manager = Annotated[Principal, Depends(require_permission("teams:manage"))]
ModuleAdmin = Annotated[Principal, Depends(require_permission("modules:manage"))]
Id = Annotated[str, Path(max_length=64)]


def team_out(team: dict[str, Any], role: str | None = None) -> TeamOut:
    chosen = role or team.get("role")
    return TeamOut(id=team["_id"], name=team["name"], slug=team["slug"], created_at=team["created_at"],
                   role=Role(chosen) if chosen else None)


def invitation_out(document: dict[str, Any]) -> dict[str, Any]:
    return {"id": document["_id"], **{k: v for k, v in document.items() if k not in ("_id", "token_hash")}}


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_team(body: TeamCreate, principal: Caller, teams: Teams, client: Client) -> TeamOut:
    """Creates a team; the caller becomes its team admin."""
    if principal.via != "session":
        raise Forbidden("teams are created by users, not API tokens")
    return team_out(await teams.create(name=body.name, creator_id=principal.user_id, client=client))


@router.get("")
async def list_my_teams(principal: Caller, teams: Teams) -> list[TeamOut]:
    """Lists the teams the caller belongs to, with the caller's role in each."""
    mine = await teams.mine(principal.user_id)
    if principal.via == "api_token":
        mine = [team for team in mine if team["_id"] == principal.team]
    return [team_out(team) for team in mine]


@router.get("/active")
async def get_active_team(principal: Reader, teams: Teams) -> TeamOut:
    """Returns the active team."""
    assert principal.team is not None
    return team_out(await teams.get(team_id=principal.team), principal.role)


@router.patch("/active")
async def rename_active_team(body: TeamUpdate, principal: Manager, teams: Teams, client: Client) -> TeamOut:
    """Renames the active team."""
    assert principal.team is not None
    team = await teams.rename(team_id=principal.team, name=body.name, actor=principal, client=client)
    return team_out(team, principal.role)


@router.get("/active/modules")
async def list_modules(principal: Reader, teams: Teams) -> list[ModuleOut]:
    """Lists the platform modules and whether each is switched on for the active team."""
    return [ModuleOut(**module) for module in await teams.modules(team_id=principal.team)]


@router.put("/active/modules/{module}")
async def set_module(module: Annotated[str, Path(max_length=40)], body: ModuleUpdate, principal: ModuleAdmin,
                     teams: Teams, client: Client) -> list[ModuleOut]:
    """Switches a module on or off for the active team (its routes then answer 403 for the team)."""
    modules = await teams.set_module(team_id=principal.team, module=module, enabled=body.enabled,
                                     actor=principal, client=client)
    return [ModuleOut(**item) for item in modules]


@router.get("/active/members")
async def list_members(principal: Reader, teams: Teams) -> list[MemberOut]:
    """Lists the members of the active team and their roles."""
    assert principal.team is not None
    return [MemberOut(**member) for member in await teams.members(team_id=principal.team)]


@router.put("/active/members/{user_id}")
async def set_member_role(user_id: Id, body: RoleUpdate, principal: Manager, teams: Teams,
                          client: Client) -> MemberOut:
    """Changes a member's role in the active team."""
    assert principal.team is not None
    await teams.set_role(team_id=principal.team, user_id=user_id, role=body.role, actor=principal,
                         client=client)
    members = {m["user_id"]: m for m in await teams.members(team_id=principal.team)}
    return MemberOut(**members[user_id])


@router.delete("/active/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_member(user_id: Id, principal: Manager, teams: Teams, client: Client) -> Response:
    """Removes a member from the active team."""
    assert principal.team is not None
    await teams.remove(team_id=principal.team, user_id=user_id, actor=principal, client=client)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/active/invitations", status_code=status.HTTP_201_CREATED)
async def invite(body: InvitationCreate, principal: Manager, teams: Teams, client: Client) -> InvitationCreated:
    """Invites an e-mail address to the active team; the invitation token is shown once."""
    assert principal.team is not None
    document = await teams.invite(team_id=principal.team, email=body.email, role=body.role, actor=principal,
                                  client=client)
    return InvitationCreated(**invitation_out(document))


@router.get("/active/invitations")
async def list_invitations(principal: Manager, teams: Teams) -> list[InvitationOut]:
    """Lists the active team's invitations."""
    assert principal.team is not None
    return [InvitationOut(**invitation_out(d)) for d in await teams.invitations(team_id=principal.team)]


@router.delete("/active/invitations/{invitation_id}")
async def revoke_invitation(invitation_id: Id, principal: Manager, teams: Teams, client: Client) -> InvitationOut:
    """Revokes an open invitation of the active team."""
    assert principal.team is not None
    document = await teams.revoke_invitation(team_id=principal.team, invitation_id=invitation_id,
                                             actor=principal, client=client)
    return InvitationOut(**invitation_out(document))
