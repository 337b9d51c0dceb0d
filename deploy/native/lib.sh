# Helpers of deploy/native/up.sh and down.sh (sourced): background processes with pid files
# under $STACK_DIR/run, bounded waits. Every process gets its own session (setsid) so that
# stopping it takes its children too.

log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() {
  printf '%s: error: %s\n' "${0##*/}" "$*" >&2
  exit 1
}

pid_file() { echo "$STACK_DIR/run/$1.pid"; }

# alive NAME: the process started as NAME runs.
alive() {
  local pid
  pid=$(cat "$(pid_file "$1")" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# start_bg NAME LOG CMD...: starts CMD in the background unless NAME already runs (then it is
# left alone: a second up.sh changes nothing that runs).
start_bg() {
  local name=$1 logfile=$2
  shift 2
  if alive "$name"; then
    log "$name runs already (pid $(cat "$(pid_file "$name")"))"
    return 0
  fi
  mkdir -p "$STACK_DIR/run" "$(dirname "$logfile")"
  setsid nohup "$@" >>"$logfile" 2>&1 </dev/null &
  echo $! >"$(pid_file "$name")"
  log "$name started (pid $!, log $logfile)"
}

# stop NAME [SECONDS]: SIGTERM to the process group, SIGKILL after SECONDS (default 30).
stop() {
  local name=$1 wait=${2:-30} pid t0=$SECONDS
  pid=$(cat "$(pid_file "$name")" 2>/dev/null) || return 0
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq $((wait * 10))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    log "$name stopped ($((SECONDS - t0)) s)"
  fi
  rm -f "$(pid_file "$name")"
}

# await NAME SECONDS CMD...: until CMD succeeds; fails when NAME exits or time is up.
await() {
  local name=$1 seconds=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    alive "$name" || die "$name exited during start; see its log under $STACK_DIR/log"
    [ $SECONDS -lt $deadline ] || die "$name not ready after ${seconds}s; see its log under $STACK_DIR/log"
    sleep 1
  done
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The resident memory (MiB) of every process started here and of their children.
stack_rss_mib() {
  local pids="" f
  for f in "$STACK_DIR"/run/*.pid; do
    [ -f "$f" ] || continue
    pids+=" $(cat "$f")"
  done
  local sids
  sids=$(echo "$pids" | tr ' ' ',' | sed 's/^,//')
  [ -n "$sids" ] || { echo 0; return; }
  ps -o rss= --sid "$sids" 2>/dev/null | awk '{s += $1} END {printf "%d\n", s / 1024}'
}
