"""OffloadSecurity CSPM: self-hosted cloud security posture management."""

__version__ = "0.1.0"
