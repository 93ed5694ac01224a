"""Where AI-SOC meets modules that are not in this tree yet: BIA (asset criticality) and integrations (tickets).

The one place to wire them after merge:
- ``asset_criticality``: replace the body's first lines with
  ``await container.resolve(BiaService).asset_criticality(team_id, refs)`` (criticality by resource
  ref); until then the enrichment records "asset criticality: BIA not available" and uses the
  scan target's declared ``criticality`` option, as threat intelligence's priority does today.
- ``ticket_action``: return the integrations module's ticket opener; until then "open a ticket" is
  listed as unavailable with that reason, and applying it answers 409.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from cspm.core.container import ServiceContainer

BIA_ABSENT = "asset criticality: BIA not available"
TICKETS_ABSENT = "open a ticket: integrations not available"
RISKS_ABSENT = "create a risk: risk register not available"

TicketOpener = Callable[..., Awaitable[dict[str, Any]]]


async def asset_criticality(container: ServiceContainer, team_id: str, refs: Sequence[str],
                            declared: Mapping[str, Mapping[str, str]]) -> tuple[dict[str, str], str]:
    """Criticality by resource ref, and where it came from.

    ``declared``: the scan targets' declared options by resource ref (threat intel's fallback)."""
    found = {ref: value["criticality"] for ref, value in declared.items() if value.get("criticality")}
    return found, f"{BIA_ABSENT}; declared target criticality used" if found else BIA_ABSENT


def ticket_action(container: ServiceContainer) -> TicketOpener | None:
    """The integrations module's ticket opener; None until that module lands."""
    return None


def risk_action(container: ServiceContainer) -> TicketOpener | None:
    """The risk register's "create a risk"; None until that module lands."""
    return None
