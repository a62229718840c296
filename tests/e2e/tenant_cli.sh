#!/usr/bin/env bash
# The tenant, user, apikey and creds commands as a user runs them: exit codes, one-line errors,
# secrets only from stdin and never printed, JSON output, and bcrypt hashes Node's bcrypt accepts.
. "$(dirname "$0")/../harness/e2e-lib.sh"
unset CRMCTL_DATABASE_URL DATABASE_URL CRMCTL_CONFIG
E2E_DB=$(new_db)
export CRMCTL_DATABASE_URL=$E2E_DB
export CRMCTL_MASTER_KEY=$(head -c 32 /dev/urandom | base64)

run tenant list
expect_rc 10 "tenant list before migrations"
expect_err "crmctl migrate up"
run -q migrate up
expect_rc 0

run -o json tenant create "Serenity MedSpa" --admin-email Owner@Serenity.example --timezone Europe/London \
  --cogs-per-minute 0.07 --markup 2 --free-minutes 100
expect_rc 0 "tenant create"
expect_out '"slug": "serenity-medspa"'
expect_out '"rate_per_minute": "0.14"'
run -o json tenant create "Serenity MedSpa" --admin-email Owner@Serenity.example --timezone Europe/London \
  --cogs-per-minute 0.07 --markup 2 --free-minutes 100 --if-not-exists
expect_rc 0 "identical with --if-not-exists"
expect_err "already exists with identical attributes"
run tenant create "Serenity MedSpa"
expect_rc 4 "duplicate slug"
expect_lines_err 1
run tenant create "Bad TZ" --timezone Mars/Base
expect_rc 2 "invalid timezone"
expect_err "Mars/Base"
run tenant create "Bad Cur" --currency usd
expect_rc 2 "invalid currency"
run tenant create "Bad Mail" --admin-email "not-an-email"
expect_rc 2 "invalid email"
run tenant create "$(printf 'a%.0s' $(seq 1 300))"
expect_rc 2 "300 characters"
expect_err "at most 200"
run tenant create "🦷🦷"
expect_rc 2 "no slug derivable"
expect_err "--slug"
run -o json tenant create "x'); DROP TABLE organizations; --" --isolation schema
expect_rc 0 "SQL metacharacters are data"
expect_out '"slug": "x-drop-table-organizations"'
CHECKS=$((CHECKS + 1))
[ "$(sql "SELECT count(*) FROM organizations")" = 2 ] || fail "two tenants expected"
run tenant create "Dry" --dry-run -o table
expect_rc 0
expect_out "dry run: nothing written"
CHECKS=$((CHECKS + 1))
[ "$(sql "SELECT count(*) FROM organizations WHERE slug = 'dry'")" = 0 ] || fail "dry run wrote"

run -o table tenant list
expect_rc 0
expect_out "serenity-medspa"
run -o json tenant show serenity-medspa
expect_rc 0
expect_out '"services": 7'
run tenant show no-such-tenant
expect_rc 3 "unknown tenant"

# Passwords only from stdin; the hash verifies with Node's bcrypt (bcryptjs implements the same format).
run user create ana@serenity.example --tenant serenity-medspa --role admin --password hunter2
expect_rc 2 "no --password flag exists"
printf 'correct horse battery\n' | "$CRMCTL" -q user create ana@serenity.example --tenant serenity-medspa \
  --role admin --password-stdin >/dev/null 2>"$WORK/err"
