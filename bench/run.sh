#!/usr/bin/env bash
# make bench: the benchmarks of docs/benchmarks.md, each side by side with its reference in one run.
#   bench/run.sh BUILD [startup|migrate|provision|export]...   (default: all)
# References are npm packages installed under BUILD/bench-node: twilio-cli (startup) and dbmate
# (migrations). hyperfine comes from Debian. export compares with the pre-streaming export
# (bench/export_whole.cpp) and psql \copy, measured by bench/peak_rss.cpp (wall time, peak RSS).
set -euo pipefail
BUILD=${1:-build}
shift || true
which=${*:-startup migrate provision export}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
CRMCTL="$BUILD/cmd/crmctl"
NODE_DIR="$BUILD/bench-node"
needs() { case " $which " in *" $1 "*) return 0 ;; esac; return 1; }
tools="bc"; needs startup && tools="hyperfine bc"
for tool in $tools; do
  command -v $tool >/dev/null || { [ "$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $tool >/dev/null; }
done
# npm references only for the benchmarks that use them (export needs none).
if { needs startup || needs migrate; } &&
  { [ ! -x "$NODE_DIR/node_modules/.bin/dbmate" ] || [ ! -x "$NODE_DIR/node_modules/.bin/twilio" ]; }; then
  mkdir -p "$NODE_DIR"
  npm install --prefix "$NODE_DIR" --no-audit --no-fund --silent twilio-cli@6 dbmate@2 >/dev/null
fi
PATH="$ROOT/$NODE_DIR/node_modules/.bin:$PATH"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GiB"
echo "date: $(date -u +%FT%TZ)  crmctl $("$CRMCTL" version)"

PGDIR="$BUILD/pg-bench"
tests/harness/pg.sh stop "$PGDIR"
tests/harness/pg.sh start "$PGDIR"
trap 'tests/harness/pg.sh stop "$PGDIR"' EXIT
ADMIN=$(cat "$PGDIR/url")
PSQL=$(command -v psql)
fresh_db() { "$PSQL" -qX "$ADMIN" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" >/dev/null 2>&1; echo "${ADMIN%/*}/$1"; }

for b in $which; do case $b in
startup)
  echo; echo "== startup: crmctl version / --help vs twilio --version (npm twilio-cli)"
  hyperfine -N --warmup 3 --runs 30 --export-markdown "$BUILD/bench-startup.md" \
    "$CRMCTL version" "$CRMCTL --help" "twilio --version" 2>&1 | grep -vE '^\s*$'
  ;;
migrate)
  echo; echo "== migrations: 1,000 tenant schemas x 3 files; crmctl --jobs 4 vs a sequential dbmate loop"
  N=${BENCH_SCHEMAS:-1000}
  M="$BUILD/bench-migrations"
  rm -rf "$M"; mkdir -p "$M/crmctl/global" "$M/crmctl/tenant" "$M/dbmate"
  cat >"$M/crmctl/global/20260101000000_orgs.sql" <<'SQL'
CREATE TABLE IF NOT EXISTS organizations (id uuid PRIMARY KEY, slug text UNIQUE, isolation text NOT NULL DEFAULT 'row',
  schema_name text, status text NOT NULL DEFAULT 'active', created_at timestamptz NOT NULL DEFAULT now());
SQL
  body1="CREATE TABLE contacts (org_id uuid NOT NULL, id uuid NOT NULL, phone text, PRIMARY KEY (org_id, id));"
  body2="ALTER TABLE contacts ADD COLUMN email text; CREATE INDEX contacts_phone ON contacts (org_id, phone);"
  body3="CREATE TABLE notes (org_id uuid NOT NULL, id uuid NOT NULL, contact_id uuid, body text, PRIMARY KEY (org_id, id));"
  i=1
  for body in "$body1" "$body2" "$body3"; do
    echo "$body" >"$M/crmctl/tenant/2026010100000${i}_m$i.sql"
    printf -- '-- migrate:up\n%s\n\n-- migrate:down\n' "$body" >"$M/dbmate/2026010100000${i}_m$i.sql"
    i=$((i + 1))
  done
  setup_schemas() { # $1 url: N schemas registered as schema tenants
    "$PSQL" -qX "$1" -c "
      CREATE TABLE IF NOT EXISTS organizations (id uuid PRIMARY KEY, slug text UNIQUE, isolation text NOT NULL DEFAULT 'row',
        schema_name text, status text NOT NULL DEFAULT 'active', created_at timestamptz NOT NULL DEFAULT now());
      DO \$\$ BEGIN FOR i IN 1..$N LOOP EXECUTE format('CREATE SCHEMA org_b%s', i); END LOOP; END \$\$;
      INSERT INTO organizations (id, slug, isolation, schema_name)
        SELECT gen_random_uuid(), 't' || g, 'schema', 'org_b' || g FROM generate_series(1, $N) g;" >/dev/null
  }
  U1=$(fresh_db bench_crmctl); setup_schemas "$U1"
  "$CRMCTL" --db "$U1" -q migrate up --migrations-dir "$M/crmctl" --tenants public >/dev/null # global track + public first
  t0=$(date +%s.%N)
  "$CRMCTL" --db "$U1" -q -o json migrate up --migrations-dir "$M/crmctl" --jobs 4 >"$BUILD/bench-migrate.json"
  t1=$(date +%s.%N)
  crm=$(echo "$t1 - $t0" | bc)
  applied=$("$PSQL" -qXAt "$U1" -c "SELECT count(*) FROM crm.schema_migrations WHERE schema_name LIKE 'org_b%' AND status = 'applied'")
  U2=$(fresh_db bench_dbmate); setup_schemas "$U2"
  t0=$(date +%s.%N)
  for s in $(seq 1 "$N"); do
    dbmate --url "${U2}?sslmode=disable&search_path=org_b$s" --migrations-dir "$M/dbmate" --no-dump-schema --wait=false up >/dev/null
  done
  t1=$(date +%s.%N)
  dbm=$(echo "$t1 - $t0" | bc)
  dapplied=$("$PSQL" -qXAt "$U2" -c "SELECT sum(n) FROM (SELECT (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.schema_migrations', nspname), false, true, '')))[1]::text::int AS n FROM pg_namespace WHERE nspname LIKE 'org_b%') x")
  printf 'crmctl migrate up --jobs 4 : %8.2f s  (%s schema-versions applied)\n' "$crm" "$applied"
  printf 'dbmate loop (sequential)   : %8.2f s  (%s schema-versions applied)\n' "$dbm" "$dapplied"
  printf 'ratio dbmate / crmctl       : %8.2f x\n' "$(echo "$dbm / $crm" | bc -l)"
  ;;
provision)
  echo; echo "== provisioning: 1,000 row-mode and 200 schema-mode tenants (admin user, 7 services, credit account)"
  U=$(fresh_db bench_prov)
  "$BUILD/bench/crm-bench-provision" "$U" templates/migrations templates/tenant/default.yaml \
    "${BENCH_ROW_TENANTS:-1000}" "${BENCH_SCHEMA_TENANTS:-200}"
  ;;
export)
  N=${BENCH_CALLS:-200000}
  echo; echo "== tenant export: one row tenant with $N calls (2 KB transcript each); wall time and peak RSS"
  U=$(fresh_db bench_export)
  RSS="$BUILD/bench/crm-bench-rss"
  OUT="$BUILD/bench-export"
  rm -rf "$OUT"; mkdir -p "$OUT"
  "$CRMCTL" --db "$U" -q migrate up >/dev/null
  "$CRMCTL" --db "$U" -q tenant create "Bench Export" --timezone UTC --cogs-per-minute 0.07 >/dev/null
  ORG=$("$PSQL" -qXAt "$U" -c "SELECT id FROM organizations WHERE slug = 'bench-export'")
  # As the superuser, straight into the tenant's rows: one INSERT ... SELECT generate_series.
  t0=$(date +%s.%N)
  "$PSQL" -qX "$U" -v ON_ERROR_STOP=1 -c "
    INSERT INTO calls (org_id, provider, external_call_id, direction, from_number, to_number,
                       started_at, ended_at, duration_seconds, provider_cost, transcript, summary)
    SELECT '$ORG'::uuid, 'vapi', 'bench-' || g, 'inbound', '+14155550100', '+14155550199',
           now() - g * interval '1 minute', now() - g * interval '1 minute' + interval '90 seconds',
           90, 0.105000, repeat(md5(g::text), 64), 'synthetic call ' || g
    FROM generate_series(1, $N) g" -c "ANALYZE calls" >/dev/null
  t1=$(date +%s.%N)
  printf 'seeded %s calls in %.1f s; calls table %s\n' "$N" "$(echo "$t1 - $t0" | bc)" \
    "$("$PSQL" -qXAt "$U" -c "SELECT pg_size_pretty(pg_total_relation_size('calls'))")"
  measure() { # label, command...: one line "label  wall  rss"; the command's stdout is discarded
    local label=$1; shift
    local line
    line=$("$RSS" --out /dev/null "$@" 2>&1 >/dev/null | grep '^wall_s=' || true)
    [ -n "$line" ] || { echo "$label: failed" >&2; exit 1; }
    local wall=${line#wall_s=}; wall=${wall%% *}
    local rss=${line#*peak_rss_kb=}; rss=${rss%% *}
    local code=${line##*exit=}
    [ "$code" = 0 ] || { echo "$label: exit $code" >&2; exit 1; }
    printf '%-58s %8.2f s %9.1f MB\n' "$label" "$wall" "$(echo "$rss / 1024" | bc -l)"
    LAST_WALL=$wall; LAST_RSS=$rss
  }
  printf '%-58s %10s %12s\n' "" "wall" "peak RSS"
  measure "crmctl tenant export (streaming, one snapshot)" \
    "$CRMCTL" --db "$U" -q -o json tenant export bench-export --out "$OUT/crmctl"
  crm_wall=$LAST_WALL; crm_rss=$LAST_RSS
  measure "before: whole result in memory (crm-bench-export-whole)" \
    "$BUILD/bench/crm-bench-export-whole" "$U" "$ORG" "$OUT/whole"
  old_wall=$LAST_WALL; old_rss=$LAST_RSS
  measure "psql \\copy (row_to_json ...) TO file (calls only)" \
    "$PSQL" -qX "$U" -c "\\copy (SELECT row_to_json(x)::text FROM calls x WHERE org_id = '$ORG' ORDER BY org_id, id) TO '$OUT/psql-copy.jsonl'"
  copy_wall=$LAST_WALL; copy_rss=$LAST_RSS
  rows=$(grep -B4 '"table": "calls"' "$OUT/crmctl/manifest.json" | sed -n 's/.*"rows": \([0-9]*\).*/\1/p')
  size=$(du -sm "$OUT/crmctl" | cut -f1)
  printf 'crmctl wrote %s MB; calls.jsonl has %s rows (manifest), %s lines\n' "$size" "$rows" \
    "$(wc -l <"$OUT/crmctl/calls.jsonl")"
  if cmp -s "$OUT/crmctl/calls.jsonl" "$OUT/whole/calls.jsonl"; then
    echo "calls.jsonl: identical bytes from crmctl and the pre-streaming export"
  else
    echo "calls.jsonl: crmctl and the pre-streaming export DIFFER" >&2; exit 1
  fi
  printf 'peak RSS  before / crmctl      : %8.1f x\n' "$(echo "$old_rss / $crm_rss" | bc -l)"
  printf 'wall time crmctl / before      : %8.2f x\n' "$(echo "$crm_wall / $old_wall" | bc -l)"
  printf 'wall time crmctl / psql \\copy : %8.2f x\n' "$(echo "$crm_wall / $copy_wall" | bc -l)"
  printf 'peak RSS  crmctl / psql \\copy : %8.2f x\n' "$(echo "$crm_rss / $copy_rss" | bc -l)"
  [ "$crm_rss" -lt $((100 * 1024)) ] && echo "target peak RSS < 100 MB: met" || echo "target peak RSS < 100 MB: NOT met"
  rm -rf "$OUT"
  ;;
*) echo "unknown benchmark $b (startup, migrate, provision, export)" >&2; exit 2 ;;
esac; done
