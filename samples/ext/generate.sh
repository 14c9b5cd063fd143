#!/usr/bin/env bash
# Regenerates the dumps in samples/ext/ from the programs in
# samples/ext/programs: healthy, busy services built with real, widely used
# Go modules (nats-server and nats.go, grpc-go, lib/pq over database/sql,
# etcd's raft), each dumped while under load in several forms by the same
# dumpkit as the other samples (debug=2 with Go's goroutineleak profile
# beside it, debug=1, SIGQUIT).
#
# Needs Go >= 1.26 and the modules: from a module proxy (GOPROXY, the
# default), or offline from checkouts of their repositories under
# EXT_SRC=dir (one directory per repository, any name; every go.mod found
# there, at most three levels down, is used as a replacement, and a module
# the build graph names but no checkout provides gets an empty stand-in).
# pq-busy needs a PostgreSQL server: PG_BIN=dir of initdb/pg_ctl (found on
# PATH by default); a throwaway cluster is started on a free port.
# Usage: [EXT_SRC=dir] [ONLY="nats-busy ..."] bash samples/ext/generate.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
progs=$here/programs
shop=$(cd "$here/../programs" && pwd)
build=$(mktemp -d)
trap 'cleanup' EXIT
GO=${GO:-go}
export GOTOOLCHAIN=local GOTELEMETRY=off GOFLAGS=-mod=mod CGO_ENABLED=1
export GOTMPDIR=$build/tmp GOCACHE=${GOCACHE:-$build/cache}
mkdir -p "$GOTMPDIR"
goroot=$($GO env GOROOT)
modcache=$($GO env GOMODCACHE)
pgdata=""

cleanup() {
  if [ -n "$pgdata" ]; then "$PG_BIN/pg_ctl" -D "$pgdata" -m immediate stop >/dev/null 2>&1 || true; fi
  rm -rf "$build"
}

neutral() {
  local args=(-e "s#$goroot#/usr/local/go#g" -e "s#$progs#/home/build/ext#g" -e "s#$shop#/home/build/shop#g"
    -e "s#$build#/tmp/build#g" -e "s#$modcache#/home/build/go/pkg/mod#g")
  [ -n "${EXT_SRC:-}" ] && args+=(-e "s#$EXT_SRC/#/home/build/src/#g")
  sed "${args[@]}"
}

# The module file the build uses: go.mod, plus replacements by local
# checkouts when EXT_SRC is set.
modfile=$build/go.mod
cp "$progs/../go.mod" "$modfile"
sed -i "s#=> ../programs#=> $shop#" "$modfile"
if [ -n "${EXT_SRC:-}" ]; then
  export GOPROXY=off GOSUMDB=off
  while IFS= read -r gomod; do
    mod=$(awk '$1 == "module" { print $2; exit }' "$gomod")
    [ -n "$mod" ] || continue
    grep -q "^replace $mod " "$modfile" && continue
    echo "replace $mod => $(dirname "$gomod")" >>"$modfile"
  done < <(find "$EXT_SRC" -mindepth 2 -maxdepth 4 -name go.mod -not -path '*/testdata/*' \
    -not -path '*/examples/*' -not -path '*/internal/*' -not -path '*/cmd/*' | sort)
fi

# build NAME: builds programs/NAME; offline, every module of the graph that
# no checkout provides gets an empty stand-in until the build goes through.
build() {
  local name=$1 tries=0 missing
  while :; do
    if (cd "$progs" && $GO build -modfile="$modfile" -o "$build/bin/$name" "./$name") 2>"$build/err"; then
      return 0
    fi
    missing=$(grep -oE '(module|reading) [^ :@]+(@| )[^ :]*: (module lookup disabled|unrecognized import)' "$build/err" |
      awk '{print $2}' | sed 's/@.*//' | sort -u || true)
    [ -z "${EXT_SRC:-}" ] && { cat "$build/err" >&2; return 1; }
    if [ -z "$missing" ] || [ $tries -gt 40 ]; then cat "$build/err" >&2; return 1; fi
    for m in $missing; do
      mkdir -p "$build/stub/$m"
      echo "module $m" >"$build/stub/$m/go.mod"
      echo "replace $m => $build/stub/$m" >>"$modfile"
    done
    tries=$((tries + 1))
  done
}

# capture OUT STREAM BIN [ENV=VALUE...]
capture() {
  local file=$1 stream=$2 bin=$3 tmp=$build/capture
  shift 3
  mkdir -p "$(dirname "$file")"
  (
    cd "$build"
    ulimit -c 0
    if [ "$stream" = stderr ]; then
      env "$@" timeout 120 "$bin" 2>"$tmp" >/dev/null || true
    else
      env "$@" timeout 120 "$bin" >"$tmp" 2>/dev/null || true
    fi
  )
  neutral <"$tmp" >"$file"
  echo "  $(basename "$(dirname "$file")")/$(basename "$file") ($(wc -c <"$file") bytes)"
}

start_postgres() {
  PG_BIN=${PG_BIN:-$(dirname "$(command -v pg_ctl)")}
  pgdata=$build/pg
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  local user=postgres
  [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1 && chown -R postgres "$build" || user=$(id -un)
  run_pg() { if [ "$user" = postgres ] && [ "$(id -u)" = 0 ]; then su postgres -c "$*"; else sh -c "$*"; fi; }
  run_pg "'$PG_BIN/initdb' -D '$pgdata' -U postgres -A trust" >/dev/null
  run_pg "'$PG_BIN/pg_ctl' -D '$pgdata' -o '-p $port -k $build -c listen_addresses=127.0.0.1' -w start -l '$build/pg.log'" >/dev/null
  export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres
}

programs=${ONLY:-nats-busy grpc-busy pq-busy raft-busy}
echo "building with $($GO env GOVERSION)"
for p in $programs; do build "$p"; done
for p in $programs; do
  [ "$p" = pq-busy ] && start_postgres
  d=$here/$p
  bin=$build/bin/$p
  capture "$d/debug2.txt" stdout "$bin" DUMP_FORM=profiles SETTLE=1s \
    LEAK2_OUT="$build/leak2" LEAK1_OUT="$build/leak1" DEBUG1_OUT="$build/debug1"
  neutral <"$build/leak2" >"$d/leak-debug2.txt"
  neutral <"$build/debug1" >"$d/debug1.txt"
  capture "$d/sigquit.txt" stderr "$bin" DUMP_FORM=sigquit SETTLE=1s
done
if grep -rlE '/work/|/root/|/tmp/go-build[0-9]' "$here"/*/*.txt; then
  echo "machine paths left in the files above" >&2
  exit 1
fi
echo done
