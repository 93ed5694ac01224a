"""The passages of each source: the shared corpus (SCF, ASVS, CSF, KEV) and a team's rule fix texts.

- ``scf``: every control of the active SCF registry (or the built-in baseline), title + description.
- ``asvs``: the 345 OWASP ASVS 5.0.0 requirements, with chapter and section names and CWE ids.
- ``csf``: the 106 NIST CSF 2.0 subcategories, with NIST's implementation examples.
- ``kev``: the CISA KEV entries stored by threat intelligence (none when its catalogue is empty).
- ``rule``: per team, each tool rule's description and remediation as seen in the team's findings,
  deduplicated by content (a rule reported on 40 images is one passage). Rule text can carry a
  team's resource names, so it is team data, not shared.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from cspm.assessments.frameworks import ASVS_TEMPLATE, CSF_TEMPLATE, shipped_library
from cspm.compliance.registry import ControlRegistry
from cspm.knowledge.chunking import Passage, content_hash


def scf_passages(registry: ControlRegistry) -> list[Passage]:
    return [Passage("scf", control.scf_id, f"{control.scf_id} {control.title}",
                    f"{control.scf_id} {control.title} ({control.domain}). {control.description}".strip(),
                    meta={"domain": control.domain})
            for control in registry.controls.values()]


def framework_passages(template_id: str, source: str) -> list[Passage]:
    template = shipped_library().template(template_id)
    if template is None:
        return []
    passages = []
    for item in template.items:
        extra = ""
        if item.cwe_ids:
            extra += f" Weaknesses: {', '.join(item.cwe_ids)}."
        if item.examples:
            extra += " Examples: " + " ".join(item.examples)
        passages.append(Passage(source, item.ref, f"{item.ref} {item.section_name}",
                                f"{item.ref} ({item.group_name} / {item.section_name}): {item.text}{extra}",
                                meta={"cwe_ids": list(item.cwe_ids), **({"level": item.level} if item.level else {})}))
    return passages


def asvs_passages() -> list[Passage]:
    return framework_passages(ASVS_TEMPLATE, "asvs")


def csf_passages() -> list[Passage]:
    return framework_passages(CSF_TEMPLATE, "csf")


def kev_passages(entries: Iterable[Mapping[str, Any]]) -> list[Passage]:
    passages = []
    for entry in entries:
        cve = str(entry.get("cveID") or entry.get("_id"))
        text = (f"{cve} {entry.get('vulnerabilityName', '')}. {entry.get('vendorProject', '')} "
                f"{entry.get('product', '')}. {entry.get('shortDescription', '')} Required action: "
                f"{entry.get('requiredAction', '')} Due {entry.get('dueDate', '')}. Known ransomware use: "
                f"{entry.get('knownRansomwareCampaignUse', 'Unknown')}.")
        passages.append(Passage("kev", cve, f"{cve} {entry.get('vulnerabilityName', '')}", " ".join(text.split()),
                                meta={"cve_id": cve}))
    return passages


def rule_text(finding: Mapping[str, Any]) -> str:
    """What a tool says about a rule: its description and remediation (the finding's own fields)."""
    parts = [str(finding.get(name) or "").strip() for name in ("description", "remediation")]
    return "\n\n".join(part for part in parts if part)


def rule_key(finding: Mapping[str, Any]) -> str:
    """Key of a rule passage: the content hash of its text (same text on 40 images → one passage)."""
    return content_hash(f"{finding.get('source_tool')}|{finding.get('rule_id')}|{rule_text(finding)}")[:24]


def rule_passages(team_id: str, findings: Iterable[Mapping[str, Any]]) -> dict[str, list[Passage]]:
    """The team's rule passages by tool, deduplicated by content."""
    by_tool: dict[str, dict[str, Passage]] = {}
    for finding in findings:
        text = rule_text(finding)
        if not text:
            continue
        tool = str(finding.get("source_tool") or "unknown")
        key = rule_key(finding)
        title = f"{tool} {finding.get('rule_id')}: {finding.get('title') or ''}"[:300]
        by_tool.setdefault(tool, {}).setdefault(key, Passage("rule", key, title, f"{title}\n\n{text}", team_id,
                                                             meta={"tool": tool, "rule_id": finding.get("rule_id")}))
    return {tool: list(passages.values()) for tool, passages in by_tool.items()}
