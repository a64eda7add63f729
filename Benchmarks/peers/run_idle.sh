#!/usr/bin/env bash
# Resident memory per idle connection of each peer: a fresh server per (peer, N), N connections upgraded (offering
# ticker.v1) that read their welcome and subscribe to nothing, measured by idle_mem.py; one JSON line per run.
#   Benchmarks/peers/run_idle.sh            # env: PEERS="ticker node_ws gorilla ..." NS="5000 10000" S=50 T=100 OUT=file
# Loopback only; each run is bounded by `timeout`.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
PEERS=${PEERS:-"ticker node_ws gorilla websockets picows aiohttp"}
NS=${NS:-"5000 10000"}; S=${S:-50}; T=${T:-100}; OUT=${OUT:-/dev/null}
PORT_BASE=${PORT_BASE:-19300}
raise_nofile 30000
build_peers $PEERS || echo "# a compiled peer did not build; its rows will say so" >&2
i=0
for peer in $PEERS; do
  peer_cmd "$peer" || { echo "unknown peer $peer (known: $PEERS_KNOWN)" >&2; continue; }
  for n in $NS; do
    i=$((i + 1)); port=$((PORT_BASE + i))
    "${PEER_CMD[@]}" --port "$port" --symbols "$S" --tick-ms "$T" > "${TMPDIR:-/tmp}/idle-$peer-$n.log" 2>&1 &
    spid=$!
    if ! wait_port "$port" 15; then
      stop_pid "$spid"; echo "{\"label\":\"$peer\",\"idle_clients\":$n,\"error\":\"server did not start\"}" | tee -a "$OUT"; continue
    fi
    line=$(timeout 240 python3 "$here/idle_mem.py" --url "ws://127.0.0.1:$port/ws" --server-pid "$spid" --clients "$n" --label "$peer")
    stop_pid "$spid"
    [ -z "$line" ] && line="{\"label\":\"$peer\",\"idle_clients\":$n,\"error\":\"idle_mem failed\"}"
    echo "$line" | python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); d["idle_clients"]=d.pop("clients", None) or d.get("idle_clients"); d["kind"]="idle"; print(json.dumps(d))' | tee -a "$OUT"
    sleep 2
  done
done
