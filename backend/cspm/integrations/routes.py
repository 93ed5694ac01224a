"""Integrations API: catalogue, integrations, routing rules, setup wizard, delivery log, health, Jira tickets.

Reading needs ``integrations:read``; changing the team's integrations, rules and tickets
``integrations:write``. Secrets go in and never come out.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from cspm.auth.dependencies import Principal, require_permission
from cspm.core.container import ServiceContainer
from cspm.core.dependencies import service
from cspm.integrations.models import DeliveryState
from cspm.integrations.schemas import (
    CatalogueOut,
    DeliveryOut,
    DeliveryPage,
    HealthCheckOut,
    IntegrationIn,
    IntegrationOut,
    IntegrationUpdate,
    RuleIn,
    RuleOut,
    TicketIn,
    TicketOut,
    WizardCredentials,
    WizardFinish,
    WizardOut,
    WizardStart,
)
from cspm.integrations.service import IntegrationService
from cspm.integrations.tickets import TicketService

router = APIRouter(tags=["integrations"])

Integrations = Annotated[IntegrationService, Depends(service(IntegrationService))]
Tickets = Annotated[TicketService, Depends(service(TicketService))]
Reader = Annotated[Principal, Depends(require_permission("integrations:read"))]
Writer = Annotated[Principal, Depends(require_permission("integrations:write"))]


async def on_startup(container: ServiceContainer) -> None:
    """The integrity monitor shows failing connections from the first request on, not after the first check."""
    await container.resolve(IntegrationService).report_integrity()


@router.get("/catalogue", response_model=CatalogueOut)
async def catalogue(principal: Reader, integrations: Integrations) -> CatalogueOut:
    """Lists the channel kinds and the events rules can route (with the modules that raise them)."""
    return CatalogueOut.model_validate(integrations.catalogue())


@router.get("", response_model=list[IntegrationOut])
async def list_integrations(principal: Reader, integrations: Integrations) -> list[IntegrationOut]:
    """Lists the team's integrations with their connection status."""
    items = await integrations.list_integrations(team_id=principal.team)
    return [IntegrationOut.model_validate(item) for item in items]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=IntegrationOut)
async def create_integration(principal: Writer, integrations: Integrations, body: IntegrationIn) -> IntegrationOut:
    """Creates an integration directly (the wizard does the same with a test first)."""
    return IntegrationOut.model_validate(await integrations.create(
        team_id=principal.team, actor=principal.user_id, name=body.name, config=body.config, enabled=body.enabled))


@router.get("/rules", response_model=list[RuleOut])
async def list_rules(principal: Reader, integrations: Integrations) -> list[RuleOut]:
    """Lists the team's routing rules."""
    return [RuleOut.model_validate(rule) for rule in await integrations.list_rules(team_id=principal.team)]


@router.post("/rules", status_code=status.HTTP_201_CREATED, response_model=RuleOut)
async def create_rule(principal: Writer, integrations: Integrations, rule: RuleIn) -> RuleOut:
    """Routes events of some types, severities, tools and targets to integrations."""
    return RuleOut.model_validate(await integrations.create_rule(team_id=principal.team, actor=principal.user_id,
                                                                 rule=rule))


@router.put("/rules/{rule_id}", response_model=RuleOut)
async def replace_rule(principal: Writer, integrations: Integrations, rule_id: str, rule: RuleIn) -> RuleOut:
    """Replaces a routing rule."""
    return RuleOut.model_validate(await integrations.replace_rule(team_id=principal.team, actor=principal.user_id,
                                                                  rule_id=rule_id, rule=rule))


