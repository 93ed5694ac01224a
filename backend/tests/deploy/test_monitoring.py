"""Monitoring: promtool and amtool on the real files, and every metric a panel or alert queries
exists in the application's real /metrics output."""

from __future__ import annotations

import io
import json
import logging
import os
import re
from pathlib import Path

import httpx
import yaml
from prometheus_client.parser import text_string_to_metric_families

from cspm.core.logging import JSONFormatter
from tests.deploy.tooling import REPO, run, tool

MONITORING = REPO / "monitoring"
DASHBOARD = MONITORING / "grafana" / "dashboards" / "offload-operations.json"
RULES = MONITORING / "prometheus" / "rules" / "cspm-alerts.yml"
# Metrics of the exporters beside the app (redis_exporter, mongodb_exporter, node_exporter) and
# Prometheus' own `up`: the only names a panel or rule may use that the app does not export.
EXPORTER_METRICS = {"up", "redis_up", "mongodb_up", "node_filesystem_avail_bytes", "node_filesystem_size_bytes"}
PROMQL_WORDS = {
    "sum", "min", "max", "avg", "count", "topk", "bottomk", "quantile", "stddev", "stdvar", "group",
    "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset",
    "rate", "irate", "increase", "delta", "idelta", "deriv", "predict_linear", "histogram_quantile",
    "abs", "absent", "clamp_min", "clamp_max", "label_replace", "vector", "scalar", "time", "sort", "sort_desc",
    "avg_over_time", "max_over_time", "min_over_time", "sum_over_time", "count_over_time", "changes", "resets",
    "inf", "nan",
}


