# shellcheck shell=bash
# Shared helpers for run_one.sh / run_peers.sh (sourced, not executed).

raise_nofile() {
  local want=${1:-20000} hard
  hard=$(ulimit -Hn)
  [ "$hard" != unlimited ] && [ "$hard" -lt "$want" ] && want=$hard
  ulimit -n "$want" 2>/dev/null || true
}

# host_busy_pct SECONDS -> prints the host's busy CPU% (0..100*ncpu) over the interval
host_busy_pct() {
  python3 - "$1" <<'PY'
import os, sys, time
def s():
    v = [int(x) for x in open("/proc/stat").readline().split()[1:9]]
    return sum(v), v[3] + v[4]
a = s(); time.sleep(float(sys.argv[1])); b = s()
print(round(100 * os.cpu_count() * (1 - (b[1] - a[1]) / max(1, b[0] - a[0]))))
PY
}

# wait_idle MAX_WAIT_S THRESHOLD_PCT: wait (bounded) until other processes leave the host mostly idle.
# Prints the last measured background busy% so callers can record it.
wait_idle() {
  local max=${1:-120} thr=${2:-25} t0=$SECONDS busy
  while :; do
    busy=$(host_busy_pct 1)
    if [ "$busy" -le "$thr" ] || [ $((SECONDS - t0)) -ge "$max" ]; then echo "$busy"; return; fi
  done
}

# wait_port PORT TIMEOUT_S: wait until something listens on 127.0.0.1:PORT
wait_port() {
  local port=$1 tmo=${2:-15} t0=$SECONDS
  while [ $((SECONDS - t0)) -lt "$tmo" ]; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  return 1
}

# stop_pid PID: SIGTERM the one process we started, SIGKILL it after 5 s if needed
stop_pid() {
  local pid=$1 i
  kill "$pid" 2>/dev/null || return 0
  for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return 0
}

# ---- peers (Benchmarks/peers/peer_*); callers set $here to the bench directory before sourcing this file
# Compiled peers live in $PEER_BIN and are built on demand by build_peers.sh (Go, C++).
PEER_BIN=${PEER_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/ticker-bench-peers}
export PEER_BIN
PEERS_KNOWN="ticker node_ws websockets picows aiohttp gorilla gorilla1"

# peer_cmd NAME -> sets the array PEER_CMD to the command that starts peer NAME (it takes
# --port P --symbols S --tick-ms T); returns 1 for an unknown name.
peer_cmd() {
  case $1 in
    ticker)     PEER_CMD=("$here/ticker_peer.sh") ;;                   # this repository's release build
    node_ws)    PEER_CMD=(node "$here/peer_node_ws.js") ;;
    websockets) PEER_CMD=(python3 "$here/peer_websockets.py") ;;
    picows)     PEER_CMD=(python3 "$here/peer_picows.py") ;;
    aiohttp)    PEER_CMD=(python3 "$here/peer_aiohttp.py") ;;
    gorilla)    PEER_CMD=("$PEER_BIN/peer_gorilla") ;;                 # GOMAXPROCS = all cores (Go default)
    gorilla1)   PEER_CMD=("$PEER_BIN/peer_gorilla" --gomaxprocs 1) ;;  # one core, like the other peers
    *) return 1 ;;
  esac
}

# ---- load generator: LOADGEN=c (Benchmarks/peers/loadgen.c, the default, built on demand) or LOADGEN=py
# (Benchmarks/peers/loadgen.py); loadgen_c goes into $PEER_BIN; both take the same flags and print the same JSON line.
LOADGEN=${LOADGEN:-c}
# loadgen_cmd -> sets the array LOADGEN_CMD; returns 1 for an unknown LOADGEN or a failed build
loadgen_cmd() {
  case $LOADGEN in
    py) LOADGEN_CMD=(python3 "$here/loadgen.py") ;;
    c)  "$here/build_loadgen.sh" >/dev/null || return 1; LOADGEN_CMD=("$PEER_BIN/loadgen_c") ;;
    *)  echo "LOADGEN must be py or c (got '$LOADGEN')" >&2; return 1 ;;
  esac
}

# build_peers NAME... -> builds (if stale) the compiled peers among NAME...; output goes to stderr
build_peers() {
  local want=() p
  for p; do
    case $p in gorilla|gorilla1) want+=(gorilla) ;; esac
  done
  [ ${#want[@]} -eq 0 ] && return 0
  "$here/build_peers.sh" $(printf '%s\n' "${want[@]}" | sort -u) >&2
}
