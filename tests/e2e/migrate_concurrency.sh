#!/usr/bin/env bash
# Two `migrate up` at once; SIGKILL during a fan-out; bad migration directories; the database
# going away mid fan-out.
. "$(dirname "$0")/../harness/e2e-lib.sh"
unset CRMCTL_DATABASE_URL DATABASE_URL
E2E_DB=$(new_db)
export CRMCTL_DATABASE_URL=$E2E_DB
M="$WORK/migrations"
mkdir -p "$M/global" "$M/tenant"
cat >"$M/global/20260101000000_orgs.sql" <<'SQL'
CREATE TABLE organizations (id uuid PRIMARY KEY, slug text UNIQUE, isolation text NOT NULL DEFAULT 'row',
  schema_name text, status text NOT NULL DEFAULT 'active', created_at timestamptz NOT NULL DEFAULT now());
SQL
echo "CREATE TABLE a (org_id uuid NOT NULL);" >"$M/tenant/20260101000000_a.sql"
run -q migrate up --migrations-dir "$M"
expect_rc 0 "first up"
sql "INSERT INTO organizations (id, slug, isolation, schema_name)
     SELECT gen_random_uuid(), 's' || g, 'schema', 'org_e2e_' || g FROM generate_series(1, 40) g;
     DO \$\$ BEGIN FOR i IN 1..40 LOOP EXECUTE format('CREATE SCHEMA org_e2e_%s', i); END LOOP; END \$\$;"
cat >"$M/tenant/20260101000100_slow.sql" <<'SQL'
CREATE TABLE slow (org_id uuid NOT NULL);
SELECT pg_sleep(0.15);
SQL

# 1. Two runs at once: one does the work, the other waits --lock-timeout then exits 4 naming the holder.
"$CRMCTL" -q migrate up --migrations-dir "$M" --jobs 2 >"$WORK/a.out" 2>"$WORK/a.err" &
A=$!
wait_for "SELECT count(*) > 0 FROM crm.schema_migrations WHERE version = '20260101000100' AND status = 'applied'"
run migrate up --migrations-dir "$M" --lock-timeout 1s
expect_rc 4 "second concurrent run"
expect_err "is held by pid"
expect_err "crmctl"
wait $A
RC=$?; OUT=$(cat "$WORK/a.out"); ERR=$(cat "$WORK/a.err")
expect_rc 0 "first concurrent run"
[ "$(sql "SELECT count(*) FROM crm.schema_migrations WHERE version = '20260101000100' AND status = 'applied' AND attempt = 1")" = 41 ] \
  || fail "every schema applied exactly once"
CHECKS=$((CHECKS + 1))

# 2. SIGKILL during a fan-out; the rerun completes and applies nothing twice.
cat >"$M/tenant/20260101000200_slow2.sql" <<'SQL'
CREATE TABLE slow2 (org_id uuid NOT NULL);
SELECT pg_sleep(0.1);
SQL
"$CRMCTL" -q migrate up --migrations-dir "$M" --jobs 2 >/dev/null 2>&1 &
K=$!
wait_for "SELECT count(*) >= 3 FROM crm.schema_migrations WHERE version = '20260101000200' AND status = 'applied'"
kill -9 $K 2>/dev/null
wait $K 2>/dev/null
done_before=$(sql "SELECT count(*) FROM crm.schema_migrations WHERE version = '20260101000200' AND status = 'applied'")
CHECKS=$((CHECKS + 1))
[ "$done_before" -gt 0 ] && [ "$done_before" -lt 41 ] || fail "kill should land mid fan-out (applied $done_before of 41)"
run -q migrate up --migrations-dir "$M" --jobs 2 --lock-timeout 10s
expect_rc 0 "rerun after SIGKILL"
CHECKS=$((CHECKS + 1))
[ "$(sql "SELECT count(*) FROM crm.schema_migrations WHERE version = '20260101000200' AND status = 'applied' AND attempt = 1")" = 41 ] \
  || fail "after the rerun all 41 schemas are applied once"
CHECKS=$((CHECKS + 1))
[ "$(sql "SELECT count(*) FROM pg_tables WHERE tablename = 'slow2'")" = 41 ] || fail "slow2 in every schema"
CHECKS=$((CHECKS + 1))
[ "$(sql "SELECT count(*) FROM crm.migration_runs WHERE status = 'abandoned' AND finished_at IS NOT NULL")" = 1 ] \
  || fail "the rerun closes the killed run as abandoned"

# 3. Partial failure exits 8 and lists the schema; JSON lists failures.
echo "DO \$\$ BEGIN IF current_schema() = 'org_e2e_7' THEN RAISE EXCEPTION 'boom'; END IF; END \$\$;" >"$M/tenant/20260101000300_boom.sql"
run -o json migrate up --migrations-dir "$M" --on-error continue
expect_rc 8 "partial failure"
expect_out '"schema": "org_e2e_7"'
expect_err "1 schema(s) failed: org_e2e_7"
run -o json migrate status --migrations-dir "$M"
expect_rc 0
expect_out '"tenant_behind": 1'

