#!/usr/bin/env bash
# Runs the platform in embedded mode (no MongoDB or Docker needed) on http://127.0.0.1:8000
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/bootstrap.sh
bash scripts/build-frontend.sh || echo "warning: dashboard not built; the API still serves on /api" >&2
exec .venv/bin/cspm serve "$@"
