# The schema registry, the gateways, Prometheus and Superset of deploy/native (sourced by
# up.sh and down.sh; Druid is in druid.sh).

REGISTRY_PORT=8085 PROMETHEUS_PORT=9090 SUPERSET_PORT=8088 GATEWAY_PORT_BASE=9100
SUPERSET_VERSION=4.1.2
SUPERSET_HOME_CACHE="$CACHE/superset-$SUPERSET_VERSION"

registry_start() {
  local bin="$BUILD/tools/schema-registry-mock/schema-registry-mock"
  [ -x "$bin" ] || die "$bin is missing: cmake --build build --target schema-registry-mock"
  start_bg schema-registry "$STACK_DIR/log/schema-registry.log" "$bin" \
    --listen "127.0.0.1:$REGISTRY_PORT" --ignore-stdin
  await schema-registry 30 curl -sf -m 2 "http://127.0.0.1:$REGISTRY_PORT/subjects"
}

# gateway_config I: the configuration of gateway I (1-based), written on every up.
gateway_config() {
  local i=$1 dir="$STACK_DIR/gateway-$1" sales_format=json
  mkdir -p "$dir/data"
  # Druid reads Avro from Kafka only with druid-avro-extensions (see README.md).
  druid_has druid-avro-extensions && sales_format=avro
  cat >"$dir/iot-gateway.yaml" <<YAML
# Written by deploy/native/up.sh (gateway $i of the native stack).
gateway:
  id: native-gw-$i
  data_dir: $dir/data
simulator:
  enabled: true
  clock: realtime
  disruptions:
    - {lat: 47.37, lon: 8.52, radius_m: 100, rejected_ratio: 0.99, from: +2m, until: +62m}
sinks:
  kafka:
    enabled: true
    brokers: $BOOTSTRAP
    formats:
      sales: $sales_format
    schema_registry:
      url: http://127.0.0.1:$REGISTRY_PORT
  druid:
    enabled: true
    url: http://127.0.0.1:$ROUTER_PORT
    username: druid_system
    password: \${DRUID_SYSTEM_PASSWORD}
    streams: [sales_aggregate, alerts]
    flush_interval: 1m
    max_batch_bytes: 4MiB
    provision_supervisors: false
    kafka_bootstrap: $BOOTSTRAP
    schema_registry_url: http://127.0.0.1:$REGISTRY_PORT
http:
  listen: 127.0.0.1:$((GATEWAY_PORT_BASE + i))
YAML
  echo "$dir/iot-gateway.yaml"
}

