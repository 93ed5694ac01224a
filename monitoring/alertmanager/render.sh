#!/bin/sh
# Renders alertmanager.yml from the template with values from the environment, then runs
# Alertmanager (`render.sh check OUT` only renders, for the tests).
set -eu
: "${ALERT_EMAIL_TO:?ALERT_EMAIL_TO is not set (setup_wizard.py writes it)}"
: "${ALERT_EMAIL_FROM:=alertmanager@localhost}"
: "${ALERT_SMTP_SMARTHOST:=localhost:587}"
: "${ALERT_SMTP_USERNAME:=}"
: "${ALERT_SMTP_PASSWORD_FILE:=/run/secrets/alert_smtp_password}"
template="${ALERTMANAGER_TEMPLATE:-/etc/alertmanager/alertmanager.yml.template}"
output="${2:-/tmp/alertmanager.yml}"
for value in "$ALERT_EMAIL_TO" "$ALERT_EMAIL_FROM" "$ALERT_SMTP_SMARTHOST" "$ALERT_SMTP_USERNAME" "$ALERT_SMTP_PASSWORD_FILE"; do
    case "$value" in *[\"\|\\]*) echo "alert settings must not contain quotes, backslashes or |" >&2; exit 2 ;; esac
done
sed -e "s|\${ALERT_EMAIL_TO}|$ALERT_EMAIL_TO|g" \
    -e "s|\${ALERT_EMAIL_FROM}|$ALERT_EMAIL_FROM|g" \
    -e "s|\${ALERT_SMTP_SMARTHOST}|$ALERT_SMTP_SMARTHOST|g" \
    -e "s|\${ALERT_SMTP_USERNAME}|$ALERT_SMTP_USERNAME|g" \
    -e "s|\${ALERT_SMTP_PASSWORD_FILE}|$ALERT_SMTP_PASSWORD_FILE|g" \
    "$template" > "$output"
if [ "${1:-run}" = check ]; then
    exit 0
fi
exec /bin/alertmanager --config.file="$output" --storage.path=/alertmanager \
    --web.external-url="${ALERTMANAGER_EXTERNAL_URL:-http://localhost:9093}"
