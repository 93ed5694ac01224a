"""ZAP alerts → findings, shared by the XML and JSON report readers.

Both readers hand over each alert as a plain dict with ZAP's own field names (``pluginid``,
``alertRef``, ``name``/``alert``, ``riskcode``, ``confidence``, ``desc``, ``solution``,
``otherinfo``, ``reference``, ``cweid``, ``wascid``, ``instances`` of ``uri``/``method``/
``param``/``attack``/``evidence``/``otherinfo``) plus the site it belongs to.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from cspm.findings.models import CanonicalFinding, FindingCategory, Resource, Severity
from cspm.scanners.base import RecordError
from cspm.scanners.normalize import (
    build_finding,
    compliance,
    cve_ids,
    cwe_ids,
    identity,
    join_text,
    scan_scope,
    strip_html,
    text,
    urls,
)

TOOL = "zap"
_RISK = {"0": Severity.INFO, "1": Severity.LOW, "2": Severity.MEDIUM, "3": Severity.HIGH}
_RISK_WORDS = {"0": "Informational", "1": "Low", "2": "Medium", "3": "High"}
_CONFIDENCE = {"0": "False Positive", "1": "Low", "2": "Medium", "3": "High", "4": "Confirmed"}


def alert_findings(alert: object, site: Mapping[str, Any], position: str) -> Iterator[CanonicalFinding]:
    """One finding per distinct (URL, parameter, method) of the alert; repeats are folded into one.

    ZAP lists an instance per piece of evidence (four external scripts without SRI on the
    same page are four instances); they are one issue on one resource, so their evidence is
    joined. Alerts the user marked as false positives (confidence 0) are not findings. RecordError
    for an alert that is not an object, names no plugin or alert, or whose instances are not a list.
    """
    if not isinstance(alert, Mapping):
        raise RecordError(TOOL, f"{position} is not a JSON object")
    confidence = text(alert.get("confidence"))
    if confidence == "0":
        return
    risk = text(alert.get("riskcode"))
    severity = _RISK.get(risk or "")
    if severity is None:
        risk_word = (text(alert.get("riskdesc")) or "").split(" ")[0]  # "Medium (High)": risk (confidence)
        severity = Severity.from_tool(risk_word, default=Severity.INFO)
    plugin = text(alert.get("alertRef")) or text(alert.get("pluginid"))
    named = text(alert.get("name")) or text(alert.get("alert"))
    if plugin is None and named is None:
        raise RecordError(TOOL, f"{position} has no pluginid, alertRef, name or alert")
    name = named or f"ZAP alert {plugin}"
    if plugin is None:
        plugin = name
    listed = alert.get("instances")
    if listed is not None and not isinstance(listed, list):
        raise RecordError(TOOL, f"{position} ({plugin}): instances is not a list")
    instances = [i for i in listed or [] if isinstance(i, Mapping)]
    if not instances:
        # ZAP before 2.8 put the single instance's fields on the alert itself.
        instances = [alert] if text(alert.get("uri")) else [{"uri": site.get("name")}]
    groups: dict[tuple[str, str, str], list[Mapping[str, Any]]] = {}
    for instance in instances:
        key = (text(instance.get("uri")) or text(site.get("name")) or "", text(instance.get("param")) or "",
               (text(instance.get("method")) or "").upper())
        groups.setdefault(key, []).append(instance)
    cwes = cwe_ids(alert.get("cweid"))
    cves = cve_ids(name, alert.get("reference"))  # CVE scan rules name it: "Log4Shell (CVE-2021-44228)"
    wasc = text(alert.get("wascid"))
    description = strip_html(alert.get("desc"))
    solution = strip_html(alert.get("solution"))
    references = urls(alert.get("reference"))
    alert_other = strip_html(alert.get("otherinfo"))
    tool_severity = join_text(_RISK_WORDS.get(risk or "", risk), confidence and
                              f"confidence {_CONFIDENCE.get(confidence, confidence)}", separator=", ")
    for (uri, param, method), group in groups.items():
        host = urlsplit(uri).hostname if "://" in uri else None
        yield build_finding(
            TOOL, position,
            rule_id=plugin,
            title=name,
            description=description,
            severity=severity,
            tool_severity=tool_severity,
            category=FindingCategory.WEB,
            resource=Resource(type="url", id=uri or "unknown", name=host or text(site.get("host"))),
            cve_ids=cves,
            cwe_ids=cwes,
            evidence=_evidence(method, param, group, alert_other),
            remediation=solution,
            references=references,
            compliance_tags=compliance({"CWE": cwes, "WASC": [f"WASC-{wasc}"] if wasc and wasc not in ("0", "-1")
                                        else []}),
            identity=identity(plugin=plugin, url=uri, param=param, method=method),
            scope=scan_scope("site", site.get("@name") or site.get("name")),
        )


def _evidence(method: str, param: str, group: list[Mapping[str, Any]], alert_other: str | None) -> str | None:
    lines: list[str] = []
    if method or param:
        lines.append(" ".join(part for part in (method, f"parameter {param!r}" if param else "") if part))
    for instance in group:
        for label in ("attack", "evidence"):
            value = text(instance.get(label))
            if value and f"{label}: {value}" not in lines:
                lines.append(f"{label}: {value}")
        other = strip_html(instance.get("otherinfo"))
        if other and other != alert_other:
            lines.append(other)
    if alert_other:
        lines.append(alert_other)
    return "\n".join(lines) or None
