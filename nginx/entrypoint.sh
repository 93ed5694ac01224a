#!/bin/sh
# nginx entrypoint for the cspm-frontend container.
#
#   entrypoint.sh            render the configuration, watch for certificates, run nginx in the foreground
#   entrypoint.sh render     render only, print the TLS mode (used by the tests and by the watcher)
#
# TLS automation: until certbot has written a certificate for CSPM_DOMAIN under
# LETSENCRYPT_DIR/live/<domain>/, nginx serves HTTPS with a self-signed certificate made here
# at start-up (so nginx can start, and answer the ACME challenge, before Let's Encrypt has
# answered) and serves the application on plain HTTP too. As soon as a certificate appears,
# the watcher re-renders the configuration with the HTTP -> HTTPS redirect switched on and
# reloads nginx; certificate renewals are picked up the same way.
set -eu

: "${CSPM_DOMAIN:=localhost}"
: "${CSPM_BACKEND_UPSTREAM:=cspm-backend:8000}"
: "${CSPM_RESOLVER:=127.0.0.11}"
: "${CSPM_RUNTIME_DIR:=/var/run/cspm-nginx}"
: "${CSPM_TEMPLATE_DIR:=/etc/nginx/cspm-templates}"
: "${LETSENCRYPT_DIR:=/etc/letsencrypt}"
: "${ACME_WEBROOT:=/var/www/certbot}"
: "${SPA_ROOT:=/usr/share/nginx/html}"
: "${NGINX_USER:=nginx}"
: "${METRICS_ALLOW_CIDRS:=127.0.0.1/32}"
: "${CERT_CHECK_INTERVAL:=300}"
: "${CSPM_HTTP_PORT:=80}"
: "${CSPM_HTTPS_PORT:=443}"
: "${CSPM_IPV6:=on}"
: "${BOOTSTRAP_CERT_DAYS:=30}"
export CSPM_DOMAIN CSPM_BACKEND_UPSTREAM CSPM_RESOLVER CSPM_RUNTIME_DIR CSPM_TEMPLATE_DIR \
       LETSENCRYPT_DIR ACME_WEBROOT SPA_ROOT NGINX_USER CSPM_HTTP_PORT CSPM_HTTPS_PORT
if [ "$CSPM_IPV6" = on ]; then
    CSPM_HTTP_LISTEN_V6="listen [::]:$CSPM_HTTP_PORT default_server;"
    CSPM_HTTPS_LISTEN_V6="listen [::]:$CSPM_HTTPS_PORT ssl http2 default_server;"
else
    CSPM_HTTP_LISTEN_V6='# IPv6 listener off (CSPM_IPV6=off)'
    CSPM_HTTPS_LISTEN_V6='# IPv6 listener off (CSPM_IPV6=off)'
fi
export CSPM_HTTP_LISTEN_V6 CSPM_HTTPS_LISTEN_V6

# Only these variables are substituted: nginx's own ($host, $uri, ...) stay as they are.
# shellcheck disable=SC2016 # literal ${NAME}s: the list envsubst substitutes
TEMPLATE_VARIABLES='${CSPM_DOMAIN} ${CSPM_BACKEND_UPSTREAM} ${CSPM_RESOLVER} ${CSPM_RUNTIME_DIR} ${LETSENCRYPT_DIR} ${ACME_WEBROOT} ${SPA_ROOT} ${NGINX_USER} ${CSPM_CERT_FILE} ${CSPM_KEY_FILE} ${CSPM_HTTP_PORT} ${CSPM_HTTPS_PORT} ${CSPM_HTTP_LISTEN_V6} ${CSPM_HTTPS_LISTEN_V6}'

log() {
    printf '{"timestamp":"%s","level":"%s","logger":"nginx.entrypoint","message":"%s"}\n' \
        "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$1" "$2" >&2
}

for port in "$CSPM_HTTP_PORT" "$CSPM_HTTPS_PORT" "$CERT_CHECK_INTERVAL"; do
    case "$port" in *[!0-9]*|'') log ERROR "ports and CERT_CHECK_INTERVAL must be numbers, got '$port'"; exit 2 ;; esac
done

case "$CSPM_DOMAIN" in
    *[!A-Za-z0-9.-]*|'') log ERROR "CSPM_DOMAIN must be a host name (letters, digits, dots, hyphens)"; exit 2 ;;
esac

live_dir() { printf '%s/live/%s' "$LETSENCRYPT_DIR" "$CSPM_DOMAIN"; }

# A certificate counts once both files are readable and the pair parses.
letsencrypt_ready() {
    dir=$(live_dir)
    [ -r "$dir/fullchain.pem" ] && [ -r "$dir/privkey.pem" ] \
        && openssl x509 -noout -in "$dir/fullchain.pem" >/dev/null 2>&1
}

