#!/usr/bin/env bash
# A real Apache Kafka cluster on loopback, for tests and development (no Docker): KRaft nodes
# that are broker and controller at once, from Maven Central (tools/kafka-real/pom.xml pins the
# version), kept in a cache between runs.
#
#   scripts/kafka.sh up [--brokers N] [--dir DIR]   N = 1 or 3 (default 1); prints BOOTSTRAP=...
#   scripts/kafka.sh down [--dir DIR] [--keep]       stops every node; deletes DIR unless --keep
#   scripts/kafka.sh kill I [--dir DIR]              SIGKILL node I (1-based)
#   scripts/kafka.sh start I [--dir DIR]             starts node I again, with its data
#   scripts/kafka.sh fetch                           only fills the cache
#
# DIR defaults to $IOT_GATEWAY_KAFKA_DIR, else /tmp/iot-gateway-kafka; the cache to
# $IOT_GATEWAY_CACHE, else ~/.cache/iot-gateway. Each node gets 512 MiB of heap (these
# machines have 2 cores; three nodes take ~1.5 GiB). Needs java (17+), mvn and kcat
# (scripts/install-deps.sh installs them).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
pom="$here/tools/kafka-real/pom.xml"
version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$pom")
cache="${IOT_GATEWAY_CACHE:-$HOME/.cache/iot-gateway}/kafka-$version"
dir="${IOT_GATEWAY_KAFKA_DIR:-/tmp/iot-gateway-kafka}"
brokers=1
keep=0
heap="${IOT_GATEWAY_KAFKA_HEAP:-512m}"

die() { echo "kafka.sh: $*" >&2; exit 1; }

cmd="${1:-}"
[ -n "$cmd" ] && shift
node=""
if [ "$cmd" = kill ] || [ "$cmd" = start ]; then
  node="${1:-}"
  [[ "$node" =~ ^[1-9]$ ]] || die "usage: kafka.sh $cmd I [--dir DIR]"
  shift
fi
while [ $# -gt 0 ]; do
  case "$1" in
    --brokers) brokers="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    *) die "unknown argument '$1'" ;;
  esac
done

fetch() {
  [ -f "$cache/complete" ] && return 0
  command -v mvn >/dev/null || die "mvn is missing (bash scripts/install-deps.sh)"
  echo "kafka.sh: fetching Apache Kafka $version from Maven Central into $cache" >&2
  rm -rf "$cache"
  mkdir -p "$cache"
  mvn -q -B -Dstyle.color=never -f "$pom" dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$cache/lib" >&2
  touch "$cache/complete"
}

