# Apache Druid for deploy/native (sourced by up.sh and down.sh): fetched from Maven Central
# into the cache as the distribution lays it out (lib/, extensions/<name>/), configured for one
# machine with 2 cores like the nano quickstart, but with an Indexer (tasks in one JVM) instead
# of a MiddleManager and its peon JVMs: ZooKeeper (from Druid's lib/), coordinator+overlord
# (Derby metadata inside), broker, historical, indexer, router. Local deep storage.

DRUID_POM="$REPO/tools/druid-real/pom.xml"
DRUID_VERSION=$(sed -n 's:.*<druid.version>\(.*\)</druid.version>.*:\1:p' "$DRUID_POM")
DRUID_HOME="$CACHE/druid-$DRUID_VERSION"
# Wanted extensions; those Maven Central does not serve for $DRUID_VERSION are left out (logged).
DRUID_EXTENSIONS=(druid-kafka-indexing-service druid-avro-extensions druid-basic-security)
DRUID_SERVICES=(coordinator-overlord broker historical indexer router)
ZK_PORT=2181 DERBY_PORT=1527 ROUTER_PORT=8888
declare -A DRUID_PORT=([coordinator-overlord]=8081 [broker]=8082 [historical]=8083 [indexer]=8091 [router]=8888)
declare -A DRUID_HEAP=([coordinator-overlord]=256m [broker]=256m [historical]=256m [indexer]=768m [router]=128m)

mvn_copy() { # GROUP ARTIFACT DEST
  mvn -q -B -Dstyle.color=never -f "$DRUID_POM" -Ddruid.group="$1" -Ddruid.artifact="$2" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$3" \
    >"$DRUID_HOME/fetch-${3##*/}.log" 2>&1
}

druid_fetch() {
  [ -f "$DRUID_HOME/complete" ] && return 0
  command -v mvn >/dev/null || die "mvn is missing (bash scripts/install-deps.sh)"
  log "fetching Apache Druid $DRUID_VERSION from Maven Central into $DRUID_HOME"
  rm -rf "$DRUID_HOME"
  mkdir -p "$DRUID_HOME/extensions"
  mvn_copy org.apache.druid druid-services "$DRUID_HOME/lib" ||
    die "fetching druid-services failed; see $DRUID_HOME/fetch-lib.log"
  local e
  for e in "${DRUID_EXTENSIONS[@]}"; do
    if ! mvn_copy org.apache.druid.extensions "$e" "$DRUID_HOME/extensions/$e"; then
      log "extension $e $DRUID_VERSION is not served by Maven Central: left out"
      rm -rf "$DRUID_HOME/extensions/$e"
    fi
  done
  touch "$DRUID_HOME/complete"
}

# The extensions present in the cache, as a JSON list.
druid_load_list() {
  local e list=""
  for e in "${DRUID_EXTENSIONS[@]}"; do
    [ -d "$DRUID_HOME/extensions/$e" ] && list+="${list:+,}\"$e\""
  done
  echo "[$list]"
}

druid_has() { [ -d "$DRUID_HOME/extensions/$1" ]; }

druid_configure() {
  local conf="$STACK_DIR/druid/conf" var="$STACK_DIR/druid/var"
  mkdir -p "$conf/_common" "$var"
  cat >"$conf/_common/common.runtime.properties" <<PROPS
druid.extensions.directory=$DRUID_HOME/extensions
druid.extensions.loadList=$(druid_load_list)
druid.extensions.useExtensionClassloaderFirst=true
druid.host=127.0.0.1
druid.startup.logging.logProperties=false
druid.zk.service.host=127.0.0.1:$ZK_PORT
druid.zk.paths.base=/druid
druid.metadata.storage.type=derby
druid.metadata.storage.connector.connectURI=jdbc:derby://127.0.0.1:$DERBY_PORT/$var/metadata.db;create=true
druid.metadata.storage.connector.host=127.0.0.1
druid.metadata.storage.connector.port=$DERBY_PORT
druid.storage.type=local
druid.storage.storageDirectory=$var/segments
druid.indexer.logs.type=file
druid.indexer.logs.directory=$var/indexing-logs
druid.selectors.indexing.serviceName=druid/overlord
druid.selectors.coordinator.serviceName=druid/coordinator
druid.monitoring.monitors=[]
druid.emitter=noop
druid.sql.enable=true
druid.lookup.enableLookupSyncOnStartup=false
druid.server.hiddenProperties=["druid.auth.authenticator.basic.initialAdminPassword","druid.auth.authenticator.basic.initialInternalClientPassword","druid.escalator.internalClientPassword","password"]
PROPS
  if druid_has druid-basic-security; then
    cat >>"$conf/_common/common.runtime.properties" <<PROPS
druid.auth.authenticatorChain=["basic"]
druid.auth.authenticator.basic.type=basic
druid.auth.authenticator.basic.initialAdminPassword=$DRUID_ADMIN_PASSWORD
druid.auth.authenticator.basic.initialInternalClientPassword=$DRUID_SYSTEM_PASSWORD
druid.auth.authenticator.basic.credentialsValidator.type=metadata
druid.auth.authenticator.basic.skipOnFailure=false
druid.auth.authenticator.basic.authorizerName=basic
druid.escalator.type=basic
druid.escalator.internalClientUsername=druid_system
druid.escalator.internalClientPassword=$DRUID_SYSTEM_PASSWORD
druid.escalator.authorizerName=basic
druid.auth.authorizers=["basic"]
druid.auth.authorizer.basic.type=basic
PROPS
  fi
  local s
  for s in "${DRUID_SERVICES[@]}"; do
    mkdir -p "$conf/$s"
    {
      echo "druid.service=druid/${s%-overlord}"
      echo "druid.plaintextPort=${DRUID_PORT[$s]}"
      case $s in
        coordinator-overlord)
          echo "druid.coordinator.startDelay=PT10S"
          echo "druid.coordinator.period=PT5S"
          echo "druid.manager.segments.pollDuration=PT5S"
          echo "druid.coordinator.asOverlord.enabled=true"
          echo "druid.coordinator.asOverlord.overlordService=druid/overlord"
          echo "druid.indexer.queue.startDelay=PT5S"
          echo "druid.indexer.storage.type=metadata"
          ;;
        broker | historical | indexer)
          echo "druid.processing.buffer.sizeBytes=32MiB"
          echo "druid.processing.numMergeBuffers=2"
          echo "druid.processing.numThreads=1"
          echo "druid.server.http.numThreads=12"
          ;;&
        broker)
          echo "druid.broker.http.numConnections=5"
          echo "druid.sql.planner.useGroupingSetForExactDistinct=true"
          ;;
        historical)
          echo "druid.segmentCache.locations=[{\"path\":\"$var/segment-cache\",\"maxSize\":\"10GiB\"}]"
          echo "druid.server.maxSize=10GiB"
          ;;
        indexer)
          # One slot per Kafka supervisor task (SALES, DEVICES, EVENTS, EVENTS_GEO, twice while
          # handing off) and the gateway's batch tasks.
          echo "druid.worker.capacity=8"
          echo "druid.worker.baseTaskDirs=[\"$var/task\"]"
          echo "druid.worker.globalIngestionHeapLimitBytes=268435456"
          # On SIGTERM the Kafka tasks persist what they hold and resume on the next start.
          echo "druid.indexer.task.restoreTasksOnRestart=true"
          echo "druid.indexer.task.gracefulShutdownTimeout=PT20S"
          ;;
        router)
          echo "druid.router.managementProxy.enabled=true"
          echo "druid.router.http.numConnections=10"
          ;;
      esac
    } >"$conf/$s/runtime.properties"
  done
  cat >"$conf/_common/log4j2.xml" <<'XML'
