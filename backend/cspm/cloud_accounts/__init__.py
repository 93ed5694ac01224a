"""Cloud accounts (AWS, GCP, Azure): encrypted credentials, connection tests, scan credentials."""
