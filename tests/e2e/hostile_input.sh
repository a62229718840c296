#!/usr/bin/env bash
# Hostile input driven from outside, as found: hostile files never crash the binary, an empty
# --tenants never means "all", a NUL never truncates a password, control characters and bidi
# overrides are refused at the edge (exit 2, nothing written), and what is already stored is
# listed escaped.
. "$(dirname "$0")/../harness/e2e-lib.sh"
unset CRMCTL_DATABASE_URL DATABASE_URL CRMCTL_CONFIG CRMCTL_PROFILE
E2E_DB=$(new_db)
export CRMCTL_DATABASE_URL=$E2E_DB
export CRMCTL_MASTER_KEY=$(head -c 32 /dev/urandom | base64)
CRMCTL=$(realpath "$CRMCTL")
cd "$WORK" || exit 1 # a core file, if any, would land here
ulimit -c unlimited 2>/dev/null

no_crash() { # the last run ended by exit, not by a signal (128+N), and left no core file
  CHECKS=$((CHECKS + 1))
  { [ "$RC" -lt 128 ] && ! ls "$WORK"/core* >/dev/null 2>&1; } || fail "$1: crashed"
  rm -f "$WORK"/core*
}
nothing_migrated() {
  CHECKS=$((CHECKS + 1))
  [ "$(sql "SELECT to_regclass('public.organizations') IS NULL AND to_regclass('crm.schema_migrations') IS NULL")" = t ] ||
    fail "$1: something was applied"
}

# --- --tenants: an empty list is an error, never "all"; unknown entries are named --------------
for list in "" "," "acme,,beta"; do
  run migrate up --tenants "$list"
  expect_rc 2 "migrate up --tenants '$list'"
  expect_err "--tenants"
  expect_lines_err 1
  nothing_migrated "--tenants '$list'"
done
run migrate up --tenants no-such-tenant,org_00000000000000000000000000000000
expect_rc 2 "unknown --tenants entries"
expect_err "'no-such-tenant', 'org_00000000000000000000000000000000'"
nothing_migrated "unknown --tenants entries"
run -q migrate up
expect_rc 0 "migrate up"

# --- hostile YAML files: no crash, a clean error naming the file -----------------------------
printf 'settings: &a [*a]\n' >"$WORK/recursive.yaml"
run tenant create "Alias Clinic" --settings "$WORK/recursive.yaml"
expect_rc 2 "recursive alias in --settings"
expect_err "recursive.yaml: a recursive alias"
no_crash "recursive alias in --settings"
{ printf 'settings:\n  a: '; printf '%10000s' '' | tr ' ' '['; printf '%10000s' '' | tr ' ' ']'; echo; } >"$WORK/deep.yaml"
run tenant create "Deep Clinic" --settings "$WORK/deep.yaml"
expect_rc 2 "10,000 levels in --settings"
expect_err "deep.yaml: nests deeper than 64 levels"
no_crash "deep --settings"
printf 'default_profile: &a [*a]\n' >"$WORK/config.yaml"
run --config "$WORK/config.yaml" config view
expect_rc 10 "recursive alias in the config file"
expect_err "config.yaml: a recursive alias"
no_crash "recursive alias in the config file"
cp "$WORK/deep.yaml" "$WORK/deep-config.yaml"
run --config "$WORK/deep-config.yaml" tenant list
expect_rc 10 "10,000 levels in the config file"
expect_err "nests deeper than 64 levels"
no_crash "deep config"
CHECKS=$((CHECKS + 1))
[ "$(sql "SELECT count(*) FROM organizations")" = 0 ] || fail "a hostile settings file created a tenant"

run -o json tenant create "Café Zürich" --slug cafe-zurich --admin-email owner@cafe.example \
  --timezone Europe/Zurich
expect_rc 0 "tenant create with accents"
run -o json tenant create "Crème Brûlée Ærø Łódź 🦷" --dry-run
expect_rc 0 "slug from accented letters"
expect_out '"slug": "creme-brulee-aero-lodz"'

# --- passwords: a NUL used to truncate the password (and bypass the length rule) ---------------
printf 'pw\0restXYZ\n' | "$CRMCTL" user create nul@cafe.example --tenant cafe-zurich --role viewer \
  --password-stdin >"$WORK/out" 2>"$WORK/err"
RC=$?; OUT=$(cat "$WORK/out"); ERR=$(cat "$WORK/err")
expect_rc 2 "NUL in --password-stdin"
expect_err "contains a NUL character (U+0000) at position 3"
expect_no "restXYZ" "the password is never echoed"
CHECKS=$((CHECKS + 1))
[ "$(sql "SELECT count(*) FROM users WHERE email = 'nul@cafe.example'")" = 0 ] || fail "user written"

