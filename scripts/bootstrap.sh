#!/usr/bin/env bash
# Creates .venv on Python 3.13 and installs the backend with its scanner wheels and test tools.
# Idempotent: a second run only checks that the install is current.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

find_python() {
  for candidate in "${PYTHON:-}" python3.13 "$(PYENV_VERSION=3.13.0 pyenv which python3 2>/dev/null || true)" \
                   /root/.pyenv/versions/3.13.0/bin/python3; do
    if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 \
       && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  echo "error: Python 3.13 not found; install it or set PYTHON=/path/to/python3.13" >&2
  return 1
}

if [ ! -x .venv/bin/python ]; then
  "$(find_python)" -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum backend/pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e "backend[tools,test]"
  rm -f .venv/.installed-* && touch "$stamp"
fi
