#!/bin/sh
# cspm-certbot: obtains the Let's Encrypt certificate for DOMAIN through the webroot that nginx
# serves at /.well-known/acme-challenge/, then renews it. nginx's entrypoint notices the new or
# renewed certificate and reloads with the HTTP -> HTTPS redirect on (nginx/entrypoint.sh).
set -u
: "${DOMAIN:?DOMAIN is not set: run setup_wizard.py}"
: "${CERTBOT_ENABLED:=true}"
: "${CERTBOT_STAGING:=false}"
: "${ACME_WEBROOT:=/var/www/certbot}"
: "${RETRY_SECONDS:=3600}"
: "${RENEW_SECONDS:=43200}"
HEARTBEAT=/tmp/certbot-loop.alive

trap 'exit 0' TERM INT

if [ "$CERTBOT_ENABLED" != true ]; then
    echo "certbot disabled (CERTBOT_ENABLED=$CERTBOT_ENABLED): nginx keeps its self-signed certificate"
    while :; do touch "$HEARTBEAT"; sleep 3600 & wait $!; done
fi
: "${ADMIN_EMAIL:?ADMIN_EMAIL is not set: the ACME account needs a contact address}"

staging=""
[ "$CERTBOT_STAGING" = true ] && staging="--staging"

while :; do
    touch "$HEARTBEAT"
    if [ -s "/etc/letsencrypt/live/$DOMAIN/fullchain.pem" ]; then
        certbot renew --webroot -w "$ACME_WEBROOT" --non-interactive --quiet $staging
        pause=$RENEW_SECONDS
    elif certbot certonly --webroot -w "$ACME_WEBROOT" -d "$DOMAIN" --cert-name "$DOMAIN" \
            --email "$ADMIN_EMAIL" --agree-tos --no-eff-email --non-interactive \
            --keep-until-expiring $staging; then
        echo "certificate obtained for $DOMAIN"
        pause=$RENEW_SECONDS
    else
        echo "no certificate yet for $DOMAIN (DNS must point at this host and port 80 be reachable); retrying in ${RETRY_SECONDS}s"
        pause=$RETRY_SECONDS
    fi
    sleep "$pause" & wait $!
done
