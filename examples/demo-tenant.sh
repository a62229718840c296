# Sourced by examples/demo.sh: a tenant's life (provisioning, users, API keys, credentials).
step "Provision a tenant in one command (dry run first)"
show "$CRMCTL" -o table tenant create "Serenity MedSpa" --admin-email owner@serenity.example \
  --timezone Europe/London --cogs-per-minute 0.07 --markup 2 --free-minutes 100 --if-not-exists --dry-run
show "$CRMCTL" -o table tenant create "Serenity MedSpa" --admin-email owner@serenity.example \
  --timezone Europe/London --cogs-per-minute 0.07 --markup 2 --free-minutes 100 --if-not-exists
show "$CRMCTL" -o table tenant create "Acme Dental" --slug acme --isolation schema --timezone America/New_York \
  --settings examples/tenant-settings.yaml --if-not-exists
show "$CRMCTL" -o table tenant list

step "Users: the password comes from stdin, never a flag"
printf 'demo-password-123\n' | show "$CRMCTL" -o table user create ana@serenity.example --tenant serenity-medspa \
  --role manager --name "Ana" --password-stdin
show "$CRMCTL" -o table user import examples/users.csv --tenant serenity-medspa
show "$CRMCTL" -o table user list --tenant serenity-medspa

step "API key: the secret is shown once"
show "$CRMCTL" -o table apikey create --tenant serenity-medspa --name zapier --scopes calls:read,contacts:read --expires 90d
show "$CRMCTL" -o table apikey list --tenant serenity-medspa

step "Credentials vault: encrypted at rest, masked on output, verified against the (simulated) provider"
printf 'account_sid=%s\nauth_token=%s\n' "$DEMO_TWILIO_SID" "$DEMO_TWILIO_TOKEN" |
  show "$CRMCTL" -o table creds set --tenant serenity-medspa twilio --from-stdin
ELEVENLABS_API_KEY=$DEMO_EL_KEY show "$CRMCTL" -o table creds set --tenant serenity-medspa elevenlabs --from-env
show "$CRMCTL" -o table creds verify --tenant serenity-medspa
show "$CRMCTL" -o table creds list --tenant serenity-medspa

step "Acting as one tenant: a current context per profile, announced on every command"
show "$CRMCTL" -o table context use serenity-medspa
show "$CRMCTL" -o table apikey list
show "$CRMCTL" context clear

step "A read-only profile (or --read-only) refuses every change before it connects"
if show "$CRMCTL" --read-only tenant suspend serenity-medspa --yes; then
  echo "unexpected: a change ran under --read-only" >&2
  exit 1
else
  echo "(refused as expected: exit 4)"
fi

step "The tenant at a glance, and a full export"
show "$CRMCTL" -o table tenant show serenity-medspa
show "$CRMCTL" -o table tenant export serenity-medspa --out "$BUILD/demo-export/serenity-medspa"
