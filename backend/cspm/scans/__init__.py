"""Scan orchestration: scan runs split into jobs per tool, their state, and report imports."""
