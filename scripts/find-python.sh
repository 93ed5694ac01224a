# Sourced by the install scripts: find_python prints a Python 3.13 interpreter (PYTHON wins).
# shellcheck shell=bash
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
