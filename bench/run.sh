#!/usr/bin/env bash
# make bench: the benchmarks of docs/benchmarks.md, each side by side with its reference in one run.
#   bench/run.sh BUILD [startup|migrate|provision|export|audit|numbers|webhooks]...   (default: all)
# billing rolls up BENCH_CALLS (10 million) calls over 1,000 tenants against one psql GROUP BY.
# numbers activates 500 numbers for 50 tenants against the simulator at 50 ms per call.
# tools syncs 5 Vapi tools into 1,000 assistants (100 tenants x 10) at 50 ms per call, then re-syncs.
# transcripts exports 200,000 calls (BENCH_TRANSCRIPT_CALLS) as redacted JSONL next to psql \copy.
# audit compares crmctl audit rls with one psql catalog scan over 500 schemas x 20 tables.
# webhooks: crmctl serve vs an Express + pg receiver vs pgbench, durable commits (bench/webhooks.sh).
# References are npm packages installed under BUILD/bench-node: twilio-cli (startup) and dbmate
# (migrations). hyperfine comes from Debian. export compares with the pre-streaming export
# (bench/export_whole.cpp) and psql \copy, measured by bench/peak_rss.cpp (wall time, peak RSS).
set -euo pipefail
BUILD=${1:-build}
shift || true
which=${*:-startup migrate provision export audit numbers billing tools transcripts webhooks}
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
billing)
  N=${BENCH_CALLS:-10000000}; T=${BENCH_TENANTS:-1000}; JOBS=${BENCH_JOBS:-2}
  echo; echo "== billing: rollup of $N calls over $T tenants vs one hand-written GROUP BY in psql; rerun after +1% calls"
  U=$(fresh_db bench_billing)
  "$CRMCTL" --db "$U" -q migrate up >/dev/null
  # Setup (not timed): tenants in five timezones, both rounding policies; calls spread over
  # November 2026 (and a little of October/December), settled (last changed 2 hours ago), 10% web
  # or test, half with a provider cost.
  "$PSQL" -qX "$U" >/dev/null <<SQL
SET synchronous_commit = off;
INSERT INTO organizations (id, slug, name, timezone, cogs_per_minute, rate_per_minute, free_minutes, rounding)
SELECT gen_random_uuid(), 'bench-' || i, 'Bench ' || i,
       (ARRAY['UTC','America/Vancouver','Europe/London','Asia/Tokyo','America/New_York'])[1 + i % 5],
       0.05, 0.145, (i % 3) * 50, CASE WHEN i % 4 = 0 THEN 'per_second' ELSE 'per_call_ceil_minute' END
FROM generate_series(1, $T) i;
CREATE TEMP TABLE o AS SELECT row_number() OVER (ORDER BY slug) - 1 AS n, id FROM organizations;
INSERT INTO calls (org_id, provider, external_call_id, call_type, started_at, duration_seconds,
                   is_billable, provider_cost, created_at, updated_at)
SELECT o.id, 'vapi', 'c' || g, CASE WHEN g % 10 = 0 THEN 'web' WHEN g % 10 = 1 THEN 'test' ELSE 'phone' END,
       timestamptz '2026-10-31 12:00Z' + (g % 2678400) * interval '1 second' * 1.05,
       ((g::bigint * 7919) % 900)::int, g % 10 > 1, CASE WHEN g % 2 = 0 THEN ((g % 1000) * 0.000137)::numeric END,
       now() - interval '2 hours', now() - interval '2 hours'
