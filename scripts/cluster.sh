#!/usr/bin/env bash
# The one-command cluster, on loopback: a throwaway PostgreSQL, two feeds (leader and standby), two edges and nginx.
#
#   scripts/cluster.sh up       # installs what is missing (apt-get, as root), starts everything, prints the URLs
#   scripts/cluster.sh status   # what runs, and each edge's /healthz
#   scripts/cluster.sh down     # stops only what `up` started, and deletes its directory
#
# Ports: nginx 8080, edges 8081 and 8082, PostgreSQL 54329 (override with CLUSTER_PORT, EDGE_A, EDGE_B, PG_PORT).
# Everything lives in $CLUSTER_DIR (default /tmp/ticker-cluster): data, logs and the pids of what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${CLUSTER_DIR:-/tmp/ticker-cluster}
PORT=${CLUSTER_PORT:-8080}; EDGE_A=${EDGE_A:-8081}; EDGE_B=${EDGE_B:-8082}; PG_PORT=${PG_PORT:-54329}
URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
TICKER=${TICKER:-$PWD/.build/debug/ticker}

as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pgbin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
alive() { [ -f "$DIR/$1.pid" ] && kill -0 "$(cat "$DIR/$1.pid")" 2>/dev/null; }
start() { # name, command...
    local name=$1; shift
    "$@" >"$DIR/$name.log" 2>&1 &
    echo $! >"$DIR/$name.pid"
}
wait_for() { # what, command: up to 20 s
    local what=$1; shift
    for _ in $(seq 1 100); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
    echo "cluster: $what did not come up; see $DIR" >&2; return 1
}

up() {
    if [ -e "$DIR" ]; then echo "cluster: $DIR exists: already up? (scripts/cluster.sh down first)" >&2; exit 1; fi
    local missing=()
    [ -n "$(pgbin)" ] || missing+=(postgresql)
    command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
    command -v curl >/dev/null 2>&1 || missing+=(curl)
    if [ ${#missing[@]} -gt 0 ]; then
        echo "cluster: installing ${missing[*]}"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
    [ -x "$TICKER" ] || swift build --product ticker
    mkdir -p "$DIR/nginx/logs" "$DIR/nginx/tmp"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$DIR"
    local bin; bin=$(pgbin)
    as_postgres "$bin/initdb" -D "$DIR/pg" -U postgres -A trust -E UTF8 --no-sync >"$DIR/initdb.log"
    as_postgres "$bin/pg_ctl" -D "$DIR/pg" -l "$DIR/postgres.log" -w \
        -o "-c listen_addresses=127.0.0.1 -c port=$PG_PORT -c unix_socket_directories=$DIR" start >/dev/null
    start feed-1 "$TICKER" feed --database "$URL"
    wait_for "the leading feed" grep -q "leading epoch" "$DIR/feed-1.log"
    start feed-2 "$TICKER" feed --database "$URL"
    start edge-a "$TICKER" serve --port "$EDGE_A" --database "$URL" --node-name edge-a
    start edge-b "$TICKER" serve --port "$EDGE_B" --database "$URL" --node-name edge-b
    wait_for "edge-a" curl -sf "http://127.0.0.1:$EDGE_A/healthz"
    wait_for "edge-b" curl -sf "http://127.0.0.1:$EDGE_B/healthz"
    sed -e "s/127.0.0.1:8080/127.0.0.1:$PORT/" -e "s/127.0.0.1:8081/127.0.0.1:$EDGE_A/" -e "s/127.0.0.1:8082/127.0.0.1:$EDGE_B/" \
        deploy/nginx.conf >"$DIR/nginx/nginx.conf"
    local nginx; nginx=$(command -v nginx || echo /usr/sbin/nginx)
    start nginx "$nginx" -p "$DIR/nginx" -c nginx.conf -g "daemon off;"
    wait_for "nginx" curl -sf "http://127.0.0.1:$PORT/healthz"
    cat <<INFO
cluster: up
  balancer  ws://127.0.0.1:$PORT/ws   (dashboard http://127.0.0.1:$PORT/)
  edge-a    ws://127.0.0.1:$EDGE_A/ws   pid $(cat "$DIR/edge-a.pid")
  edge-b    ws://127.0.0.1:$EDGE_B/ws   pid $(cat "$DIR/edge-b.pid")
  feeds     pids $(cat "$DIR/feed-1.pid") (leader) and $(cat "$DIR/feed-2.pid") (standby)
  database  $URL
try: $TICKER watch --url ws://127.0.0.1:$PORT/ws    then: kill \$(cat $DIR/edge-a.pid)
INFO
}

status() {
    [ -d "$DIR" ] || { echo "cluster: down"; return; }
    for name in feed-1 feed-2 edge-a edge-b nginx; do
        if alive "$name"; then echo "$name: running (pid $(cat "$DIR/$name.pid"))"; else echo "$name: not running"; fi
    done
    for port in "$EDGE_A" "$EDGE_B"; do echo "edge :$port /healthz: $(curl -s "http://127.0.0.1:$port/healthz" || echo unreachable)"; done
}

down() {
    [ -d "$DIR" ] || { echo "cluster: down"; return; }
    for name in nginx edge-a edge-b feed-2 feed-1; do
        if alive "$name"; then kill "$(cat "$DIR/$name.pid")"; fi
    done
    local bin; bin=$(pgbin)
    [ -f "$DIR/pg/postmaster.pid" ] && as_postgres "$bin/pg_ctl" -D "$DIR/pg" -m fast -w stop >/dev/null || true
    rm -rf "$DIR"
    echo "cluster: down"
}

case "${1:-}" in
    up) up ;;
    status) status ;;
    down) down ;;
    *) echo "usage: scripts/cluster.sh up|down|status" >&2; exit 64 ;;
esac
