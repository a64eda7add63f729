#!/usr/bin/env bash
# Start each peer server on loopback, load it with N = 100, 1000, 4000 clients
# (T=100 ms, S=50, D=15 s), stop only the server pid we started, and append one
# JSON line per run to results-peers.jsonl.  A fresh server is started per (peer, N).
# Env: PEERS="ticker node_ws gorilla websockets picows aiohttp" NS="100 1000 4000" D=15 W=5 T=100 S=50
#      (known peers: ticker node_ws websockets picows aiohttp gorilla gorilla1; gorilla* is compiled by build_peers.sh
#       into $PEER_BIN first, ticker is the release build of this repository; see README.md)
#      OUT=results-peers.jsonl  IDLE_WAIT=120 (max s to wait for a quiet host)  LOADGEN_ARGS=...
#      LOADGEN=c|py -> the C load generator (default: Benchmarks/peers/loadgen.c -> $PEER_BIN/loadgen_c, built on
#                      demand; its rows carry "loadgen": "c") or Benchmarks/peers/loadgen.py
#      OTHER_MAX=30 -> redo a run (max 3 tries) when other processes used more than this CPU% in its window
#      MERGE=1 -> keep OUT and replace only the (peer, N) rows re-run now
#      PIN=1 -> server pinned to CPU 0 and load generator to CPU 1 (taskset; use LOADGEN_ARGS="--procs 1"); default: unpinned
set -u
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
. ./common.sh
PEERS=${PEERS:-"ticker node_ws gorilla websockets picows aiohttp"}
NS=${NS:-"100 1000 4000"}; D=${D:-15}; W=${W:-5}; T=${T:-100}; S=${S:-50}
OUT=${OUT:-$here/results-peers.jsonl}; IDLE_WAIT=${IDLE_WAIT:-120}; OTHER_MAX=${OTHER_MAX:-30}
PORT_BASE=${PORT_BASE:-19100}
loadgen_cmd || exit 1
raise_nofile 20000
spin=(); lpin=(); suffix=
if [ "${PIN:-0}" = 1 ]; then spin=(taskset -c 0); lpin=(taskset -c 1); suffix=-pinned; fi
FINAL=$OUT
if [ "${MERGE:-0}" = 1 ]; then
  OUT=$FINAL.merge      # redo some cases: their rows replace same (label, clients) rows in FINAL
else
  [ -s "$OUT" ] && mv "$OUT" "$OUT.prev"
  rm -f "$OUT.discarded"
fi
: > "$OUT"
build_peers $PEERS || echo "# a compiled peer did not build; its rows will say so" >&2
i=0
for peer in $PEERS; do
  if ! peer_cmd "$peer"; then echo "unknown peer $peer (known: $PEERS_KNOWN)" >&2; continue; fi
  cmd=("${PEER_CMD[@]}")
  if [[ ${cmd[0]} == /* && ! -x ${cmd[0]} ]]; then
    for n in $NS; do echo "{\"label\":\"$peer\",\"clients\":$n,\"error\":\"not built: ${cmd[0]}\"}" | tee -a "$OUT"; done
    continue
  fi
  for n in $NS; do
    for try in 1 2 3; do
      i=$((i + 1)); port=$((PORT_BASE + i))
      bg=$(wait_idle "$IDLE_WAIT" 25)
      "${spin[@]}" "${cmd[@]}" --port "$port" --symbols "$S" --tick-ms "$T" > "${TMPDIR:-/tmp}/bench-$peer-$n.log" 2>&1 &
      spid=$!
      if ! wait_port "$port" 15; then
        line="{\"label\":\"$peer\",\"clients\":$n,\"error\":\"server did not start\"}"
        stop_pid "$spid"; echo "$line" | tee -a "$OUT"; break
      fi
      sleep 1
      line=$(timeout $((D + W + 150)) "${lpin[@]}" "${LOADGEN_CMD[@]}" --url "ws://127.0.0.1:$port/ws" --clients "$n" \
               --seconds "$D" --warmup "$W" --tick-ms "$T" --server-pid "$spid" --label "$peer$suffix" ${LOADGEN_ARGS:-})
      rc=$?
      stop_pid "$spid"
      [ -z "$line" ] && line="{\"label\":\"$peer\",\"clients\":$n,\"error\":\"loadgen rc=$rc\"}"
      # record background load before the run and the attempt number; decide whether other
      # processes on the host (not server, not loadgen) disturbed the window enough to redo it
      line=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); d["host_busy_before_pct"]=int(sys.argv[2]); d["attempt"]=int(sys.argv[3]); print(json.dumps(d))' "$line" "$bg" "$try")
      other=$(python3 -c 'import json,sys; print(int(json.loads(sys.argv[1]).get("host_other_cpu_pct") or 0))' "$line")
      if [ "$other" -gt "$OTHER_MAX" ] && [ "$try" -lt 3 ]; then
        echo "# $peer N=$n: other processes used ${other}% CPU during the window, redoing" >&2
        echo "$line" >> "$OUT.discarded"
        sleep 2; continue
      fi
      echo "$line" | tee -a "$OUT" | cut -c1-200
      break
    done
    sleep 2
  done
done
if [ "${MERGE:-0}" = 1 ]; then
  python3 - "$FINAL" "$OUT" <<'PY'
import json, sys
final, new = sys.argv[1], sys.argv[2]
key = lambda d: (d.get("label"), d.get("clients"))
rows = [json.loads(l) for l in open(final) if l.strip()]
fresh = {key(d): d for d in (json.loads(l) for l in open(new) if l.strip())}
out = [fresh.pop(key(d), d) for d in rows] + list(fresh.values())
open(final, "w").write("".join(json.dumps(d) + "\n" for d in out))
PY
  rm -f "$OUT"
fi
python3 report.py "$FINAL"
