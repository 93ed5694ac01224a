"""Prometheus metrics: one registry per process, owned by the service container.

Metric names are a contract with `monitoring/` (Grafana panels and alert rules query
them; a test checks every name a panel uses against the real `/metrics` output).
"""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
SCAN_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400)


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.http_requests = Counter(
            "cspm_http_requests", "HTTP requests by route template and status.",
            ["method", "route", "status"], registry=r)
        self.http_latency = Histogram(
            "cspm_http_request_duration_seconds", "HTTP request latency by route template.",
            ["method", "route"], buckets=LATENCY_BUCKETS, registry=r)
        self.http_errors = Counter(
            "cspm_http_errors", "HTTP 5xx answers and unhandled exceptions by route.",
            ["method", "route"], registry=r)
        self.scans = Counter(
            "cspm_scans", "Finished scan jobs by tool and outcome.", ["tool", "outcome"], registry=r)
        self.scan_duration = Histogram(
            "cspm_scan_duration_seconds", "Scan job duration by tool and outcome.",
            ["tool", "outcome"], buckets=SCAN_BUCKETS, registry=r)
        self.findings_ingested = Counter(
            "cspm_findings_ingested", "Findings ingested by tool and severity.",
            ["tool", "severity"], registry=r)
        self.celery_tasks = Counter(
            "cspm_celery_tasks", "Background tasks by name and final state.", ["task", "state"], registry=r)
        self.celery_task_duration = Histogram(
            "cspm_celery_task_duration_seconds", "Background task duration by name.",
            ["task"], buckets=SCAN_BUCKETS, registry=r)
        self.active_sessions = Gauge(
            "cspm_active_sessions", "Sessions with a live refresh token.", registry=r)
        self.component_up = Gauge(
            "cspm_component_up", "1 when a component is optimal, 0.5 degraded, 0 down.",
            ["component"], registry=r)
        self.stuck_scans = Gauge(
            "cspm_stuck_scans", "Scan runs marked stuck by the watchdog in its last cycle.", registry=r)
        self.drift_events = Counter(
            "cspm_compliance_drift_events", "Compliance drift events by kind.", ["kind"], registry=r)
        self.integration_deliveries = Counter(
            "cspm_integration_deliveries", "Notification delivery attempts by channel and resulting state.",
            ["kind", "outcome"], registry=r)
        self.rate_limited = Counter(
            "cspm_rate_limited", "Requests refused by a rate limit, by scope.", ["scope"], registry=r)

    def render(self) -> bytes:
        return generate_latest(self.registry)
