"""A route module that fails on import, to prove one broken module does not stop the platform."""

raise RuntimeError("deliberately broken route module (tests)")
