"""Assessment exports: JSON (everything), CSV (one row per requirement), PDF (a report, by WeasyPrint).

Exports quote the frameworks' requirement texts, so they carry the source and licence line
(the OWASP ASVS text is CC BY-SA 4.0).
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from cspm.core.pdf import html_to_pdf

CSV_COLUMNS = ("ref", "group", "section", "level", "requirement", "answer", "reason", "tier", "target_tier", "notes",
               "evidence", "links", "answered_by", "answered_at", "suggested", "suggested_by_findings",
               "scf_controls")


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else (str(value) if value is not None else "")


def _evidence(row: Mapping[str, Any]) -> str:
    parts = []
    for entry in row.get("evidence") or []:
        if entry.get("kind") == "file":
            parts.append(f"{entry.get('file_name')} (sha256 {entry.get('sha256')}, {entry.get('size')} bytes)")
        else:
            parts.append(f"{entry.get('title')} <{entry.get('url')}>")
    return "; ".join(parts)


def json_document(summary: Mapping[str, Any], rows: Sequence[Mapping[str, Any]], template: Mapping[str, Any]
                  ) -> dict[str, Any]:
    return {"generated_at": datetime.now(UTC).isoformat(), "assessment": dict(summary),
            "framework": {"id": template["id"], "name": template["name"], "version": template["version"],
                          "source": template["source"], "licence": template["licence"]},
            "requirements": [dict(row) for row in rows]}


def csv_text(summary: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        suggestion = row.get("suggestion") or {}
        writer.writerow([
            row["ref"], f"{row['group_id']} {row['group_name']}", f"{row['section_id']} {row['section_name']}",
            row.get("level") or "", row["text"], row.get("answer") or "", row.get("reason") or "",
            row.get("tier") or "",
            row.get("target_tier") or "", row.get("notes") or "", _evidence(row),
            "; ".join(f"{link.get('title')} <{link.get('url')}>" for link in row.get("links") or []),
            row.get("answered_by") or "", _iso(row.get("answered_at")), suggestion.get("answer") or "",
            suggestion.get("count") or "", " ".join(row.get("scf_ids") or []),
        ])
    return buffer.getvalue()


ANSWER_LABELS = {"met": "Met", "partially_met": "Partially met", "not_met": "Not met",
                 "not_applicable": "Not applicable", None: "Unanswered"}


def report_html(summary: Mapping[str, Any], rows: Sequence[Mapping[str, Any]], template: Mapping[str, Any]) -> str:
    e = html.escape
    scores = summary["scores"]
    score_rows = []
    for group in scores["groups"]:
        if summary["kind"] == "csf":
            extra = (f"<td>{group.get('current_tier') if group.get('current_tier') is not None else '-'}</td>"
                     f"<td>{group.get('target_tier')}</td>"
                     f"<td>{group.get('gap') if group.get('gap') is not None else '-'}</td>")
        else:
            extra = f"<td>{group['percent_met']}%</td>"
        score_rows.append(f"<tr><td>{e(group['id'])} {e(group['name'])}</td><td>{group['met']}</td>"
                          f"<td>{group['partially_met']}</td><td>{group['not_met']}</td>"
                          f"<td>{group['not_applicable']}</td><td>{group['unanswered']}</td>{extra}</tr>")
    head_extra = "<th>Current tier</th><th>Target tier</th><th>Gap</th>" if summary["kind"] == "csf" \
        else "<th>% met</th>"
    body = []
    for row in rows:
        answer = ANSWER_LABELS.get(row.get("answer"), row.get("answer"))
        suggestion = row.get("suggestion")
        if not row.get("answer") and suggestion:
            answer = f"Unanswered (suggested not met by {suggestion.get('count')} findings)"
        tier = f"<br>tier {row['tier']} of {row.get('target_tier')}" if row.get("tier") else ""
        notes = e(row.get("notes") or "") + (f"<br><i>{e(row['reason'])}</i>" if row.get("reason") else "")
        body.append(f"<tr><td>{e(row['ref'])}</td><td>{e(row['text'])}</td><td>{e(str(answer))}{tier}</td>"
                    f"<td>{notes}</td><td>{e(_evidence(row))}</td></tr>")
    scope = summary.get("scope") or {}
    targets = ", ".join(target.get("name") or "" for target in scope.get("targets") or [])
    return f"""<!doctype html><html><head><meta charset="utf-8"><style>
@page {{ size: A4; margin: 16mm; @bottom-center {{ content: counter(page) " / " counter(pages); font-size: 8pt; }} }}
body {{ font-family: sans-serif; font-size: 9pt; color: #111; }}
h1 {{ font-size: 16pt; margin-bottom: 2mm; }} h2 {{ font-size: 12pt; margin-top: 6mm; }}
table {{ border-collapse: collapse; width: 100%; }}
td, th {{ border: 0.3pt solid #999; padding: 1.2mm; vertical-align: top; }}
th {{ background: #eee; text-align: left; }} .muted {{ color: #555; }}
</style></head><body>
<h1>{e(summary['name'])}</h1>
<p class="muted">{e(template['name'])} · status {e(summary['status'])} ·
generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC</p>
<p>Progress: {summary['progress']['answered']} of {summary['progress']['in_scope']} answered
({summary['progress']['percent']}%){f" · level L{summary['level']}" if summary.get('level') else ''}
{f" · targets: {e(targets)}" if targets else ''}</p>
{f"<p>{e(scope.get('description') or '')}</p>" if scope.get('description') else ''}
<h2>Results</h2>
<table><tr><th>Group</th><th>Met</th><th>Partially</th><th>Not met</th><th>N/A</th><th>Unanswered</th>{head_extra}</tr>
{''.join(score_rows)}</table>
<h2>Requirements</h2>
<table><tr><th>Ref</th><th>Requirement</th><th>Answer</th><th>Notes</th><th>Evidence</th></tr>{''.join(body)}</table>
<p class="muted">Requirement texts: {e(template['source'])}; {e(template['licence'])}.</p>
</body></html>"""


def pdf_bytes(summary: Mapping[str, Any], rows: Sequence[Mapping[str, Any]], template: Mapping[str, Any]) -> bytes:
    return html_to_pdf(report_html(summary, rows, template), what="the assessment PDF",
                       instead="the CSV and JSON exports work")
