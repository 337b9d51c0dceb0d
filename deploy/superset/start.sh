#!/bin/sh
# Container start: migrate, make sure the admin user exists with the configured password,
# create the default roles and permissions, then run the image's own server script.
set -eu

: "${SUPERSET_ADMIN_USERNAME:=admin}"
: "${SUPERSET_ADMIN_EMAIL:=admin@example.com}"
if [ -z "${SUPERSET_ADMIN_PASSWORD:-}" ]; then
  echo "start.sh: SUPERSET_ADMIN_PASSWORD is not set" >&2
  exit 1
fi

superset db upgrade
# create-admin leaves an existing user alone; reset-password keeps it in step with the env.
superset fab create-admin \
  --username "$SUPERSET_ADMIN_USERNAME" \
  --firstname Superset --lastname Admin \
  --email "$SUPERSET_ADMIN_EMAIL" \
  --password "$SUPERSET_ADMIN_PASSWORD"
superset fab reset-password \
  --username "$SUPERSET_ADMIN_USERNAME" \
  --password "$SUPERSET_ADMIN_PASSWORD"
superset init

if [ -x /usr/bin/run-server.sh ]; then
  exec /usr/bin/run-server.sh
fi
exec superset run --host 0.0.0.0 --port 8088 --with-threads
