"""SystemIntegrityMonitor: every subsystem as optimal, degraded or down, with the impact in words."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from enum import StrEnum

from cspm.core.metrics import Metrics


class ComponentState(StrEnum):
    OPTIMAL = "optimal"
    DEGRADED = "degraded"
    DOWN = "down"


_GAUGE_VALUE = {ComponentState.OPTIMAL: 1.0, ComponentState.DEGRADED: 0.5, ComponentState.DOWN: 0.0}


@dataclass(frozen=True)
class ComponentStatus:
    component: str
    state: ComponentState
    mode: str
    impact: str = ""
    checked_at: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


class SystemIntegrityMonitor:
    def __init__(self, metrics: Metrics | None = None) -> None:
        self._components: dict[str, ComponentStatus] = {}
        self._metrics = metrics

    def report(self, component: str, state: ComponentState, mode: str, impact: str = "") -> None:
        self._components[component] = ComponentStatus(
            component, state, mode, impact, datetime.now(UTC).isoformat(timespec="seconds")
        )
        if self._metrics is not None:
            self._metrics.component_up.labels(component=component).set(_GAUGE_VALUE[state])

    def optimal(self, component: str, mode: str) -> None:
        self.report(component, ComponentState.OPTIMAL, mode)

    def degraded(self, component: str, mode: str, impact: str) -> None:
        self.report(component, ComponentState.DEGRADED, mode, impact)

    def down(self, component: str, mode: str, impact: str) -> None:
        self.report(component, ComponentState.DOWN, mode, impact)

    def get(self, component: str) -> ComponentStatus | None:
        return self._components.get(component)

    def snapshot(self) -> list[ComponentStatus]:
        return sorted(self._components.values(), key=lambda status: status.component)

    @property
    def overall(self) -> ComponentState:
        states = {status.state for status in self._components.values()}
        if ComponentState.DOWN in states:
            return ComponentState.DOWN
        if ComponentState.DEGRADED in states:
            return ComponentState.DEGRADED
        return ComponentState.OPTIMAL
