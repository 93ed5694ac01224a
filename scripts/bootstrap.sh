#!/usr/bin/env bash
# Creates .venv on Python 3.13 and installs the backend with its scanner wheels and test tools.
# Idempotent: a second run only checks that the install is current.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# shellcheck source=scripts/find-python.sh
source "$ROOT/scripts/find-python.sh"

if [ ! -x .venv/bin/python ]; then
  "$(find_python)" -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum backend/pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e "backend[tools,test]"
  rm -f .venv/.installed-* && touch "$stamp"
fi
