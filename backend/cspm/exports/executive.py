"""The team's executive report as HTML, and as PDF through WeasyPrint (every URL fetch refused).

Sections: posture (the posture score, active findings by severity), the trend of active findings
(an inline SVG chart drawn here, so nothing is fetched), top risks (by explained priority when
threat intelligence has scored them, else by severity, and the report says which) and SLA
breaches (active findings past their due date, oldest due first). Every value from a scanner
report is escaped: the PDF is built from tool and user text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from cspm.core.pdf import escape as _e
from cspm.core.pdf import html_to_pdf

SEVERITIES = ("critical", "high", "medium", "low", "info")
SEVERITY_COLOURS = {"critical": "#8b0000", "high": "#d9480f", "medium": "#e6a700", "low": "#2b7bb9", "info": "#868e96"}
CHART_WIDTH, CHART_HEIGHT = 480, 140

REPORT_CSS = """
@page { size: A4; margin: 16mm; @bottom-center { content: counter(page) " / " counter(pages); font-size: 8pt; } }
body { font-family: 'DejaVu Sans', sans-serif; font-size: 9pt; color: #111; }
h1 { font-size: 17pt; margin: 0 0 1mm 0; } h2 { font-size: 12pt; margin: 6mm 0 2mm 0; }
.muted { color: #555; } .note { color: #555; font-style: italic; }
table { border-collapse: collapse; width: 100%; }
td, th { border: 0.3pt solid #999; padding: 1.2mm; vertical-align: top; }
tr { page-break-inside: avoid; }
th { background: #eee; text-align: left; } td.num { text-align: right; white-space: nowrap; }
.cards { display: flex; gap: 3mm; } .card { border: 0.4pt solid #999; padding: 2mm 3mm; flex: 1; }
.card b { display: block; font-size: 15pt; } .sev { color: #fff; padding: 0 1mm; border-radius: 1mm; }
.wrap { word-break: break-all; }
"""


def _date(value: Any) -> str:
    return value.strftime("%Y-%m-%d") if isinstance(value, datetime) else "-"


def _severity(severity: str) -> str:
    return f'<span class="sev" style="background:{SEVERITY_COLOURS.get(severity, "#555")}">{_e(severity)}</span>'


def trend_svg(points: Sequence[Mapping[str, Any]]) -> str:
    """Active findings per day as a stacked-free line chart: one polyline of the totals, with the day range."""
    if len(points) < 2:
        return '<p class="note">Not enough history for a trend yet (one point per day with changes).</p>'
    totals = [int(point.get("total") or 0) for point in points]
    top = max(max(totals), 1)
    step = CHART_WIDTH / (len(points) - 1)
    coordinates = " ".join(f"{index * step:.1f},{CHART_HEIGHT - total / top * (CHART_HEIGHT - 10):.1f}"
                           for index, total in enumerate(totals))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{CHART_WIDTH + 60}" height="{CHART_HEIGHT + 30}">'
            f'<g transform="translate(40,5)">'
            f'<line x1="0" y1="{CHART_HEIGHT}" x2="{CHART_WIDTH}" y2="{CHART_HEIGHT}" stroke="#999"/>'
            f'<line x1="0" y1="0" x2="0" y2="{CHART_HEIGHT}" stroke="#999"/>'
            f'<text x="-4" y="12" font-size="8" text-anchor="end">{top}</text>'
            f'<text x="-4" y="{CHART_HEIGHT}" font-size="8" text-anchor="end">0</text>'
            f'<polyline fill="none" stroke="#d9480f" stroke-width="2" points="{coordinates}"/>'
            f'<text x="0" y="{CHART_HEIGHT + 14}" font-size="8">{_e(points[0]["day"])}</text>'
            f'<text x="{CHART_WIDTH}" y="{CHART_HEIGHT + 14}" font-size="8" text-anchor="end">'
            f'{_e(points[-1]["day"])}</text></g></svg>')


def _finding_rows(findings: Sequence[Mapping[str, Any]], *, due: bool) -> str:
    rows = []
    for finding in findings:
        resource = finding.get("resource") or {}
        last = f'<td class="num">{_date(finding.get("sla_due_at"))}</td>' if due else \
            f'<td class="num">{finding["priority"]:.2f}</td>' if finding.get("priority") is not None else \
            '<td class="num">-</td>'
        cves = ", ".join(finding.get("cve_ids") or [])
        rows.append(f'<tr><td>{_severity(finding["severity"])}</td><td>{_e(finding.get("title"))}'
                    f'{f"<br><span class=muted>{_e(cves)}</span>" if cves else ""}</td>'
                    f'<td class="wrap">{_e(resource.get("id"))}</td>'
                    f'<td>{_e(finding.get("source_tool"))}</td>{last}</tr>')
    return "".join(rows)


def report_html(summary: Mapping[str, Any]) -> str:
    """The report from ``ExportService.executive_summary``'s dictionary."""
    active = summary["active_by_severity"]
    cards = "".join(f'<div class="card"><span class="muted">{severity}</span><b>{active.get(severity, 0)}</b></div>'
                    for severity in SEVERITIES)
    posture = summary["posture"]
    checks_line = (f"Posture score {posture['score']} %: {posture['explanation']}. Only tools that report passing "
                   "checks count; vulnerabilities are listed by severity." if posture["score"] is not None
                   else f"No posture score yet. {posture['explanation']}.")
    top = summary["top_risks"]
    ranking = ("Ranked by explained priority (threat intelligence: KEV, EPSS, severity)." if summary["by_priority"]
               else "Ranked by severity: " + summary["priority_note"])
    breaches = summary["sla_breaches"]
    return f"""<!doctype html><html><head><meta charset="utf-8"><style>{REPORT_CSS}</style></head><body>
<h1>Executive security report: {_e(summary['team_name'])}</h1>
<p class="muted">Generated {summary['generated_at']:%Y-%m-%d %H:%M} UTC by OffloadSecurity CSPM</p>
<h2>Posture</h2>
<p><b>{summary['active_total']}</b> active findings (open or reopened, failing), <b>{summary['overdue']}</b> past their
SLA date. {_e(checks_line)}</p>
<div class="cards">{cards}</div>
<h2>Trend: active findings, last {summary['trend_days']} days</h2>
{trend_svg(summary['trend'])}
<h2>Top risks</h2>
<p class="muted">{_e(ranking)}</p>
{f'<table><tr><th>Severity</th><th>Finding</th><th>Resource</th><th>Tool</th><th>Priority</th></tr>'
 f'{_finding_rows(top, due=False)}</table>' if top else '<p>No active findings.</p>'}
<h2>SLA breaches</h2>
<p class="muted">{summary['overdue']} active findings are past their due date; the
{len(breaches)} longest overdue are listed.</p>
{f'<table><tr><th>Severity</th><th>Finding</th><th>Resource</th><th>Tool</th><th>Due</th></tr>'
 f'{_finding_rows(breaches, due=True)}</table>' if breaches else '<p>No SLA breaches.</p>'}
</body></html>"""


def render_pdf(summary: Mapping[str, Any]) -> bytes:
    """The report as PDF; a server without Pango answers 503 saying so (the exports still work)."""
    return html_to_pdf(report_html(summary), what="the executive PDF",
                       instead="the CSV, JSON, OCSF and SARIF exports work")
