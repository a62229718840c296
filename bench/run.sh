#!/usr/bin/env bash
# make bench: the benchmarks of docs/benchmarks.md, each side by side with its reference in one run.
#   bench/run.sh BUILD [startup|migrate|provision|export|audit|numbers]...   (default: all)
# numbers activates 500 numbers for 50 tenants against the simulator at 50 ms per call.
# audit compares crmctl audit rls with one psql catalog scan over 500 schemas x 20 tables.
# References are npm packages installed under BUILD/bench-node: twilio-cli (startup) and dbmate
# (migrations). hyperfine comes from Debian. export compares with the pre-streaming export
# (bench/export_whole.cpp) and psql \copy, measured by bench/peak_rss.cpp (wall time, peak RSS).
set -euo pipefail
BUILD=${1:-build}
shift || true
which=${*:-startup migrate provision export audit numbers}
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
audit)
  S=${BENCH_AUDIT_SCHEMAS:-500}; T=${BENCH_AUDIT_TABLES:-20}; PS=${BENCH_PROBE_SCHEMAS:-50}
  echo; echo "== RLS audit: $S tenant schemas x $T tables (static), $PS x $T tables with two tenants each (probe)"
  # A tenant database: an application role, a helper reading the GUC, and per table the tenant
  # column, ENABLE + FORCE RLS, the tenant policy, a guard trigger and the grants.
  setup_audit() { # $1 url, $2 schemas, $3 rows per tenant and table (0: none)
    "$PSQL" -qX "$1" -v ON_ERROR_STOP=1 >/dev/null <<SQL
DO \$\$ BEGIN CREATE ROLE bench_app NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END \$\$;
CREATE SCHEMA bench;
CREATE FUNCTION bench.current_org() RETURNS uuid LANGUAGE sql STABLE AS
  \$f\$ SELECT nullif(current_setting('app.current_org_id', true), '')::uuid \$f\$;
CREATE FUNCTION bench.guard() RETURNS trigger LANGUAGE plpgsql AS \$f\$
BEGIN
  IF NEW.org_id IS DISTINCT FROM OLD.org_id THEN RAISE EXCEPTION 'immutable' USING ERRCODE = '42501'; END IF;
  RETURN NEW;
END \$f\$;
GRANT USAGE ON SCHEMA bench TO bench_app;
CREATE FUNCTION bench.make(s int, n int, rows int) RETURNS void LANGUAGE plpgsql AS \$f\$
DECLARE t text;
BEGIN
  EXECUTE format('CREATE SCHEMA org_a%s', s);
  EXECUTE format('GRANT USAGE ON SCHEMA org_a%s TO bench_app', s);
  FOR i IN 1..n LOOP
    t := format('org_a%s.t%s', s, i);
    EXECUTE format('CREATE TABLE %s (org_id uuid NOT NULL, id int NOT NULL, label text NOT NULL, PRIMARY KEY (org_id, id))', t);
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant ON %s TO bench_app USING (org_id = bench.current_org()) WITH CHECK (org_id = bench.current_org())', t);
    EXECUTE format('CREATE TRIGGER guard BEFORE UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION bench.guard()', t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO bench_app', t);
    IF rows > 0 THEN
      EXECUTE format('INSERT INTO %s SELECT o, g, %L || g FROM unnest(ARRAY[%L, %L]::uuid[]) o, generate_series(1, %s) g',
                     t, 'row ', '00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-00000000000b', rows);
    END IF;
  END LOOP;
END \$f\$;
SQL
    for s in $(seq 1 "$2"); do
      "$PSQL" -qX "$1" -v ON_ERROR_STOP=1 -c "SELECT bench.make($s, $T, $3)" >/dev/null
    done
  }
  num() { sed -n "s/.*\"$1\": \([0-9][0-9]*\).*/\1/p" "$2" | head -1; }
  U=$(fresh_db bench_audit)
  t0=$(date +%s.%N); setup_audit "$U" "$S" 0; t1=$(date +%s.%N)
  printf 'created %s tenant tables in %.1f s\n' "$("$PSQL" -qXAt "$U" -c "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname LIKE 'org_a%'")" "$(echo "$t1 - $t0" | bc)"
  "$PSQL" -qX "$U" -c "ANALYZE" >/dev/null
  AUDIT=("$CRMCTL" --db "$U" -q -o json audit rls --app-role bench_app --guc app.current_org_id)
  SCAN="SELECT n.nspname, c.relname, c.relrowsecurity, c.relforcerowsecurity, a.attnotnull, p.polname,
          p.polpermissive, p.polroles, pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'org_id' AND NOT a.attisdropped
        LEFT JOIN pg_policy p ON p.polrelid = c.oid
        WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
  "${AUDIT[@]}" >"$BUILD/bench-audit.json" || { echo "audit rls failed" >&2; exit 1; } # warm-up
  crm_runs=(); psql_runs=()
  for i in 1 2 3 4 5; do
    t0=$(date +%s.%N); "${AUDIT[@]}" >"$BUILD/bench-audit.json"; t1=$(date +%s.%N)
    crm_runs+=("$(echo "$t1 - $t0" | bc)")
    t0=$(date +%s.%N); "$PSQL" -qXAt "$U" -c "$SCAN" >/dev/null; t1=$(date +%s.%N)
    psql_runs+=("$(echo "$t1 - $t0" | bc)")
  done
  crm=$(printf '%s\n' "${crm_runs[@]}" | sort -n | head -1)
  scan=$(printf '%s\n' "${psql_runs[@]}" | sort -n | head -1)
  tables=$(num tenant_tables "$BUILD/bench-audit.json"); trips=$(num round_trips "$BUILD/bench-audit.json")
  findings=$(num findings "$BUILD/bench-audit.json")
  "${AUDIT[@]}" --schema org_a1 >"$BUILD/bench-audit-one.json"
  tables1=$(num tenant_tables "$BUILD/bench-audit-one.json"); trips1=$(num round_trips "$BUILD/bench-audit-one.json")
  printf 'crmctl audit rls, static (best of 5)          : %8.2f s  (%s tenant tables, %s findings, %s round trips)\n' "$crm" "$tables" "$findings" "$trips"
  printf 'psql catalog scan (pg_class, pg_policy, pg_attribute; best of 5): %8.2f s\n' "$scan"
  printf 'ratio crmctl / psql scan                      : %8.2f x\n' "$(echo "$crm / $scan" | bc -l)"
  printf 'round trips: %s for %s tables, %s for %s tables (--schema org_a1)\n' "$trips" "$tables" "$trips1" "$tables1"
  [ "$(echo "$crm < 5" | bc)" = 1 ] && echo "target static audit < 5 s: met" || echo "target static audit < 5 s: NOT met"
  [ "$trips" = "$trips1" ] && echo "target round trips independent of the table count: met" || echo "target round trips independent of the table count: NOT met"
  [ "$(echo "$crm <= 2 * $scan" | bc)" = 1 ] && echo "target within 2x of the psql scan: met" || echo "target within 2x of the psql scan: NOT met"

  UP=$(fresh_db bench_probe)
  setup_audit "$UP" "$PS" 1
  "$PSQL" -qX "$UP" -c "ANALYZE" >/dev/null
  for jobs in 1 4; do
    for mode in --probe --probe-writes; do
      extra=(--probe); [ "$mode" = --probe-writes ] && extra+=(--probe-writes)
      t0=$(date +%s.%N)
      "$CRMCTL" --db "$UP" -q -o json audit rls --app-role bench_app --guc app.current_org_id \
        "${extra[@]}" --jobs "$jobs" >"$BUILD/bench-probe.json" || true
      t1=$(date +%s.%N)
      printf 'crmctl audit rls %-15s --jobs %s: %8.2f s  (%s tables: %s denied, %s LEAK, %s inconclusive; %s workers)\n' \
        "$mode" "$jobs" "$(echo "$t1 - $t0" | bc)" "$(num tables "$BUILD/bench-probe.json")" \
        "$(num denied "$BUILD/bench-probe.json")" "$(num leaks "$BUILD/bench-probe.json")" \
        "$(num inconclusive "$BUILD/bench-probe.json")" "$(num jobs "$BUILD/bench-probe.json")"
    done
  done
  ;;
numbers)
  echo; echo "== numbers: activate 500 numbers for 50 tenants (ElevenLabs import + agent assignment), simulator latency 50 ms per call"
  T=${BENCH_TENANTS:-50}; P=${BENCH_NUMBERS_PER_TENANT:-10}; JOBS=${BENCH_JOBS:-16}
  SIMBIN="$BUILD/tests/sim/crm-sim"
  SID=AC$(printf '%032d' 7); TOKEN=bench_token_0123456789; ELKEY=sk_bench_0123456789
  rm -f "$BUILD/bench-sim.port"
  "$SIMBIN" --port 0 --port-file "$BUILD/bench-sim.port" --accept "twilio:$SID:$TOKEN" --accept "elevenlabs:$ELKEY" >/dev/null 2>&1 &
  SIMPID=$!
  trap 'kill $SIMPID 2>/dev/null; tests/harness/pg.sh stop "$PGDIR"' EXIT
  for _ in $(seq 1 50); do [ -s "$BUILD/bench-sim.port" ] && break; sleep 0.1; done
  SIMURL="http://127.0.0.1:$(cat "$BUILD/bench-sim.port")"
  U=$(fresh_db bench_numbers)
  CFG="$BUILD/bench-numbers.yaml"
  printf 'default_profile: b\nprofiles:\n  b:\n    pool_size: %s\n    webhook_base_url: https://hooks.bench.test\n    providers:\n      twilio: {base_url: %s, account_sid: %s, auth_token: env:BENCH_TWILIO_TOKEN}\n      elevenlabs: {base_url: %s, api_key: env:BENCH_EL_KEY}\n' \
    "$((JOBS + 2))" "$SIMURL" "$SID" "$SIMURL" >"$CFG"
  export CRMCTL_CONFIG="$CFG" BENCH_TWILIO_TOKEN="$TOKEN" BENCH_EL_KEY="$ELKEY"
  "$CRMCTL" --db "$U" -q migrate up >/dev/null
  # Setup (not timed): tenants, one ElevenLabs agent each, P purchased numbers each (planted on the
  # simulated Twilio account and recorded as purchased).
  sql="$BUILD/bench-numbers.sql"; : >"$sql"
  for t in $(seq 1 "$T"); do
    "$CRMCTL" --db "$U" -q -o json tenant create "Bench Tenant $t" --slug "bench-$t" >/dev/null
    curl -fsS -X POST "$SIMURL/__sim/elevenlabs/agents" -H 'Content-Type: application/json' \
      -d "{\"api_key\":\"$ELKEY\",\"agent_id\":\"agent_bench_$t\",\"name\":\"Bench $t\"}" >/dev/null
    "$CRMCTL" --db "$U" -q -o json agent create --tenant "bench-$t" --provider elevenlabs --external-id "agent_bench_$t" >/dev/null
    for n in $(seq 1 "$P"); do
      e164=$(printf '+1415%03d%04d' "$t" "$n")
      sid=$(curl -fsS -X POST "$SIMURL/__sim/twilio/numbers" -H 'Content-Type: application/json' \
        -d "{\"account_sid\":\"$SID\",\"phone_number\":\"$e164\"}" | grep -o '"sid":"PN[0-9a-f]*"' | cut -d'"' -f4)
      echo "INSERT INTO number_routes (e164, org_id) SELECT '$e164', id FROM organizations WHERE slug = 'bench-$t';