# --- control characters and bidi overrides at the edge: exit 2, nothing written ---------------
users_before=$(sql "SELECT count(*) FROM users")
run user create esc@cafe.example --tenant cafe-zurich --role viewer --name "$(printf 'Evil\033[31mRed')"
expect_rc 2 "ESC in --name"
expect_err "--name: contains a control character (U+001B) at position 5: remove it"
expect_lines_err 1
run user create bidi@cafe.example --tenant cafe-zurich --role viewer --name "$(printf 'gpj\342\200\256exe')"
expect_rc 2 "U+202E in --name"
expect_err "(U+202E)"
run tenant create "$(printf 'Tab\tClinic')" --slug tab-clinic
expect_rc 2 "TAB in a tenant name"
expect_err "(U+0009)"
run tenant create "$(printf 'C1 \302\233 Clinic')" --slug c1-clinic
expect_rc 2 "C1 control in a tenant name"
expect_err "(U+009B)"
run tenant create "$(printf 'Over\300\257long')" --slug overlong
expect_rc 2 "overlong UTF-8 in a tenant name"
expect_err "not valid UTF-8"
run tenant create "Big Cost" --cogs-per-minute 123456789012345
expect_rc 2 "cogs beyond numeric(20,6)"
expect_err "at most 14 fit (numeric(20,6))"
run tenant create "Fine Cost" --cogs-per-minute 0.1234567
expect_rc 2 "cogs with 7 decimals"
expect_err "at most 6 are kept"
printf 'email,name,role\nok@cafe.example,Ok,viewer\nx@cafe.example,\033]0;pwned\007,viewer\n' >"$WORK/users.csv"
run -o json user import "$WORK/users.csv" --tenant cafe-zurich
expect_rc 2 "ESC in a CSV field"
expect_err "line 3: name: contains a control character (U+001B)"
CHECKS=$((CHECKS + 1))
[ "$(sql "SELECT count(*) FROM users")" = "$users_before" ] || fail "a refused input wrote a user"
printf '\357\273\277email,name,role\r\nbom@cafe.example,Bom,viewer\r\n' >"$WORK/bom.csv"
run -o json user import "$WORK/bom.csv" --tenant cafe-zurich
expect_rc 0 "CSV with a UTF-8 BOM"
expect_out '"created"'

# --- credentials: NUL and a million-deep JSON on stdin ----------------------------------------
printf 'account_sid=AC0123456789abcdef0123456789abcdef\nauth_token=sec\0ret\n' |
  "$CRMCTL" creds set --tenant cafe-zurich twilio --from-stdin >"$WORK/out" 2>"$WORK/err"
RC=$?; OUT=$(cat "$WORK/out"); ERR=$(cat "$WORK/err")
expect_rc 2 "NUL in a credential"
expect_err "credential field 'auth_token': contains a NUL character"
head -c 1000000 /dev/zero | tr '\0' '[' |
  "$CRMCTL" creds set --tenant cafe-zurich elevenlabs --from-stdin >"$WORK/out" 2>"$WORK/err"
RC=$?; OUT=$(cat "$WORK/out"); ERR=$(cat "$WORK/err")
expect_rc 2 "a million-deep credential JSON"
expect_err "credential input: JSON nests deeper than 64 levels"
no_crash "deep credential JSON"
CHECKS=$((CHECKS + 1))
[ "$(sql "SELECT count(*) FROM org_credentials")" = 0 ] || fail "a refused credential was stored"

# --- what is already stored is shown escaped ------------------------------------------------
org=$(sql "SELECT id FROM organizations WHERE slug = 'cafe-zurich'")
uid=$(sql "SELECT gen_random_uuid()")
sql "INSERT INTO users (id, email, name) VALUES ('$uid', 'mallory@cafe.example', E'\\x1b[31mMallory\\x1b[0m \\u202Egpj.exe')" >/dev/null
sql "INSERT INTO memberships (org_id, user_id, role) VALUES ('$org', '$uid', 'viewer')" >/dev/null
run -o table user list --tenant cafe-zurich
expect_rc 0 "user list"
expect_out '\x1b[31mMallory\x1b[0m \u202egpj.exe'
CHECKS=$((CHECKS + 1))
! grep -q $'\033' <<<"$OUT" || fail "a raw ESC reached the terminal"
CHECKS=$((CHECKS + 1))
! grep -qF $'\342\200\256' <<<"$OUT" || fail "a raw U+202E reached the terminal"
run -o json user list --tenant cafe-zurich
expect_rc 0
expect_out '"name": "\u001b[31mMallory\u001b[0m \u202egpj.exe"'
CHECKS=$((CHECKS + 1))
! grep -q $'\033' <<<"$OUT" || fail "a raw ESC in JSON output"
run tenant show "$(printf 'no\033[2Jsuch')"
expect_rc 3 "unknown tenant with an escape in its name"
expect_err 'no\x1b[2Jsuch'
CHECKS=$((CHECKS + 1))
! grep -q $'\033' <<<"$ERR" || fail "a raw ESC reached stderr"

finish
