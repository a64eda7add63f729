#!/usr/bin/env bash
# ticker and every shipped peer (Benchmarks/peers: Node ws, Go gorilla/websocket, Python websockets, picows, aiohttp)
# under the same load generator in one run: N = 100, 1,000, 4,000 and 10,000 clients, then memory per idle
# connection at 5,000 and 10,000; writes docs/bench-results.jsonl, prints the table of docs/PERFORMANCE.md and draws
# docs/bench-cpu-per-frame.png and docs/bench-p99-latency.png. About 35 minutes; loopback only, every run bounded.
#   scripts/bench-vs-peers.sh        # env: PEERS NS IDLE_NS OUT LOADGEN (see Benchmarks/peers/README.md)
# Needs a release build (swift build -c release) and the peers' packages (Benchmarks/peers/README.md, "Install").
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
peers=$root/Benchmarks/peers
OUT=${OUT:-$root/docs/bench-results.jsonl}
PEERS=${PEERS:-"ticker node_ws gorilla websockets picows aiohttp"}
[ -x "$root/.build/release/ticker" ] || { echo "build ticker first: swift build -c release" >&2; exit 1; }
PEERS="$PEERS" NS="${NS:-100 1000 4000 10000}" OUT="$OUT" LOADGEN="${LOADGEN:-c}" "$peers/run_peers.sh" > /dev/null
PEERS="$PEERS" NS="${IDLE_NS:-5000 10000}" OUT="$OUT" "$peers/run_idle.sh" > /dev/null
python3 "$peers/report.py" "$OUT" --plots "$root/docs"
