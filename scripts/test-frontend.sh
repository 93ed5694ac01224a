#!/usr/bin/env bash
# The frontend check: npm ci, OpenAPI snapshot in step with the backend, typecheck, lint, Vitest,
# production build, then the end-to-end run (playwright-core driving Debian's Chromium against
# the real backend in embedded mode). Screenshots land in artifacts/screenshots/.
# Works unattended (CI=true, no stdin): installs Chromium via scripts/system-packages.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "error: Node.js >= 20.19 and npm are needed for the frontend check (node/npm not found)" >&2
  exit 1
fi
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'; then
  echo "error: Node.js >= 20.19 is needed for the frontend check (found $(node --version))" >&2
  exit 1
fi
if [ ! -x /usr/bin/chromium ] && [ -z "${CHROMIUM_PATH:-}" ]; then
  bash scripts/system-packages.sh
fi
bash scripts/bootstrap.sh
if ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  echo "Redis is not answering on 127.0.0.1:6379; starting one for the end-to-end run" >&2
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
fi

cd frontend
export CI="${CI:-true}" NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false NPM_CONFIG_UPDATE_NOTIFIER=false
run() {
  echo "== frontend: $*" >&2
  "$@" </dev/null
}
run npm ci --no-audit --no-fund
run npm run api:check
run npm run typecheck
run npm run lint
run npm test
run npm run build
run npm run e2e
echo "frontend check passed" >&2
