#!/usr/bin/env bash
# Kafka sink throughput against kcat -P, in the same run, on the same mock cluster.
#
#   bash bench/bench_kafka.sh [DURATION=10m] [REPETITIONS=3]
#
# 1. Starts tools/kafka-mock (3 brokers, 12 partitions per topic).
# 2. Untimed: one virtual-clock run with the file sink only, over the 1,000-device Zürich
#    registry (1 access event per device per second), to get every record; they are turned
#    into key<TAB>value files for kcat.
# 3. Timed: the same run with the Kafka sink only (fresh data_dir each time): wall time of the
#    whole `iot-gateway run` (simulator, pipeline, SQLite buffer and delivery with confirmed
#    delivery reports) -> events/s and records/s.
# 4. Timed: `kcat -P` producing the same records, one topic after the other, with the gateway's
#    producer settings (idempotence, acks=all, lz4, linger.ms=5) -> records/s.
# Reports medians of the repetitions and the ratio gateway records/s : kcat records/s.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10m}
reps=${2:-3}
gw=build/iot-gateway
mock=build/tools/kafka-mock/kafka-mock
work=$(mktemp -d /tmp/iot-gateway-bench-kafka.XXXXXX)
trap 'exec 3>&-; rm -rf "$work"' EXIT

mkfifo "$work/mock.in"
setsid "$mock" --partitions 12 <"$work/mock.in" >"$work/mock.out" &
exec 3>"$work/mock.in"
for _ in $(seq 100); do grep -q '^bootstrap=' "$work/mock.out" && break; sleep 0.1; done
bootstrap=$(sed -n 's/^bootstrap=//p' "$work/mock.out")

common=(--set simulator.clock=virtual --set "simulator.duration=$duration"
        --set simulator.devices_file="$PWD/data/devices_zurich.json"
        --set simulator.access.interval=1s --set gateway.id=bench --set http.listen=127.0.0.1:0)
"$gw" run -c config/iot-gateway.yaml "${common[@]}" --set gateway.data_dir="$work/ref" \
  --set sinks.kafka.enabled=false --set sinks.file.enabled=true --set sinks.file.path="$work/ref/out" 2>/dev/null
records=0
for f in "$work"/ref/out/*.ndjson; do
  topic=$(basename "$f" .ndjson)
  # key<TAB>value; the key is the record's key field (store_id or deviceId).
  /usr/bin/python3 - "$f" "$work/$topic.tsv" <<'PY'
import json, sys
out = open(sys.argv[2], "w")
for line in open(sys.argv[1]):
    r = json.loads(line)
    key = r.get("deviceId") if "deviceId" in r else r["store_id"]
    out.write(key + "\t" + line)
PY
  records=$((records + $(wc -l <"$f")))
done
events=$(( $(wc -l <"$work/ref/out/SALES.ndjson") + $(wc -l <"$work/ref/out/EVENTS.ndjson") ))

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
now() { date +%s.%N; }
gw_times=() kcat_times=()
for i in $(seq "$reps"); do
  t0=$(now)
  "$gw" run -c config/iot-gateway.yaml "${common[@]}" --set gateway.data_dir="$work/run$i" \
    --set sinks.kafka.brokers="$bootstrap" 2>"$work/run$i.log"
  t1=$(now)
  gw_times+=("$(echo "$t1 - $t0" | bc -l)")
  t0=$(now)
  for f in "$work"/*.tsv; do
    kcat -P -b "$bootstrap" -t "$(basename "$f" .tsv)" -K $'\t' -X enable.idempotence=true \
      -X acks=all -X compression.type=lz4 -X linger.ms=5 <"$f"
  done
  t1=$(now)
  kcat_times+=("$(echo "$t1 - $t0" | bc -l)")
done
gw_t=$(printf '%s\n' "${gw_times[@]}" | median)
kcat_t=$(printf '%s\n' "${kcat_times[@]}" | median)
printf 'virtual run of %s: %d events -> %d records (%s MB of JSON)\n' "$duration" "$events" "$records" \
  "$(du -sm "$work/ref/out" | cut -f1)"
printf 'iot-gateway run, Kafka sink only (median of %d): %.2f s = %.0f events/s, %.0f records/s\n' \
  "$reps" "$gw_t" "$(echo "$events / $gw_t" | bc -l)" "$(echo "$records / $gw_t" | bc -l)"
printf 'kcat -P, same records, same settings (median of %d): %.2f s = %.0f records/s\n' \
  "$reps" "$kcat_t" "$(echo "$records / $kcat_t" | bc -l)"
printf 'ratio iot-gateway : kcat (records/s) = %.2f\n' "$(echo "$kcat_t / $gw_t" | bc -l)"
