"""Findings: the canonical model, ingestion, deduplication, lifecycle and the query API."""
