"""One SARIF result → one finding, with the rule it refers to looked up in its run's tool."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from cspm.findings.models import CanonicalFinding, CheckResult, FindingCategory, Resource, Severity
from cspm.scanners.base import RecordError
from cspm.scanners.normalize import (
    as_list,
    build_finding,
    compliance,
    cve_ids,
    cwe_ids,
    identity,
    join_text,
    mapping,
    number,
    text,
    unique,
)

TOOL = "sarif"
TITLE_MAX_CHARS = 200
DEFAULT_LEVEL = "warning"  # SARIF 2.1.0 §3.27.10: a result without a level (and no rule default) is a warning
_LEVELS = {"error": Severity.HIGH, "warning": Severity.MEDIUM, "note": Severity.INFO, "none": Severity.INFO}
_KINDS = {"fail": CheckResult.FAIL, "pass": CheckResult.PASS, "review": CheckResult.MANUAL, "open": CheckResult.MANUAL}
_NOT_RESULTS = {"informational", "notapplicable"}
# CodeQL writes "external/cwe/cwe-079", Semgrep "CWE-79: Improper Neutralization …".
_CWE_TAG = re.compile(r"(?:^|/)cwe[-_: ]?0*(\d{1,5})\b", re.IGNORECASE)
_CATEGORY_TAGS = {"secret": FindingCategory.SECRET, "secrets": FindingCategory.SECRET,
                  "misconfiguration": FindingCategory.MISCONFIGURATION, "vulnerability": FindingCategory.VULNERABILITY}


@dataclass
class Run:
    """What a run says about the results in it: the analyser and its rules."""

    index: int
    driver: str | None = None
    driver_version: str | None = None
    tool_read: bool = False
    rules: list[dict[str, Any]] = field(default_factory=list)
    rules_by_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    extensions: list[list[dict[str, Any]]] = field(default_factory=list)
    """Rules of each ``tool.extensions`` entry (CodeQL query packs), by extension index."""

    def read_tool(self, tool: object) -> None:
        driver = mapping(mapping(tool).get("driver"))
        self.driver = text(driver.get("name"))
        self.driver_version = text(driver.get("semanticVersion")) or text(driver.get("version"))
        self.rules = [rule if isinstance(rule, dict) else {} for rule in as_list(driver.get("rules"))]
        self.extensions = [[rule if isinstance(rule, dict) else {} for rule in as_list(mapping(ext).get("rules"))]
                           for ext in as_list(mapping(tool).get("extensions"))]
        for rule in [*self.rules, *(rule for rules in self.extensions for rule in rules)]:
            if (rule_id := text(rule.get("id"))) is not None:
                self.rules_by_id.setdefault(rule_id, rule)
        self.tool_read = True

    def rule(self, result: dict[str, Any]) -> dict[str, Any]:
        """The rule a result refers to: by index (in the driver or an extension), else by id."""
        reference = mapping(result.get("rule"))
        index = result.get("ruleIndex", reference.get("index"))
        component = mapping(reference.get("toolComponent")).get("index")
        rules = self.rules
        if isinstance(component, int) and 0 <= component < len(self.extensions):
            rules = self.extensions[component]
        if isinstance(index, int) and 0 <= index < len(rules):
            return rules[index]
        rule_id = text(result.get("ruleId")) or text(reference.get("id"))
        if rule_id is None:
            return {}
        # A hierarchical id ("CA2101/1") names a sub-rule of the rule "CA2101".
        return self.rules_by_id.get(rule_id) or self.rules_by_id.get(rule_id.split("/", 1)[0]) or {}

    @property
    def driver_label(self) -> str:
        return " ".join(part for part in (self.driver, self.driver_version) if part) or "an unnamed SARIF tool"


def _message(value: object) -> str | None:
    message = mapping(value)
    return text(message.get("text")) or text(message.get("markdown"))


def _severity(result: dict[str, Any], rule: dict[str, Any]) -> tuple[Severity, str]:
    """(severity, the tool's own word or score) from security-severity, else the SARIF level."""
    for properties in (mapping(result.get("properties")), mapping(rule.get("properties"))):
        raw = text(properties.get("security-severity"))
        if raw is None:
            continue
        score = number(raw, low=0.0, high=10.0)
        if score is not None:
            return Severity.from_cvss(score), raw
        word = Severity.from_tool(raw, default=Severity.INFO) if raw.lower() in _WORDS else None
        if word is not None:
            return word, raw
    level = text(result.get("level")) or text(mapping(rule.get("defaultConfiguration")).get("level")) or DEFAULT_LEVEL
    return _LEVELS.get(level.lower(), Severity.MEDIUM), level


_WORDS = {"critical", "high", "medium", "moderate", "low", "info", "informational", "none"}


def _tags(*holders: dict[str, Any]) -> list[str]:
    return unique(tag for holder in holders for tag in as_list(mapping(holder.get("properties")).get("tags")))


def _cwes(rule: dict[str, Any], result: dict[str, Any], tags: list[str]) -> list[str]:
    found = [match.group(1) for tag in tags if (match := _CWE_TAG.search(tag))]
    for properties in (mapping(rule.get("properties")), mapping(result.get("properties"))):
        found.extend(str(item) for item in as_list(properties.get("cwe")))
    for relationship in as_list(rule.get("relationships")):
        target = mapping(mapping(relationship).get("target"))
        if (text(mapping(target.get("toolComponent")).get("name")) or "").upper() == "CWE":
            found.append(str(target.get("id")))
    return cwe_ids([re.sub(r"(?i)^cwe[-_: ]?0*", "", item).split(":")[0].strip() for item in found])


@dataclass
class _Location:
    uri: str | None = None
    line: int | None = None
    snippet: str | None = None
    logical: str | None = None

    @property
    def label(self) -> str | None:
        if self.uri:
            return f"{self.uri}:{self.line}" if self.line else self.uri
        return self.logical


def _primary_location(result: dict[str, Any]) -> _Location:
    locations = [mapping(location) for location in as_list(result.get("locations"))]
    if not locations:
        return _Location()
    primary = locations[0]
    physical = mapping(primary.get("physicalLocation"))
    region = mapping(physical.get("region"))
    line = region.get("startLine")
    logical = next((text(mapping(item).get("fullyQualifiedName")) or text(mapping(item).get("name"))
                    for item in as_list(primary.get("logicalLocations"))), None)
    return _Location(uri=text(mapping(physical.get("artifactLocation")).get("uri")),
                     line=line if isinstance(line, int) and not isinstance(line, bool) else None,
                     snippet=text(mapping(region.get("snippet")).get("text")), logical=logical)


def _fingerprint(result: dict[str, Any]) -> str | None:
    """All fingerprints as sorted ``name=value`` (Black Duck nests the value in an object)."""
    for key in ("fingerprints", "partialFingerprints"):
        values = mapping(result.get(key))
        parts = [f"{name}={text(mapping(raw).get('value')) if isinstance(raw, dict) else text(raw)}"
                 for name, raw in sorted(values.items()) if raw not in (None, "", {})]
        if parts:
            return "|".join(parts)
    return None


def _suppression(result: dict[str, Any]) -> str | None:
    """'accepted', 'underReview' or 'rejected' for a suppressed result (status absent = accepted)."""
    suppressions = [mapping(item) for item in as_list(result.get("suppressions"))]
    if not suppressions:
        return None
    statuses = [text(item.get("status")) or "accepted" for item in suppressions]
    for status in ("accepted", "underReview", "rejected"):
        if status in statuses:
            return status
    return statuses[0]


def _category(cves: list[str], tags: list[str]) -> FindingCategory:
    if cves:
        return FindingCategory.VULNERABILITY
    for tag in tags:
        category = _CATEGORY_TAGS.get(tag.lower())
        if category is not None:
            return category
    return FindingCategory.OTHER


def _title(rule: dict[str, Any], message: str | None, rule_id: str) -> str:
    title = (_message(rule.get("shortDescription")) or text(rule.get("name"))
             or (message.splitlines()[0] if message else None) or rule_id)
    return title if len(title) <= TITLE_MAX_CHARS else title[:TITLE_MAX_CHARS - 1] + "…"


def to_finding(result: object, run: Run, position: str) -> Iterator[CanonicalFinding]:
    if not isinstance(result, dict):
        raise RecordError(TOOL, f"{position} is not a JSON object")
    kind = (text(result.get("kind")) or "fail").lower()
    suppression = _suppression(result)
    if kind in _NOT_RESULTS or suppression == "accepted":
        return
    rule = run.rule(result)
    reference = mapping(result.get("rule"))
    rule_id = text(result.get("ruleId")) or text(reference.get("id")) or text(rule.get("id"))
    message = _message(result.get("message"))
    if rule_id is None and message is None:
        raise RecordError(TOOL, f"{position} has no ruleId and no message")  # nothing says what it found
    if rule_id is None:
        rule_id = "sarif-result"  # SARIF allows results without a rule (appendix K.3): the message says it all
    severity, tool_severity = _severity(result, rule)
    location = _primary_location(result)
    tags = _tags(rule, result)
    cwes = _cwes(rule, result, tags)
    cves = cve_ids(rule_id, message)
    full_description = _message(rule.get("fullDescription"))
    help_text = _message(rule.get("help"))
    fingerprint = _fingerprint(result)
    yield build_finding(
        TOOL, position,
        rule_id=rule_id,
        title=_title(rule, message, rule_id),
        description=join_text(message, full_description if full_description != message else None),
        severity=severity,
        tool_severity=tool_severity,
        result=_KINDS.get(kind, CheckResult.FAIL),
        category=_category(cves, tags),
        resource=Resource(type="file", id=location.label or run.driver or "unknown", name=location.uri,
                          provider=None) if location.label else Resource(type="sarif_run", id=run.driver or "unknown"),
        cve_ids=cves,
        cwe_ids=cwes,
        evidence=join_text(f"Reported by {run.driver_label}",
                           f"Location: {location.label}" if location.label else None,
                           location.snippet,
                           f"Suppression {suppression}" if suppression else None, separator="\n"),
        remediation=help_text if help_text != full_description else None,  # Semgrep repeats the description
        references=unique([rule.get("helpUri")]),
        compliance_tags=compliance({"CWE": cwes}),
        identity=identity(driver=(run.driver or "").lower(), rule=rule_id, file=location.uri or location.logical,
                          fingerprint=fingerprint,
                          snippet=None if fingerprint else location.snippet,
                          line=None if fingerprint or location.snippet else location.line,
                          message=message if rule_id == "sarif-result" else None),
    )
