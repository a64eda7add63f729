#!/usr/bin/env bash
# permessage-deflate against plain frames, in one run: `ticker bench` at 1,000 and 4,000 clients, each with the
# clients offering compression and without, against a `ticker serve` it starts (50 symbols, every symbol every tick,
# 10 ticks/s). Writes docs/bench-compression.jsonl and prints the table of docs/PERFORMANCE.md ("Compression"):
# bytes on the wire per quote delivered, server CPU per frame, delivery and latency. About 4 minutes; loopback only.
#   scripts/bench-compression.sh       # env: NS (client counts), OUT (results file)
# Needs a release build: swift build -c release --product ticker
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
ticker=$root/.build/release/ticker
OUT=${OUT:-$root/docs/bench-compression.jsonl}
NS=${NS:-"1000 4000"}
[ -x "$ticker" ] || { echo "build ticker first: swift build -c release --product ticker" >&2; exit 1; }
: > "$OUT"
for n in $NS; do
    for compression in off on; do
        echo "ticker bench --clients $n --compression $compression" >&2
        timeout 300 "$ticker" bench --clients "$n" --compression "$compression" --warmup 5 --duration 15 \
            --label "ticker, compression $compression" --format json >> "$OUT" || echo "run failed: $n $compression" >&2
    done
done
python3 - "$OUT" <<'EOF'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
print("| clients | compression | B/quote on the wire | B/quote as JSON | KB/s per client | server CPU % | CPU µs/frame | delivery | p99 ms | load generator CPU % |")
print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for r in rows:
    cpu = r.get("serverCpuPercent") or 0
    per_frame = cpu / 100 * 1e6 / r["framesPerSecond"] if r["framesPerSecond"] else 0
    mode = "permessage-deflate" if r["compressingConnections"] else "off"
    print(f'| {r["connected"]} | {mode} | {r["wireBytesPerQuote"]:.1f} | {r["messageBytesPerQuote"]:.1f} | '
          f'{r["wireBytesPerSecondPerClient"] / 1000:.1f} | {cpu:.1f} | {per_frame:.2f} | {r["deliveryRatio"]:.4f} | '
          f'{r["latencyMs"]["p99"]:.1f} | {r["loadGeneratorCpuPercent"]:.1f}{" (saturated)" if r["loadGeneratorSaturated"] else ""} |')
EOF
