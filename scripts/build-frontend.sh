#!/usr/bin/env bash
# Builds the dashboard into frontend/dist when it is missing or older than its sources
# (npm ci + npm run build). `cspm serve` serves frontend/dist at / (setting FRONTEND_DIST).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT/frontend"
if [ -f dist/index.html ] && [ -z "$(find src public index.html package.json package-lock.json vite.config.ts \
     -newer dist/index.html -print -quit 2>/dev/null)" ]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "npm not found: install Node.js >= 20.19 to build the dashboard" >&2
  exit 1
fi
echo "building the dashboard (frontend/dist)" >&2
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund </dev/null
fi
npm run build </dev/null
