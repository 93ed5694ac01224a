"""Capabilities one domain offers another, resolved by name from the manifest (``MANIFEST.providers``).

The caller does not import the provider's package: ``provider(container, "asset_criticality")``
answers the bound method, or None when no module provides it. The caller then works without it,
and a provider that fails is the caller's to fall back from (it logs and uses what it knows).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from cspm.core.manifest import MANIFEST


def provider(container: Any, name: str) -> Callable[..., Any] | None:
    target = MANIFEST.providers.get(name)
    if not target:
        return None
    module_name, qualified = target.split(":")
    class_name, method = qualified.split(".")
    cls = getattr(importlib.import_module(module_name), class_name)
    return getattr(container.resolve(cls), method)  # type: ignore[no-any-return]
