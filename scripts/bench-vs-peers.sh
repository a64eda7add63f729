#!/usr/bin/env bash
# ticker and the reference peers under the same independent load generator, one after the other, on this machine.
# Needs the team's harness beside the project (../shared/bench: apt-get install node-ws; pip install websockets picows
# uvloop orjson) and a release build (swift build -c release). Loopback only; every run is bounded by `timeout`.
#   scripts/bench-vs-peers.sh            # NS="100 1000 4000 10000" PEERS="node_ws websockets picows" OUT=bench-results.jsonl
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
bench=${BENCH:-$root/../shared/bench}
NS=${NS:-"100 1000 4000 10000"}; PEERS=${PEERS:-"node_ws websockets picows"}; OUT=${OUT:-$root/bench-results.jsonl}
port=${PORT:-19050}
ulimit -n "$(ulimit -Hn)"
: > "$OUT"
"$root/.build/release/ticker" serve --port "$port" --symbol-count 50 --activity 1 --tick-ms 100 --log-level error &
spid=$!
trap 'kill $spid 2>/dev/null' EXIT
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
NS="$NS" LABEL=ticker OUT="$OUT" "$bench/run_one.sh" "ws://127.0.0.1:$port/ws" "$spid" > /dev/null
kill -TERM $spid; wait $spid 2>/dev/null
PEERS="$PEERS" NS="$NS" OUT="$OUT.peers" "$bench/run_peers.sh" > /dev/null
cat "$OUT.peers" >> "$OUT" && rm -f "$OUT.peers" "$OUT.peers.prev"
python3 "$bench/table.py" "$OUT"
