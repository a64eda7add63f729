#!/usr/bin/env bash
# Build the compiled peers into $PEER_BIN (default ${XDG_CACHE_HOME:-$HOME/.cache}/ticker-bench-peers):
#   Benchmarks/peers/build_peers.sh [gorilla]   (default: gorilla; a binary is rebuilt only when its source is newer)
# gorilla: Go 1.19 + gorilla/websocket 1.5 from Debian, GOPATH mode (no module proxy):
#          apt-get install golang-go golang-github-gorilla-websocket-dev
# Compiles at nice 10.  Prints the binaries' paths; exit status 1 if any requested build failed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
BIN=${PEER_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/ticker-bench-peers}
mkdir -p "$BIN"
what=${*:-gorilla}
rc=0

stale() {  # stale BINARY SOURCES... -> true when BINARY is missing or older than a source
  local out=$1 f; shift
  [ -x "$out" ] || return 0
  for f; do [ "$f" -nt "$out" ] && return 0; done
  return 1
}

build_gorilla() {
  local out=$BIN/peer_gorilla src=$here/peer_gorilla.go
  stale "$out" "$src" || { echo "$out"; return 0; }
  command -v go >/dev/null || { echo "gorilla: no 'go' (apt-get install golang-go golang-github-gorilla-websocket-dev)" >&2; return 1; }
  [ -d /usr/share/gocode/src/github.com/gorilla/websocket ] \
    || { echo "gorilla: no /usr/share/gocode/src/github.com/gorilla/websocket (apt-get install golang-github-gorilla-websocket-dev)" >&2; return 1; }
  # single-file GOPATH build: the Debian package puts the library under /usr/share/gocode/src
  (cd "$here" && GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= GOPROXY=off \
     nice -n 10 go build -trimpath -o "$out.tmp" peer_gorilla.go) && mv "$out.tmp" "$out" && echo "$out"
}

for p in $what; do
  case $p in
    gorilla) build_gorilla || { echo "gorilla: build failed" >&2; rc=1; } ;;
    *) echo "unknown compiled peer $p (gorilla)" >&2; rc=1 ;;
  esac
done
exit $rc
