#!/usr/bin/env bash
# Brings up the iot-gateway back end (deploy/docker-compose.yaml) in one command:
#   1. checks docker compose v2, curl, python3 and the required variables
#      (from the environment, else deploy/.env; see deploy/.env.example);
#   2. docker compose up -d --build, then waits for every service to be healthy;
#   3. creates the Kafka topics;
#   4. posts the Druid Kafka supervisors with `iot-gateway druid provision`;
#   5. imports the Superset dashboard bundle (deploy/superset/bundle) through Superset's API;
#   6. prints the URLs.
# Safe to run again: topics are created --if-not-exists, supervisors are posted with
# skipRestartIfUnmodified, and the dashboard import overwrites.
#
# Usage: deploy/up.sh [--skip-provision] [--skip-dashboard]
# Environment: UP_TIMEOUT (seconds per service, default 300), IOT_GATEWAY_BIN (the gateway
# binary; default ../build/iot-gateway next to this folder, else iot-gateway on PATH).
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
self=$script_dir/$(basename "${BASH_SOURCE[0]}")
cd "$script_dir"

TOPICS=(SALES DEVICES EVENTS EVENTS_GEO SALES_AGGREGATE ALERTS)
SERVICES=(kafka schema-registry postgres zookeeper coordinator broker historical middlemanager router superset)
REQUIRED_VARS=(DRUID_ADMIN_PASSWORD DRUID_SYSTEM_PASSWORD DRUID_METADATA_PASSWORD SUPERSET_SECRET_KEY SUPERSET_ADMIN_PASSWORD)
DRUID_URL=http://localhost:8888
REGISTRY_URL=http://localhost:8081
SUPERSET_URL=http://localhost:8088
DASHBOARD_SLUG=iot-gateway
# The key of the Druid password in the import's `passwords` field: the database file's path
# inside the bundle (without the bundle's top folder).
DATABASE_FILE=databases/Druid.yaml

log() { printf 'up.sh: %s\n' "$*"; }
die() {
  printf 'up.sh: error: %s\n' "$*" >&2
  exit 1
}

usage() {
  sed -n '2,15p' "$self" | sed 's/^# \{0,1\}//'
}

skip_provision=0
skip_dashboard=0
while [ $# -gt 0 ]; do
  case $1 in
    --skip-provision) skip_provision=1 ;;
    --skip-dashboard) skip_dashboard=1 ;;
    -h | --help)
      usage
      exit 0
      ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
  shift
done