def metric_names(expr: str) -> set[str]:
    """Metric names in a PromQL expression: identifiers that are not functions, keywords or labels."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)            # string literals
    text = re.sub(r"\{[^}]*\}", "", text)                        # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)                       # range selectors
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", text):
        word = match.group(0)
        following = text[match.end():].lstrip()[:1]
        if word.lower() in PROMQL_WORDS or following == "(" or re.fullmatch(r"\d+[smhdwy]", word):
            continue
        names.add(word)
    return names


def dashboard_prometheus_exprs() -> list[tuple[str, str]]:
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = []
    for panel in dashboard["panels"]:
        for target in panel.get("targets") or []:
            datasource = target.get("datasource") or panel.get("datasource") or {}
            if datasource.get("type") == "prometheus":
                exprs.append((panel["title"], target["expr"]))
    return exprs


def rule_exprs() -> list[tuple[str, str]]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [(rule["alert"], rule["expr"]) for group in groups for rule in group["rules"]]


def exported_names(exposition: str) -> set[str]:
    """Every series name the exposition can carry: samples, and the families that have none yet."""
    names: set[str] = set()
    for family in text_string_to_metric_families(exposition):
        names |= {sample.name for sample in family.samples}
        suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"),
                    "summary": ("_sum", "_count", ""), "gauge": ("",)}.get(family.type, ("",))
        names |= {family.name + suffix for suffix in suffixes}
    return names


async def real_metrics(client: httpx.AsyncClient) -> str:
    for path in ("/api/health", "/health/ready", "/api/does-not-exist"):
        await client.get(path)
    response = await client.get("/metrics")
    assert response.status_code == 200
    return response.text


def test_the_metric_name_extractor_sees_names_and_not_labels() -> None:
    expr = ('histogram_quantile(0.95, sum by (le, route) (rate(cspm_http_request_duration_seconds_bucket'
            '{route=~"/api/.*"}[5m]))) / on(job) group_left sum(up{job="x"}) > 0.5')
    assert metric_names(expr) == {"cspm_http_request_duration_seconds_bucket", "up"}


async def test_every_dashboard_panel_queries_metrics_the_app_exports(client: httpx.AsyncClient) -> None:
    exported = exported_names(await real_metrics(client))
    exprs = dashboard_prometheus_exprs()
    assert len(exprs) >= 15
    used: set[str] = set()
    for title, expr in exprs:
        names = metric_names(expr)
        assert names, f"panel {title!r}: no metric in {expr!r}"
        unknown = names - exported - EXPORTER_METRICS
        assert not unknown, f"panel {title!r} queries {sorted(unknown)}, which /metrics does not export"
        used |= names
    # The dashboard covers every family the app exports (HTTP, scans, findings, tasks, sessions, ...).
    families = {family.name for family in text_string_to_metric_families(await real_metrics(client))
                if not family.name.endswith("_created")}  # creation timestamps prometheus_client adds
    uncovered = {family for family in families if not any(name.startswith(family) for name in used)}
    assert not uncovered, f"exported but on no panel: {sorted(uncovered)}"


async def test_every_alert_rule_queries_metrics_that_exist(client: httpx.AsyncClient) -> None:
    exported = exported_names(await real_metrics(client))
    for alert, expr in rule_exprs():
        unknown = metric_names(expr) - exported - EXPORTER_METRICS
        assert not unknown, f"alert {alert} queries {sorted(unknown)}, which /metrics does not export"


def test_a_misspelt_metric_would_be_caught() -> None:
    exported = {"cspm_http_requests_total"}
    assert metric_names("sum(rate(cspm_http_request_total[5m]))") - exported == {"cspm_http_request_total"}


def test_dashboard_is_provisioned_under_its_uid_with_known_datasources() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] == "offload-operations" and dashboard["title"] == "offload-operations"
    sources = yaml.safe_load((MONITORING / "grafana/provisioning/datasources/datasources.yml").read_text())
    uids = {source["uid"] for source in sources["datasources"]}
    for panel in dashboard["panels"]:
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] in uids, panel["title"]
    provider = yaml.safe_load((MONITORING / "grafana/provisioning/dashboards/dashboards.yml").read_text())
    compose = yaml.safe_load((REPO / "docker-compose.monitoring.yml").read_text())
    mounts = compose["services"]["cspm-grafana"]["volumes"]
    assert f"./monitoring/grafana/dashboards:{provider['providers'][0]['options']['path']}:ro" in mounts


def test_panel_and_rule_expressions_are_valid_promql(tmp_path: Path) -> None:
    """promtool parses every dashboard expression (as recording rules) and the alert rules."""
    records = [{"record": f"dashboard:panel_{index}", "expr": expr}
               for index, (_, expr) in enumerate(dashboard_prometheus_exprs())]
    rules = tmp_path / "dashboard-rules.yml"
    rules.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": records}]}))
    result = run([tool("promtool"), "check", "rules", str(rules), str(RULES)])
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(records)} rules found" in result.stdout


def test_promtool_check_config() -> None:
    result = run([tool("promtool"), "check", "config", str(MONITORING / "prometheus" / "prometheus.yml")])
    assert result.returncode == 0, result.stdout + result.stderr
    config = yaml.safe_load((MONITORING / "prometheus" / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs["cspm-backend"]["dns_sd_configs"][0]["port"] == 8000
    assert jobs["cspm-worker"]["dns_sd_configs"][0]["port"] == 9101
    assert {"redis", "mongodb", "node"} <= set(jobs)


def test_promtool_check_rules_and_rule_unit_tests() -> None:
    result = run([tool("promtool"), "check", "rules", str(RULES)])
    assert result.returncode == 0, result.stdout + result.stderr
    alerts = {alert for alert, _ in rule_exprs()}
    assert {"CSPMHighErrorRate", "CSPMHighLatencyP95", "CSPMScanFailures", "CSPMStuckScans", "RedisDown",
            "MongoDBDown", "DiskSpaceLow"} <= alerts
    tests = MONITORING / "prometheus" / "tests" / "cspm-alerts.test.yml"
    result = run([tool("promtool"), "test", "rules", str(tests)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_alertmanager_config_renders_and_passes_amtool(tmp_path: Path) -> None:
    secret = tmp_path / "smtp-password"
    secret.write_text("not-a-real-password\n")
    rendered = tmp_path / "alertmanager.yml"
    env = {"PATH": os.environ["PATH"], "ALERT_EMAIL_TO": "ops@example.com", "ALERT_SMTP_PASSWORD_FILE": str(secret),
           "ALERTMANAGER_TEMPLATE": str(MONITORING / "alertmanager" / "alertmanager.yml.template")}
    result = run(["sh", str(MONITORING / "alertmanager" / "render.sh"), "check", str(rendered)], env=env)
    assert result.returncode == 0, result.stderr
    result = run([tool("amtool"), "check-config", str(rendered)])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 receivers" in result.stdout
    refused = run(["sh", str(MONITORING / "alertmanager" / "render.sh"), "check", str(rendered)],
                  env={**env, "ALERT_EMAIL_TO": 'x@example.com"\n  evil: 1'})
    assert refused.returncode == 2


def test_promtail_pipeline_matches_the_apps_json_log_lines() -> None:
    """The fields promtail extracts are the ones cspm.core.logging really writes."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JSONFormatter())
    logger = logging.getLogger("cspm.deploy-test")
    logger.addHandler(handler)
    try:
        logger.warning("scan failed", extra={"request_id": "r-1"})
    finally:
        logger.removeHandler(handler)
    line = json.loads(stream.getvalue())
    config = yaml.safe_load((MONITORING / "promtail" / "promtail-config.yml").read_text())
    stages = config["scrape_configs"][0]["pipeline_stages"]
    extracted = next(stage["json"]["expressions"] for stage in stages if "json" in stage)
    assert set(extracted.values()) <= set(line), (extracted, line)
    timestamp = next(stage["timestamp"] for stage in stages if "timestamp" in stage)
    assert timestamp["format"] == "RFC3339Nano" and re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", line["timestamp"])
    assert line["level"] == "WARNING"