java_cp() { echo "$cache/lib/*"; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

pid_of() { cat "$dir/node-$1/pid" 2>/dev/null || true; }

alive() {
  local pid
  pid=$(pid_of "$1")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

start_node() {
  local i=$1
  alive "$i" && return 0
  # shellcheck disable=SC2086
  setsid nohup java -Xms128m -Xmx"$heap" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -Djava.awt.headless=true -Dlog4j2.configurationFile="$dir/log4j2.properties" \
    -cp "$(java_cp)" kafka.Kafka "$dir/node-$i/server.properties" \
    >>"$dir/node-$i/kafka.log" 2>&1 </dev/null &
  echo $! >"$dir/node-$i/pid"
}

# Until every node is in the metadata a broker hands out (or 120 s).
await_brokers() {
  local want=$1 bootstrap=$2
  for _ in $(seq 240); do
    local n
    n=$(kcat -L -b "$bootstrap" -m 5 2>/dev/null | grep -c '^  broker ' || true)
    [ "$n" -ge "$want" ] && return 0
    for i in $(seq "$brokers"); do
      alive "$i" || die "node $i exited during start; see $dir/node-$i/kafka.log"
    done
    sleep 0.5
  done
  die "the cluster did not come up in 120 s; see $dir/node-*/kafka.log"
}

up() {
  [ "$brokers" = 1 ] || [ "$brokers" = 3 ] || die "--brokers must be 1 or 3"
  command -v java >/dev/null || die "java is missing (bash scripts/install-deps.sh)"
  command -v kcat >/dev/null || die "kcat is missing (bash scripts/install-deps.sh)"
  fetch
  if [ -f "$dir/cluster.env" ]; then
    # shellcheck disable=SC1091
    . "$dir/cluster.env"
    for i in $(seq "$brokers"); do start_node "$i"; done
    await_brokers "$brokers" "$BOOTSTRAP"
    echo "BOOTSTRAP=$BOOTSTRAP"
    return 0
  fi
  mkdir -p "$dir"
  cat >"$dir/log4j2.properties" <<'LOG'
status = warn
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.out.ref = out
logger.kafka.name = kafka
logger.kafka.level = warn
logger.apache.name = org.apache.kafka
logger.apache.level = warn
LOG
  local ports=() cports=() voters="" bootstrap=""
  for i in $(seq "$brokers"); do
    ports[$i]=$(free_port)
    cports[$i]=$(free_port)
    voters+="${voters:+,}$i@127.0.0.1:${cports[$i]}"
    bootstrap+="${bootstrap:+,}127.0.0.1:${ports[$i]}"
  done
  local rf=$((brokers < 3 ? brokers : 3)) isr=$((brokers < 3 ? 1 : 2))
  local cluster_id
  cluster_id=$(java -cp "$(java_cp)" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)
  for i in $(seq "$brokers"); do
    mkdir -p "$dir/node-$i/data"
    cat >"$dir/node-$i/server.properties" <<PROPS
node.id=$i
process.roles=broker,controller
listeners=PLAINTEXT://127.0.0.1:${ports[$i]},CONTROLLER://127.0.0.1:${cports[$i]}
advertised.listeners=PLAINTEXT://127.0.0.1:${ports[$i]}
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
controller.quorum.voters=$voters
log.dirs=$dir/node-$i/data
num.partitions=3
default.replication.factor=$rf
min.insync.replicas=$isr
offsets.topic.replication.factor=$rf
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
transaction.state.log.num.partitions=3
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
num.network.threads=2
num.io.threads=2
background.threads=2
log.segment.bytes=67108864
log.retention.check.interval.ms=60000
PROPS
    java -cp "$(java_cp)" -Dlog4j2.configurationFile="$dir/log4j2.properties" \
      kafka.tools.StorageTool format -t "$cluster_id" -c "$dir/node-$i/server.properties" \
      >>"$dir/node-$i/kafka.log" 2>&1 || die "formatting node $i failed; see $dir/node-$i/kafka.log"
  done
  printf 'BOOTSTRAP=%s\nBROKERS=%s\n' "$bootstrap" "$brokers" >"$dir/cluster.env"
  for i in $(seq "$brokers"); do start_node "$i"; done
  await_brokers "$brokers" "$bootstrap"
  echo "BOOTSTRAP=$bootstrap"
}

down() {
  [ -d "$dir" ] || return 0
  for f in "$dir"/node-*/pid; do
    [ -f "$f" ] || continue
    local pid
    pid=$(cat "$f")
    kill "$pid" 2>/dev/null || true
  done
  for f in "$dir"/node-*/pid; do
    [ -f "$f" ] || continue
    local pid
    pid=$(cat "$f")
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$f"
  done
  [ "$keep" = 1 ] || rm -rf "$dir"
}

case "$cmd" in
  up) up ;;
  down) down ;;
  fetch) fetch ;;
  kill)
    pid=$(pid_of "$node")
    [ -n "$pid" ] || die "node $node is not running"
    kill -9 "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    ;;
  start)
    [ -f "$dir/node-$node/server.properties" ] || die "no node $node in $dir"
    start_node "$node"
    ;;
  *) die "usage: kafka.sh up|down|kill I|start I|fetch [--brokers N] [--dir DIR] [--keep]" ;;
esac
