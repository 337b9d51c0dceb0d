#!/usr/bin/env bash
# Installs the Debian 12 packages needed to build and test iot-gateway (run as root).
set -euo pipefail
packages=(
  build-essential cmake pkg-config git
  libyaml-cpp-dev rapidjson-dev libcli11-dev doctest-dev
  libboost-dev libssl-dev libsqlite3-dev librdkafka-dev liblz4-dev libxxhash-dev libsystemd-dev
  kcat sqlite3 clang-format prometheus bc
  libavro-dev python3-avro python3-yaml
  libjs-chart.js chromium nodejs
  clang libclang-rt-14-dev
  dpkg-dev lintian systemd wrk
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
