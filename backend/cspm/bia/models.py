"""Business impact analysis vocabulary and the pure rules: impact scale, horizons, MTPD, tier flow."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

IMPACT_CATEGORIES = ("financial", "operational", "legal", "reputational", "safety")
IMPACT_SCALE = {1: "negligible", 2: "minor", 3: "moderate", 4: "severe", 5: "critical"}
TIER_CRITICALITY = {1: "tier-1", 2: "tier-2", 3: "tier-3", 4: "tier-4"}
DEPENDENCY_KINDS = ("target", "cloud_account", "image", "host", "process", "third_party")


def horizon_label(hours: float) -> str:
    if hours < 24 or hours % 24:
        return f"{hours:g} h"
    days = hours / 24
    if days % 7 == 0:
        return f"{days / 7:g} week" + ("s" if days != 7 else "")
    return f"{days:g} day" + ("s" if days != 1 else "")


def derived_mtpd(impacts: Sequence[Mapping[str, Any]], severe: int) -> dict[str, Any] | None:
    """The first horizon (by hours) where any impact category reaches ``severe``; None if none does."""
    for row in sorted(impacts, key=lambda item: item["horizon_hours"]):
        reached = [category for category in IMPACT_CATEGORIES if (row.get(category) or 0) >= severe]
        if reached:
            when = horizon_label(row["horizon_hours"])
            return {"hours": row["horizon_hours"], "categories": reached,
                    "reason": f"impact reaches {IMPACT_SCALE[severe]} ({severe}) at {when} ({', '.join(reached)})"}
    return None


def effective_tiers(processes: Sequence[Mapping[str, Any]]) -> dict[str, tuple[int, list[str]]]:
    """Process id → (tier, names of the processes that set it): a process another one depends on is at
    least as critical as that one (criticality flows down the dependency chain, cycles included)."""
    by_id = {str(process["_id"]): process for process in processes}
    tiers = {pid: (int(process["tier"]), [process["name"]]) for pid, process in by_id.items()}
    for _ in range(len(by_id)):  # at most one pass per process: the longest chain
        changed = False
        for pid, process in by_id.items():
            for dependency in process.get("dependencies") or []:
                child = dependency["ref"] if dependency["kind"] == "process" else None
                if child in tiers and tiers[pid][0] < tiers[child][0]:
                    tiers[child] = (tiers[pid][0], tiers[pid][1])
                    changed = True
                elif child in tiers and tiers[pid][0] == tiers[child][0]:
                    names = list(dict.fromkeys([*tiers[child][1], *tiers[pid][1]]))
                    if names != tiers[child][1]:
                        tiers[child] = (tiers[child][0], names)
                        changed = True
        if not changed:
            break
    return tiers


def asset_key(kind: str, ref: str) -> str | None:
    """The key a dependency is matched on against a finding's asset refs (see threat_intel.correlation)."""
    return {"target": f"target:{ref}", "cloud_account": f"cloud_account:{ref}", "image": f"resource:{ref}",
            "host": f"host:{ref.lower()}"}.get(kind)
