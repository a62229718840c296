# Helpers for tests/e2e/*.sh: run the binary, capture stdout/stderr/exit code, assert.
# Each script gets: $1 = crmctl binary, $2 = source dir, $3 = simulator binary.
set -uo pipefail
CRMCTL=${1:?crmctl binary}
SRC=${2:?source dir}
SIM=${3:-}
WORK=$(mktemp -d)
FAILS=0
CHECKS=0
trap 'rm -rf "$WORK"; [ -n "${E2E_DB:-}" ] && drop_db "$E2E_DB"' EXIT

run() { # run ARGS... -> $OUT $ERR $RC
  "$CRMCTL" "$@" >"$WORK/out" 2>"$WORK/err" </dev/null
  RC=$?
  OUT=$(cat "$WORK/out")
  ERR=$(cat "$WORK/err")
}
fail() { echo "FAIL: $*" >&2; echo "  rc=$RC" >&2; echo "  stdout: ${OUT:0:2000}" >&2; echo "  stderr: ${ERR:0:2000}" >&2; FAILS=$((FAILS + 1)); }
expect_rc() { CHECKS=$((CHECKS + 1)); [ "$RC" = "$1" ] || fail "${2:-} expected exit $1"; }
expect_out() { CHECKS=$((CHECKS + 1)); grep -qF -- "$1" <<<"$OUT" || fail "stdout lacks '$1' ${2:-}"; }
expect_err() { CHECKS=$((CHECKS + 1)); grep -qF -- "$1" <<<"$ERR" || fail "stderr lacks '$1' ${2:-}"; }
expect_no() { CHECKS=$((CHECKS + 1)); ! grep -qF -- "$1" <<<"$OUT$ERR" || fail "output contains '$1' ${2:-}"; }
expect_lines_err() { CHECKS=$((CHECKS + 1)); [ "$(printf '%s\n' "$ERR" | grep -c .)" = "$1" ] || fail "stderr should have $1 line(s)"; }

PSQL=$(command -v psql || ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | head -1)
admin_url() {
  [ -n "${CRMCTL_TEST_DATABASE_URL:-}" ] || { echo "CRMCTL_TEST_DATABASE_URL is not set: run via make test" >&2; exit 1; }
  echo "$CRMCTL_TEST_DATABASE_URL"
}
new_db() { # creates a fresh database, prints its URL
  local name="e2e_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
  "$PSQL" -qX "$(admin_url)" -c "CREATE DATABASE $name" >/dev/null || exit 1
  echo "${CRMCTL_TEST_DATABASE_URL%/*}/$name"
}
drop_db() { "$PSQL" -qX "$(admin_url)" -c "DROP DATABASE IF EXISTS ${1##*/} WITH (FORCE)" >/dev/null 2>&1; }
sql() { "$PSQL" -qXAt "$E2E_DB" -c "$1"; }

wait_for() { # polls a boolean SQL query on $E2E_DB until true (30 s at most)
  for _ in $(seq 1 600); do
    [ "$(sql "$1" 2>/dev/null)" = t ] && return 0
    sleep 0.05
  done
  fail "timed out waiting for: $1"
}

finish() {
  echo "$((CHECKS - FAILS)) passed, $FAILS failed"
  [ "$FAILS" = 0 ]
}
