"""Web (dashboard) settings."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from cspm.core.settings import CSPMSettings

REPO_ROOT = Path(__file__).resolve().parents[3]


class WebSettings(CSPMSettings):
    frontend_dist: Path = Field(
        default=REPO_ROOT / "frontend" / "dist",
        description="FRONTEND_DIST: the built dashboard (`npm run build` in frontend/). Served at / when it "
                    "holds an index.html; nginx serves it instead in the Docker deployment.",
    )
