#!/usr/bin/env bash
# Stops the iot-gateway back end (deploy/docker-compose.yaml) and removes its containers.
# The data (Kafka log, Druid segments and metadata, Superset) stays in the Docker volumes,
# unless --volumes is given, which deletes them too.
#
# Usage: deploy/down.sh [-v|--volumes]
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
self=$script_dir/$(basename "${BASH_SOURCE[0]}")
cd "$script_dir"

REQUIRED_VARS=(DRUID_ADMIN_PASSWORD DRUID_SYSTEM_PASSWORD DRUID_METADATA_PASSWORD SUPERSET_SECRET_KEY SUPERSET_ADMIN_PASSWORD)

die() {
  printf 'down.sh: error: %s\n' "$*" >&2
  exit 1
}

remove_volumes=0
while [ $# -gt 0 ]; do
  case $1 in
    -v | --volumes) remove_volumes=1 ;;
    -h | --help)
      sed -n '2,6p' "$self" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
  shift
done

command -v docker >/dev/null 2>&1 || die "docker is not installed"
docker compose version >/dev/null 2>&1 || die "'docker compose' (Compose v2) is not available"

# Compose interpolates the whole file even for `down`, and the required variables use
# ${VAR:?}: give placeholders to those that are set nowhere (down does not use them).
for v in "${REQUIRED_VARS[@]}"; do
  if [ -z "${!v:-}" ] && ! grep -Eq "^[[:space:]]*(export[[:space:]]+)?$v=.+" .env 2>/dev/null; then
    export "$v=unused-by-down"
  fi
done

if [ $remove_volumes -eq 1 ]; then
  echo "down.sh: stopping the stack and DELETING its volumes"
  docker compose down --volumes --remove-orphans
else
  echo "down.sh: stopping the stack (volumes kept; --volumes deletes them)"
  docker compose down --remove-orphans
fi