INSERT INTO phone_numbers (org_id, e164, twilio_sid, twilio_account_sid, status) SELECT id, '$e164', '$sid', '$SID', 'purchased' FROM organizations WHERE slug = 'bench-$t';" >>"$sql"
    done
  done
  "$PSQL" -qX "$U" -f "$sql" >/dev/null
  # The simulator's request log (control routes are not logged): occurrences of a pattern.
  count_requests() { curl -fsS "$SIMURL/__sim/requests" | { grep -o "$1" || true; } | wc -l; }
  before_import=$(count_requests '"method":"POST","path":"/v1/convai/phone-numbers"')
  hits_total() { curl -fsS "$SIMURL/__sim/hits" | { grep -o ':[0-9]*' || true; } | tr -d ':' | awk '{s += $1} END {print s + 0}'; }
  before_all=$(hits_total)
  curl -fsS -X POST "$SIMURL/__sim/latency" -H 'Content-Type: application/json' -d '{"ms":50}' >/dev/null
  t0=$(date +%s.%N)
  "$CRMCTL" --db "$U" -q -o json number activate --all-tenants --jobs "$JOBS" >"$BUILD/bench-numbers.json"
  t1=$(date +%s.%N)
  wall=$(echo "$t1 - $t0" | bc)
  all=$(( $(hits_total) - before_all ))
  imports=$(( $(count_requests '"method":"POST","path":"/v1/convai/phone-numbers"') - before_import ))
  patches=$(count_requests '"method":"PATCH"')
  lookups=$(count_requests '"path":"/v1/convai/agents"')
  refused=$(( $(count_requests '"answer":"[^"]*"') - $(count_requests '"answer":"20[0-9]"') ))
  active=$("$PSQL" -qXAt "$U" -c "SELECT count(*) FROM phone_numbers WHERE status = 'active'")
  minimum=$((T * P * 2))
  printf '%-44s %10s\n' "numbers active" "$active / $((T * P))"
  printf '%-44s %10.2f s\n' "crmctl number activate --all-tenants --jobs $JOBS" "$wall"
  printf '%-44s %10s\n' "requests sent (imports + PATCH + agent lists)" "$all ($imports + $patches + $lookups)"
  printf '%-44s %10s\n' "minimum the contracts allow (2 per number)" "$minimum"
  printf '%-44s %10s\n' "over the minimum" "$(echo "scale=2; ($all - $minimum) * 100 / $minimum" | bc) %"
  printf '%-44s %10s\n' "non-2xx answers (retried or failed)" "$refused"
  printf '%-44s %10.2f s\n' "sequential floor (requests x 50 ms, one at a time)" "$(echo "$minimum * 0.05" | bc)"
  kill $SIMPID 2>/dev/null || true
  unset CRMCTL_CONFIG
  ;;
*) echo "unknown benchmark $b (startup, migrate, provision, export, audit, numbers)" >&2; exit 2 ;;
esac; done
