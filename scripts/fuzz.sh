#!/usr/bin/env bash
# Fuzzes the client-input decoders (ClientMessage.decode, PollingQuery) with libFuzzer for a bounded time.
#   scripts/fuzz.sh [SECONDS=60]
# Builds the TickerFuzzer product with -sanitize=fuzzer,address into .build-fuzz, starts from the inputs in
# Tests/TickerCoreTests/FuzzInputs (the seeds, and every crash ever found, which `swift test` also replays), and
# exits non-zero on a crash, printing the input to add to that folder as a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
swift build --scratch-path .build-fuzz --product TickerFuzzer \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING 2>&1 | grep -E "error|warning: .*TickerFuzz" || true
binary=.build-fuzz/debug/TickerFuzzer
[ -x "$binary" ] || { echo "fuzz build failed" >&2; exit 1; }
corpus=$(mktemp -d)
artifacts=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
cp Tests/TickerCoreTests/FuzzInputs/* "$corpus/"
if ! "$binary" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$artifacts/" "$corpus" 2>&1 | tail -25; then
    echo "libFuzzer found a crash; add it as a regression input:" >&2
    for crash in "$artifacts"/*; do
        echo "  base64 -d > Tests/TickerCoreTests/FuzzInputs/crash-$(basename "$crash" | cut -c1-16) <<< $(base64 -w0 "$crash")" >&2
    done
    exit 1
fi
echo "fuzzed for ${seconds}s: no crash ($(ls "$corpus" | wc -l) inputs in the corpus)"