gateways_start() {
  local n=$1 i cfg
  [ -x "$GATEWAY_BIN" ] || die "$GATEWAY_BIN is missing: cmake --build build --target iot-gateway"
  cfg=$(gateway_config 1)
  "$GATEWAY_BIN" check-config -c "$cfg" >/dev/null || die "$cfg does not pass check-config"
  log "posting the Druid supervisors (iot-gateway druid provision)"
  "$GATEWAY_BIN" druid provision -c "$cfg" >"$STACK_DIR/log/provision.log" 2>&1 ||
    die "druid provision failed; see $STACK_DIR/log/provision.log"
  for i in $(seq "$n"); do
    cfg=$(gateway_config "$i")
    start_bg "gateway-$i" "$STACK_DIR/log/gateway-$i.log" "$GATEWAY_BIN" run -c "$cfg"
  done
  # Gateways beyond N (from an earlier --gateways) are stopped.
  local f k
  for f in "$STACK_DIR"/run/gateway-*.pid; do
    [ -f "$f" ] || continue
    k=${f##*/gateway-}
    k=${k%.pid}
    [ "$k" -le "$n" ] || stop "gateway-$k"
  done
  for i in $(seq "$n"); do
    await "gateway-$i" 60 curl -sf -m 2 "http://127.0.0.1:$((GATEWAY_PORT_BASE + i))/metrics"
  done
}

prometheus_start() {
  local n=$1 dir="$STACK_DIR/prometheus" targets="" i
  command -v prometheus >/dev/null || die "prometheus is missing (bash scripts/install-deps.sh)"
  mkdir -p "$dir/data"
  for i in $(seq "$n"); do targets+="${targets:+, }'127.0.0.1:$((GATEWAY_PORT_BASE + i))'"; done
  cp "$REPO/deploy/prometheus/iot-gateway-alerts.yml" "$dir/"
  cat >"$dir/prometheus.yml" <<YAML
# Written by deploy/native/up.sh: every gateway of the native stack, the shipped alert rules.
global:
  scrape_interval: 15s
  evaluation_interval: 15s
rule_files:
  - iot-gateway-alerts.yml
scrape_configs:
  - job_name: iot-gateway
    static_configs:
      - targets: [$targets]
YAML
  if alive prometheus; then
    # Same process; a changed target list is taken on SIGHUP (nothing restarts).
    kill -HUP "$(cat "$(pid_file prometheus)")"
  fi
  start_bg prometheus "$STACK_DIR/log/prometheus.log" prometheus \
    --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
    --storage.tsdb.retention.time=2d --web.listen-address="127.0.0.1:$PROMETHEUS_PORT"
  await prometheus 60 curl -sf -m 2 "http://127.0.0.1:$PROMETHEUS_PORT/-/ready"
}

superset_env() {
  export SUPERSET_CONFIG_PATH="$STACK_DIR/superset/superset_config.py"
  export SUPERSET_SECRET_KEY SUPERSET_HOME="$STACK_DIR/superset" FLASK_APP=superset
}

superset_install() {
  local venv="$SUPERSET_HOME_CACHE/venv"
  [ -f "$SUPERSET_HOME_CACHE/complete" ] && return 0
  log "installing apache-superset $SUPERSET_VERSION with pydruid from PyPI into $venv"
  rm -rf "$SUPERSET_HOME_CACHE"
  mkdir -p "$SUPERSET_HOME_CACHE"
  python3.11 -m venv "$venv" || die "python3.11 -m venv failed (apt-get install python3-venv)"
  # marshmallow 4 breaks Superset 4.1 (TypeError: unexpected keyword argument minLength).
  "$venv/bin/pip" install -q "apache-superset[druid]==$SUPERSET_VERSION" "marshmallow>=3,<4" >"$SUPERSET_HOME_CACHE/pip.log" 2>&1 ||
    die "pip install failed; see $SUPERSET_HOME_CACHE/pip.log"
  touch "$SUPERSET_HOME_CACHE/complete"
}

superset_start() {
  local dir="$STACK_DIR/superset" bin="$SUPERSET_HOME_CACHE/venv/bin"
  superset_install
  mkdir -p "$dir"
  cat >"$dir/superset_config.py" <<PY
# Written by deploy/native/up.sh: SQLite metadata in the stack folder.
import os
SECRET_KEY = os.environ["SUPERSET_SECRET_KEY"]
SQLALCHEMY_DATABASE_URI = "sqlite:///$dir/superset.db"
WTF_CSRF_ENABLED = True
PY
  superset_env
  if [ ! -f "$dir/initialised" ]; then
    log "initialising Superset (database, admin user, roles, the gateway's dashboard)"
    {
      "$bin/superset" db upgrade &&
        "$bin/python" "$REPO/deploy/native/superset_sqlite_unique.py" "$dir/superset.db" &&
        "$bin/superset" fab create-admin --username admin --firstname Admin --lastname User \
          --email admin@localhost --password "$SUPERSET_ADMIN_PASSWORD" &&
        "$bin/superset" init && superset_import
    } >>"$STACK_DIR/log/superset-init.log" 2>&1 ||
      die "Superset initialisation failed; see $STACK_DIR/log/superset-init.log"
    touch "$dir/initialised"
  fi
  start_bg superset "$STACK_DIR/log/superset.log" "$bin/superset" run -h 127.0.0.1 \
    -p "$SUPERSET_PORT" --with-threads
  await superset 180 curl -sf -m 5 "http://127.0.0.1:$SUPERSET_PORT/health"
}

# The seed's dashboard export, shipped unchanged in deploy/superset/seed/.
SEED_DASHBOARD=${IOT_GATEWAY_SEED_DASHBOARD:-$REPO/deploy/superset/seed/IOT-STREAMING-ANALYTICS.zip}

# The gateway's bundle (deploy/superset/bundle) and the seed's dashboard, their database
# pointing at the native router (the password written into the copy, not kept by Superset's
# export files).
superset_import() {
  local tmp="$STACK_DIR/superset/import"
  rm -rf "$tmp"
  mkdir -p "$tmp/gateway" "$tmp/seed"
  cp -r "$REPO/deploy/superset/bundle" "$tmp/gateway/bundle"
  superset_import_dir "$tmp/gateway"
  if [ -f "$SEED_DASHBOARD" ]; then
    (cd "$tmp/seed" && python3 -m zipfile -e "$SEED_DASHBOARD" .)
    superset_import_dir "$tmp/seed"
  else
    log "no seed dashboard at $SEED_DASHBOARD: only the gateway's is imported"
  fi
}

superset_import_dir() { # DIR holding one export folder
  local dir=$1 f top
  for f in "$dir"/*/databases/*.yaml; do
    sed -i "s|^sqlalchemy_uri:.*|sqlalchemy_uri: druid://druid_system:$DRUID_SYSTEM_PASSWORD@127.0.0.1:$ROUTER_PORT/druid/v2/sql|" "$f"
  done
  top=$(cd "$dir" && ls -d -- */ | head -n 1)
  (cd "$dir" && python3 -m zipfile -c export.zip "${top%/}")
  "$SUPERSET_HOME_CACHE/venv/bin/superset" import-dashboards -p "$dir/export.zip" -u admin
}
