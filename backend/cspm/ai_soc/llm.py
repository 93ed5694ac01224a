"""Optional LLM writer: an OpenAI-compatible ``/v1/chat/completions`` endpoint, used under strict rules.

- The prompt is built from the case's fields and the retrieved passages only, and scrubbed with
  the logging scrubber (secrets in evidence never leave the process).
- The answer must be a JSON object valid against the agent's schema, and must cite at least one
  retrieved passage and nothing else; otherwise it is discarded and the reason recorded.
- Token budgets per run and per team per day are checked before each call (the prompt's
  estimated size plus the answer's limit) and charged with the provider's reported usage.
- A timeout or an HTTP failure is recorded; the deterministic result stands either way.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from jsonschema import Draft202012Validator

from cspm.ai_soc.settings import AiSocSettings
from cspm.core.logging import scrub

CHARS_PER_TOKEN = 4
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$")

NARRATIVE_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False, "required": ["narrative", "citations"],
    "properties": {"narrative": {"type": "string", "minLength": 20, "maxLength": 4000},
                   "citations": {"type": "array", "minItems": 1, "maxItems": 20,
                                 "items": {"type": "string", "maxLength": 200}}},
}
SUMMARY_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False, "required": ["summary", "citations"],
    "properties": {"summary": {"type": "string", "minLength": 10, "maxLength": 1500},
                   "citations": {"type": "array", "minItems": 1, "maxItems": 20,
                                 "items": {"type": "string", "maxLength": 200}}},
}


def estimate_tokens(text: str) -> int:
    return len(text) // CHARS_PER_TOKEN + 1


@dataclass
class Budget:
    """Tokens left for this run and for the team today; ``charge`` after each call."""

    run_left: int
    day_left: int
    used: int = 0

    def refuses(self, estimate: int) -> str | None:
        if estimate > self.run_left:
            return f"run token budget exhausted ({self.run_left} left, about {estimate} needed)"
        if estimate > self.day_left:
            return f"daily token budget exhausted ({self.day_left} left, about {estimate} needed)"
        return None

    def charge(self, tokens: int) -> None:
        self.used += tokens
        self.run_left -= tokens
        self.day_left -= tokens


@dataclass
class LlmResult:
    status: str
    """accepted, discarded, failed, skipped"""
    reason: str | None = None
    prompt: str | None = None
    answer: str | None = None
    value: dict[str, Any] | None = None
    tokens: int = 0
    duration_ms: float = 0.0
    citations: list[str] = field(default_factory=list)

    def record(self) -> dict[str, Any]:
        return {"status": self.status, "reason": self.reason, "prompt": self.prompt, "answer": self.answer,
                "tokens": self.tokens, "duration_ms": round(self.duration_ms, 1)}


class LlmWriter:
    def __init__(self, settings: AiSocSettings) -> None:
        self.settings = settings

    @property
    def configured(self) -> bool:
        return bool(self.settings.llm_url)

    def prompt(self, task: str, facts: Mapping[str, Any], passages: Mapping[str, Mapping[str, Any]],
               schema: Mapping[str, Any]) -> str:
        sources = "\n".join(f"[{chunk_id}] {p.get('title', '')}: {str(p.get('text', ''))[:700]}"
                            for chunk_id, p in passages.items())
        return scrub(
            f"You are a SOC triage assistant. {task}\n"
            "Use only the facts and passages below. Cite the passages you rely on by their id in brackets.\n"
            f"Answer with one JSON object valid against this JSON schema, nothing else:\n{json.dumps(schema)}\n\n"
            f"FACTS:\n{json.dumps(facts, default=str, sort_keys=True)[:6000]}\n\nPASSAGES:\n{sources}")

    async def write(self, task: str, facts: Mapping[str, Any], passages: Mapping[str, Mapping[str, Any]],
                    schema: Mapping[str, Any], budget: Budget) -> LlmResult:
        if not self.settings.llm_url:
            return LlmResult("skipped", "LLM not configured")
        if not passages:
            return LlmResult("skipped", "no retrieved passage to ground an answer on")
        prompt = self.prompt(task, facts, passages, schema)
        estimate = estimate_tokens(prompt) + self.settings.llm_max_tokens
        if (refusal := budget.refuses(estimate)) is not None:
            return LlmResult("skipped", refusal, prompt=prompt)
        started = time.perf_counter()
        result = await self._call(prompt)
        result.duration_ms = (time.perf_counter() - started) * 1000
        budget.charge(result.tokens or (estimate if result.status != "failed" else 0))
        if result.status == "failed" or result.answer is None:
            return result
        return validate(result, schema, list(passages))

    async def _call(self, prompt: str) -> LlmResult:
        assert self.settings.llm_url is not None  # checked by write()
        headers = {}
        if self.settings.llm_api_key is not None:
            headers["Authorization"] = f"Bearer {self.settings.llm_api_key.get_secret_value()}"
        body = {"model": self.settings.llm_model, "max_tokens": self.settings.llm_max_tokens, "temperature": 0,
                "response_format": {"type": "json_object"},
                "messages": [{"role": "system", "content": "Answer with JSON only."},
                             {"role": "user", "content": prompt}]}
        url = self.settings.llm_url.rstrip("/") + "/chat/completions"
        try:
            async with httpx.AsyncClient(timeout=self.settings.llm_timeout_seconds) as client:
                response = await client.post(url, headers=headers, json=body)
            response.raise_for_status()
            payload = response.json()
            answer = str(payload["choices"][0]["message"]["content"])
            tokens = int((payload.get("usage") or {}).get("total_tokens") or 0)
        except httpx.TimeoutException:
            return LlmResult("failed", f"timed out after {self.settings.llm_timeout_seconds:g} s", prompt=prompt)
        except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as exc:
            return LlmResult("failed", scrub(f"{type(exc).__name__}: {exc}")[:300], prompt=prompt)
        return LlmResult("answered", prompt=prompt, answer=scrub(answer)[:20_000], tokens=tokens)


def validate(result: LlmResult, schema: Mapping[str, Any], retrieved: Sequence[str]) -> LlmResult:
    """Schema first, then grounding: every citation retrieved, at least one. Otherwise discarded."""
    text = _FENCE.sub("", (result.answer or "").strip())
    try:
        value = json.loads(text)
    except ValueError:
        return _discard(result, "the answer is not JSON")
    errors = sorted(Draft202012Validator(schema).iter_errors(value), key=lambda error: list(error.path))
    if errors:
        where = "/".join(str(part) for part in errors[0].path) or "answer"
        return _discard(result, f"schema: {where}: {errors[0].message}"[:300])
    cited = list(dict.fromkeys(value["citations"]))
    unknown = [chunk_id for chunk_id in cited if chunk_id not in set(retrieved)]
    if unknown:
        return _discard(result, f"cites passages that were not retrieved: {', '.join(unknown[:5])}")
    result.status, result.value, result.citations = "accepted", value, cited
    return result


def _discard(result: LlmResult, reason: str) -> LlmResult:
    result.status, result.reason = "discarded", reason
    return result
