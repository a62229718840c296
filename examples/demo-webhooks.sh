# Sourced by examples/demo.sh: the webhook daemon. `crmctl serve` runs in the background; the
# simulator sends webhooks signed as Vapi, Retell and Twilio sign them; duplicates, tampered and
# stale signatures, out-of-order lifecycle events; metrics; SIGTERM.
step "Webhook daemon: crmctl serve on a free port (JSON request log in $BUILD/serve.log)"
# The daemon's profile: the demo's, plus Vapi's webhook secret (a reference, never a literal).
SERVE_CONFIG="$BUILD/demo-serve-config.yaml"
(umask 077; cp "$CRMCTL_CONFIG" "$SERVE_CONFIG"; cat >>"$SERVE_CONFIG" <<YAML
      vapi:       {base_url: $SIM_URL, webhook_secret: env:DEMO_VAPI_WEBHOOK_SECRET}
YAML
)
RETELL_AGENT_JSON=$("$CRMCTL" -o json agent create --tenant acme --provider retell --external-id agent_demo_acme \
  --name "Acme (Retell)" 2>/dev/null)
RETELL_AGENT=$(printf '%s' "$RETELL_AGENT_JSON" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
rm -f "$BUILD/serve.out"
"$CRMCTL" --config "$SERVE_CONFIG" --log-format json serve --listen 127.0.0.1:0 >"$BUILD/serve.out" 2>"$BUILD/serve.log" &
SERVE_PID=$!
for _ in $(seq 1 100); do grep -q listening "$BUILD/serve.out" 2>/dev/null && break; sleep 0.05; done
SERVE_URL=http://$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["listening"])' "$BUILD/serve.out")
echo "daemon: $SERVE_URL (pid $SERVE_PID)"
show curl -s "$SERVE_URL/readyz"

# The simulator signs and sends (POST /__sim/webhooks/send); prints the daemon's answer.
send() {
  curl -s -X POST "$SIM_URL/__sim/webhooks/send" -H 'Content-Type: application/json' -d "$1" |
    python3 -c 'import json,sys; a=json.load(sys.stdin); print("  ->", " ".join(map(str, a["statuses"])), a["body"])'
}
step "Vapi end-of-call report, signed (x-signature HMAC-SHA256): stored; sent again: a duplicate, nothing written twice"
VAPI_EVENT='{"provider":"vapi","event":"end-of-call-report","url":"'$SERVE_URL'/webhooks/vapi","secret":"'$DEMO_VAPI_WEBHOOK_SECRET'",
  "call":{"id":"call_demo_vapi_1","agent_id":"asst_demo_front_desk","from":"+14155550142","to":"+14155550100","caller_name":"Jordan Lee","cost":"0.1375"}}'
echo "\$ simulator sends the report twice"; send "${VAPI_EVENT%\}},\"repeat\":2}"
echo "\$ the same report with a flipped signature byte, then signed three hours ago"
send "${VAPI_EVENT%\}},\"signature\":\"tampered\"}"
send "${VAPI_EVENT%\}},\"signature\":\"stale\"}"
show "$CRMCTL" -o table calls list --tenant serenity-medspa --limit 3

step "Retell events at the per-agent URL, out of order (analyzed, started, ended): one converged row"
for ev in call_analyzed call_started call_ended; do
  echo "\$ simulator sends $ev"
  send '{"provider":"retell","event":"'$ev'","url":"'$SERVE_URL'/webhooks/agent/'$RETELL_AGENT'","secret":"'$DEMO_RETELL_API_KEY'",
    "call":{"id":"call_demo_retell_1","agent_id":"agent_demo_acme","from":"+12125550199","to":"+12125550100"}}'
done
show "$CRMCTL" -o table calls list --tenant acme --limit 3
show "$CRMCTL" -o table agent list --tenant acme

step "Twilio SMS to Serenity's number, signed with the auth token of the account that owns it (the tenant's own, from the vault)"
show "$CRMCTL" -o table number buy --tenant serenity-medspa --number +14155550102 --idempotency-key demo-serenity-sms
send '{"provider":"twilio","event":"sms","url":"'$SERVE_URL'/webhooks/twilio/sms","secret":"'$DEMO_TWILIO_TOKEN'",
  "message":{"from":"+14155550142","to":"+14155550102","body":"Can I move my appointment to Friday?"}}'
echo "\$ the same SMS signed with another token"
send '{"provider":"twilio","event":"sms","url":"'$SERVE_URL'/webhooks/twilio/sms","secret":"not-the-token",
  "message":{"from":"+14155550142","to":"+14155550102","body":"spoofed"}}'
psql -qX "$CRMCTL_DATABASE_URL" -c "SELECT direction, sender, recipient, body FROM messages WHERE channel = 'sms' ORDER BY created_at DESC LIMIT 2"

step "An event for an agent nobody registered: 404 after verification, kept in the inbox for replay"
send '{"provider":"vapi","event":"end-of-call-report","url":"'$SERVE_URL'/webhooks/vapi","secret":"'$DEMO_VAPI_WEBHOOK_SECRET'",
  "call":{"id":"call_demo_orphan","agent_id":"asst_not_registered_yet"}}'
show "$CRMCTL" -o table webhooks list --limit 5

step "Metrics (Prometheus text) and the request log (one JSON line per request, no secrets, no transcripts)"
curl -s "$SERVE_URL/metrics" | grep -E '^crm_webhook_(requests_total|verification_failures_total)' || true
tail -n 3 "$BUILD/serve.log"

step "SIGTERM: stop accepting, answer what was accepted, exit 0"
kill -TERM "$SERVE_PID"
wait "$SERVE_PID" && echo "crmctl serve exited 0"
