#!/usr/bin/env bash
# Sets everything up on a fresh Debian 12 machine (as root), builds with warnings as errors,
# checks the formatting, runs every test and builds and checks the Debian package; in CI also
# fuzzes and runs the tests under sanitizers.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
# Apache Kafka from Maven Central into the cache, before the kafka-real tests start clusters.
bash scripts/kafka.sh fetch
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DIOT_GATEWAY_WERROR=ON
cmake --build build -j"$(nproc)"
bash scripts/check-format.sh
npm ci --prefix tests/browser --no-audit --no-fund
ctest --test-dir build --output-on-failure -j"$(nproc)"
# The Debian package: build, lintian; in CI (as root) also install it, check it and purge it.
if [ -n "${CI:-}" ] && [ "$(id -u)" = 0 ]; then
  IOT_GATEWAY_PACKAGE_INSTALL=1 bash scripts/package.sh
else
  bash scripts/package.sh
fi
# Fuzzing (fuzz/README.md), in CI only: each libFuzzer target for 45 s; any finding fails.
if [ -n "${CI:-}" ]; then
  bash scripts/fuzz.sh 45
fi
# Sanitizers, in CI only: ASan + UBSan over the whole suite, TSan over the threaded tests.
if [ -n "${CI:-}" ]; then
  bash scripts/sanitize.sh all
fi
