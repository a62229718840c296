#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for tests and the demo.
#   pg.sh start DIR   initdb (as an unprivileged user when run as root), start on a free port,
#                     create database "crm"; prints nothing else on success; DIR/url holds the URL
#   pg.sh stop DIR    fast shutdown
#   pg.sh restart DIR fast restart on the same port (fault tests: connections are cut)
#   pg.sh url DIR     the superuser URL of the "crm" database
set -euo pipefail
cmd=${1:?usage: pg.sh start|stop|restart|url DIR}
dir=${2:?usage: pg.sh start|stop|restart|url DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

pgbin() {
  local b
  for b in /usr/lib/postgresql/15/bin $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$b/initdb" ] && { echo "$b"; return; }
  done
  command -v initdb >/dev/null && { dirname "$(command -v initdb)"; return; }
  echo "pg.sh: PostgreSQL server binaries not found: install postgresql-15 (make deps does)" >&2
  exit 1
}

as_owner() { # run a command as the cluster owner
  if [ "$(id -u)" = 0 ]; then runuser -u "$PGUSER_OS" -- "$@"; else "$@"; fi
}

free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$(( 20000 + (RANDOM * 7 + $$) % 40000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  echo "pg.sh: no free port found" >&2
  exit 1
}

PGUSER_OS=nobody
BIN=$(pgbin)
case "$cmd" in
start)
  data="$dir/data"
  if [ -f "$dir/url" ] && [ -f "$data/postmaster.pid" ] && as_owner "$BIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    exit 0 # already running
  fi
  if [ "$(id -u)" = 0 ]; then
    # the cluster owner must be able to reach DIR; fall back to /tmp when it cannot
    if ! runuser -u "$PGUSER_OS" -- test -x "$dir" 2>/dev/null; then
      real=$(mktemp -d /tmp/crmctl-pg.XXXXXX)
      chmod 755 "$real"
      data="$real/data"
      echo "$real" > "$dir/location"
    fi
  fi
  base=$(dirname "$data")
  rm -rf "$data"
  mkdir -p "$data" "$base/run"
  [ "$(id -u)" = 0 ] && chown -R "$PGUSER_OS" "$data" "$base/run"
  as_owner "$BIN/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 \
    || as_owner "$BIN/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  port=$(free_port)
  log="$base/run/postgres.log"
  as_owner "$BIN/pg_ctl" -D "$data" -l "$log" -w -t 60 \
    -o "-p $port -k $base/run -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 -c shared_buffers=128MB" \
    start >/dev/null || { cat "$log" >&2; exit 1; }
  echo "$data" > "$dir/datadir"
  echo "$log" > "$dir/logfile"
  url="postgresql://postgres@127.0.0.1:$port/crm"
  "$BIN/psql" -q -X "postgresql://postgres@127.0.0.1:$port/postgres" -c "CREATE DATABASE crm" >/dev/null
  echo "$url" > "$dir/url"
  ;;
stop)
  [ -f "$dir/datadir" ] || exit 0
  data=$(cat "$dir/datadir")
  as_owner "$BIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
  rm -f "$dir/url"
  ;;
restart)
  data=$(cat "$dir/datadir")
  as_owner "$BIN/pg_ctl" -D "$data" -m fast -w -t 60 restart -l "$(cat "$dir/logfile")" >/dev/null
  ;;
url)
  cat "$dir/url"
  ;;
*)
  echo "usage: pg.sh start|stop|url DIR" >&2
  exit 2
  ;;
esac
