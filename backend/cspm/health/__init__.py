"""Liveness, readiness, component status and simple counters."""
