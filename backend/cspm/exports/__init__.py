"""Exports of the filtered findings list (CSV, JSON, OCSF, SARIF) and the team's executive PDF report."""