bootstrap_certificate() {
    dir="$CSPM_RUNTIME_DIR/bootstrap"
    if [ -s "$dir/cert.pem" ] && [ -s "$dir/key.pem" ]; then
        return 0
    fi
    mkdir -p "$dir"
    umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days "$BOOTSTRAP_CERT_DAYS" \
        -subj "/CN=$CSPM_DOMAIN" -addext "subjectAltName=DNS:$CSPM_DOMAIN" \
        -keyout "$dir/key.pem" -out "$dir/cert.pem" >/dev/null 2>&1
    umask 022
    log INFO "generated a self-signed bootstrap certificate for $CSPM_DOMAIN"
}

render_file() {
    envsubst "$TEMPLATE_VARIABLES" < "$CSPM_TEMPLATE_DIR/$1.template" > "$2"
}

# Renders every file into a fresh directory, then swaps it in, so a reload never sees half a config.
render() {
    if letsencrypt_ready; then
        mode=tls
        CSPM_CERT_FILE="$(live_dir)/fullchain.pem"
        CSPM_KEY_FILE="$(live_dir)/privkey.pem"
    else
        mode=bootstrap
        bootstrap_certificate
        CSPM_CERT_FILE="$CSPM_RUNTIME_DIR/bootstrap/cert.pem"
        CSPM_KEY_FILE="$CSPM_RUNTIME_DIR/bootstrap/key.pem"
    fi
    export CSPM_CERT_FILE CSPM_KEY_FILE

    mkdir -p "$CSPM_RUNTIME_DIR/tmp"
    staging="$CSPM_RUNTIME_DIR/conf.new"
    rm -rf "$staging"
    mkdir -p "$staging/sites-enabled"
    for name in nginx.conf proxy-params.conf security-headers.conf acme.conf app-locations.conf; do
        render_file "$name" "$staging/$name"
    done
    if [ "$mode" = tls ]; then
        render_file http-redirect.conf "$staging/sites-enabled/10-http.conf"
        echo 'add_header Strict-Transport-Security "max-age=63072000; includeSubDomains" always;' > "$staging/hsts.conf"
    else
        render_file http-bootstrap.conf "$staging/sites-enabled/10-http.conf"
        echo '# no HSTS until a publicly trusted certificate is in place' > "$staging/hsts.conf"
    fi
    render_file https.conf "$staging/sites-enabled/20-https.conf"
    : > "$staging/metrics-allow.conf"
    for cidr in $(echo "$METRICS_ALLOW_CIDRS" | tr ',' ' '); do
        case "$cidr" in
            *[!0-9a-fA-F.:/]*) log ERROR "METRICS_ALLOW_CIDRS: not an address or CIDR: $cidr"; exit 2 ;;
        esac
        echo "allow $cidr;" >> "$staging/metrics-allow.conf"
    done
    echo "deny all;" >> "$staging/metrics-allow.conf"
    rm -rf "$CSPM_RUNTIME_DIR/conf.old"
    [ -d "$CSPM_RUNTIME_DIR/conf" ] && mv "$CSPM_RUNTIME_DIR/conf" "$CSPM_RUNTIME_DIR/conf.old"
    mv "$staging" "$CSPM_RUNTIME_DIR/conf"
    rm -rf "$CSPM_RUNTIME_DIR/conf.old"
    echo "$mode" > "$CSPM_RUNTIME_DIR/mode"
    echo "$mode"
}

# What the watcher compares: the mode and the certificate's bytes (a renewal changes them).
certificate_state() {
    if letsencrypt_ready; then
        printf 'tls %s' "$(cksum < "$(live_dir)/fullchain.pem")"
    else
        printf 'bootstrap'
    fi
}

watch_certificates() {
    last=$(certificate_state)
    while sleep "$CERT_CHECK_INTERVAL"; do
        current=$(certificate_state)
        [ "$current" = "$last" ] && continue
        mode=$(render)
        if nginx -t -c "$CSPM_RUNTIME_DIR/conf/nginx.conf" >/dev/null 2>&1; then
            nginx -s reload -c "$CSPM_RUNTIME_DIR/conf/nginx.conf"
            log INFO "certificate change detected: reloaded nginx in $mode mode"
            last=$current
        else
            log ERROR "certificate change detected but the rendered configuration does not pass nginx -t"
        fi
    done
}

case "${1:-run}" in
    render)
        render
        ;;
    run)
        mode=$(render)
        log INFO "starting nginx in $mode mode for $CSPM_DOMAIN"
        watch_certificates &
        exec nginx -c "$CSPM_RUNTIME_DIR/conf/nginx.conf" -g 'daemon off;'
        ;;
    *)
        exec "$@"
        ;;
esac
