"""Data access of business impact analysis (database BIA), every query team-scoped.

Collections: ``bia_processes`` (business processes and services with their dependencies, impacts
over time horizons, RTO/RPO/MTPD), ``bia_exercises`` (tabletop, failover and restore tests) and
``bia_settings`` (a team's time horizons).
"""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING

from cspm.core.database.indexes import IndexSpec
from cspm.core.database.registry import Database

PROCESSES = "bia_processes"
EXERCISES = "bia_exercises"
TEAM_SETTINGS = "bia_settings"

INDEXES: tuple[IndexSpec, ...] = (
    IndexSpec(Database.BIA, PROCESSES, [("team_id", ASCENDING), ("name", ASCENDING)], "idx_team_process_name_unique",
              unique=True),
    IndexSpec(Database.BIA, EXERCISES, [("team_id", ASCENDING), ("date", DESCENDING)], "idx_team_date"),
    IndexSpec(Database.BIA, TEAM_SETTINGS, [("team_id", ASCENDING)], "idx_team_settings_unique", unique=True),
)
