#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan; fuzz/README.md) in build-fuzz/ and runs each
# on a copy of its seed corpus (fuzz/corpus/<target>/) for N seconds, prints the executions per
# target and fails on any finding (crash, leak, UB report, timeout, out of memory); the inputs
# that caused findings are kept in build-fuzz/findings/.
# Usage: scripts/fuzz.sh [seconds-per-target]   (default 60; FUZZ_JOBS targets at a time,
# default: the number of CPUs)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
jobs=${FUZZ_JOBS:-$(nproc)}

targets=()
for src in fuzz/fuzz_*.cpp; do targets+=("$(basename "$src" .cpp)"); done
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DIOT_GATEWAY_FUZZ=ON -DIOT_GATEWAY_TESTS=OFF -DIOT_GATEWAY_BENCH=OFF \
  -DIOT_GATEWAY_WERROR=ON >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target "${targets[@]}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
findings=build-fuzz/findings
rm -rf "$findings"
mkdir -p "$findings"

run() {  # target: fuzzes a copy of its corpus; leaves $work/<target>.log
  local t=$1
  mkdir -p "$work/$t"
  cp fuzz/corpus/"$t"/* "$work/$t/"
  local args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
    -artifact_prefix="$findings/$t-")
  [ -f fuzz/"$t".dict ] && args+=(-dict=fuzz/"$t".dict)
  UBSAN_OPTIONS=print_stacktrace=1 build-fuzz/fuzz/"$t" "${args[@]}" "$work/$t" \
    >"$work/$t.log" 2>&1 && echo ok >"$work/$t.status" || echo "exit $?" >"$work/$t.status"
}

echo "fuzzing ${#targets[@]} targets for ${seconds}s each, $jobs at a time"
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
  run "$t" &
done
wait

count() { find "$1" -maxdepth 1 -type f | wc -l; }
failed=0
for t in "${targets[@]}"; do
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t.log" | tail -1)
  status=$(cat "$work/$t.status" 2>/dev/null || echo "did not finish")
  if [ "$status" = ok ] && [ -z "$(find "$findings" -name "$t-*")" ]; then
    printf '%-22s %12s executions in %ss, corpus %d -> %d inputs\n' "$t" "${execs:-?}" \
      "$seconds" "$(count fuzz/corpus/"$t")" "$(count "$work/$t")"
  else
    failed=1
    printf '%-22s FINDING (%s) after %s executions; the report:\n' "$t" "$status" "${execs:-?}"
    grep -v -E '^(#[0-9]+|INFO:|Dictionary:)' "$work/$t.log" | tail -60
  fi
done
if [ "$failed" != 0 ]; then
  echo "fuzz: findings; inputs in $findings/ (reproduce: build-fuzz/fuzz/<target> <input>)"
  exit 1
fi
echo "fuzz: no findings"
