"""What every domain module shares: settings, database, security, logging, metrics."""
