"""Request and response bodies of the teams API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, StringConstraints

from cspm.auth.permissions import Role
from cspm.core.fields import SingleLineText

# The platform modules a team admin can switch off: toggle name → title shown to people. Which
# route modules each switch gates is declared with them (RouteModule.toggle in cspm/modules.py).
TOGGLEABLE_MODULES: dict[str, str] = {
    "findings": "Findings",
    "compliance": "Compliance",
    "scans": "Scans, targets and cloud accounts",
    "assets": "Assets and SBOM",
    "threat_intel": "Threat intelligence",
    "ai_governance": "AI governance",
    "assessments": "Assessments (OWASP ASVS, NIST CSF)",
    "integrations": "Integrations (Slack, Teams, webhooks, e-mail, Jira)",
    "knowledge": "Knowledge base and search",
    "ai_soc": "AI-SOC triage",
    "risks": "Risk register",
    "bia": "Business impact analysis",
    "registries": "Container registries",
    "exports": "Exports and executive report",
}

TeamName = Annotated[SingleLineText, StringConstraints(strip_whitespace=True, min_length=2, max_length=80)]
MemberRole = Literal["team_admin", "analyst", "viewer"]
"""Roles a membership can hold (platform admin is a user attribute; service is for API tokens)."""


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=4096)


class TeamCreate(Request):
    name: TeamName


class TeamUpdate(Request):
    name: TeamName


class RoleUpdate(Request):
    role: MemberRole


class InvitationCreate(Request):
    email: Annotated[EmailStr, AfterValidator(lambda value: value.strip().lower())]
    role: MemberRole = "viewer"


class TeamOut(BaseModel):
    id: str
    name: str
    slug: str
    created_at: datetime
    role: Role | None = None


class ModuleOut(BaseModel):
    name: str
    title: str
    enabled: bool


class ModuleUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool


class MemberOut(BaseModel):
    user_id: str
    email: str
    display_name: str | None
    role: Role
    joined_at: datetime


class InvitationOut(BaseModel):
    id: str
    team_id: str
    email: str
    role: MemberRole
    created_by: str
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None = None
    revoked_at: datetime | None = None


class InvitationCreated(InvitationOut):
    token: str
    """Shown once: give it to the invitee, who registers with it (or accepts it when logged in)."""