@router.delete("/rules/{rule_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_rule(principal: Writer, integrations: Integrations, rule_id: str) -> None:
    """Deletes a routing rule (queued deliveries it made are still sent)."""
    await integrations.delete_rule(team_id=principal.team, actor=principal.user_id, rule_id=rule_id)


@router.get("/deliveries", response_model=DeliveryPage)
async def list_deliveries(principal: Reader, integrations: Integrations, state: DeliveryState | None = None,
                          integration_id: Annotated[str | None, Query(pattern=r"^[0-9a-f]{24}$")] = None,
                          offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
                          limit: Annotated[int, Query(ge=1, le=200)] = 50) -> DeliveryPage:
    """The delivery log, newest first; state=dead_letter is the dead-letter list."""
    items, total = await integrations.deliveries(team_id=principal.team, state=state, integration_id=integration_id,
                                                 offset=offset, limit=limit)
    return DeliveryPage(items=[DeliveryOut.model_validate(item) for item in items], total=total)


@router.post("/deliveries/{delivery_id}/redeliver", response_model=DeliveryOut)
async def redeliver(principal: Writer, integrations: Integrations, delivery_id: str) -> DeliveryOut:
    """Queues a dead-lettered delivery again."""
    return DeliveryOut.model_validate(await integrations.redeliver(team_id=principal.team, actor=principal.user_id,
                                                                   delivery_id=delivery_id))


@router.get("/wizard", response_model=list[WizardOut])
async def list_wizard_sessions(principal: Reader, integrations: Integrations) -> list[WizardOut]:
    """Unfinished, unexpired setups of the team, to resume."""
    return [WizardOut.model_validate(item) for item in await integrations.wizard_list(team_id=principal.team)]


@router.post("/wizard", status_code=status.HTTP_201_CREATED, response_model=WizardOut)
async def start_wizard(principal: Writer, integrations: Integrations, body: WizardStart) -> WizardOut:
    """Starts a setup: credentials → test → rules. The session expires when left alone."""
    return WizardOut.model_validate(await integrations.wizard_start(team_id=principal.team, actor=principal.user_id,
                                                                    kind=body.kind, name=body.name))


@router.get("/wizard/{session_id}", response_model=WizardOut)
async def get_wizard(principal: Reader, integrations: Integrations, session_id: str) -> WizardOut:
    """Shows a setup where it was left."""
    return WizardOut.model_validate(await integrations.wizard_get(team_id=principal.team, session_id=session_id))


@router.put("/wizard/{session_id}/credentials", response_model=WizardOut)
async def wizard_credentials(principal: Writer, integrations: Integrations, session_id: str,
                             body: WizardCredentials) -> WizardOut:
    """Step 1: the channel's configuration and secrets (encrypted at once)."""
    return WizardOut.model_validate(await integrations.wizard_credentials(team_id=principal.team,
                                                                          session_id=session_id, config=body.config))


@router.post("/wizard/{session_id}/test", response_model=WizardOut)
async def wizard_test(principal: Writer, integrations: Integrations, session_id: str) -> WizardOut:
    """Step 2: sends a test message (Jira: reads the project); passing it opens step 3."""
    return WizardOut.model_validate(await integrations.wizard_test(team_id=principal.team, session_id=session_id))


@router.post("/wizard/{session_id}/finish", response_model=WizardOut)
async def wizard_finish(principal: Writer, integrations: Integrations, session_id: str,
                        body: WizardFinish) -> WizardOut:
    """Step 3: creates the integration, and a first routing rule to it when one is given."""
    return WizardOut.model_validate(await integrations.wizard_finish(team_id=principal.team, actor=principal.user_id,
                                                                     session_id=session_id, rule=body.rule))


@router.delete("/wizard/{session_id}", status_code=status.HTTP_204_NO_CONTENT)
async def cancel_wizard(principal: Writer, integrations: Integrations, session_id: str) -> None:
    """Abandons a setup (its encrypted secrets go with it)."""
    await integrations.wizard_cancel(team_id=principal.team, session_id=session_id)


@router.get("/tickets", response_model=list[TicketOut])
async def list_tickets(principal: Reader, tickets: Tickets,
                       finding_id: Annotated[str | None, Query(pattern=r"^[0-9a-f]{24}$")] = None,
                       limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[TicketOut]:
    """Jira issues linked to the team's findings, with their last synced status."""
    links = await tickets.list_links(team_id=principal.team, finding_id=finding_id, limit=limit)
    return [TicketOut.model_validate({**link, "id": str(link["_id"])}) for link in links]


@router.get("/{integration_id}", response_model=IntegrationOut)
async def get_integration(principal: Reader, integrations: Integrations, integration_id: str) -> IntegrationOut:
    """Shows one integration (settings without secrets) and its connection status."""
    return IntegrationOut.model_validate(await integrations.get(team_id=principal.team, integration_id=integration_id))


@router.patch("/{integration_id}", response_model=IntegrationOut)
async def update_integration(principal: Writer, integrations: Integrations, integration_id: str,
                             body: IntegrationUpdate) -> IntegrationOut:
    """Renames, enables or disables an integration, or replaces its configuration."""
    return IntegrationOut.model_validate(await integrations.update(
        team_id=principal.team, actor=principal.user_id, integration_id=integration_id,
        changes={"name": body.name, "enabled": body.enabled}, config=body.config))


@router.delete("/{integration_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_integration(principal: Writer, integrations: Integrations, integration_id: str) -> None:
    """Deletes an integration no rule sends to."""
    await integrations.delete(team_id=principal.team, actor=principal.user_id, integration_id=integration_id)


@router.post("/{integration_id}/check", response_model=HealthCheckOut)
async def check_integration(principal: Writer, integrations: Integrations, integration_id: str) -> HealthCheckOut:
    """Runs the connection's health check now."""
    return HealthCheckOut.model_validate(await integrations.check(team_id=principal.team,
                                                                  integration_id=integration_id))


@router.post("/{integration_id}/tickets", status_code=status.HTTP_201_CREATED, response_model=TicketOut)
async def create_ticket(principal: Writer, tickets: Tickets, integration_id: str, body: TicketIn) -> TicketOut:
    """Opens a Jira issue for a finding (or returns the one already linked)."""
    link = await tickets.create(team_id=principal.team, actor=principal.user_id, integration_id=integration_id,
                                finding_id=body.finding_id)
    return TicketOut.model_validate({**link, "id": str(link["_id"])})
