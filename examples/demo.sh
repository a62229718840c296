#!/usr/bin/env bash
# make demo: a throwaway PostgreSQL and the provider simulator under the build directory, then a
# tenant's life with crmctl. Leaves both running; `make demo-down` stops them.
set -euo pipefail
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
CRMCTL="$BUILD/cmd/crmctl"
SIM="$BUILD/tests/sim/crm-sim"
PGDIR="$BUILD/pg-demo"
# A section heading (bold on a terminal unless NO_COLOR is set).
step() {
  if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then printf '\n\033[1m== %s\033[0m\n' "$*"; else printf '\n== %s\n' "$*"; fi
}
# Echoes the command shell-quoted (so it can be copied and pasted: tenant create 'Serenity MedSpa'),
# then runs it.
show() {
  local line='$' a
  for a in "$@"; do
    if [[ -n $a && $a =~ ^[A-Za-z0-9_./:=@%+,-]+$ ]]; then
      line+=" $a"
    else
      line+=" '${a//\'/\'\\\'\'}'"
    fi
  done
  printf '%s\n' "$line"
  "$@"
}

step "PostgreSQL: a fresh throwaway cluster under $PGDIR"
tests/harness/pg.sh stop "$PGDIR"
tests/harness/pg.sh start "$PGDIR"
export CRMCTL_DATABASE_URL=$(cat "$PGDIR/url")
echo "database: $CRMCTL_DATABASE_URL"

step "Provider simulator (Twilio, ElevenLabs, Vapi, Retell contracts) on loopback"
if [ -f "$BUILD/sim.pid" ] && kill -0 "$(cat "$BUILD/sim.pid")" 2>/dev/null; then kill "$(cat "$BUILD/sim.pid")"; sleep 0.2; fi
rm -f "$BUILD/sim.port"
DEMO_TWILIO_SID=AC$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
DEMO_TWILIO_TOKEN=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
DEMO_EL_KEY=sk_$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
export DEMO_VAPI_WEBHOOK_SECRET=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
export DEMO_RETELL_API_KEY=key_$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
nohup "$SIM" --port 0 --port-file "$BUILD/sim.port" --accept "twilio:$DEMO_TWILIO_SID:$DEMO_TWILIO_TOKEN" \
  --accept "elevenlabs:$DEMO_EL_KEY" --agent "elevenlabs:$DEMO_EL_KEY:agent_demo_rachel:Rachel" \
  >"$BUILD/sim.log" 2>&1 &
echo $! >"$BUILD/sim.pid"
for _ in $(seq 1 50); do [ -s "$BUILD/sim.port" ] && break; sleep 0.1; done
SIM_URL="http://127.0.0.1:$(cat "$BUILD/sim.port")"
echo "simulator: $SIM_URL"

# A config profile pointing every provider at the simulator; secrets are references, never literals.
KEYFILE="$BUILD/demo-master.key"
[ -s "$KEYFILE" ] || (umask 077; head -c 32 /dev/urandom | base64 >"$KEYFILE")
export CRMCTL_CONFIG="$BUILD/demo-config.yaml"
umask 077
cat >"$CRMCTL_CONFIG" <<YAML
default_profile: demo
profiles:
  demo:
    database_url: env:CRMCTL_DATABASE_URL
    master_key: file:$ROOT/$KEYFILE
    webhook_base_url: http://127.0.0.1:8080
    providers:
      twilio:     {base_url: $SIM_URL}
      elevenlabs: {base_url: $SIM_URL}
      retell:     {base_url: $SIM_URL, api_key: env:DEMO_RETELL_API_KEY}
      google:     {base_url: $SIM_URL}
YAML
umask 022

step "Configuration (secrets masked)"
show "$CRMCTL" config validate
show "$CRMCTL" -o yaml config view

step "Migrations: plan, apply, status"
show "$CRMCTL" -o table migrate plan
show "$CRMCTL" -o table migrate up
show "$CRMCTL" -o table migrate status

. examples/demo-tenant.sh
. examples/demo-numbers.sh
. examples/demo-billing.sh
. examples/demo-tools.sh
. examples/demo-transcripts.sh
. examples/demo-webhooks.sh

step "Health"
show "$CRMCTL" -o table doctor

cat <<MSG

The demo database and simulator are still running. Point crmctl at them with:
  export CRMCTL_CONFIG=$ROOT/$CRMCTL_CONFIG
  export CRMCTL_DATABASE_URL=$CRMCTL_DATABASE_URL
  $ROOT/$CRMCTL doctor
Stop them with: make demo-down
MSG
