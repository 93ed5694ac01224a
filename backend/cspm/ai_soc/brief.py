"""The daily brief per team: new KEV matches, new correlations and the top cases, from stored data.

Without an LLM it is built from templates; with one, a narrative is added that must cite the
cases and KEV entries it was given (the same schema and grounding checks as the agents').
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from jsonschema import Draft202012Validator

BRIEF_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False, "required": ["narrative", "citations"],
    "properties": {"narrative": {"type": "string", "minLength": 20, "maxLength": 4000},
                   "citations": {"type": "array", "minItems": 1, "maxItems": 30,
                                 "items": {"type": "string", "maxLength": 200}}},
}
Draft202012Validator.check_schema(BRIEF_SCHEMA)


def template_lines(kev_matches: Sequence[Mapping[str, Any]], new_cases: Sequence[Mapping[str, Any]],
                   indicator_matches: int, top_cases: Sequence[Mapping[str, Any]]) -> list[str]:
    lines = []
    if kev_matches:
        cves = sorted({cve for f in kev_matches for cve in (f.get("kev") or {}).get("cve_ids") or []})
        lines.append(f"{len(kev_matches)} new finding(s) match CISA KEV: {', '.join(cves[:10])}.")
    else:
        lines.append("No new finding matches CISA KEV.")
    lines.append(f"{len(new_cases)} new case(s) from correlation; {indicator_matches} new indicator match(es).")
    for case in top_cases:
        priority = case.get("priority") or {}
        recommendation = (case.get("recommendation") or {}).get("action", "keep")
        lines.append(f"Top case [{case['_id']}] {case.get('title')}: priority {priority.get('score')} "
                     f"({priority.get('explanation')}); recommended: {recommendation}.")
    if not top_cases:
        lines.append("No open case.")
    return lines


def passages_of(kev_matches: Sequence[Mapping[str, Any]], top_cases: Sequence[Mapping[str, Any]],
                ) -> dict[str, dict[str, Any]]:
    """The facts an LLM narrative may cite, by id: the top cases and the KEV matches."""
    passages: dict[str, dict[str, Any]] = {}
    for case in top_cases:
        plan = "; ".join((case.get("remediation") or {}).get("plan") or [])[:500]
        passages[f"case:{case['_id']}"] = {"title": case.get("title"),
                                           "text": f"priority {(case.get('priority') or {}).get('explanation')}; "
                                                   f"plan: {plan}"}
    for finding in kev_matches[:10]:
        kev = finding.get("kev") or {}
        for cve in kev.get("cve_ids") or []:
            passages[f"kev:{cve}"] = {"title": kev.get("vulnerability_name") or cve,
                                      "text": f"{cve} on {(finding.get('resource') or {}).get('id')}: "
                                              f"{kev.get('required_action')} (due {kev.get('due_date')})"}
    return passages
