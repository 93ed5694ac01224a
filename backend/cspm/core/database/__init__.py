"""Database layer: the registry of the 14 databases, the client manager, indexes, embedded mode."""

from cspm.core.database.manager import CSPMDatabaseManager
from cspm.core.database.registry import Database, DatabaseRegistry

__all__ = ["CSPMDatabaseManager", "Database", "DatabaseRegistry"]