FROM generate_series(1, $N) g JOIN o ON o.n = g % $T;
VACUUM ANALYZE calls;
SQL
  ref_sql="SELECT c.org_id, count(*) AS calls, count(*) FILTER (WHERE b) AS billable,
    sum(s) FILTER (WHERE b) AS seconds, sum((s + 59) / 60) FILTER (WHERE b) AS ceil_minutes,
    sum(cost) FILTER (WHERE b) AS provider_cost, sum((s + 59) / 60) FILTER (WHERE b AND cost IS NULL) AS est_minutes,
    count(*) FILTER (WHERE NOT b) AS excluded, sum(s) FILTER (WHERE NOT b) AS excluded_seconds
  FROM (SELECT org_id, started_at, provider_cost AS cost, duration_seconds AS s,
               (is_billable AND call_type = 'phone' AND duration_seconds > 0) AS b FROM calls) c
  JOIN organizations o ON o.id = c.org_id
  WHERE c.started_at >= ('2026-11-01'::timestamp AT TIME ZONE o.timezone)
    AND c.started_at < ('2026-12-01'::timestamp AT TIME ZONE o.timezone)
  GROUP BY c.org_id"
  "$PSQL" -qX "$U" -c "$ref_sql" >/dev/null # warm the cache for both
  t0=$(date +%s.%N); "$PSQL" -qX "$U" -c "$ref_sql" >/dev/null; t1=$(date +%s.%N)
  ref=$(echo "$t1 - $t0" | bc)
  t0=$(date +%s.%N)
  "$CRMCTL" --db "$U" -q -o json billing rollup --period 2026-11 --all-tenants --full --jobs "$JOBS" >"$BUILD/bench-billing.json"
  t1=$(date +%s.%N)
  full=$(echo "$t1 - $t0" | bc)
  t0=$(date +%s.%N); "$PSQL" -qX "$U" -c "$ref_sql" >/dev/null; t1=$(date +%s.%N)
  ref2=$(echo "$t1 - $t0" | bc)
  t0=$(date +%s.%N)
  "$CRMCTL" --db "$U" -q -o json billing rollup --period 2026-11 --all-tenants --jobs "$JOBS" >/dev/null
  t1=$(date +%s.%N)
  noop=$(echo "$t1 - $t0" | bc)
  M=$((N / 100))
  "$PSQL" -qX "$U" >/dev/null <<SQL
CREATE TEMP TABLE o AS SELECT row_number() OVER (ORDER BY slug) - 1 AS n, id FROM organizations;
INSERT INTO calls (org_id, provider, external_call_id, call_type, started_at, duration_seconds, is_billable)
SELECT o.id, 'vapi', 'late' || g, 'phone', timestamptz '2026-11-15 12:00Z' + g * interval '1 second', 30 + g % 300, true
FROM generate_series(1, $M) g JOIN o ON o.n = g % $T;
SQL
  t0=$(date +%s.%N)
  "$CRMCTL" --db "$U" -q -o json billing rollup --period 2026-11 --all-tenants --jobs "$JOBS" >"$BUILD/bench-billing-inc.json"
  t1=$(date +%s.%N)
  inc=$(echo "$t1 - $t0" | bc)
  reads=$(grep -o '"read": *"incremental"' "$BUILD/bench-billing-inc.json" | wc -l)
  rows=$("$PSQL" -qXAt "$U" -c "SELECT count(*) FROM usage_rollups WHERE period = '2026-11'")
  printf '%-58s %10s\n' "calls / tenants / rollups written" "$N / $T / $rows"
  printf '%-58s %10.2f s\n' "psql: hand-written GROUP BY (before, after)" "$ref"
  printf '%-58s %10.2f s\n' "" "$ref2"
  printf '%-58s %10.2f s\n' "crmctl billing rollup --all-tenants --full --jobs $JOBS" "$full"
  printf '%-58s %10.2f x\n' "ratio to the mean of the two psql runs (target <= 1.2)" "$(echo "scale=3; 2 * $full / ($ref + $ref2)" | bc)"
  printf '%-58s %10.2f s\n' "rerun, nothing changed" "$noop"
  printf '%-58s %10.2f s\n' "rerun after +1% calls ($M), $reads tenants incremental" "$inc"
  printf '%-58s %10.2f %%\n' "incremental rerun as a share of the full run" "$(echo "scale=3; 100 * $inc / $full" | bc)"
  ;;
