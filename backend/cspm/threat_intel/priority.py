"""Explained priority: one score per finding, 0-100, with the reasons in words.

    priority = severity + cvss + epss + kev + exposure + criticality      (each part ≥ 0)

    severity     0-15   info 0, low 4, medium 8, high 12, critical 15 (the canonical severity)
    cvss         0-15   1.5 x CVSS base score; without one, 1.5 x the severity's typical score
                        (info 0, low 2.5, medium 5.5, high 8, critical 9.5)
    epss         0-20   20 x EPSS probability (the newest score: FIRST's feed or the scanner's)
    kev          0-30   25 when a CVE of the finding is in CISA KEV, +5 when KEV says it is known
                        to be used in ransomware campaigns
    exposure     0-10   10 when the asset is internet-facing (a target's declared exposure
                        ``internet``), 0 when internal or unknown
    criticality  0-10   the asset's criticality: critical/tier-1 10, high/tier-2 7, medium/tier-3 4,
                        low/tier-4 1, unknown 0. From the BIA module when it is on: the most critical
                        tier of the business processes depending on the asset (the reason names
                        them); otherwise from the target's declared ``criticality`` option

Every part grows with its input and no part caps another, so raising any one input never
lowers the score (tests/threat_intel/test_priority.py checks each). KEV and EPSS dominate on
purpose: "which of these are being exploited?" comes first, severity breaks ties. The
explanation lists the parts that contributed, largest first, with their points.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SEVERITY_POINTS = {"info": 0.0, "low": 4.0, "medium": 8.0, "high": 12.0, "critical": 15.0}
TYPICAL_CVSS = {"info": 0.0, "low": 2.5, "medium": 5.5, "high": 8.0, "critical": 9.5}
CVSS_WEIGHT = 1.5
EPSS_WEIGHT = 20.0
KEV_POINTS = 25.0
RANSOMWARE_POINTS = 5.0
INTERNET_POINTS = 10.0
CRITICALITY_POINTS = {"critical": 10.0, "tier-1": 10.0, "tier1": 10.0, "1": 10.0,
                      "high": 7.0, "tier-2": 7.0, "tier2": 7.0, "2": 7.0,
                      "medium": 4.0, "tier-3": 4.0, "tier3": 4.0, "3": 4.0,
                      "low": 1.0, "tier-4": 1.0, "tier4": 1.0, "4": 1.0}
INTERNET_EXPOSURE = {"internet", "internet-facing", "public", "external"}


@dataclass(frozen=True)
class PriorityInputs:
    severity: str
    cvss: float | None = None
    epss: float | None = None
    epss_percentile: float | None = None
    kev_since: str | None = None
    """dateAdded of the earliest KEV entry among the finding's CVEs; None: not in KEV."""
    ransomware: bool = False
    exposure: str | None = None
    criticality: str | None = None
    asset_name: str | None = None
    criticality_source: str | None = None
    """Why the asset has that criticality, e.g. "BIA: tier-1 process 'Payments' depends on it"."""


@dataclass
class Priority:
    score: float
    explanation: str
    factors: list[dict[str, Any]] = field(default_factory=list)


def _percentile(value: float) -> str:
    whole = int(value * 100)
    suffix = "th" if 10 <= whole % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(whole % 10, "th")
    return f"{whole}{suffix} percentile"


def score(inputs: PriorityInputs) -> Priority:
    severity = inputs.severity if inputs.severity in SEVERITY_POINTS else "info"
    parts: list[tuple[str, float, str]] = []
    if inputs.kev_since is not None:
        parts.append(("kev", KEV_POINTS, f"KEV since {inputs.kev_since}"))
        if inputs.ransomware:
            parts.append(("ransomware", RANSOMWARE_POINTS, "known ransomware campaign use"))
    if inputs.epss is not None:
        percentile = f" ({_percentile(inputs.epss_percentile)})" if inputs.epss_percentile is not None else ""
        parts.append(("epss", EPSS_WEIGHT * inputs.epss, f"EPSS {inputs.epss:.2f}{percentile}"))
    if inputs.cvss is not None:
        parts.append(("cvss", CVSS_WEIGHT * inputs.cvss, f"CVSS {inputs.cvss:.1f}"))
    else:
        parts.append(("cvss", CVSS_WEIGHT * TYPICAL_CVSS[severity], f"no CVSS (typical {severity} score)"))
    parts.append(("severity", SEVERITY_POINTS[severity], f"severity {severity}"))
    if (inputs.exposure or "").strip().lower() in INTERNET_EXPOSURE:
        parts.append(("exposure", INTERNET_POINTS, "internet-facing"))
    criticality = (inputs.criticality or "").strip().lower()
    if criticality in CRITICALITY_POINTS:
        asset = f" '{inputs.asset_name}'" if inputs.asset_name else ""
        source = f" ({inputs.criticality_source})" if inputs.criticality_source else ""
        parts.append(("criticality", CRITICALITY_POINTS[criticality],
                      f"asset{asset} criticality {criticality}{source}"))
    total = round(sum(points for _, points, _ in parts), 1)
    shown = sorted((part for part in parts if part[1] > 0), key=lambda part: -part[1])
    explanation = ", ".join(f"{text} (+{points:.1f})" for _, points, text in shown) or "no risk factor"
    return Priority(total, explanation, [{"factor": name, "points": round(points, 2), "reason": text}
                                         for name, points, text in shown])
