"""OffloadSecurity CSPM: self-hosted cloud security posture management."""

__version__ = "0.1.0"

# The composition root fills core's manifest with the domain modules, for every process alike.
from cspm import modules as _modules  # noqa: F401
