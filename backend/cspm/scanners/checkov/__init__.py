"""Checkov (IaC scanner) reports: parser only; Checkov runs in the user's pipeline and its report is imported."""
