"""One triage run for one team: read once, correlate, then each agent per case, each step recorded.

Order: correlation (all findings at once) → enrichment → prioritisation → (the highest-priority
cases get the LLM, when configured) → remediation → triage → auto-apply of the actions the team
allowed. A step record holds the agent, its inputs (finding ids), outputs, the rule or prompt,
the passages cited, the LLM exchange when there was one, and its duration.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from cspm.ai_soc.agents import (
    CaseState,
    CorrelationAgent,
    EnrichmentAgent,
    PrioritisationAgent,
    RemediationAgent,
    RunContext,
    Step,
    TriageAgent,
)

MAX_TRAIL_IDS = 50


def step_record(agent: str, state: CaseState, step: Step, duration_ms: float, run_id: str) -> dict[str, Any]:
    record: dict[str, Any] = {
        "agent": agent, "run_id": run_id, "at": datetime.now(UTC),
        "inputs": {"finding_ids": [str(f.get("_id")) for f in state.draft.findings[:MAX_TRAIL_IDS]],
                   "finding_count": len(state.draft.findings)},
        "outputs": step.outputs, "rule": step.rule, "citations": step.citations,
        "duration_ms": round(duration_ms, 3)}
    if step.llm is not None:
        record["llm"] = step.llm
    return record


async def run_agents(ctx: RunContext, run_id: str,
                     on_progress: Callable[[str, int, int], Awaitable[None]] | None = None,
                     llm_cases: int = 0) -> tuple[list[CaseState], dict[str, float]]:
    """Every agent over the team's findings; returns the cases with their trails and each agent's total time."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    correlation = CorrelationAgent()
    drafts = correlation.run(ctx)
    timings["correlation"] = (time.perf_counter() - started) * 1000
    share = timings["correlation"] / max(len(drafts), 1)
    states = [CaseState(draft) for draft in drafts]
    for state in states:
        state.trail.append(step_record("correlation", state, correlation.step(state.draft, ctx), share, run_id))

    async def each(agent: Any, chosen: list[CaseState]) -> None:
        total = 0.0
        for number, state in enumerate(chosen):
            began = time.perf_counter()
            step = await agent.run(ctx, state)
            took = (time.perf_counter() - began) * 1000
            total += took
            state.trail.append(step_record(agent.name, state, step, took, run_id))
            if on_progress is not None and number % 200 == 0:
                await on_progress(agent.name, number, len(chosen))
        timings[agent.name] = round(total, 3)

    await each(EnrichmentAgent(), states)
    await each(PrioritisationAgent(), states)
    states.sort(key=lambda state: (-state.priority["score"], state.draft.key))
    if ctx.llm.configured:
        ctx.llm_cases = {state.draft.key for state in states[:llm_cases]}
    await each(RemediationAgent(), states)
    await each(TriageAgent(), states)
    return states, timings
