"""Computed residual risk: the inherent risk reduced by the live implementation state of the treatment's controls.

    coverage   = mean over the linked SCF controls (not-applicable ones left out) of
                 implemented 1.0, partially implemented 0.5, not implemented 0, not assessed 0
    likelihood = inherent likelihood - round((inherent likelihood - 1) x coverage)      (never below 1)
    impact     = inherent impact (controls make an event less likely; what it costs stays)

Not assessed counts as nothing on purpose: a control nobody has evidence for reduces no risk.
The state is read from the compliance engine on every computation, so a control that regresses
(a scan that now fails it) raises the computed residual at once. Without linked controls there is
no computed residual; the analyst's own estimate stands alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

EFFECTIVENESS = {"implemented": 1.0, "partially_implemented": 0.5, "not_implemented": 0.0, "not_assessed": 0.0}


def computed_residual(inherent_likelihood: int, inherent_impact: int, scf_ids: Sequence[str],
                      statuses: Mapping[str, str]) -> dict[str, Any] | None:
    """``None`` without linked controls; otherwise the residual likelihood and impact with the reason."""
    if not scf_ids:
        return None
    controls = [{"scf_id": scf_id, "status": statuses.get(scf_id, "not_assessed")} for scf_id in dict.fromkeys(scf_ids)]
    counted = [control for control in controls if control["status"] in EFFECTIVENESS]
    coverage = sum(EFFECTIVENESS[control["status"]] for control in counted) / len(counted) if counted else 0.0
    likelihood = max(1, inherent_likelihood - round((inherent_likelihood - 1) * coverage))
    implemented = sum(1 for control in counted if control["status"] == "implemented")
    states = ", ".join(f"{control['scf_id']} {control['status'].replace('_', ' ')}" for control in controls)
    reason = (f"{implemented} of {len(counted)} linked controls implemented ({states}; coverage {coverage:.0%}): "
              f"likelihood {inherent_likelihood} → {likelihood}")
    return {"likelihood": likelihood, "impact": inherent_impact, "coverage": round(coverage, 3),
            "controls": controls, "reason": reason}
