# Sourced by examples/demo.sh: a tenant's phone number, end to end against the simulator — search,
# buy (a saga), activate on ElevenLabs with a registered agent, route to the owner and back,
# reconcile, forwarding codes for a SIM number, release.
step "Voice agent: registered for routing, with its per-agent webhook URL (secret shown once)"
show "$CRMCTL" -o table agent create --tenant serenity-medspa --provider elevenlabs \
  --external-id agent_demo_rachel --name Rachel
show "$CRMCTL" -o table agent list --tenant serenity-medspa

step "Numbers: search, then buy on the tenant's own Twilio account (dry run first)"
show "$CRMCTL" -o table number search --tenant serenity-medspa --country US --area-code 415 --limit 3
show "$CRMCTL" -o table number buy --tenant serenity-medspa --number +14155550100 --dry-run
show "$CRMCTL" -o table number buy --tenant serenity-medspa --number +14155550100 \
  --idempotency-key demo-serenity-1
echo "(the same command again is a no-op: the idempotency key returns the first outcome)"
show "$CRMCTL" -o table number buy --tenant serenity-medspa --number +14155550100 \
  --idempotency-key demo-serenity-1

step "Activate: import into ElevenLabs, assign the agent, mark active"
show "$CRMCTL" -o table number activate --tenant serenity-medspa +14155550100

step "RinglyPro's AI toggle, done on Twilio: forward to the owner, then back to the AI"
show "$CRMCTL" -o table number route --tenant serenity-medspa +14155550100 --ai off \
  --forward-to +14155550199
show "$CRMCTL" -o table number route --tenant serenity-medspa +14155550100 --ai on
show "$CRMCTL" -o table number list --tenant serenity-medspa

step "Reconcile: the database, Twilio and ElevenLabs agree"
show "$CRMCTL" -o table number reconcile --tenant serenity-medspa --min-age 0s

step "Hybrid telephony: forward a SIM number to the AI number (GSM/CDMA codes)"
show "$CRMCTL" -o table forwarding codes --carrier tmobile --mode safety_net --to +14155550100 --ring 25

step "Release: ElevenLabs delete, Twilio release, record (confirmation required)"
show "$CRMCTL" -o table number release --tenant serenity-medspa +14155550100 --yes
show "$CRMCTL" -o table number list --tenant serenity-medspa --all
