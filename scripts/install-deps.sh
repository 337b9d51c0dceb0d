#!/usr/bin/env bash
# Installs the Debian 12 packages needed to build iot-gateway (run as root).
#   bash scripts/install-deps.sh           what the build and every test need (scripts/test.sh)
#   bash scripts/install-deps.sh --demo    only what the build and the demo need (scripts/demo.sh)
# Waits for another apt or dpkg that holds the lock (up to 10 minutes) instead of failing.
set -euo pipefail
build=(
  build-essential cmake pkg-config git
  libyaml-cpp-dev rapidjson-dev libcli11-dev doctest-dev
  libboost-dev libssl-dev libsqlite3-dev librdkafka-dev liblz4-dev libxxhash-dev libsystemd-dev
  libavro-dev libjs-chart.js kcat
)
tests=(
  sqlite3 clang-format prometheus bc
  python3-avro python3-yaml python3-venv
  chromium nodejs
  clang libclang-rt-14-dev
  dpkg-dev lintian systemd wrk
)
case "${1:-}" in
  --demo) packages=("${build[@]}") ;;
  "") packages=("${build[@]}" "${tests[@]}") ;;
  *) echo "usage: $0 [--demo]" >&2; exit 2 ;;
esac
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# The browser test needs npm. Debian's nodejs does not bring it, and Debian's npm conflicts with
# a Node.js whose own package bundles npm: install it only when the command is missing.
if [ "${1:-}" != --demo ] && ! command -v npm >/dev/null; then missing+=(npm); fi
# A real Apache Kafka for the kafka-real tests (scripts/kafka.sh): a Java runtime and Maven,
# unless the machine has its own.
if [ "${1:-}" != --demo ] && ! command -v java >/dev/null; then missing+=(openjdk-17-jre-headless); fi
if [ "${1:-}" != --demo ] && ! command -v mvn >/dev/null; then missing+=(maven); fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt_wait=(-o DPkg::Lock::Timeout=600)
  apt-get "${apt_wait[@]}" update -qq
  apt-get "${apt_wait[@]}" install -y -qq --no-install-recommends "${missing[@]}"
fi
