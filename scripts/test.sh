#!/usr/bin/env bash
# The test command: installs what it needs, then runs the whole backend suite against real
# services (mongoeco wire server or MONGODB_URI, the machine's Redis on 127.0.0.1:6379).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/system-packages.sh
bash scripts/bootstrap.sh
bash scripts/install-prowler.sh
if ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  echo "Redis is not answering on 127.0.0.1:6379; starting one for the tests" >&2
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
fi
cd backend
set +e
../.venv/bin/python -m pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "error: pytest collected no tests" >&2
  status=1
fi
# The frontend check (unit, build, end-to-end in Chromium); either failing fails the run.
cd "$ROOT"
set +e
bash scripts/test-frontend.sh
frontend_status=$?
set -e
[ "$status" -ne 0 ] || status=$frontend_status
exit "$status"
