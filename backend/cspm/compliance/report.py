"""A framework's compliance report as PDF: the summary (strict and weighted score, coverage and why),
every requirement's state with its evidence counts and the path that linked it, and the drift since
the team's previous report of the same framework (score and requirement states then and now).

Every report keeps what it showed (``compliance_framework_reports``) so that the next one can say
what moved. Requirement ids, titles and tool text are escaped: the PDF is built from data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from cspm.core.pdf import escape as _e
from cspm.core.pdf import html_to_pdf

STATE_LABELS = {"satisfied": "Satisfied", "partially_satisfied": "Partially satisfied",
                "not_satisfied": "Not satisfied", "not_assessed": "Not assessed", "manual": "Manual",
                "not_applicable": "Not applicable"}
STATE_COLOURS = {"satisfied": "#2b8a3e", "partially_satisfied": "#e6a700", "not_satisfied": "#c92a2a",
                 "not_assessed": "#868e96", "manual": "#5c7cfa", "not_applicable": "#adb5bd"}
PATH_LABELS = {"tool_tag": "tool tag", "scf_mapping": "SCF mapping"}

REPORT_CSS = """
@page { size: A4; margin: 15mm; @bottom-center { content: counter(page) " / " counter(pages); font-size: 8pt; } }
body { font-family: 'DejaVu Sans', sans-serif; font-size: 8.5pt; color: #111; }
h1 { font-size: 16pt; margin: 0 0 1mm 0; } h2 { font-size: 12pt; margin: 6mm 0 2mm 0; }
.muted { color: #555; } table { border-collapse: collapse; width: 100%; }
td, th { border: 0.3pt solid #999; padding: 1mm 1.2mm; vertical-align: top; } th { background: #eee; text-align: left; }
tr { page-break-inside: avoid; } td.num { text-align: right; white-space: nowrap; }
.cards { display: flex; gap: 3mm; } .card { border: 0.4pt solid #999; padding: 2mm 3mm; flex: 1; }
.card b { display: block; font-size: 14pt; }
.state { color: #fff; padding: 0 1mm; border-radius: 1mm; white-space: nowrap; }
"""


def _percent(value: float | None) -> str:
    return f"{100 * float(value or 0):.0f} %"


def _state(status: str) -> str:
    return (f'<span class="state" style="background:{STATE_COLOURS.get(status, "#555")}">'
            f'{_e(STATE_LABELS.get(status, status))}</span>')


def snapshot_of(detail: Mapping[str, Any]) -> dict[str, Any]:
    """What a report keeps for the next one: the scores and each requirement's state."""
    return {"score": detail.get("score"), "weighted_score": detail.get("weighted_score"),
            "coverage": detail.get("coverage"),
            "states": {str(item["requirement_id"]): item["status"] for item in detail.get("requirements") or ()}}


def drift_since(previous: Mapping[str, Any] | None, detail: Mapping[str, Any]) -> dict[str, Any]:
    """The changes from the previous report's snapshot to ``detail``: scores, and each requirement that moved."""
    if previous is None:
        return {"previous_at": None, "changes": [], "scores": {}}
    before: Mapping[str, str] = previous.get("states") or {}
    now = snapshot_of(detail)["states"]
    changes = [{"requirement_id": requirement_id, "from": before.get(requirement_id), "to": status}
               for requirement_id, status in now.items() if before.get(requirement_id) != status]
    # A framework fed by tool tags lists only the requirements some result named: one can drop out.
    changes += [{"requirement_id": requirement_id, "from": status, "to": None}
                for requirement_id, status in before.items() if requirement_id not in now]
    scores = {name: (previous.get(name), detail.get(name)) for name in ("score", "weighted_score", "coverage")}
    return {"previous_at": previous.get("generated_at"), "changes": changes, "scores": scores}


def _evidence_counts(requirement: Mapping[str, Any]) -> tuple[int, int, int]:
    """Failing, passing and manual results behind a requirement: its tool tags', else its controls'."""
    direct = (requirement.get("direct") or {}).get("counts") or {}
    if direct:
        return int(direct.get("failing", 0)), int(direct.get("passing", 0)), int(direct.get("manual", 0))
    totals = [0, 0, 0]
    for control in requirement.get("controls") or ():
        counts = control.get("counts") or {}
        for index, name in enumerate(("failing", "passing", "manual")):
            totals[index] += int(counts.get(name, 0))
    return totals[0], totals[1], totals[2]


def _requirement_rows(requirements: Sequence[Mapping[str, Any]]) -> str:
    rows = []
    for requirement in requirements:
        failing, passing, manual = _evidence_counts(requirement)
        controls = ", ".join(f"{control['scf_id']} {control.get('title') or ''}".strip()
                             for control in requirement.get("controls") or ())
        paths = ", ".join(PATH_LABELS.get(path, path) for path in requirement.get("evidence_paths") or ()) or "-"
        rows.append(f"<tr><td>{_e(requirement['requirement_id'])}</td><td>{_state(requirement['status'])}</td>"
                    f'<td class="num">{failing}</td><td class="num">{passing}</td><td class="num">{manual}</td>'
                    f"<td>{_e(paths)}</td><td>{_e(controls) or '-'}</td></tr>")
    return "".join(rows)


def _drift_section(drift: Mapping[str, Any]) -> str:
    if drift["previous_at"] is None:
        return '<p class="muted">This is the team\'s first report of this framework: the next one shows what moved.</p>'
    moved = "".join(f"<tr><td>{_e(change['requirement_id'])}</td>"
                    f"<td>{_state(change['from']) if change['from'] else 'new in the framework'}</td>"
                    f"<td>{_state(change['to']) if change['to'] else 'no result names it now'}</td></tr>"
                    for change in drift["changes"])
    score_line = ", ".join(f"{label} {_percent(before)} → {_percent(after)}" for label, (before, after) in
                           zip(("strict score", "weighted score", "coverage"), drift["scores"].values(), strict=True))
    when = drift["previous_at"]
    stamp = f"{when:%Y-%m-%d %H:%M} UTC" if isinstance(when, datetime) else _e(when)
    table = (f"<table><tr><th>Requirement</th><th>Then</th><th>Now</th></tr>{moved}</table>" if moved
             else "<p>No requirement changed state.</p>")
    return f"<p>Since the previous report ({stamp}): {_e(score_line)}.</p>{table}"


def report_html(detail: Mapping[str, Any], drift: Mapping[str, Any], *, team_name: str,
                generated_at: datetime) -> str:
    name = detail.get("title") or detail.get("name") or detail["framework_id"]
    version = f" {detail['version']}" if detail.get("version") else ""
    counts = detail.get("counts") or {}
    cards = "".join(f'<div class="card"><span class="muted">{label}</span><b>{value}</b></div>' for label, value in (
        ("Strict score", _percent(detail.get("score"))), ("Weighted score", _percent(detail.get("weighted_score"))),
        ("Coverage", _percent(detail.get("coverage"))),
        ("Satisfied", f"{detail.get('satisfied', 0)} of {detail.get('applicable', 0)}")))
    states = " · ".join(f"{STATE_LABELS[status]} {counts.get(status, 0)}" for status in STATE_LABELS)
    why = "".join(f"<li>{_e(line)}</li>" for line in detail.get("explanation") or ())
    return f"""<!doctype html><html><head><meta charset="utf-8"><style>{REPORT_CSS}</style></head><body>
<h1>{_e(name)}{_e(version)}: compliance report</h1>
<p class="muted">{_e(team_name)} · generated {generated_at:%Y-%m-%d %H:%M} UTC by OffloadSecurity CSPM</p>
<h2>Summary</h2>
<div class="cards">{cards}</div>
<p>{_e(states)}</p>
{f"<ul>{why}</ul>" if why else ""}
<h2>Drift since the last report</h2>
{_drift_section(drift)}
<h2>Requirements</h2>
<p class="muted">Evidence counts are the failing, passing and manual results behind each requirement: those of
the tools' own tags where a tool named the requirement, else those of its SCF controls.</p>
<table><tr><th>Requirement</th><th>State</th><th>Failing</th><th>Passing</th><th>Manual</th><th>Linked by</th>
<th>SCF controls</th></tr>{_requirement_rows(detail.get("requirements") or ())}</table>
</body></html>"""


def render_pdf(detail: Mapping[str, Any], drift: Mapping[str, Any], *, team_name: str,
               generated_at: datetime) -> bytes:
    return html_to_pdf(report_html(detail, drift, team_name=team_name, generated_at=generated_at),
                       what="the compliance PDF",
                       instead="the framework's JSON and its statement of applicability work")
