#!/usr/bin/env bash
# Stops everything deploy/native/up.sh started (same --dir) and leaves no process of it.
# Usage: deploy/native/down.sh [--dir DIR] [--purge]   --purge also deletes DIR (data, secrets)
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STACK_DIR=${IOT_GATEWAY_NATIVE_DIR:-/tmp/iot-gateway-native}
CACHE=${IOT_GATEWAY_CACHE:-$HOME/.cache/iot-gateway}
purge=0
while [ $# -gt 0 ]; do
  case $1 in
    --dir) STACK_DIR=$2; shift 2 ;;
    --purge) purge=1; shift ;;
    *) echo "down.sh: unknown argument '$1'" >&2; exit 1 ;;
  esac
done
# shellcheck source=lib.sh
. "$REPO/deploy/native/lib.sh"
# shellcheck source=druid.sh
. "$REPO/deploy/native/druid.sh"
[ -d "$STACK_DIR" ] || exit 0
stop superset
stop prometheus
for f in "$STACK_DIR"/run/gateway-*.pid; do
  [ -f "$f" ] || continue
  n=${f##*/}
  stop "${n%.pid}"
done
stop schema-registry
druid_stop
IOT_GATEWAY_KAFKA_DIR="$STACK_DIR/kafka" bash "$REPO/scripts/kafka.sh" down --keep
left=$(stack_rss_mib)
[ "$left" = 0 ] || die "processes of the stack still run ($left MiB)"
if [ $purge = 1 ]; then rm -rf "$STACK_DIR"; fi
log "stopped"