tools)
  echo; echo "== tools: 1,000 tenant assistants (100 tenants x 10), 5 tools, simulator latency 50 ms per call"
  T=${BENCH_TOOL_TENANTS:-100}; A=${BENCH_ASSISTANTS_PER_TENANT:-10}; JOBS=${BENCH_JOBS:-16}
  SIMBIN="$BUILD/tests/sim/crm-sim"
  VKEY=vapi_bench_0123456789
  rm -f "$BUILD/bench-sim.port"
  "$SIMBIN" --port 0 --port-file "$BUILD/bench-sim.port" --accept "vapi:$VKEY" >/dev/null 2>&1 &
  SIMPID=$!
  trap 'kill $SIMPID 2>/dev/null; tests/harness/pg.sh stop "$PGDIR"' EXIT
  for _ in $(seq 1 50); do [ -s "$BUILD/bench-sim.port" ] && break; sleep 0.1; done
  SIMURL="http://127.0.0.1:$(cat "$BUILD/bench-sim.port")"
  U=$(fresh_db bench_tools)
  CFG="$BUILD/bench-tools.yaml"
  printf 'default_profile: b\nprofiles:\n  b:\n    pool_size: %s\n    providers:\n      vapi: {base_url: %s, private_key: env:BENCH_VAPI_KEY}\n    tools:\n      backend_url: https://api.bench.test\n' \
    "$((JOBS + 2))" "$SIMURL" >"$CFG"
  export CRMCTL_CONFIG="$CFG" BENCH_VAPI_KEY="$VKEY"
  "$CRMCTL" --db "$U" -q migrate up >/dev/null
  # Setup (not timed): tenants, A vapi agents each (SQL), their assistants planted at the simulator
  # with a tool id crmctl does not own.
  for t in $(seq 1 "$T"); do
    "$CRMCTL" --db "$U" -q -o json tenant create "Bench Tools $t" --slug "bench-tools-$t" >/dev/null
  done
  "$PSQL" -qX "$U" -c "WITH a AS (INSERT INTO agents (org_id, provider, external_id, name, status)
    SELECT o.id, 'vapi', 'asst_' || o.slug || '_' || g, 'Bench', 'active' FROM organizations o,
    generate_series(1, $A) g WHERE o.slug LIKE 'bench-tools-%' RETURNING org_id, id, external_id)
    INSERT INTO agent_routes (provider, external_id, org_id, agent_id)
    SELECT 'vapi', external_id, org_id, id FROM a" >/dev/null
  "$PSQL" -qXAt "$U" -c "SELECT json_agg(json_build_object('id', external_id, 'name', external_id,
    'model', json_build_object('provider', 'openai', 'model', 'gpt-4o',
    'toolIds', json_build_array('tool_theirs')))) FROM agents WHERE provider = 'vapi'" >"$BUILD/bench-assistants.json"
  curl -fsS -X POST "$SIMURL/__sim/vapi/assistants" -H 'Content-Type: application/json' \
    --data-binary "@$BUILD/bench-assistants.json" >/dev/null
  # The simulator's request log (control routes are not logged): occurrences of a pattern.
  count_requests() { curl -fsS "$SIMURL/__sim/requests" | { grep -o "$1" || true; } | wc -l; }
  curl -fsS -X POST "$SIMURL/__sim/latency" -H 'Content-Type: application/json' -d '{"ms":50}' >/dev/null
  tools_run() { # label, then extra flags: one timed run and the requests it sent
    local label=$1 all gets lists treads writes t0 t1
    shift
    all=$(count_requests '"method":"[A-Z]*"'); gets=$(count_requests '"method":"GET","path":"/assistant/')
    lists=$(count_requests '"method":"GET","path":"/assistant","processed"'); treads=$(count_requests '"method":"GET","path":"/tool')
    writes=$(count_requests '"method":"\(POST\|PATCH\|DELETE\)"')
    t0=$(date +%s.%N)
    "$CRMCTL" --db "$U" -q -o json tools sync --all-tenants --jobs "$JOBS" "$@" >"$BUILD/bench-tools.json" || echo "(exit $?)"
    t1=$(date +%s.%N)
    printf '%-34s %7.2f s %6s requests: %5s GET /assistant/{id}, %s assistant list pages, %s tool list pages, %5s writes\n' \
      "$label" "$(echo "$t1 - $t0" | bc)" "$(( $(count_requests '"method":"[A-Z]*"') - all ))" \
      "$(( $(count_requests '"method":"GET","path":"/assistant/') - gets ))" \
      "$(( $(count_requests '"method":"GET","path":"/assistant","processed"') - lists ))" \
      "$(( $(count_requests '"method":"GET","path":"/tool') - treads ))" \
      "$(( $(count_requests '"method":"\(POST\|PATCH\|DELETE\)"') - writes ))"
  }
  tools_run "first sync (--jobs $JOBS)"
  tools_run "no-op re-sync"
  tools_run "no-op re-sync --cached" --cached
  n=$((T * A))
  printf '%-34s %7s   %6s requests (one GET + one PATCH per assistant + 5 POST /tool + 1 tool list)\n' \
    "limit of the first sync" "" "$((n * 2 + 6))"
  printf '%-34s %7.2f s (those requests one at a time, 50 ms each)\n' "sequential floor" "$(echo "($n * 2 + 6) * 0.05" | bc)"
  printf '%-34s %7s\n' "org_tools rows linking all $A" "$("$PSQL" -qXAt "$U" -c "SELECT count(*) FROM org_tools WHERE cardinality(assistant_ids) = $A") / $((T * 5))"
  kill $SIMPID 2>/dev/null || true
  unset CRMCTL_CONFIG
  ;;
