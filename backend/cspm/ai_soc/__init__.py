"""AI-SOC: triage agents (enrichment, correlation, prioritisation, remediation, triage) turning findings into cases."""