# 4. Drift: edit an applied file.
echo "-- edited" >>"$M/tenant/20260101000000_a.sql"
run migrate verify --migrations-dir "$M"
expect_rc 5 "drift"
expect_out "20260101000000_a.sql"
expect_out "org_e2e_1"

# 5. Bad directories and files.
run migrate up --migrations-dir "$WORK/none"
expect_rc 10 "missing dir"
expect_err "does not exist"
mkdir -p "$WORK/badname/tenant"
echo "SELECT 1;" >"$WORK/badname/tenant/add-things.sql"
run migrate plan --migrations-dir "$WORK/badname"
expect_rc 2 "file name out of pattern"
expect_err "add-things.sql"
mkdir -p "$WORK/unreadable/tenant"
ln -s /nonexistent/file.sql "$WORK/unreadable/tenant/20260101000000_x.sql"
run migrate plan --migrations-dir "$WORK/unreadable"
expect_rc 10 "unreadable file"
expect_err "cannot read migration file"

# 6. Dry run prints SQL and order without executing.
echo "CREATE TABLE d (org_id uuid NOT NULL);" >"$M/global/20260101000500_d.sql"
run --dry-run -o table migrate up --migrations-dir "$M"
expect_rc 0 "dry run"
expect_out "global 20260101000500 20260101000500_d.sql (transaction)"
expect_out "CREATE TABLE d"
CHECKS=$((CHECKS + 1))
[ "$(sql "SELECT count(*) FROM pg_tables WHERE tablename = 'd'")" = 0 ] || fail "dry run executed SQL"

# 7. SIGINT during a fan-out: workers finish what they hold, the run stops, exit 130; a rerun completes.
cat >"$M/tenant/20260101000600_slow3.sql" <<'SQL'
CREATE TABLE slow3 (org_id uuid NOT NULL);
SELECT pg_sleep(0.1);
SQL
rm -f "$M/tenant/20260101000300_boom.sql" "$M/global/20260101000500_d.sql"
"$CRMCTL" -q migrate up --migrations-dir "$M" --jobs 1 --allow-out-of-order >/dev/null 2>"$WORK/int.err" &
P=$!
wait_for "SELECT count(*) >= 2 FROM crm.schema_migrations WHERE version = '20260101000600' AND status = 'applied'"
kill -INT $P
wait $P
RC=$?; ERR=$(cat "$WORK/int.err"); OUT=""
expect_rc 130 "SIGINT"
partial=$(sql "SELECT count(*) FROM crm.schema_migrations WHERE version = '20260101000600' AND status = 'applied'")
CHECKS=$((CHECKS + 1))
[ "$partial" -lt 41 ] || fail "interrupt should stop the fan-out early (applied $partial)"
run -q migrate up --migrations-dir "$M" --jobs 2 --allow-out-of-order
expect_rc 0 "rerun after SIGINT"
CHECKS=$((CHECKS + 1))
[ "$(sql "SELECT count(*) FROM crm.schema_migrations WHERE version = '20260101000600' AND status = 'applied'")" = 41 ] || fail "rerun completes"

# 8. The database goes away mid fan-out: exit 7 (not 8) with what was not attempted; once it is
#    back, the next run closes the dead run and completes.
cat >"$M/tenant/20260101000700_slow4.sql" <<'SQL'
CREATE TABLE slow4 (org_id uuid NOT NULL);
SELECT pg_sleep(0.1);
SQL
"$CRMCTL" -o json migrate up --migrations-dir "$M" --jobs 2 --allow-out-of-order >"$WORK/gone.out" 2>"$WORK/gone.err" &
P=$!
wait_for "SELECT count(*) >= 3 FROM crm.schema_migrations WHERE version = '20260101000700' AND status = 'applied'"
"$PSQL" -qXAt "$(admin_url)" -c "ALTER DATABASE ${E2E_DB##*/} ALLOW_CONNECTIONS false" \
  -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '${E2E_DB##*/}' AND application_name = 'crmctl'" >/dev/null
wait $P
RC=$?; OUT=$(cat "$WORK/gone.out"); ERR=$(cat "$WORK/gone.err")
"$PSQL" -qXAt "$(admin_url)" -c "ALTER DATABASE ${E2E_DB##*/} ALLOW_CONNECTIONS true" >/dev/null
expect_rc 7 "database gone mid fan-out"
expect_err "database unavailable during migrate up"
expect_err "not attempted"
expect_out '"not_attempted"'
run migrate up --migrations-dir "$M" --jobs 2 --allow-out-of-order
expect_rc 0 "rerun once the database is back"
expect_err "closed 1 earlier run(s) left 'running'"
CHECKS=$((CHECKS + 1))
[ "$(sql "SELECT count(*) FROM crm.schema_migrations WHERE version = '20260101000700' AND status = 'applied' AND attempt = 1")" = 41 ] \
  || fail "after the database came back every schema has slow4 once"
CHECKS=$((CHECKS + 1))
[ "$(sql "SELECT count(*) FROM crm.migration_runs WHERE status = 'running'")" = 0 ] || fail "no run left 'running'"
finish
