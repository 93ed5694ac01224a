"""Where AI-SOC meets other modules that may be absent: BIA (asset criticality) and integrations (tickets).

- ``asset_criticality``: BIA's answer through the manifest's ``asset_criticality`` provider (the
  BIA module's); without it (not installed, switched off, failing) the enrichment says so and uses
  the scan target's declared ``criticality`` option, as threat intelligence's priority does.
- ``ticket_action`` / ``risk_action``: the integrations module's Jira ticket opener and the risk
  register's "create a risk from a finding", through the manifest's providers; without them the
  action is listed as unavailable with the reason, and applying it answers 409.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from cspm.core.container import ServiceContainer
from cspm.core.providers import provider

logger = logging.getLogger(__name__)

BIA_ABSENT = "asset criticality: BIA not available"
BIA_FAILED = "asset criticality: BIA failed to answer"
TICKETS_ABSENT = "open a ticket: integrations not available"
RISKS_ABSENT = "create a risk: risk register not available"

TicketOpener = Callable[..., Awaitable[dict[str, Any]]]


async def asset_criticality(container: ServiceContainer, team_id: str, refs: Sequence[str],
                            declared: Mapping[str, Mapping[str, str]],
                            asset_keys: Mapping[str, Sequence[str]] | None = None) -> tuple[dict[str, str], str]:
    """Criticality by resource ref, and where it came from.

    ``declared``: the scan targets' declared options by resource ref (threat intel's fallback);
    ``asset_keys``: each resource ref's keys for BIA (``target:<id>``, ``resource:<id>``, ``host:<name>``),
    answered through the manifest's ``asset_criticality`` provider when the BIA module is installed."""
    found = {ref: value["criticality"] for ref, value in declared.items() if value.get("criticality")}
    lookup = provider(container, "asset_criticality")
    if lookup is None or not asset_keys:
        return found, f"{BIA_ABSENT}; declared target criticality used" if found else BIA_ABSENT
    try:
        answers = await lookup(team_id, sorted({key for keys in asset_keys.values() for key in keys}))
    except Exception:
        logger.exception("asset criticality provider failed; declared target criticality used",
                         extra={"team_id": team_id})
        return found, f"{BIA_FAILED}; declared target criticality used" if found else BIA_FAILED
    processes: set[str] = set()
    for ref, keys in asset_keys.items():
        best = min((answers[key] for key in keys if key in answers), key=lambda answer: answer["tier"], default=None)
        if best is not None:
            found[ref] = best["criticality"]
            processes.update(best.get("processes") or ())
    if not processes:
        return found, "asset criticality: no BIA process depends on these assets" + (
            "; declared target criticality used" if found else "")
    return found, f"asset criticality from BIA (processes: {', '.join(sorted(processes)[:5])})"


def ticket_action(container: ServiceContainer) -> TicketOpener | None:
    """The integrations module's ticket opener (the team's Jira), through the manifest; None without it."""
    return provider(container, "ticket_for_finding")


def risk_action(container: ServiceContainer) -> TicketOpener | None:
    """The risk register's "create a risk from a finding", through the manifest; None without it."""
    return provider(container, "risk_from_finding")