RC=$?; ERR=$(cat "$WORK/err"); OUT=""
expect_rc 0 "user create --password-stdin"
hash=$(sql "SELECT password_hash FROM users WHERE email = 'ana@serenity.example'")
CHECKS=$((CHECKS + 1))
[[ "$hash" == '$2b$12$'* ]] || fail "hash is not \$2b\$12\$: $hash"
if [ -n "${CRMCTL_NODE_MODULES:-}" ]; then
  CHECKS=$((CHECKS + 1))
  verdict=$(NODE_PATH="$CRMCTL_NODE_MODULES" node -e 'const b=require("bcryptjs");
    console.log(b.compareSync(process.argv[1], process.argv[2]) && !b.compareSync("wrong", process.argv[2]))' \
    "correct horse battery" "$hash")
  [ "$verdict" = "true" ] || fail "Node bcrypt does not verify our hash"
else
  fail "CRMCTL_NODE_MODULES not set (make test installs bcryptjs)"
fi

printf 'email,name,role\nbob@s.example,Bob,employee\nbroken,,viewer\n' >"$WORK/users.csv"
run -o json user import "$WORK/users.csv" --tenant serenity-medspa
expect_rc 2 "csv with a bad row"
expect_out '"line": 3'
expect_err "nothing imported"
CHECKS=$((CHECKS + 1))
[ "$(sql "SELECT count(*) FROM users WHERE email = 'bob@s.example'")" = 0 ] || fail "partial import"

run -o json apikey create --tenant serenity-medspa --name ci --scopes calls:read --expires 30d
expect_rc 0
secret=$(sed -n 's/.*"secret": "\(crm_[^"]*\)".*/\1/p' <<<"$OUT")
run -o json apikey list --tenant serenity-medspa
expect_rc 0
CHECKS=$((CHECKS + 1))
[ -n "$secret" ] && ! grep -qF "$secret" <<<"$OUT" || fail "secret shown by list"

# Credentials: never from argv, masked everywhere, also in -vv logs; wrong master key exits 10.
run creds set --tenant serenity-medspa twilio --auth-token x
expect_rc 2 "no credential flags"
token=tok_$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
printf 'account_sid=AC0123456789abcdef0123456789abcdef\nauth_token=%s\n' "$token" |
  "$CRMCTL" -vv -o json creds set --tenant serenity-medspa twilio --from-stdin >"$WORK/out" 2>"$WORK/err"
RC=$?; OUT=$(cat "$WORK/out"); ERR=$(cat "$WORK/err")
expect_rc 0 "creds set"
expect_no "$token" "token leaked by creds set"
run -o json creds list --tenant serenity-medspa
expect_rc 0
expect_no "$token"
expect_out "AC0123456789abcdef0123456789abcdef"
CHECKS=$((CHECKS + 1))
[ "$(sql "SELECT count(*) FROM audit_events WHERE arguments::text LIKE '%$token%'")" = 0 ] || fail "token in audit"
run creds set --tenant serenity-medspa vapi --from-env
expect_rc 2 "vapi is a platform key"
expect_err "platform key"
CRMCTL_MASTER_KEY=$(head -c 32 /dev/urandom | base64) run creds verify --tenant serenity-medspa
expect_rc 10 "wrong master key"
expect_err "wrong CRMCTL_MASTER_KEY"
(unset CRMCTL_MASTER_KEY; "$CRMCTL" creds list --tenant serenity-medspa >/dev/null 2>&1) # list never decrypts
env -u CRMCTL_MASTER_KEY "$CRMCTL" creds verify --tenant serenity-medspa >/dev/null 2>"$WORK/err"
RC=$?; ERR=$(cat "$WORK/err")
expect_rc 10 "missing master key"
expect_err "openssl rand -base64 32"

# Suspend: tenant-scoped commands are refused with the fix in the message.
run tenant suspend serenity-medspa
expect_rc 2 "suspend needs --yes without a TTY"
run tenant suspend serenity-medspa --yes
expect_rc 0
run user list --tenant serenity-medspa
expect_rc 4 "suspended tenant refused"
expect_err "crmctl tenant resume serenity-medspa"
run tenant resume serenity-medspa
expect_rc 0

run -o json tenant export serenity-medspa --out "$WORK/export"
expect_rc 0
CHECKS=$((CHECKS + 1))
[ -s "$WORK/export/manifest.json" ] && [ -s "$WORK/export/services.jsonl" ] || fail "export files"
expect_no "$token" "token in export output"
CHECKS=$((CHECKS + 1))
! grep -rqF "$token" "$WORK/export" || fail "plaintext token in export files"

run tenant delete serenity-medspa --purge
expect_rc 2 "purge needs --yes"
run -o json tenant delete serenity-medspa --purge --yes
expect_rc 0
CHECKS=$((CHECKS + 1))
[ "$(sql "SELECT count(*) FROM public.services")" = 0 ] || fail "the purged tenant's services remain"
CHECKS=$((CHECKS + 1))
other=$(sql "SELECT schema_name FROM organizations WHERE slug = 'x-drop-table-organizations'")
[ "$(sql "SELECT count(*) FROM \"$other\".services")" = 7 ] || fail "the other (schema) tenant lost its services"
finish
