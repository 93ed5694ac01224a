"""The fourteen databases of the platform, their overrides and their deprecated names."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from enum import StrEnum

logger = logging.getLogger(__name__)


class Database(StrEnum):
    PLATFORM = "PLATFORM"
    CLOUD_SECURITY = "CLOUD_SECURITY"
    CLOUD_ASSETS = "CLOUD_ASSETS"
    ORCHESTRATION = "ORCHESTRATION"
    VULNERABILITIES = "VULNERABILITIES"
    RISK_MANAGEMENT = "RISK_MANAGEMENT"
    ASSESSMENTS = "ASSESSMENTS"
    CONTAINER_REGISTRY = "CONTAINER_REGISTRY"
    SECURITY_SCANS = "SECURITY_SCANS"
    THREAT_INTELLIGENCE = "THREAT_INTELLIGENCE"
    AI_GOVERNANCE = "AI_GOVERNANCE"
    INTEGRATIONS = "INTEGRATIONS"
    KNOWLEDGE_BASE = "KNOWLEDGE_BASE"
    BIA = "BIA"


DEFAULT_NAMES: Mapping[Database, str] = {
    Database.PLATFORM: "cspm_platform",
    Database.CLOUD_SECURITY: "cspm_cloud_security",
    Database.CLOUD_ASSETS: "cspm_cloud_assets",
    Database.ORCHESTRATION: "cspm_orchestration",
    Database.VULNERABILITIES: "cspm_vulnerabilities",
    Database.RISK_MANAGEMENT: "cspm_risk_management",
    Database.ASSESSMENTS: "cspm_assessments",
    Database.CONTAINER_REGISTRY: "cspm_container_registry",
    Database.SECURITY_SCANS: "cspm_security_scans",
    Database.THREAT_INTELLIGENCE: "cspm_threat_intelligence",
    Database.AI_GOVERNANCE: "cspm_ai_governance",
    Database.INTEGRATIONS: "cspm_integrations",
    Database.KNOWLEDGE_BASE: "cspm_knowledge_base",
    Database.BIA: "cspm_bia",
}

# The platform database keeps its historical variable name; the others follow one pattern.
ENV_VARIABLES: Mapping[Database, str] = {
    database: "DB_NAME" if database is Database.PLATFORM else f"{database.value}_DB_NAME"
    for database in Database
}

# Names that older releases used; still accepted so old configuration keeps working.
DEPRECATED_NAMES: Mapping[str, Database] = {
    "cspm_platform_core": Database.PLATFORM,
    "cspm_core": Database.PLATFORM,
    "cspm_cloud": Database.CLOUD_SECURITY,
    "cspm_assets": Database.CLOUD_ASSETS,
    "cspm_scans": Database.SECURITY_SCANS,
    "cspm_vulns": Database.VULNERABILITIES,
    "cspm_risk": Database.RISK_MANAGEMENT,
    "cspm_registry": Database.CONTAINER_REGISTRY,
    "cspm_threat_intel": Database.THREAT_INTELLIGENCE,
    "cspm_ai": Database.AI_GOVERNANCE,
}


class UnknownDatabaseError(KeyError):
    pass


class DatabaseRegistry:
    """Resolves registry constants (and deprecated names) to the configured database names."""

    def __init__(self, overrides: Mapping[str, str] | None = None) -> None:
        overrides = overrides or {}
        self._names = {
            database: overrides.get(ENV_VARIABLES[database]) or DEFAULT_NAMES[database]
            for database in Database
        }
        duplicates = {name for name in self._names.values() if list(self._names.values()).count(name) > 1}
        if duplicates:
            raise ValueError(f"two databases configured with the same name: {sorted(duplicates)}")

    def name(self, database: Database | str) -> str:
        return self._names[self.resolve(database)]

    def resolve(self, database: Database | str) -> Database:
        """Accept a constant, its value, a current name or a deprecated name."""
        if isinstance(database, Database):
            return database
        if database in Database.__members__:
            return Database[database]
        for constant, name in self._names.items():
            if name == database:
                return constant
        if database in DEPRECATED_NAMES:
            current = DEPRECATED_NAMES[database]
            logger.warning(
                "deprecated database name used",
                extra={"deprecated": database, "current": self._names[current]},
            )
            return current
        raise UnknownDatabaseError(f"unknown database {database!r}")

    def items(self) -> list[tuple[Database, str]]:
        return list(self._names.items())