# Reads KEY=VALUE lines of an env file; like docker compose, a variable already set in the
# environment wins over the file.
load_env_file() {
  local file=$1 line key val
  [ -f "$file" ] || return 0
  while IFS= read -r line || [ -n "$line" ]; do
    line=${line%$'\r'}
    case $line in '' | '#'*) continue ;; esac
    line=${line#export }
    [[ $line == *=* ]] || continue
    key=${line%%=*}
    val=${line#*=}
    [[ $key =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || continue
    if [[ $val =~ ^\"(.*)\"$ || $val =~ ^\'(.*)\'$ ]]; then
      val=${BASH_REMATCH[1]}
    fi
    if [ -z "${!key+x}" ]; then
      export "$key=$val"
    fi
  done <"$file"
}

# ---- 1. preflight --------------------------------------------------------------------------
command -v docker >/dev/null 2>&1 || die "docker is not installed (https://docs.docker.com/engine/install/)"
docker compose version >/dev/null 2>&1 ||
  die "'docker compose' (Compose v2) is not available; install the docker-compose-plugin"
docker info >/dev/null 2>&1 || die "cannot talk to the Docker daemon (is it running? may this user use it?)"
command -v curl >/dev/null 2>&1 || die "curl is required"
command -v python3 >/dev/null 2>&1 || die "python3 is required (to zip the dashboard bundle and read JSON)"

load_env_file "$script_dir/.env"
missing=()
for v in "${REQUIRED_VARS[@]}"; do
  [ -n "${!v:-}" ] || missing+=("$v")
done
if [ ${#missing[@]} -gt 0 ]; then
  die "required variables not set: ${missing[*]}
  Set them in $script_dir/.env (start from .env.example) or export them, e.g.
    cp $script_dir/.env.example $script_dir/.env && \$EDITOR $script_dir/.env"
fi
for v in DRUID_ADMIN_PASSWORD DRUID_SYSTEM_PASSWORD DRUID_METADATA_PASSWORD; do
  [[ ${!v} =~ ^[A-Za-z0-9._~-]+$ ]] ||
    die "$v may only contain letters, digits and . _ ~ - (it goes into Java properties and URLs)"
done
export "${REQUIRED_VARS[@]}"
export SUPERSET_ADMIN_USERNAME=${SUPERSET_ADMIN_USERNAME:-admin}
UP_TIMEOUT=${UP_TIMEOUT:-300}
[[ $UP_TIMEOUT =~ ^[0-9]+$ ]] || die "UP_TIMEOUT must be a number of seconds, not '$UP_TIMEOUT'"

gateway_bin=
if [ $skip_provision -eq 0 ]; then
  if [ -n "${IOT_GATEWAY_BIN:-}" ]; then
    [ -x "$IOT_GATEWAY_BIN" ] || die "IOT_GATEWAY_BIN=$IOT_GATEWAY_BIN is not an executable file"
    gateway_bin=$IOT_GATEWAY_BIN
  elif [ -x "$script_dir/../build/iot-gateway" ]; then
    gateway_bin=$script_dir/../build/iot-gateway
  elif command -v iot-gateway >/dev/null 2>&1; then
    gateway_bin=$(command -v iot-gateway)
  else
    die "the iot-gateway binary was not found (IOT_GATEWAY_BIN, $script_dir/../build/iot-gateway, PATH);
  build it (cmake -S . -B build && cmake --build build) or run with --skip-provision"
  fi
  # Fail now rather than after the stack has started.
  "$gateway_bin" --help 2>/dev/null | grep -Eq '^[[:space:]]+druid\b' ||
    die "$gateway_bin has no 'druid' command (built before the Druid sink?); use a newer build or --skip-provision"
  "$gateway_bin" check-config -c "$script_dir/iot-gateway.yaml" >/dev/null ||
    die "$script_dir/iot-gateway.yaml does not pass '$gateway_bin check-config' (see above)"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 700 "$tmp"

# ---- 2. start and wait -----------------------------------------------------------------------
log "starting the stack (docker compose up -d --build; the first run pulls several GB)"
docker compose up -d --build ||
  die "docker compose up failed (see above); inspect a service with: docker compose -f $script_dir/docker-compose.yaml logs SERVICE"

# Waits until the service's container reports healthy (every service has a health check).
wait_healthy() {
  local svc=$1 deadline=$((SECONDS + UP_TIMEOUT)) cid state=unknown
  while :; do
    cid=$(docker compose ps -a -q "$svc" 2>/dev/null || true)
    if [ -n "$cid" ]; then
      state=$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$cid" 2>/dev/null || echo unknown)
    else
      state="no container"
    fi
    case $state in
      healthy)
        log "$svc is healthy"
        return 0
        ;;
      exited | dead)
        die "service '$svc' stopped ($state); see: docker compose -f $script_dir/docker-compose.yaml logs $svc"
        ;;
    esac
    if [ $SECONDS -ge "$deadline" ]; then
      die "service '$svc' did not become healthy within ${UP_TIMEOUT}s (last state: $state); see: docker compose -f $script_dir/docker-compose.yaml logs $svc"
    fi
    sleep 5
  done
}

# Waits until `curl ARGS... URL` succeeds (HTTP 2xx).
wait_http() {
  local what=$1 deadline=$((SECONDS + UP_TIMEOUT))
  shift
  until curl -fsS -o /dev/null --max-time 10 "$@" 2>/dev/null; do
    if [ $SECONDS -ge "$deadline" ]; then
      die "$what did not answer within ${UP_TIMEOUT}s: curl ${*: -1}"
    fi
    sleep 5
  done
  log "$what answers"
}

for svc in "${SERVICES[@]}"; do
  wait_healthy "$svc"
done

# Credentials for curl in a file, not on the command line.
druid_curl_cfg=$tmp/druid.curl
printf 'user = "druid_system:%s"\n' "$DRUID_SYSTEM_PASSWORD" >"$druid_curl_cfg"
wait_http "Schema Registry ($REGISTRY_URL/subjects)" "$REGISTRY_URL/subjects"
wait_http "Druid router ($DRUID_URL/status/health)" "$DRUID_URL/status/health"
# The overlord behind the router's management proxy, with druid_system's credentials.
wait_http "Druid overlord via the router ($DRUID_URL/druid/indexer/v1/supervisor)" \
  -K "$druid_curl_cfg" "$DRUID_URL/druid/indexer/v1/supervisor"
wait_http "Superset ($SUPERSET_URL/health)" "$SUPERSET_URL/health"

# ---- 3. topics -------------------------------------------------------------------------------
for topic in "${TOPICS[@]}"; do
  docker compose exec -T kafka /opt/kafka/bin/kafka-topics.sh --bootstrap-server localhost:9092 \
    --create --if-not-exists --topic "$topic" --partitions 1 --replication-factor 1 >/dev/null ||
    die "could not create the Kafka topic $topic"
done
log "Kafka topics: ${TOPICS[*]}"

# ---- 4. Druid supervisors --------------------------------------------------------------------
if [ $skip_provision -eq 0 ]; then
  log "posting the Druid Kafka supervisors: $gateway_bin druid provision -c $script_dir/iot-gateway.yaml"
  "$gateway_bin" druid provision -c "$script_dir/iot-gateway.yaml" ||
    die "'iot-gateway druid provision' failed (see above); try it with --dry-run to see the specs"
else
  log "skipped: druid provision (--skip-provision)"
fi

# ---- 5. Superset dashboard -------------------------------------------------------------------
json_field() {
  python3 -c 'import json, sys
try:
    print(json.load(sys.stdin)[sys.argv[1]])
except Exception as e:
    sys.exit("no %s in the answer (%s)" % (sys.argv[1], e))' "$1"
}

if [ $skip_dashboard -eq 0 ]; then
  bundle_zip=$tmp/iot_gateway_dashboard.zip
  (cd "$script_dir/superset" && python3 -m zipfile -c "$bundle_zip" bundle) ||
    die "could not zip $script_dir/superset/bundle"

  python3 -c 'import json, os
print(json.dumps({"username": os.environ["SUPERSET_ADMIN_USERNAME"],
                  "password": os.environ["SUPERSET_ADMIN_PASSWORD"],
                  "provider": "db", "refresh": True}))' >"$tmp/login.json" </dev/null
  DATABASE_FILE=$DATABASE_FILE python3 -c 'import json, os
print(json.dumps({os.environ["DATABASE_FILE"]: os.environ["DRUID_SYSTEM_PASSWORD"]}))' \
    >"$tmp/passwords.json" </dev/null

  jar=$tmp/cookies
  access_token=$(curl -fsS -c "$jar" -b "$jar" -H 'Content-Type: application/json' \
    --data-binary @"$tmp/login.json" "$SUPERSET_URL/api/v1/security/login" | json_field access_token) ||
    die "Superset login as $SUPERSET_ADMIN_USERNAME failed"
  printf 'header = "Authorization: Bearer %s"\n' "$access_token" >"$tmp/superset.curl"
  csrf_token=$(curl -fsS -c "$jar" -b "$jar" -K "$tmp/superset.curl" \
    "$SUPERSET_URL/api/v1/security/csrf_token/" | json_field result) ||
    die "could not get a CSRF token from Superset"

  status=$(curl -sS -o "$tmp/import.out" -w '%{http_code}' -c "$jar" -b "$jar" -K "$tmp/superset.curl" \
    -H "X-CSRFToken: $csrf_token" -H "Referer: $SUPERSET_URL/" \
    -F "formData=@$bundle_zip;type=application/zip" \
    -F "overwrite=true" \
    -F "passwords=<$tmp/passwords.json" \
    "$SUPERSET_URL/api/v1/dashboard/import/") || die "the dashboard import request failed"
  if [ "$status" != 200 ]; then
    die "Superset refused the dashboard bundle (HTTP $status): $(head -c 2000 "$tmp/import.out")"
  fi
  log "Superset dashboard imported"
else
  log "skipped: Superset dashboard import (--skip-dashboard)"
fi

# ---- 6. done ---------------------------------------------------------------------------------
cat <<EOF

The iot-gateway back end is up.
  Kafka            localhost:9092  (inside the compose network: kafka:19092)
  Schema Registry  $REGISTRY_URL
  Druid console    $DRUID_URL  (user admin, password DRUID_ADMIN_PASSWORD)
  Superset         $SUPERSET_URL/superset/dashboard/$DASHBOARD_SLUG/  (user $SUPERSET_ADMIN_USERNAME)

Run the gateway against it (DRUID_SYSTEM_PASSWORD as above; data_dir must be writable):
  DRUID_SYSTEM_PASSWORD=... IOT_GATEWAY_DATA_DIR=/tmp/iot-gateway ${gateway_bin:-iot-gateway} run -c $script_dir/iot-gateway.yaml
Stop it with: bash $script_dir/down.sh   (add --volumes to delete the data)
EOF
