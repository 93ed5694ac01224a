"""The explained priority: every input moves the score the right way, and the reasons say why."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cspm.threat_intel.priority import PriorityInputs, score

BASE = PriorityInputs(severity="medium", cvss=5.0, epss=0.1, epss_percentile=0.5)


@pytest.mark.parametrize(("lower", "higher"), [
    (replace(BASE, severity="low"), replace(BASE, severity="high")),
    (replace(BASE, severity="high"), replace(BASE, severity="critical")),
    (replace(BASE, cvss=4.0), replace(BASE, cvss=9.8)),
    (replace(BASE, epss=0.01), replace(BASE, epss=0.94)),
    (replace(BASE, epss=None), replace(BASE, epss=0.2)),
    (BASE, replace(BASE, kev_since="2024-03-01")),
    (replace(BASE, kev_since="2024-03-01"), replace(BASE, kev_since="2024-03-01", ransomware=True)),
    (replace(BASE, exposure="internal"), replace(BASE, exposure="internet")),
    (BASE, replace(BASE, criticality="low")),
    (replace(BASE, criticality="medium"), replace(BASE, criticality="tier-1")),
], ids=["severity", "severity-top", "cvss", "epss", "epss-known", "kev", "ransomware", "exposure", "criticality-known",
        "criticality"])
def test_each_input_raises_the_score(lower, higher):
    assert score(higher).score > score(lower).score


def test_without_cvss_the_severity_stands_in_and_stays_monotonic():
    severities = ("info", "low", "medium", "high", "critical")
    ranks = [score(PriorityInputs(severity=severity)).score for severity in severities]
    assert ranks == sorted(ranks) and len(set(ranks)) == 5


def test_the_score_stays_within_0_and_100():
    top = PriorityInputs(severity="critical", cvss=10, epss=1, epss_percentile=1, kev_since="2024-03-01",
                         ransomware=True, exposure="internet", criticality="critical")
    assert score(top).score == 100
    assert score(PriorityInputs(severity="info", cvss=0)).score == 0


def test_the_explanation_names_the_reasons_largest_first():
    result = score(PriorityInputs(severity="critical", cvss=9.8, epss=0.94, epss_percentile=0.97,
                                  kev_since="2024-03-01", exposure="internet", criticality="tier-1",
                                  asset_name="payments"))
    assert result.explanation.startswith("KEV since 2024-03-01 (+25.0), EPSS 0.94 (97th percentile) (+18.8)")
    assert "internet-facing (+10.0)" in result.explanation
    assert "asset 'payments' criticality tier-1 (+10.0)" in result.explanation
    assert [factor["factor"] for factor in result.factors][:2] == ["kev", "epss"]
