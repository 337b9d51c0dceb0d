#!/usr/bin/env bash
# Sets everything up on a fresh Debian 12 machine (as root), builds with warnings as errors,
# checks the formatting and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DIOT_GATEWAY_WERROR=ON
cmake --build build -j"$(nproc)"
bash scripts/check-format.sh
npm ci --prefix tests/browser --no-audit --no-fund
ctest --test-dir build --output-on-failure -j"$(nproc)"
