#!/usr/bin/env bash
# The webhook daemon benchmark (docs/benchmarks.md, "Webhook daemon"), run by `bench/run.sh BUILD
# webhooks` (and `make bench`). Signed Vapi end-of-call reports (~2 KB of transcript each) into a
# PostgreSQL cluster of its own with durable commits (fsync, synchronous_commit and
# full_page_writes on), side by side in one run:
#   1. crmctl serve (group commit), open-loop at rising fixed rates until saturated, then at half
#      of its saturated rate; then the same load as messages it verifies but does not store (the
#      receiver's ceiling without database work);
#   2. the Express + pg receiver of bench/express/server.js (one event per transaction), same load;
#   3. pgbench: the same calls upsert statement alone, one per transaction (the database's
#      per-statement limit), and the whole event (the Express receiver's statements) per
#      transaction, both at the Express pool's concurrency; and crmctl's group-commit statements
#      for 64 events per transaction with 2 clients (the database's ceiling with batching).
# Load: bench/webhook_load.cpp (crm-bench-webhook-load). CPU: /proc/PID/stat of the receiver
# (utime + stime) and of the cluster (postmaster, its reaped children and its live children).
#   bench/webhooks.sh BUILD
# Knobs (environment): BENCH_WEBHOOK_SECONDS (10 per rate point), BENCH_WEBHOOK_RATES (the rising
# rates), BENCH_WEBHOOK_CONNECTIONS (64 HTTP connections), BENCH_WEBHOOK_POOL (16: Express pool,
# pgbench clients), BENCH_WEBHOOK_DAEMON_ARGS (crmctl serve knobs).
set -euo pipefail
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
CRMCTL=${CRMCTL:-$BUILD/cmd/crmctl}
LOAD=${LOAD:-$BUILD/bench/crm-bench-webhook-load}
NODE_DIR="$BUILD/bench-node"
SECS=${BENCH_WEBHOOK_SECONDS:-10}
RATES=${BENCH_WEBHOOK_RATES:-"100 200 300 400 600 800 1200 1600 2400 3200 4800 6400"}
CONNS=${BENCH_WEBHOOK_CONNECTIONS:-64}
POOL=${BENCH_WEBHOOK_POOL:-16}
# Workers for the 64 keep-alive connections (one each); the group commit at serve's defaults.
DAEMON_ARGS=${BENCH_WEBHOOK_DAEMON_ARGS:-"--threads 96 --backlog 256 --batch-max 64 --batch-wait 2ms --committers 2"}
OUT="$BUILD/bench-webhooks"
WPG="$BUILD/pg-bench-webhooks"
PSQL=$(command -v psql)
SECRET=bench-vapi-secret-$RANDOM$RANDOM
HZ=$(getconf CLK_TCK)
mkdir -p "$OUT"
rm -f "$OUT"/*.log "$OUT"/*.json

for tool in jq pgbench; do
  command -v $tool >/dev/null || { [ "$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $tool >/dev/null; }
done
[ -x "$LOAD" ] || { echo "webhooks: $LOAD is missing (cmake --build $BUILD)" >&2; exit 1; }
if [ ! -d "$NODE_DIR/node_modules/express" ] || [ ! -d "$NODE_DIR/node_modules/pg" ]; then
  mkdir -p "$NODE_DIR"
  npm install --prefix "$NODE_DIR" --no-audit --no-fund --silent express@4 pg@8 >/dev/null
fi

# ---- a durable cluster: tests/harness/pg.sh's cluster restarted with fsync etc. on -----------
RECEIVER=""
cleanup() {
  [ -n "$RECEIVER" ] && kill "$RECEIVER" 2>/dev/null
  tests/harness/pg.sh stop "$WPG"
}
trap cleanup EXIT
tests/harness/pg.sh stop "$WPG"
tests/harness/pg.sh start "$WPG"
DATA=$(cat "$WPG/datadir")
URL=$(cat "$WPG/url")
PORT=${URL##*:}; PORT=${PORT%%/*}
PGBIN=$(ls -d /usr/lib/postgresql/15/bin 2>/dev/null || dirname "$(command -v pg_ctl)")
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi; }
as_owner "$PGBIN/pg_ctl" -D "$DATA" -m fast -w -t 60 restart -l "$(cat "$WPG/logfile")" \
  -o "-p $PORT -k $(dirname "$DATA")/run -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on -c full_page_writes=on -c max_connections=300 -c shared_buffers=128MB" >/dev/null
settings=$("$PSQL" -qXAt "$URL" -c "SELECT string_agg(name || '=' || setting, ' ' ORDER BY name) FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'wal_sync_method', 'commit_delay', 'shared_buffers', 'max_wal_size')")
echo "crmctl: $CRMCTL ($(stat -c %y "$CRMCTL" | cut -d. -f1)); uptime: $(uptime | sed 's/.*load/load/')"
echo "cluster: $settings"
echo "data directory: $DATA on $(df -T "$DATA" | awk 'NR == 2 {print $1 " (" $2 ")"}'), $(lsblk -dno NAME,SIZE,ROTA,MODEL 2>/dev/null | grep -v zram | head -1 | tr -s ' ')"
fsync_rate=$(as_owner "$PGBIN/pg_test_fsync" -s 1 -f "$(dirname "$DATA")/run/pg_test_fsync.tmp" 2>/dev/null | awk '/^Compare file sync methods using one/ {f = 1} f && $1 == "fdatasync" {print $2; exit}')
echo "pg_test_fsync (1 s, one 8 kB write + fdatasync): ${fsync_rate:-?} ops/s"

"$CRMCTL" --db "$URL" -q migrate up >/dev/null
"$CRMCTL" --db "$URL" -q -o json tenant create "Bench Co" --slug bench-co >/dev/null
"$CRMCTL" --db "$URL" -q -o json agent create --tenant bench-co --provider vapi --external-id asst_bench >/dev/null 2>&1
ORG=$("$PSQL" -qXAt "$URL" -c "SELECT id FROM organizations WHERE slug = 'bench-co'")
CFG="$OUT/config.yaml"
printf 'default_profile: b\nprofiles:\n  b:\n    providers:\n      vapi: {webhook_secret: env:VAPI_WEBHOOK_SECRET}\n' >"$CFG"
chmod 600 "$CFG"
export VAPI_WEBHOOK_SECRET=$SECRET

# ---- CPU accounting (clock ticks) ------------------------------------------------------------
ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; } # utime + stime (fields 14, 15)
pg_ticks() { # the cluster: postmaster + reaped children + live children
  local pm t c
  pm=$(head -1 "$DATA/postmaster.pid")
  t=$(sed 's/.*) //' "/proc/$pm/stat" | awk '{print $12 + $13 + $14 + $15}')
  for c in $(pgrep -P "$pm"); do t=$((t + $(ticks "$c" 2>/dev/null || echo 0))); done
  echo "$t"
}

# ---- receivers -------------------------------------------------------------------------------
start_receiver() { # name, command...: RECEIVER (pid) and RPORT
  local name=$1; shift
  "$@" >"$OUT/$name.out" 2>"$OUT/$name.log" &
  RECEIVER=$!
  for _ in $(seq 1 100); do grep -q listening "$OUT/$name.out" 2>/dev/null && break; sleep 0.1; done
  RPORT=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$OUT/$name.out" | head -1)
  [ -n "$RPORT" ] || { echo "$name did not start:" >&2; cat "$OUT/$name.log" >&2; exit 1; }
}
stop_receiver() {
  kill -TERM "$RECEIVER"
  local code=0
  wait "$RECEIVER" || code=$?
  RECEIVER=""
  [ "$code" = 0 ] || echo "receiver exit code $code after SIGTERM" >&2
}

printf '%-8s %7s %9s %9s %9s %9s  %-44s %9s %9s %8s\n' system offered achieved p50_ms p99_ms max_ms \
  "ledger: sent = 2xx + non-2xx + errors + in flight" "cpu/1k" "pg cpu/1k" "gen cpu"
point() { # system, rate, tag: one open-loop run; appends its JSON line (with CPU) to $OUT/points.json
  local sys=$1 rate=$2 tag=$3 r0 p0 r1 p1 line stored
  r0=$(ticks "$RECEIVER"); p0=$(pg_ticks)
  line=$("$LOAD" --port "$RPORT" --secret "$SECRET" --assistant asst_bench --rate "$rate" \
    --duration "$SECS" --drain 5 --connections "$CONNS" --tag "$tag" --label "$sys" --type "$LOAD_TYPE")
  r1=$(ticks "$RECEIVER"); p1=$(pg_ticks)
  stored=$("$PSQL" -qXAt "$URL" -c "SELECT count(*) FROM webhook_events WHERE provider = 'vapi' AND event_key LIKE '$tag-%' AND state = 'processed'")
  line=$(echo "$line" | jq -c --argjson rc "$(echo "($r1 - $r0) / $HZ" | bc -l)" \
    --argjson pc "$(echo "($p1 - $p0) / $HZ" | bc -l)" --argjson stored "$stored" \
    '. + {cpu_s: $rc, pg_cpu_s: $pc, stored: $stored}')
  echo "$line" >>"$OUT/points.json"
  local sys_ off ach p50 p99 mx ledger cpu pgcpu gen ok sent
  IFS=$'\t' read -r sys_ off ach p50 p99 mx ledger cpu pgcpu gen ok sent < <(echo "$line" | jq -r '[.label, .rate,
      .achieved_rps, (.p50_ms // "-"), (.p99_ms // "-"), .max_ok_ms,
      "\(.sent) = \(.ok) + \(.non_2xx) + \(.errors) + \(.in_flight)\(if .ledger_exact then "" else " MISMATCH" end)\(if .non_2xx > 0 then " (\(.statuses | to_entries | map("\(.key): \(.value)") | join(", ")))" else "" end)\(if .unsent > 0 then " (+\(.unsent) unsent)" else "" end)",
      (if .ok > 0 then .cpu_s * 1000 / .ok else 0 end), (if .ok > 0 then .pg_cpu_s * 1000 / .ok else 0 end),
      .gen_cpu_s, .ok, .sent] | @tsv')
  printf '%-8s %7s %9.1f %9s %9s %9.1f  %-44s %9.3f %9.3f %8.2f\n' "$sys_" "$off" "$ach" "$p50" "$p99" "$mx" \
    "$ledger" "$cpu" "$pgcpu" "$gen"
  # Every 2xx must be in the database (and nothing that was not sent).
  [ "$LOAD_TYPE" != end-of-call-report ] || { [ "$stored" -ge "$ok" ] && [ "$stored" -le "$sent" ]; } || echo "   !! $stored events stored for $ok answered 2xx (of $sent sent)" >&2
  LAST=$line
}
LOAD_TYPE=end-of-call-report
saturated() { echo "$LAST" | jq -e '.achieved_rps < 0.9 * .rate or .p99_ms == null' >/dev/null; }

sweep() { # system [rates]: a warm-up (not recorded), then rising rates until saturated; SAT = the
  # best achieved rate, SATURATED = yes when the sweep ended saturated (else SAT is a lower bound)
  local sys=$1 rates=${2:-$RATES} r
  SATURATED=no
  # Warm-up: the database sessions of both receivers open lazily, Node's JIT warms up.
  "$LOAD" --port "$RPORT" --secret "$SECRET" --assistant asst_bench --rate 100 --duration 3 \
    --connections "$CONNS" --tag "$sys-warm-$RANDOM$RANDOM" --label warm-up >/dev/null
  SAT=0
  for r in $rates; do
    point "$sys" "$r" "$sys-$r-$RANDOM$RANDOM"
    SAT=$(echo "$LAST" | jq --argjson s "$SAT" '[.achieved_rps, $s] | max')
    if saturated; then
      # Confirmed by a second try at the same rate: this virtual disk stalls for seconds now and
      # then (fsync rates from 262/s to 22,000/s), and one stall must not end a sweep.
      point "$sys" "$r" "$sys-$r-again-$RANDOM$RANDOM"
      SAT=$(echo "$LAST" | jq --argjson s "$SAT" '[.achieved_rps, $s] | max')
      saturated && { SATURATED=yes; break; }
    fi
  done
}

echo; echo "-- crmctl serve $DAEMON_ARGS (logs: $OUT/daemon.log)"
# shellcheck disable=SC2086
start_receiver daemon "$CRMCTL" --config "$CFG" --db "$URL" -o json serve --listen 127.0.0.1:0 $DAEMON_ARGS
sweep daemon
DAEMON_SAT=$SAT
sleep 5 # the overload drains
HALF=$(echo "$DAEMON_SAT / 2" | bc)
point daemon "$HALF" "daemon-half-$RANDOM$RANDOM"
DAEMON_HALF=$LAST
# The receiver's own ceiling: the same signed 2.5 KB bodies as Vapi `transcript` messages, which
# crmctl verifies, parses, logs and answers 200 without any database work (Vapi's partial
# transcripts are not stored). No receiver that does the database work can go faster.
echo; echo "-- crmctl serve, the same load as Vapi 'transcript' messages (verified, not stored)"
LOAD_TYPE=transcript
sweep floor "${BENCH_WEBHOOK_FLOOR_RATES:-800 1600 3200 4800 6400 9600 12800}"
FLOOR_SAT=$SAT
FLOOR_BOUND=$([ "$SATURATED" = yes ] && echo "" || echo "at least ")
LOAD_TYPE=end-of-call-report
stop_receiver

echo; echo "-- Express $(jq -r .version "$NODE_DIR/node_modules/express/package.json") + pg $(jq -r .version "$NODE_DIR/node_modules/pg/package.json") (node $(node --version), pool $POOL; logs: $OUT/express.log)"
DATABASE_URL=$URL POOL=$POOL NODE_PATH="$ROOT/$NODE_DIR/node_modules" start_receiver express node bench/express/server.js
sweep express
EXPRESS_SAT=$SAT
sleep 5
point express "$HALF" "express-half-$RANDOM$RANDOM"
EXPRESS_HALF=$LAST
stop_receiver

# ---- pgbench ---------------------------------------------------------------------------------
# Both scripts come from the Express receiver's statements (bench/express/server.js --pgbench).
"$LOAD" --print-transcript >"$OUT/transcript.txt"
AGENT=$("$PSQL" -qXAt "$URL" -c "SELECT id FROM agents WHERE external_id = 'asst_bench'")
GROUP=${BENCH_WEBHOOK_GROUP:-64} # events per transaction of group.sql
GROUP=$GROUP node bench/express/server.js --pgbench "$ORG" "$AGENT" "$OUT/transcript.txt" "$OUT"
pgbench_run() { # name, script [clients]: one pgbench -T run; PGB_TPS, PGB_CPU (pg cpu s), PGB_CLIENT_CPU
  local name=$1 script=$2 clients=${3:-$POOL} p0 p1 log
  p0=$(pg_ticks)
  log="$OUT/pgbench-$name.log"
  local TIMEFORMAT='client_cpu=%U+%S' # bash's time: the CPU of pgbench itself
  { time pgbench -n -M prepared -c "$clients" -j "$clients" -T "$SECS" -f "$script" "$URL" >"$log" 2>&1; } 2>>"$log"
  sleep 1 # pgbench's backends exit after it: their CPU counts once the postmaster reaped them
  p1=$(pg_ticks)
  PGB_TPS=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' "$log")
  PGB_TX=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$log")
  PGB_LAT=$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' "$log")
  PGB_FAILED=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$log")
  PGB_CPU=$(echo "($p1 - $p0) / $HZ" | bc -l)
  PGB_CLIENT_CPU=$(sed -n 's/^client_cpu=\(.*\)/\1/p' "$log" | bc -l)
  printf '%-8s %-34s %9.1f tps  %8s tx (%s failed)  latency avg %7s ms  pg cpu/1k %6.3f s  pgbench cpu/1k %6.3f s\n' \
    pgbench "$name (-c $clients -j $clients)" "$PGB_TPS" "$PGB_TX" "${PGB_FAILED:-0}" "$PGB_LAT" \
    "$(echo "$PGB_CPU * 1000 / $PGB_TX" | bc -l)" "$(echo "$PGB_CLIENT_CPU * 1000 / $PGB_TX" | bc -l)"
}
echo; echo "-- pgbench -n -M prepared -T $SECS (scripts: $OUT/upsert.sql, $OUT/event.sql, $OUT/group.sql)"
pgbench_run "calls upsert, 1 per commit" "$OUT/upsert.sql"
PGB_UPSERT_TPS=$PGB_TPS; PGB_UPSERT_CPU=$(echo "$PGB_CPU * 1000 / $PGB_TX" | bc -l)
# The whole event per transaction (what the Express receiver sends, without HTTP and JSON).
pgbench_run "whole event, 1 per commit" "$OUT/event.sql"
PGB_EVENT_TPS=$PGB_TPS
# crmctl's own group-commit statements, $GROUP events per transaction, by 2 clients (serve's
# default committers), no HTTP: the database's ceiling for this event shape with batching.
pgbench_run "crmctl group statements, $GROUP events per commit" "$OUT/group.sql" 2
PGB_GROUP_EPS=$(echo "$PGB_TPS * $GROUP" | bc -l)
printf '%-8s %-34s %9.1f events/s  pg cpu/1k events %6.3f s\n' pgbench "(the same, per event)" "$PGB_GROUP_EPS" \
  "$(echo "$PGB_CPU * 1000 / ($PGB_TX * $GROUP)" | bc -l)"

# ---- summary ---------------------------------------------------------------------------------
cpu_at() { # JSON point -> receiver cpu s per 1,000 events, pg cpu s per 1,000
  echo "$1" | jq -r 'if .ok > 0 then "\(.cpu_s * 1000 / .ok) \(.pg_cpu_s * 1000 / .ok)" else "0 0" end'
}
best() { jq -c --arg s "$1" 'select(.label == $s)' "$OUT/points.json" | jq -sc 'max_by(.achieved_rps)'; }
DB=$(best daemon); EB=$(best express)
read -r d_cpu d_pg <<<"$(cpu_at "$DB")"
read -r e_cpu e_pg <<<"$(cpu_at "$EB")"
echo
printf 'saturated throughput: crmctl serve %.0f/s, Express %.0f/s, pgbench calls upsert %.0f tps, pgbench whole event %.0f tps\n' \
  "$DAEMON_SAT" "$EXPRESS_SAT" "$PGB_UPSERT_TPS" "$PGB_EVENT_TPS"
printf 'CPU s per 1,000 events at saturation (receiver / PostgreSQL): crmctl %.3f / %.3f, Express %.3f / %.3f, pgbench upsert - / %.3f\n' \
  "$d_cpu" "$d_pg" "$e_cpu" "$e_pg" "$PGB_UPSERT_CPU"
verdict() { [ "$(echo "$1" | bc -l)" = 1 ] && echo met || echo "NOT met"; }
r1=$(echo "$DAEMON_SAT / $EXPRESS_SAT" | bc -l); r2=$(echo "$DAEMON_SAT / $PGB_UPSERT_TPS" | bc -l)
hp99=$(echo "$DAEMON_HALF" | jq -r '.p99_ms // 1e9'); r4=$(echo "$d_cpu / $e_cpu" | bc -l)
printf 'target throughput >= 2x Express           : %5.2fx  %s\n' "$r1" "$(verdict "$r1 >= 2")"
printf 'target throughput >= 1.5x pgbench upsert  : %5.2fx  %s\n' "$r2" "$(verdict "$r2 >= 1.5")"
printf 'target p99 < 50 ms at half (%s/s)        : %s ms  %s\n' "$HALF" "$hp99" "$(verdict "$hp99 < 50")"
printf 'target CPU/event <= 1/3 of Express         : %5.2fx  %s (the receiver process)\n' "$r4" "$(verdict "$r4 <= 1/3")"
r5=$(echo "($d_cpu + $d_pg) / ($e_cpu + $e_pg)" | bc -l)
printf '       receiver + PostgreSQL per event       : %5.2fx  %s\n' "$r5" "$(verdict "$r5 <= 1/3")"
printf 'database ceiling, crmctl statements, %s/tx : %.0f events/s = %.2fx pgbench upsert (pgbench, no HTTP)\n' \
  "$GROUP" "$PGB_GROUP_EPS" "$(echo "$PGB_GROUP_EPS / $PGB_UPSERT_TPS" | bc -l)"
printf 'receiver ceiling without database work    : %s%.0f/s = %s%.2fx pgbench upsert (crmctl serve answering not-stored messages)\n' \
  "$FLOOR_BOUND" "$FLOOR_SAT" "$FLOOR_BOUND" "$(echo "$FLOOR_SAT / $PGB_UPSERT_TPS" | bc -l)"
printf 'Express at the same half rate: p99 %s ms\n' "$(echo "$EXPRESS_HALF" | jq -r '.p99_ms // "-"')"
