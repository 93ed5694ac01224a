"""Jira tickets: create an issue from a finding, read its status back, check the credentials.

Two deployments speak two dialects of the same REST API:
- Cloud, REST v3: basic auth with the account's e-mail and an API token; descriptions are
  Atlassian Document Format (ADF).
- Data Center / Server, REST v2: a personal access token as a bearer token; plain-text descriptions.
Both answer ``POST /issue`` with 201 ``{"id", "key", "self"}`` and ``GET /issue/{key}?fields=status``
with ``fields.status.name`` and ``fields.status.statusCategory.key`` (``new``, ``indeterminate``,
``done``), which is what the status sync reads: a category, not a workflow's own status names.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from cspm.integrations.channels import send_http
from cspm.integrations.models import SendOutcome
from cspm.scanners.network_policy import DestinationPolicy

DONE_CATEGORY = "done"


def api_root(config: Mapping[str, Any]) -> str:
    version = "3" if config["deployment"] == "cloud" else "2"
    return f"{config['base_url'].rstrip('/')}/rest/api/{version}"


def auth_headers(config: Mapping[str, Any], token: str) -> dict[str, str]:
    if config["deployment"] == "cloud":
        basic = base64.b64encode(f"{config.get('email') or ''}:{token}".encode()).decode()
        return {"Authorization": f"Basic {basic}", "Accept": "application/json"}
    return {"Authorization": f"Bearer {token}", "Accept": "application/json"}


def _adf(paragraphs: list[str]) -> dict[str, Any]:
    return {"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": text}]} for text in paragraphs if text]}


def issue_fields(config: Mapping[str, Any], finding: Mapping[str, Any]) -> dict[str, Any]:
    resource = finding.get("resource") or {}
    paragraphs = [
        f"Severity: {finding.get('severity')}; tool: {finding.get('source_tool')}; rule: {finding.get('rule_id')}",
        f"Resource: {resource.get('type') or ''} {resource.get('id') or ''}".strip(),
        str(finding.get("description") or "")[:4000],
        f"Remediation: {finding['remediation']}"[:4000] if finding.get("remediation") else "",
        f"CSPM finding {finding['_id']} (dedup key {finding.get('dedup_key')})",
    ]
    description: Any = _adf(paragraphs) if config["deployment"] == "cloud" else "\n\n".join(p for p in paragraphs if p)
    return {"project": {"key": config["project_key"]}, "issuetype": {"name": config["issue_type"]},
            "summary": f"[{str(finding.get('severity', '')).upper()}] {finding.get('title')}"[:250],
            "description": description, "labels": ["cspm", f"cspm-{finding.get('source_tool')}"]}


async def create_issue(policy: DestinationPolicy, config: Mapping[str, Any], token: str,
                       finding: Mapping[str, Any], *, timeout: float) -> SendOutcome:
    body = json.dumps({"fields": issue_fields(config, finding)}, default=str).encode()
    outcome, response = await send_http(
        policy, "POST", f"{api_root(config)}/issue", body=body, timeout=timeout, success=(201,),
        headers={**auth_headers(config, token), "Content-Type": "application/json"})
    if not outcome.ok or response is None:
        return outcome
    try:
        created = response.json()
        key = str(created["key"])
    except (ValueError, KeyError, TypeError):
        return SendOutcome(False, outcome.latency_ms, outcome.status_code, "Jira answered 201 without an issue key")
    browse = f"{config['base_url'].rstrip('/')}/browse/{quote(key)}"
    return SendOutcome(True, outcome.latency_ms, outcome.status_code, response={"key": key, "url": browse,
                                                                               "id": str(created.get("id", ""))})


async def issue_status(policy: DestinationPolicy, config: Mapping[str, Any], token: str, key: str, *,
                       timeout: float) -> SendOutcome:
    outcome, response = await send_http(policy, "GET", f"{api_root(config)}/issue/{quote(key)}?fields=status",
                                        body=None, timeout=timeout, headers=auth_headers(config, token),
                                        success=(200,))
    if not outcome.ok or response is None:
        return outcome
    try:
        status = response.json()["fields"]["status"]
        answer = {"status": str(status["name"]), "category": str(status["statusCategory"]["key"])}
    except (ValueError, KeyError, TypeError):
        return SendOutcome(False, outcome.latency_ms, 200, "Jira's issue answer has no fields.status")
    return SendOutcome(True, outcome.latency_ms, 200, response=answer)


async def check(policy: DestinationPolicy, config: Mapping[str, Any], token: str, *, timeout: float) -> SendOutcome:
    """The credentials work and the project exists: ``GET /project/{key}`` answers 200."""
    outcome, _ = await send_http(policy, "GET", f"{api_root(config)}/project/{quote(config['project_key'])}",
                                 body=None, timeout=timeout, headers=auth_headers(config, token), success=(200,))
    return outcome
