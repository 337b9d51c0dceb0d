#!/usr/bin/env bash
# Sets everything up on a fresh Debian 12 machine (as root), builds, starts an embedded Kafka
# (librdkafka's mock cluster, real Kafka protocol on 127.0.0.1) and runs the realtime demo
# (config/demo.yaml) against it until Ctrl-C. Sales aggregates are logged every minute, the
# demo's disruption raises alerts within three minutes, and a progress line each minute shows
# the topics filling up. The live dashboard is at http://127.0.0.1:8080/ (another address:
# IOT_GATEWAY_DEMO_LISTEN=127.0.0.1:8081). Records also go to
# /tmp/iot-gateway-demo/out/ (about 2.3 GB an hour: the demo's 1,000 devices send one event a
# second each; the folder is emptied at the next start).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --demo
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$(nproc)" --target iot-gateway kafka-mock
export IOT_GATEWAY_DEMO_DIR="${IOT_GATEWAY_DEMO_DIR:-/tmp/iot-gateway-demo}"
# The dashboard's address (config/demo.yaml's http.listen). A port that is taken is said now,
# before anything starts; the gateway itself refuses to start without its endpoint.
export IOT_GATEWAY_DEMO_LISTEN="${IOT_GATEWAY_DEMO_LISTEN:-127.0.0.1:8080}"
if (exec 3<>"/dev/tcp/${IOT_GATEWAY_DEMO_LISTEN%:*}/${IOT_GATEWAY_DEMO_LISTEN##*:}") 2>/dev/null; then
  echo "demo: ${IOT_GATEWAY_DEMO_LISTEN} is taken by another program; choose another address:" >&2
  echo "  IOT_GATEWAY_DEMO_LISTEN=127.0.0.1:8081 bash scripts/demo.sh" >&2
  exit 1
fi
rm -rf "$IOT_GATEWAY_DEMO_DIR"
mkdir -p "$IOT_GATEWAY_DEMO_DIR"

# The mock cluster in its own session, so Ctrl-C reaches only the gateway, which then drains.
fifo="$IOT_GATEWAY_DEMO_DIR/kafka-mock.in"
mkfifo "$fifo"
setsid build/tools/kafka-mock/kafka-mock --partitions 6 <"$fifo" >"$IOT_GATEWAY_DEMO_DIR/kafka-mock.out" &
mock=$!
exec 3>"$fifo"  # keeps the mock's stdin open; closing it stops the mock
trap 'exec 3>&-; wait "$mock" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  grep -q '^bootstrap=' "$IOT_GATEWAY_DEMO_DIR/kafka-mock.out" 2>/dev/null && break
  sleep 0.1
done
bootstrap=$(sed -n 's/^bootstrap=//p' "$IOT_GATEWAY_DEMO_DIR/kafka-mock.out")
export IOT_GATEWAY_DEMO_BROKERS="$bootstrap"

cat <<TXT
Dashboard: http://${IOT_GATEWAY_DEMO_LISTEN}/  (health: /healthz, /readyz; Prometheus: /metrics)
Kafka (mock cluster) at $bootstrap. In another terminal, watch the topics fill up:
  kcat -C -b $bootstrap -t SALES_AGGREGATE -f '%k %s\n'
  kcat -C -b $bootstrap -t ALERTS -f '%k %s\n'
  kcat -C -b $bootstrap -t EVENTS_GEO -o end -f '%k %h %s\n'
  kcat -L -b $bootstrap                       # topics and partitions
  build/iot-gateway buffer stats -c config/demo.yaml
TXT
build/iot-gateway check-config -c config/demo.yaml
build/iot-gateway run -c config/demo.yaml "$@"
