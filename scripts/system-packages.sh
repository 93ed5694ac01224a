#!/usr/bin/env bash
# System tools the tests run for real (Debian packages). Skips what is already installed.
set -euo pipefail
# libpango, libpangoft2, harfbuzz-subset and a font: the PDFs WeasyPrint writes (model cards, assessment reports).
# poppler-utils: pdftoppm renders the executive PDF to PNG pages in tests/exports.
PACKAGES=(nmap nginx prometheus prometheus-alertmanager openssl shellcheck chromium libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
  fonts-dejavu-core poppler-utils)
# The registry tests: a real OCI registry (CNCF distribution 2.8) and skopeo to push images to it (no Docker).
# docker-registry's own service is never started (policy-rc.d below; the tests run it with a throw-away config).
PACKAGES+=(docker-registry skopeo)
missing=()
for package in "${PACKAGES[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  # nginx, prometheus and alertmanager are only wanted for their binaries (nginx -t, promtool,
  # amtool): a policy-rc.d that denies service starts keeps their packages from starting daemons
  # on ports 80/9090/9093 (where no policy exists yet, ours is added for this install only).
  policy=/usr/sbin/policy-rc.d
  added_policy=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null && $SUDO chmod 755 "$policy" && added_policy=1
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  if [ -n "$added_policy" ]; then $SUDO rm -f "$policy"; fi
fi
# Belt and braces: should a daemon have started anyway, stop it (by its pid file) and keep it disabled.
for service in nginx prometheus prometheus-alertmanager docker-registry; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$service" 2>/dev/null; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO systemctl disable --now "$service" >/dev/null 2>&1 || true
  fi
done
if [ -s /run/nginx.pid ] && kill -0 "$(cat /run/nginx.pid)" 2>/dev/null; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO nginx -s quit 2>/dev/null || true
fi
