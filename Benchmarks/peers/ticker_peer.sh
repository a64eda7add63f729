#!/usr/bin/env bash
# ticker as a benchmark peer: takes the peers' flags (--port P --symbols S --tick-ms T) and runs this repository's
# release build with every symbol changing every tick, like the other peers. TICKER_BIN overrides the binary.
set -u
here=$(cd "$(dirname "$0")" && pwd)
bin=${TICKER_BIN:-$here/../../.build/release/ticker}
[ -x "$bin" ] || { echo "no ticker release build at $bin (swift build -c release)" >&2; exit 1; }
port=8080 symbols=50 tick=100 extra=()
while [ $# -gt 0 ]; do
  case $1 in
    --port) port=$2; shift 2 ;;
    --symbols) symbols=$2; shift 2 ;;
    --tick-ms) tick=$2; shift 2 ;;
    *) extra+=("$1"); shift ;;
  esac
done
exec "$bin" serve --port "$port" --symbol-count "$symbols" --tick-ms "$tick" --activity 1 --log-level error ${TICKER_ARGS:-} "${extra[@]}"