transcripts)
  N=${BENCH_TRANSCRIPT_CALLS:-200000}
  SMALL=$((N / 10))
  echo; echo "== transcripts export: $N calls (~2 KB labelled transcript each, a few PHI items per call);"
  echo "   crmctl jsonl (redaction on / --no-redact) vs psql \\copy of the same columns; peak RSS at $SMALL and $N calls"
  U=$(fresh_db bench_transcripts)
  RSS="$BUILD/bench/crm-bench-rss"
  OUT="$BUILD/bench-transcripts"
  rm -rf "$OUT"; mkdir -p "$OUT"
  "$CRMCTL" --db "$U" -q migrate up >/dev/null
  "$CRMCTL" --db "$U" -q tenant create "Bench Transcripts" --timezone America/New_York >/dev/null
  "$CRMCTL" --db "$U" -q tenant create "Bench Transcripts Small" --timezone America/New_York >/dev/null
  seed() { # slug, count: one INSERT ... SELECT generate_series, as the superuser
    "$PSQL" -qX "$U" -v ON_ERROR_STOP=1 -c "
      INSERT INTO calls (org_id, provider, external_call_id, direction, from_number, to_number, caller_name,
                         started_at, duration_seconds, transcript, summary)
      SELECT o.id, 'vapi', 'tx-' || g, 'inbound', '+1415555' || lpad((g % 10000)::text, 4, '0'), '+14155550199',
             'Caller ' || g, timestamptz '2026-01-01 00:00+00' + g * interval '37 seconds', 60 + g % 600,
             'AI: Thank you for calling Bright Smile Dental, this is the virtual receptionist. How can I help you today?' || E'\n' ||
             'User: Hi, I would like to book a cleaning for next week, ideally in the morning before I go to work.' || E'\n' ||
             'AI: Of course. Could I have your name and the best number to reach you, in case we need to move things?' || E'\n' ||
             'User: Sure, it is Jamie, and my cell is 415-555-' || lpad((g % 10000)::text, 4, '0') || '. Text is fine too.' || E'\n' ||
             'AI: Thanks Jamie. For our records, what is your date of birth?' || E'\n' ||
             'User: It is ' || (1 + g % 12) || '/' || (1 + g % 28) || '/19' || (50 + g % 50) || '.' || E'\n' ||
             'AI: Perfect. We have Tuesday at 9:30 or Thursday at 10:15. A cleaning is \$149.99 without insurance.' || E'\n' ||
             'User: Tuesday at 9:30 works. Do you take Delta Dental? My member card is in my wallet somewhere.' || E'\n' ||
             'AI: Yes, we are in network with Delta Dental, so your copay will likely be lower. Please bring the card.' || E'\n' ||
             'User: Great. Can you email the new patient forms to jamie' || g || '@example.com so I can fill them in?' || E'\n' ||
             'AI: Done, the forms are on their way. Your confirmation number is ' || (48200000 + g) || '.' || E'\n' ||
             'User: Thanks. One more thing, is there parking near the office? Last time I circled the block for ages.' || E'\n' ||
             'AI: There is a garage on Market Street, level P2 is reserved for patients, and we validate for two hours.' || E'\n' ||
             'User: Perfect, that helps a lot. See you on Tuesday then, and thanks for being so quick about it.' || E'\n' ||
             'AI: You are welcome, Jamie. You will get a reminder the day before. Have a great rest of your day!' || E'\n' ||
             'User: Oh wait, one more question. My daughter also needs a check-up, could she come right after me?' || E'\n' ||
             'AI: Let me look. Tuesday at 10:15 is free with the same hygienist, so you could come in together.' || E'\n' ||
             'User: Wonderful. She is seven, so it is her second visit here. Anything we should bring for her?' || E'\n' ||
             'AI: Just her insurance card if she is on your plan, and a list of any medication she takes, if any.' || E'\n' ||
             'User: Got it. And if something comes up, how much notice do you need to reschedule without a fee?' || E'\n' ||
             'AI: Twenty-four hours is enough. You can call us back or reply to the reminder text to move it.' || E'\n' ||
             'User: You too, bye.',
             'New patient booked a cleaning for Tuesday 9:30; forms emailed; asked about parking.'
      FROM organizations o, generate_series(1, $2) g WHERE o.slug = '$1'" -c "ANALYZE calls" >/dev/null
  }
  t0=$(date +%s.%N)
  seed bench-transcripts "$N"
  seed bench-transcripts-small "$SMALL"
  t1=$(date +%s.%N)
  printf 'seeded %s + %s calls in %.1f s; average transcript %s bytes; calls table %s\n' "$N" "$SMALL" \
    "$(echo "$t1 - $t0" | bc)" "$("$PSQL" -qXAt "$U" -c "SELECT avg(length(transcript))::int FROM calls")" \
    "$("$PSQL" -qXAt "$U" -c "SELECT pg_size_pretty(pg_total_relation_size('calls'))")"
  ORG=$("$PSQL" -qXAt "$U" -c "SELECT id FROM organizations WHERE slug = 'bench-transcripts'")
  tmeasure() { # label, command...: "label  wall  calls/s  rss"
    local label=$1; shift
    local line
    line=$("$RSS" --out "${TM_OUT:-/dev/null}" "$@" 2>&1 >/dev/null | grep '^wall_s=' || true)
    [ -n "$line" ] || { echo "$label: failed" >&2; exit 1; }
    local wall=${line#wall_s=}; wall=${wall%% *}
    local rss=${line#*peak_rss_kb=}; rss=${rss%% *}
    local code=${line##*exit=}
    [ "$code" = 0 ] || { echo "$label: exit $code" >&2; exit 1; }
    printf '%-62s %7.2f s %9.0f calls/s %7.1f MB\n' "$label" "$wall" "$(echo "$CALLS / $wall" | bc -l)" \
      "$(echo "$rss / 1024" | bc -l)"
    LAST_WALL=$wall; LAST_RSS=$rss
  }
  printf '%-62s %9s %15s %10s\n' "" "wall" "throughput" "peak RSS"
  CALLS=$SMALL
  tmeasure "crmctl transcripts export jsonl, redaction on ($SMALL calls)" \
    "$CRMCTL" --db "$U" -q -o json transcripts export --tenant bench-transcripts-small --format jsonl --out "$OUT/small"
  small_rss=$LAST_RSS
  CALLS=$N
  Q="SELECT id, started_at, caller_name, from_number, to_number, direction, duration_seconds, summary, transcript, metadata FROM calls WHERE org_id = '$ORG' ORDER BY started_at, id"
  # Six runs per round, interleaved so a slow moment of this shared machine hits every program;
  # BENCH_ROUNDS rounds (default 3), the ratios taken from the medians.
  # - to stdout, both programs' stdout redirected to a file (the issue's form: `psql -c "\copy
  #   (...) to stdout"`; crmctl `--out -` writes one stream: no part files, no manifest);
  # - to a directory: crmctl's part files with the manifest (SHA-256 of every byte) and the resume
  #   journal, next to psql `\copy ... TO 'file'`.
  ROUNDS=${BENCH_ROUNDS:-3}
  declare -A WALLS=()
  m_son() {
    TM_OUT="$OUT/stdout-on.jsonl" tmeasure "crmctl --out - > file, redaction on" \
      "$CRMCTL" --db "$U" -q -o json transcripts export --tenant bench-transcripts --format jsonl --out -
    WALLS[son]+="$LAST_WALL "
  }
  m_soff() {
    TM_OUT="$OUT/stdout-off.jsonl" tmeasure "crmctl --out - > file, --no-redact" \
      "$CRMCTL" --db "$U" -q -o json transcripts export --tenant bench-transcripts --format jsonl --out - \
      --no-redact --reason benchmark
    WALLS[soff]+="$LAST_WALL "
  }
  m_scopy() {
    TM_OUT="$OUT/psql-stdout.tsv" tmeasure "psql \\copy (same columns, same order) TO STDOUT > file" \
      "$PSQL" -qX "$U" -c "\\copy ($Q) TO STDOUT"
    WALLS[scopy]+="$LAST_WALL "
  }
  m_on() {
    rm -rf "$OUT/on"
    tmeasure "crmctl --out DIR, redaction on" \
      "$CRMCTL" --db "$U" -q -o json transcripts export --tenant bench-transcripts --format jsonl --out "$OUT/on"
    WALLS[on]+="$LAST_WALL "; on_rss=$LAST_RSS
  }
  m_off() {
    rm -rf "$OUT/off"
    tmeasure "crmctl --out DIR, --no-redact" \
      "$CRMCTL" --db "$U" -q -o json transcripts export --tenant bench-transcripts --format jsonl --out "$OUT/off" \
      --no-redact --reason benchmark
    WALLS[off]+="$LAST_WALL "
  }
  m_copy() {
    tmeasure "psql \\copy (same columns, same order) TO 'file'" \
      "$PSQL" -qX "$U" -c "\\copy ($Q) TO '$OUT/psql.tsv'"
    WALLS[copy]+="$LAST_WALL "
  }
  # The order rotates by one each round, so no program always runs first or after the same one.
  ORDER=(m_son m_soff m_scopy m_on m_off m_copy)
  for round in $(seq "$ROUNDS"); do
    echo "-- round $round of $ROUNDS"
    for k in 0 1 2 3 4 5; do "${ORDER[$(((k + round - 1) % 6))]}"; done
  done
  median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
  cmp -s "$OUT/stdout-off.jsonl" <(cat "$OUT/off"/transcripts-*.jsonl) \
    || { echo "--out - and --out DIR wrote different bytes" >&2; exit 1; }
  printf 'bytes: crmctl redacted %s MB, unredacted %s MB, psql %s MB; redactions %s\n' \
    "$(du -sm "$OUT/on" | cut -f1)" "$(du -sm "$OUT/off" | cut -f1)" "$(du -sm "$OUT/psql.tsv" | cut -f1)" \
    "$(sed -n '/"redactions"/,/}/p' "$OUT/on/manifest.json" | tr -d ' \n')"
  grep -q '415-555-' "$OUT/on"/transcripts-*.jsonl "$OUT/stdout-on.jsonl" && { echo "redacted export still holds phone numbers" >&2; exit 1; }
  verdict() { # label, crmctl key, psql key, target %
    local c p pct
    c=$(median "${WALLS[$2]}"); p=$(median "${WALLS[$3]}")
    pct=$(echo "100 * $p / $c" | bc -l)
    printf '%-44s crmctl %5.2f s, psql %5.2f s: %6.1f %% (target >= %s %%: %s)\n' "$1" "$c" "$p" "$pct" "$4" \
      "$( [ "$(echo "$pct >= $4" | bc)" = 1 ] && echo met || echo NOT met)"
  }
  echo "medians of $ROUNDS rounds, throughput of crmctl as a share of psql's:"
  verdict "to stdout, redaction on" son scopy 80
  verdict "to stdout, --no-redact" soff scopy 100
  verdict "to a directory (manifest), redaction on" on copy 80
  verdict "to a directory (manifest), --no-redact" off copy 100
  # The manifest's SHA-256 of every byte crmctl writes to a directory, at this CPU's single-stream
  # speed: CPU time psql does not spend (the writer thread overlaps it, but the two cores are
  # shared with the PostgreSQL backend).
  sha_mbs=$(openssl speed -seconds 1 -bytes 1048576 -evp sha256 2>/dev/null | awk '/^sha256/ {print $2 / 1000}')
  off_mb=$(du -sm "$OUT/off" | cut -f1)
  [ -n "$sha_mbs" ] && printf 'SHA-256 of %s MB at %.0f MB/s (openssl speed): %.2f s of CPU\n' \
    "$off_mb" "$sha_mbs" "$(echo "$off_mb / $sha_mbs" | bc -l)"
  printf 'peak RSS at %s / %s calls: %.1f / %.1f MB (target < 100 MB, flat: %s)\n' "$SMALL" "$N" \
    "$(echo "$small_rss / 1024" | bc -l)" "$(echo "$on_rss / 1024" | bc -l)" \
    "$( [ "$on_rss" -lt $((100 * 1024)) ] && [ "$on_rss" -lt $((small_rss * 3 / 2)) ] && echo met || echo NOT met)"
  rm -rf "$OUT"
  ;;
webhooks)
  echo; echo "== webhooks: signed end-of-call reports into durable PostgreSQL; crmctl serve vs Express + pg vs pgbench"
  bench/webhooks.sh "$BUILD"
  ;;
*) echo "unknown benchmark $b (startup, migrate, provision, export, audit, numbers, billing, tools, transcripts, webhooks)" >&2; exit 2 ;;
esac; done
