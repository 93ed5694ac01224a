#!/usr/bin/env bash
# Runs the platform in embedded mode (no MongoDB or Docker needed) on http://127.0.0.1:8000
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/bootstrap.sh
# Cloud account scans run Prowler, in its own virtual environment (first run only: about 3 minutes).
# A failed install leaves the platform usable; /health/status then says Prowler is missing.
bash scripts/install-prowler.sh || echo "warning: Prowler not installed; cloud account scans are unavailable" >&2
bash scripts/build-frontend.sh || echo "warning: dashboard not built; the API still serves on /api" >&2
exec .venv/bin/cspm serve "$@"
