#!/usr/bin/env bash
# Sets everything up on a fresh Debian 12 machine (as root), builds and runs the realtime demo
# (config/demo.yaml) until Ctrl-C. Sales aggregates are logged every minute; the demo's
# disruption raises alerts within three minutes. Records go to /tmp/iot-gateway-demo/out/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$(nproc)" --target iot-gateway
export IOT_GATEWAY_DEMO_DIR="${IOT_GATEWAY_DEMO_DIR:-/tmp/iot-gateway-demo}"
rm -rf "$IOT_GATEWAY_DEMO_DIR/out"
build/iot-gateway check-config -c config/demo.yaml
exec build/iot-gateway run -c config/demo.yaml "$@"
