#!/usr/bin/env bash
# Feed ts to client latency, standalone against clustered (feed → PostgreSQL → edge), same machine.
# Run as root (PostgreSQL runs as the postgres user) after `swift build`; PostgreSQL from Debian's postgresql package.
set -euo pipefail
B=${TICKER:-"$(cd "$(dirname "$0")/.." && pwd)/.build/debug/ticker"}
PGT=$(mktemp -d "${TMPDIR:-/tmp}/ticker-pglat.XXXX"); chown postgres:postgres $PGT; P=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
runuser -u postgres -- $P/initdb -D $PGT/data -U postgres -A trust --no-sync >/dev/null
runuser -u postgres -- $P/pg_ctl -D $PGT/data -l $PGT/log -w -o "-c listen_addresses=127.0.0.1 -c port=54340 -c unix_socket_directories=$PGT" start >/dev/null
U=postgres://postgres@127.0.0.1:54340/postgres
$B serve --port 9301 --tick-ms 100 >/dev/null 2>&1 & S=$!
$B feed --database $U --tick-ms 100 >/dev/null 2>&1 & F=$!
sleep 1
$B serve --port 9302 --database $U >/dev/null 2>&1 & E=$!
sleep 2
for port in 9301 9302; do
  $B watch --headless --url ws://127.0.0.1:$port/ws --symbols '*' --format jsonl --duration 20 --compression off 2>/dev/null \
    | python3 -c '
import sys, json
lat = sorted(json.loads(l)["latencyUs"] for l in sys.stdin if "\"quote\"" in l and "latencyUs" in l)
n = len(lat)
print(f"port '$port': {n} quote updates, p50 {lat[n//2]/1000:.2f} ms, p99 {lat[int(n*0.99)]/1000:.2f} ms")'
done
kill $S $E $F; sleep 0.5
runuser -u postgres -- $P/pg_ctl -D $PGT/data -m fast stop >/dev/null; rm -rf $PGT