<Configuration status="WARN">
  <Appenders><Console name="Console" target="SYSTEM_OUT"><PatternLayout pattern="%d{ISO8601} %p [%t] %c - %m%n"/></Console></Appenders>
  <Loggers>
    <Root level="warn"><AppenderRef ref="Console"/></Root>
    <Logger name="org.apache.druid.cli" level="info" additivity="false"><AppenderRef ref="Console"/></Logger>
  </Loggers>
</Configuration>
XML
}

# What the distribution's bin/run-java adds on Java 17 (DataSketches, direct memory, JMX).
druid_java17_flags() {
  echo --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED \
    --add-exports=java.base/jdk.internal.ref=ALL-UNNAMED \
    --add-exports=java.base/sun.nio.ch=ALL-UNNAMED \
    --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED \
    --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED \
    --add-opens=java.base/java.lang=ALL-UNNAMED \
    --add-opens=jdk.management/com.sun.management.internal=ALL-UNNAMED
}

druid_java() { # SERVICE HEAP
  local conf="$STACK_DIR/druid/conf" var="$STACK_DIR/druid/var"
  mkdir -p "$var/tmp"
  echo java -server -Xms64m -Xmx"$2" -XX:MaxDirectMemorySize=256m -XX:+UseSerialGC \
    -XX:+ExitOnOutOfMemoryError -Duser.timezone=UTC -Dfile.encoding=UTF-8 \
    -Djava.io.tmpdir="$var/tmp" -Dderby.stream.error.file="$var/derby.log" \
    -Dlog4j.configurationFile="$conf/_common/log4j2.xml" \
    -Djava.util.logging.manager=org.apache.logging.log4j.jul.LogManager \
    $(druid_java17_flags) -cp "$conf/_common:$conf/$1:$DRUID_HOME/lib/*"
}

druid_start() {
  local var="$STACK_DIR/druid/var" logs="$STACK_DIR/log"
  mkdir -p "$var/zk"
  # shellcheck disable=SC2046
  start_bg zookeeper "$logs/zookeeper.log" java -Xmx64m -XX:+UseSerialGC \
    -Dzookeeper.admin.enableServer=false -Dlog4j.configurationFile="$STACK_DIR/druid/conf/_common/log4j2.xml" \
    -cp "$DRUID_HOME/lib/*" org.apache.zookeeper.server.ZooKeeperServerMain "$ZK_PORT" "$var/zk"
  await zookeeper 60 bash -c "exec 3<>/dev/tcp/127.0.0.1/$ZK_PORT"
  local s
  for s in "${DRUID_SERVICES[@]}"; do
    local name=druid-$s cmd=${s%-overlord}
    # shellcheck disable=SC2046
    start_bg "$name" "$logs/$name.log" $(druid_java "$s" "${DRUID_HEAP[$s]}") \
      org.apache.druid.cli.Main server "$cmd"
    # The coordinator first: it runs Derby, which the others need.
    [ "$s" = coordinator-overlord ] && await "$name" 300 druid_ready "${DRUID_PORT[$s]}"
  done
  for s in "${DRUID_SERVICES[@]}"; do await "druid-$s" 300 druid_ready "${DRUID_PORT[$s]}"; done
}

druid_ready() { curl -sf -m 5 "http://127.0.0.1:$1/status/health" | grep -q true; }

druid_stop() {
  local i
  # The indexer lets its tasks persist what they hold (gracefulShutdownTimeout 20 s) first.
  for ((i = ${#DRUID_SERVICES[@]} - 1; i >= 0; i--)); do stop "druid-${DRUID_SERVICES[$i]}" 90; done
  stop zookeeper
}
