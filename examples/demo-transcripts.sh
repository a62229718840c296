# Sourced by examples/demo.sh: transcripts exported with PHI redaction (txt, JSONL, CSV), a
# resumable export, and an expiring signed link to a call's recording.
step "Transcripts: two calls with PHI in them (inserted as the superuser; the daemon and calls import write the same columns)"
SERENITY=$(psql -qXAt "$CRMCTL_DATABASE_URL" -c "SELECT id FROM organizations WHERE slug = 'serenity-medspa'")
psql -qX "$CRMCTL_DATABASE_URL" -v ON_ERROR_STOP=1 -c "
  INSERT INTO calls (org_id, provider, external_call_id, direction, from_number, to_number, caller_name,
                     started_at, duration_seconds, transcript, summary, recording_url, recording_status, metadata)
  VALUES ('$SERENITY', 'vapi', 'demo-transcript-1', 'inbound', '+14155550123', '+14155550100', 'Dana Whitfield',
          '2026-11-20 15:04:05+00', 185,
          E'AI: Thank you for calling Serenity MedSpa, how can I help?\nUser: Hi, I want to book Botox. My cell is 415-555-0123\nand my date of birth is 04/12/1988.\nAI: Thanks Dana, I have Tuesday at 2:30 PM, it is \$350.\nUser: Perfect. Email the forms to dana.w@example.com please.',
          'Booked Botox for Tuesday 2:30 PM; forms to dana.w@example.com', 'https://storage.vapi.example/rec/1.mp3',
          'completed', '{}'),
         ('$SERENITY', 'elevenlabs', 'demo-transcript-2', 'inbound', '+14155550177', '+14155550100', 'Sam Ortiz',
          '2026-11-21 09:30:00+00', 64, NULL, 'Price question',
          NULL, NULL,
          '{\"turns\": [{\"role\": \"agent\", \"text\": \"Serenity MedSpa, this is Ava.\", \"t\": 0},
                       {\"role\": \"caller\", \"text\": \"How much is a facial? My card is 4111 1111 1111 1111 if I book.\", \"t\": 3.2},
                       {\"role\": \"agent\", \"text\": \"A facial is \$120; order 48213977 is your gift card.\", \"t\": 9.8}]}')
  ON CONFLICT DO NOTHING" >/dev/null
show "$CRMCTL" transcripts export --tenant serenity-medspa --format txt --out -
show "$CRMCTL" transcripts export --tenant serenity-medspa --format csv --out -

step "Export to a directory: one file per call, a manifest with SHA-256, an audit row; a rerun resumes or skips"
rm -rf "$BUILD/demo-transcripts"
show "$CRMCTL" -o table transcripts export --tenant serenity-medspa --format jsonl --out "$BUILD/demo-transcripts"
show "$CRMCTL" -o table transcripts export --tenant serenity-medspa --format jsonl --out "$BUILD/demo-transcripts"
show "$CRMCTL" transcripts export --tenant serenity-medspa --format csv --out "$BUILD/demo-raw" --no-redact \
  || echo "(exit $? - unredacted PHI needs a --reason)"
psql -qX "$CRMCTL_DATABASE_URL" -c "SELECT action, target, arguments->>'redaction' AS redaction, arguments->>'calls' AS calls
  FROM audit_events WHERE action = 'transcripts.export' ORDER BY id DESC LIMIT 3"

step "Recordings: a 24-hour signed link (recorded in messages and audit_events, never stored), then checked"
export CRMCTL_RECORDINGS_SIGNING_SECRET=${CRMCTL_RECORDINGS_SIGNING_SECRET:-$(head -c 32 /dev/urandom | base64)}
export CRMCTL_RECORDINGS_BASE_URL=${CRMCTL_RECORDINGS_BASE_URL:-https://app.serenity.example/recordings}
CALL1=$(psql -qXAt "$CRMCTL_DATABASE_URL" -c "SELECT id FROM calls WHERE external_call_id = 'demo-transcript-1'")
CALL2=$(psql -qXAt "$CRMCTL_DATABASE_URL" -c "SELECT id FROM calls WHERE external_call_id = 'demo-transcript-2'")
LINK=$("$CRMCTL" -o json recordings share --tenant serenity-medspa "$CALL1" --ttl 24h --email qa@serenity.example |
  sed -n 's/.*"url": "\(.*\)".*/\1/p')
echo "link: $LINK"
show "$CRMCTL" -o table recordings verify "$LINK"
show "$CRMCTL" -o table recordings verify "${LINK/expires=/expires=9}" || echo "(exit $? - tampered)"
show "$CRMCTL" recordings share --tenant serenity-medspa "$CALL2" || echo "(exit $? - that call has no recording)"
