# Sourced by examples/demo.sh: call history, rollups, closing, late usage, statements, the report.
step "Call history: validated row by row, all or nothing; a rerun imports nothing new"
show "$CRMCTL" -o table calls import --tenant serenity-medspa examples/calls-history.jsonl --dry-run
show "$CRMCTL" -o table calls import --tenant serenity-medspa examples/calls-history.jsonl
show "$CRMCTL" -o table calls import --tenant serenity-medspa examples/calls-history.jsonl
show "$CRMCTL" -o table calls list --tenant serenity-medspa --since 2026-10-30T00:00:00Z --limit 5
printf '{"provider":"vapi","external_call_id":"bad","started_at":"yesterday"}\n' >"$BUILD/demo-bad-calls.jsonl"
show "$CRMCTL" calls import --tenant serenity-medspa "$BUILD/demo-bad-calls.jsonl" || echo "(exit $? - nothing imported)"

step "Prepaid credit (RinglyPro style): a top-up, debited when a period closes"
show "$CRMCTL" -o table billing credit add --tenant serenity-medspa 20.00 --reason "demo top-up"

step "October: rolled up as a draft, then closed (final; the credit account is debited once)"
show "$CRMCTL" -o table billing rollup --tenant serenity-medspa --period 2026-10
show "$CRMCTL" -o table billing rollup --tenant serenity-medspa --period 2026-10 --close --yes
show "$CRMCTL" -o table billing credit show --tenant serenity-medspa

step "A late October call arrives after the close: it becomes an adjustment on November's statement"
printf '{"provider":"vapi","external_call_id":"late-oct-1","started_at":"2026-10-30T16:00:00Z","duration_seconds":600,"caller_name":"Late caller"}\n' >"$BUILD/demo-late.jsonl"
show "$CRMCTL" -o table calls import --tenant serenity-medspa "$BUILD/demo-late.jsonl"
show "$CRMCTL" -o table billing rollup --all-tenants --period 2026-11
show "$CRMCTL" -o table billing statement --tenant serenity-medspa --period 2026-11
show "$CRMCTL" billing statement --tenant serenity-medspa --period 2026-11 --format csv
show "$CRMCTL" billing statement --tenant serenity-medspa --period 2026-11 --format pdf --out "$BUILD/serenity-2026-11.pdf"
if command -v pdftotext >/dev/null; then pdftotext -layout "$BUILD/serenity-2026-11.pdf" - | head -20; fi

step "The super-admin's revenue report (margin and COGS never reach a tenant's statement)"
show "$CRMCTL" -o table billing report --period 2026-11
