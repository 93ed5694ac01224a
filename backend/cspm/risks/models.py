"""Domain vocabulary of the risk register: statuses, treatments, KRI metrics, proposal kinds."""

from __future__ import annotations

from enum import StrEnum


class RiskStatus(StrEnum):
    IDENTIFIED = "identified"
    ASSESSED = "assessed"
    TREATED = "treated"
    ACCEPTED = "accepted"
    CLOSED = "closed"


class Treatment(StrEnum):
    MITIGATE = "mitigate"
    ACCEPT = "accept"
    TRANSFER = "transfer"
    AVOID = "avoid"


class ActionStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


class AcceptanceState(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"


class KriMetric(StrEnum):
    OPEN_PAST_SLA = "open_past_sla"
    """Open findings past their SLA (scope: severity, default critical; source_tool; scope_key)."""
    CONTROLS_IMPLEMENTED_PCT = "controls_implemented_pct"
    """% of the team's assessed SCF controls (or a framework's) that are implemented."""
    MTTR_DAYS = "mttr_days"
    """Mean days from first seen to resolved, per severity (scope: severity, default high)."""
    KEV_OPEN = "kev_open"
    """Open findings whose CVE is in CISA KEV (needs threat intelligence)."""
    DAYS_SINCE_SCAN = "days_since_scan"
    """Days since the last successful scan of a target (scope: target_id; without it the stalest target)."""


class ProposalKind(StrEnum):
    EXPOSED_FINDING = "exposed_finding"
    REQUIREMENT_REGRESSION = "requirement_regression"
    PROCESS_DEPENDENCY = "process_dependency"
    EXERCISE_MISSED_RTO = "exercise_missed_rto"


class ProposalState(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    DISMISSED = "dismissed"


SEVERITY_LIKELIHOOD = {"critical": 5, "high": 4, "medium": 3, "low": 2, "info": 1}
"""Likelihood (on a 5-point scale) suggested for a risk made from a finding of that severity."""
