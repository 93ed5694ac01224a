#!/usr/bin/env bash
# Installs Prowler (pinned) into its own virtualenv at .tools/prowler: Prowler pins its own
# boto3/botocore/pydantic, which must not fight the platform's. `cspm.core.tools` finds
# .tools/prowler/bin/prowler. Idempotent: a stamp names the installed version, so a second
# run only checks it (about 3 minutes the first time).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PROWLER_VERSION="${PROWLER_VERSION:-5.46.0}"
TOOLS_DIR="${TOOLS_DIR:-$ROOT/.tools}"
VENV="$TOOLS_DIR/prowler"
STAMP="$VENV/.installed-prowler-$PROWLER_VERSION"

# shellcheck source=scripts/find-python.sh
source "$ROOT/scripts/find-python.sh"

if [ -f "$STAMP" ] && [ -x "$VENV/bin/prowler" ]; then
  exit 0
fi

echo "installing prowler $PROWLER_VERSION into $VENV (takes a few minutes)" >&2
if [ ! -x "$VENV/bin/python" ]; then
  mkdir -p "$TOOLS_DIR"
  "$(find_python)" -m venv "$VENV"
fi
# pip's notes about configured-but-absent local indexes are noise here; real errors still show.
quiet_pip() { "$VENV/bin/python" -m pip "$@" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2); }
quiet_pip install --quiet --upgrade pip
quiet_pip install --quiet "prowler==$PROWLER_VERSION"
"$VENV/bin/prowler" --version >/dev/null
rm -f "$VENV"/.installed-prowler-* && touch "$STAMP"
echo "prowler $PROWLER_VERSION installed: $VENV/bin/prowler" >&2
