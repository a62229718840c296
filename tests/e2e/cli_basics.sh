#!/usr/bin/env bash
# version, --help, a usage error, an unreachable database, doctor on a real database.
. "$(dirname "$0")/../harness/e2e-lib.sh"
unset CRMCTL_DATABASE_URL DATABASE_URL CRMCTL_MASTER_KEY

run version
expect_rc 0 "version"
expect_out '"version": "0.1.0"' # piped: JSON by default, like every command

run --db "postgresql://nobody:pw@127.0.0.1:1/x" version -o json
expect_rc 0 "version ignores an unreachable --db"
expect_out '"version": "0.1.0"'

run --help
expect_rc 0 "--help"
expect_out "migrate"
expect_out "Exit codes"

run tenant-bogus
expect_rc 2 "unknown command"
expect_lines_err 1
expect_err "crmctl: error:"
expect_err "--help"

run migrate up --jobs abc
expect_rc 2 "bad flag value"

run --db "postgresql://admin:s3cretpw@127.0.0.1:1/crm" migrate status
expect_rc 7 "unreachable database"
expect_err "database unavailable at 127.0.0.1:1"
expect_err "Connection refused"
expect_no "s3cretpw" "password leaked"
expect_lines_err 1

run --db "postgresql://admin:s3cretpw@127.0.0.1:1/crm" -o json doctor
expect_rc 7 "doctor unreachable"
expect_out '"check": "database"'
expect_out '"status": "fail"'
expect_no "s3cretpw"

E2E_DB=$(new_db)
export CRMCTL_MASTER_KEY=$(head -c 32 /dev/urandom | base64)
run --db "$E2E_DB" -o json doctor
expect_rc 0 "doctor on an empty database is not a failure"
expect_out '"status": "warn"'
expect_out 'run `crmctl migrate up`'

run --db "$E2E_DB" -q migrate up
expect_rc 0 "migrate up"
run --db "$E2E_DB" -o table doctor
expect_rc 0 "doctor after migrate"
expect_out "rls             ok"
expect_out "roles           ok"

unset CRMCTL_MASTER_KEY
run --db "$E2E_DB" doctor
expect_rc 10 "doctor without master key"
expect_err "master_key failed"

# RLS switched off on a tenant table: doctor fails with findings.
sql "ALTER TABLE calls NO FORCE ROW LEVEL SECURITY"
export CRMCTL_MASTER_KEY=$(head -c 32 /dev/urandom | base64)
run --db "$E2E_DB" doctor
expect_rc 5 "doctor finds RLS not forced"
expect_out "public.calls"
finish
