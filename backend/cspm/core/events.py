"""Domain events between modules; the subscribers are listed in the manifest (cspm/modules.py).

A publisher (findings ingest) does not import its subscribers (compliance engine): a
broken subscriber is logged and reported by the integrity monitor, and the publisher's
own work — already committed — stands. Subscribers are ``"module:Class.method"``; the
class is built through the service container, the method awaited with the payload.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Mapping
from typing import Any

from cspm.core.manifest import MANIFEST

logger = logging.getLogger(__name__)

FINDINGS_CHANGED = "findings.changed"
"""Payload: team_id: str, dedup_keys: list[str] (new, updated, reopened, resolved or triaged)."""

COMPLIANCE_STALE = "compliance.stale"
"""Payload: older_than: datetime. Teams whose compliance state was last computed before it need a refresh."""

INDICATORS_MATCHED = "threat_intel.indicators_matched"
"""Payload: team_id: str, correlation_ids: list[str]. New indicator ↔ asset matches (for notifications)."""

COMPLIANCE_DRIFTED = "compliance.drifted"
"""Payload: team_id: str, events: list[dict] (the drift events just stored: kind, scf_id/framework_id, detail...)."""

SCAN_FAILED = "scans.failed"
"""Payload: team_id, run_id, state ("failed" or "timed_out"), target_name, tools: list[str], error."""

KRI_RED = "risks.kri_red"
"""Payload: team_id, kri_id, name, value, threshold, risk_id. Raised by the risk register (when installed)."""

SBOM_STORED = "assets.sbom_stored"
"""Payload: team_id, asset_id. An asset's SBOM (components and file digests) was replaced (threat intel matches
its file hashes)."""

TARGET_OPTIONS_CHANGED = "targets.options_changed"
"""Payload: team_id: str, target_id: str. A target's declared options (its exposure, its criticality)
changed: the priority of the findings its scans gave may differ."""

BIA_CRITICALITY_CHANGED = "bia.criticality_changed"
"""Payload: team_id. A business process's tier or dependencies changed: asset criticality may differ."""

BIA_EXERCISE_MISSED_RTO = "bia.exercise_missed_rto"
"""Payload: team_id, process_id, process_name, exercise_id, achieved_hours, rto_hours, tier (the risk register
turns it into a proposal)."""

class EventHub:
    def __init__(self, container: Any, subscribers: Mapping[str, tuple[str, ...]] | None = None) -> None:
        self.container = container
        self.subscribers = subscribers

    async def publish(self, topic: str, **payload: Any) -> list[str]:
        """Deliver to every subscriber; returns the ones that failed (already logged)."""
        failed: list[str] = []
        subscribers = MANIFEST.subscribers if self.subscribers is None else self.subscribers
        for target in subscribers.get(topic, ()):
            started = time.perf_counter()
            try:
                module_name, qualified = target.split(":")
                class_name, method = qualified.split(".")
                cls = getattr(importlib.import_module(module_name), class_name)
                await getattr(self.container.resolve(cls), method)(**payload)
                # The publisher waits for every subscriber: their durations say where an import's time goes.
                logger.info("event delivered", extra={"topic": topic, "subscriber": target,
                                                       "duration_ms": round(1000 * (time.perf_counter() - started))})
            except Exception as exc:
                logger.exception("event subscriber failed", extra={"topic": topic, "subscriber": target})
                self.container.integrity.degraded(
                    f"events:{target}", "failing", f"{topic} not delivered: {type(exc).__name__}: {exc}")
                failed.append(target)
        return failed
