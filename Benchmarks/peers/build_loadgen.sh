#!/usr/bin/env bash
# Build the C load generator: Benchmarks/peers/loadgen.c -> ${PEER_BIN:-~/.cache/ticker-bench-peers}/loadgen_c
# (gcc or clang, no libraries beyond libc/libm/pthread; rebuilt only when loadgen.c is newer).  Prints its path.
set -u
here=$(cd "$(dirname "$0")" && pwd)
BIN=${PEER_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/ticker-bench-peers}
out=$BIN/loadgen_c src=$here/loadgen.c
mkdir -p "$BIN"
if [ ! -x "$out" ] || [ "$src" -nt "$out" ]; then
  ${CC:-cc} -O2 -Wall -o "$out.tmp" "$src" -lm -lpthread && mv "$out.tmp" "$out" || { echo "loadgen_c: build failed" >&2; exit 1; }
fi
echo "$out"
