#!/usr/bin/env bash
# Benchmark any already-running server that speaks the ticker.v1 subset.
#   Benchmarks/peers/run_one.sh ws://127.0.0.1:PORT/ws [SERVER_PID]
# or start one of the bench peers fresh for each N (no idle-wait/redo logic: use run_peers.sh for that):
#   Benchmarks/peers/run_one.sh peer:NAME      NAME = ticker node_ws websockets picows aiohttp gorilla gorilla1
# Env: NS="100 1000 4000"  D=15 (seconds)  W=5 (warmup)  T=100 (tick ms the server uses)
#      LABEL=name  OUT=file.jsonl (append JSON lines; stdout always gets them too)
#      LOADGEN_ARGS="--procs 2 ..." (extra loadgen flags)  LOADGEN=py|c (loadgen.py, default, or loadgen_c)
#      peer: mode only: S=50 (symbols)  PORT=19090
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
url=${1:?usage: run_one.sh ws://127.0.0.1:PORT/ws [SERVER_PID] | run_one.sh peer:NAME}
spid=${2:-0}
NS=${NS:-"100 1000 4000"}; D=${D:-15}; W=${W:-5}; T=${T:-100}
peer=
if [[ $url == peer:* ]]; then
  peer=${url#peer:}
  peer_cmd "$peer" || { echo "unknown peer $peer (known: $PEERS_KNOWN)" >&2; exit 2; }
  build_peers "$peer" || exit 1
  PORT=${PORT:-19090}; S=${S:-50}; url=ws://127.0.0.1:$PORT/ws
fi
LABEL=${LABEL:-${peer:-$url}}; OUT=${OUT:-/dev/null}
loadgen_cmd || exit 1
raise_nofile 20000
for n in $NS; do
  if [ -n "$peer" ]; then
    "${PEER_CMD[@]}" --port "$PORT" --symbols "$S" --tick-ms "$T" > "${TMPDIR:-/tmp}/bench-$peer-$n.log" 2>&1 &
    spid=$!
    if ! wait_port "$PORT" 15; then
      stop_pid "$spid"; echo "{\"label\":\"$LABEL\",\"clients\":$n,\"error\":\"server did not start\"}"; continue
    fi
    sleep 1
  fi
  line=$(timeout $((D + W + 150)) "${LOADGEN_CMD[@]}" --url "$url" --clients "$n" \
           --seconds "$D" --warmup "$W" --tick-ms "$T" --server-pid "$spid" --label "$LABEL" ${LOADGEN_ARGS:-})
  rc=$?
  [ -z "$line" ] && line="{\"label\":\"$LABEL\",\"clients\":$n,\"error\":\"loadgen rc=$rc\"}"
  echo "$line"
  [ "$OUT" != /dev/null ] && echo "$line" >> "$OUT"
  [ -n "$peer" ] && stop_pid "$spid"
  sleep 2
done
exit 0
