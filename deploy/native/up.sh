#!/usr/bin/env bash
# The iot-gateway back end without Docker, on one Debian 12 machine (Java 17, Python 3.11):
# Kafka (scripts/kafka.sh), Apache Druid from Maven Central, a schema registry, N gateways,
# Prometheus with the alert rules of deploy/prometheus/, Superset from PyPI with the gateway's
# dashboard. Prints every URL and login and the memory the stack takes. See README.md here.
#
# Usage: deploy/native/up.sh [--gateways N] [--dir DIR]
#   --gateways N  gateways to run (default 1), ids native-gw-1..N, /metrics on 127.0.0.1:910I
#   --dir DIR     the stack's state, logs and secrets (default $IOT_GATEWAY_NATIVE_DIR, else
#                 /tmp/iot-gateway-native); downloads go to $IOT_GATEWAY_CACHE, else
#                 ~/.cache/iot-gateway
# Idempotent: what runs already is left alone (no process restarted; the Druid supervisors
# are posted with skipRestartIfUnmodified, so an unchanged spec restarts no supervisor).
# Stop everything with deploy/native/down.sh (same --dir).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STACK_DIR=${IOT_GATEWAY_NATIVE_DIR:-/tmp/iot-gateway-native}
CACHE=${IOT_GATEWAY_CACHE:-$HOME/.cache/iot-gateway}
BUILD=${IOT_GATEWAY_BUILD:-$REPO/build}
GATEWAY_BIN=${IOT_GATEWAY_BIN:-$BUILD/iot-gateway}
gateways=1
while [ $# -gt 0 ]; do
  case $1 in
    --gateways) gateways=$2; shift 2 ;;
    --dir) STACK_DIR=$2; shift 2 ;;
    -h | --help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "up.sh: unknown argument '$1' (try --help)" >&2; exit 1 ;;
  esac
done
# shellcheck source=lib.sh
. "$REPO/deploy/native/lib.sh"
# shellcheck source=druid.sh
. "$REPO/deploy/native/druid.sh"
# shellcheck source=services.sh
. "$REPO/deploy/native/services.sh"
[[ $gateways =~ ^[1-9][0-9]?$ ]] || die "--gateways must be 1..99"
for t in java mvn curl kcat prometheus python3.11; do
  command -v "$t" >/dev/null || die "$t is missing (bash scripts/install-deps.sh)"
done
started=$SECONDS
mkdir -p "$STACK_DIR/log" "$STACK_DIR/run"
STACK_DIR=$(cd "$STACK_DIR" && pwd)

# Passwords, made once per stack folder.
secrets="$STACK_DIR/secrets.env"
if [ ! -f "$secrets" ]; then
  (
    umask 077
    for v in DRUID_ADMIN_PASSWORD DRUID_SYSTEM_PASSWORD SUPERSET_ADMIN_PASSWORD SUPERSET_SECRET_KEY; do
      echo "$v=$(head -c 18 /dev/urandom | base64 | tr '+/' '._')"
    done >"$secrets"
  )
fi
set -a
# shellcheck disable=SC1090
. "$secrets"
set +a

druid_fetch
superset_install

bootstrap_line=$(IOT_GATEWAY_KAFKA_DIR="$STACK_DIR/kafka" bash "$REPO/scripts/kafka.sh" up | grep '^BOOTSTRAP=')
BOOTSTRAP=${bootstrap_line#BOOTSTRAP=}
log "Kafka at $BOOTSTRAP"

druid_configure
druid_start
registry_start
gateways_start "$gateways"
prometheus_start "$gateways"
superset_start

cat <<TXT

The native iot-gateway stack runs ($((SECONDS - started)) s for this up.sh); state and logs in $STACK_DIR
  Kafka           $BOOTSTRAP
  Druid router    http://127.0.0.1:$ROUTER_PORT   (SQL: POST /druid/v2/sql; no web console: it is not on Maven Central)
  Druid logins    $(druid_has druid-basic-security && echo "admin / $DRUID_ADMIN_PASSWORD, druid_system / $DRUID_SYSTEM_PASSWORD" || echo "none: basic auth is off (druid-basic-security $DRUID_VERSION is not on Maven Central)")
  Druid extensions $(druid_load_list)
  Schema registry http://127.0.0.1:$REGISTRY_PORT   (schema-registry-mock; see deploy/native/README.md)
  Prometheus      http://127.0.0.1:$PROMETHEUS_PORT   (alerts: /alerts)
  Superset        http://127.0.0.1:$SUPERSET_PORT   admin / $SUPERSET_ADMIN_PASSWORD
TXT
for i in $(seq "$gateways"); do
  echo "  Gateway $i       http://127.0.0.1:$((GATEWAY_PORT_BASE + i))/   (id native-gw-$i, config $STACK_DIR/gateway-$i/iot-gateway.yaml)"
done
kafka_rss=$(ps -o rss= -p "$(cat "$STACK_DIR"/kafka/node-*/pid | tr '\n' ',' | sed 's/,$//')" | awk '{s+=$1} END {printf "%d", s/1024}')
echo "  Memory          $(($(stack_rss_mib) + kafka_rss)) MiB resident (Kafka $kafka_rss MiB)"
echo "  Passwords       $secrets"
