// The reference receiver of the webhook daemon benchmark (docs/benchmarks.md, "Webhook daemon"):
// an Express + pg (node-postgres) server doing, per Vapi end-of-call report, the work
// `crmctl serve` does, one event per transaction, answering after COMMIT:
//   verify x-signature = hex(HMAC-SHA256(secret, x-timestamp + "." + raw body)) on the raw bytes
//   (express.raw, crypto.timingSafeEqual, 5 minute tolerance); parse and normalise the JSON;
//   BEGIN; resolve the tenant from call.assistantId (agent_routes joined to organizations);
//   INSERT the inbox row (webhook_events, raw body as bytea) ON CONFLICT DO NOTHING RETURNING id
//   (no row: a duplicate, 200); SET LOCAL ROLE crm_app + set_config(app.current_org_id) (the
//   tenant's RLS scope); the same calls upsert statement as crmctl (lib/webhook/ingest.cpp);
//   the contacts upsert; UPDATE calls.contact_id; UPDATE agents (pending -> active, a no-op once
//   active); RESET ROLE; UPDATE webhook_events state = 'processed'; COMMIT; 200.
// Every statement is a named (prepared once per session) statement; one JSON log line per
// request on stderr, like crmctl serve. 503 + Retry-After when the database fails.
//   DATABASE_URL=... VAPI_WEBHOOK_SECRET=... POOL=16 PORT=0 NODE_PATH=.../node_modules node server.js
// Prints {"listening":"127.0.0.1:PORT"} on stdout once listening; SIGTERM closes it.
//   node server.js --pgbench ORG_ID AGENT_ID TRANSCRIPT_FILE DIR
// writes the pgbench scripts of the benchmark from the same statements: DIR/upsert.sql (the
// calls upsert alone), DIR/event.sql (every statement of one event, one transaction) and
// DIR/group.sql (crmctl's group-commit statements for GROUP=64 events, one transaction).
'use strict';
const crypto = require('crypto');
const fs = require('fs');

// The calls upsert of crmctl, built the same way: an event at a later lifecycle stage wins.
function pick(col) {
  return `CASE WHEN EXCLUDED.lifecycle_stage >= c.lifecycle_stage THEN coalesce(EXCLUDED.${col}, c.${col}) ELSE coalesce(c.${col}, EXCLUDED.${col}) END`;
}
const cols = ['direction', 'call_type', 'from_number', 'to_number', 'caller_name', 'status', 'started_at',
  'ended_at', 'duration_seconds', 'provider_cost', 'transcript', 'summary', 'recording_url', 'sentiment',
  'sentiment_score', 'ended_reason', 'transfer_to'];
const UPSERT_CALL =
  'INSERT INTO calls AS c (org_id, provider, external_call_id, agent_id, direction, call_type, from_number, ' +
  'to_number, caller_name, status, started_at, ended_at, duration_seconds, is_billable, provider_cost, ' +
  'transcript, summary, recording_url, sentiment, sentiment_score, ended_reason, transfer_to, metadata, ' +
  "lifecycle_stage) VALUES ($1, $2, $3, nullif($4, '')::uuid, $5, $6, $7, $8, $9, $10, $11::timestamptz, " +
  "$12::timestamptz, $13::integer, $6 = 'phone', $14::numeric, $15, $16, $17, $18, $19::numeric, $20, $21, " +
  '$22::jsonb, $23::smallint) ON CONFLICT (org_id, provider, external_call_id) DO UPDATE SET ' +
  cols.map((c) => `${c} = ${pick(c)}, `).join('') +
  `is_billable = (${pick('call_type')}) = 'phone', agent_id = coalesce(c.agent_id, EXCLUDED.agent_id), ` +
  'metadata = CASE WHEN EXCLUDED.lifecycle_stage >= c.lifecycle_stage THEN c.metadata || EXCLUDED.metadata ' +
  'ELSE EXCLUDED.metadata || c.metadata END, lifecycle_stage = greatest(c.lifecycle_stage, ' +
  'EXCLUDED.lifecycle_stage), updated_at = now() RETURNING id::text AS id';

// crmctl's group commit (lib/webhook/ingest.cpp), built the same way, for the pgbench script of
// its statements alone: the batch's inbox rows in one statement, then in the tenant's scope all
// its call events in one statement (contacts upserted, calls upserted and linked, pending agents
// validated).
const GROUP_INBOX =
  'INSERT INTO webhook_events (provider, event_key, org_id, headers, body, state, route, event_type, ' +
  "processed_at, attempts) SELECT x.p, x.k, nullif(x.o, '')::uuid, x.h, decode(x.b, 'hex'), x.s, x.r, x.t, " +
  "CASE WHEN x.s = 'processed' THEN now() END, CASE WHEN x.s IN ('processed', 'held') THEN 1 ELSE 0 END " +
  'FROM jsonb_to_recordset($1::jsonb) AS x(p text, k text, o text, h jsonb, b text, s text, r text, t text) ' +
  'ON CONFLICT (provider, event_key) DO NOTHING RETURNING id, provider, event_key';
const GROUP_CALLS =
  "WITH x AS MATERIALIZED (SELECT x.*, coalesce(nullif(x.a, '')::uuid, (SELECT g.id FROM agents g WHERE " +
  "x.ae <> '' AND g.provider = x.p AND g.external_id = x.ae)) AS agent FROM jsonb_to_recordset($2::jsonb) AS " +
  'x(i integer, p text, e text, a text, ae text, d text, ty text, f text, t text, n text, s text, sa ' +
  'timestamptz, ea timestamptz, du integer, co numeric, tr text, su text, ru text, se text, ss numeric, er ' +
  'text, tt text, m jsonb, st smallint, cu text)), ct AS (INSERT INTO contacts (org_id, phone, name, ' +
  'last_contacted_at) SELECT $1::uuid, x.cu, (array_agg(x.n ORDER BY x.i) FILTER (WHERE x.n IS NOT NULL))[1], ' +
  "max(coalesce(x.sa, now())) FROM x WHERE x.cu <> '' GROUP BY x.cu ON CONFLICT (org_id, phone) DO UPDATE " +
  'SET last_contacted_at = greatest(contacts.last_contacted_at, EXCLUDED.last_contacted_at), name = ' +
  'coalesce(contacts.name, EXCLUDED.name) RETURNING id, phone), ag AS (UPDATE agents SET status = ' +
  "'active', validated_at = now() WHERE id IN (SELECT x.agent FROM x) AND status = 'pending_validation' " +
  'RETURNING 1) INSERT INTO calls AS c (org_id, provider, external_call_id, agent_id, direction, call_type, ' +
  'from_number, to_number, caller_name, status, started_at, ended_at, duration_seconds, is_billable, ' +
  'provider_cost, transcript, summary, recording_url, sentiment, sentiment_score, ended_reason, ' +
  'transfer_to, metadata, lifecycle_stage, contact_id) SELECT $1::uuid, x.p, x.e, x.agent, x.d, x.ty, x.f, ' +
  "x.t, x.n, x.s, x.sa, x.ea, x.du, x.ty = 'phone', x.co, x.tr, x.su, x.ru, x.se, x.ss, x.er, x.tt, x.m, " +
  'x.st, ct.id FROM x LEFT JOIN ct ON ct.phone = x.cu ORDER BY x.i ON CONFLICT (org_id, provider, ' +
  'external_call_id) DO UPDATE SET ' + cols.map((c) => `${c} = ${pick(c)}, `).join('') +
  `contact_id = coalesce(c.contact_id, EXCLUDED.contact_id), is_billable = (${pick('call_type')}) = 'phone', ` +
  'agent_id = coalesce(c.agent_id, EXCLUDED.agent_id), metadata = CASE WHEN EXCLUDED.lifecycle_stage >= ' +
  'c.lifecycle_stage THEN c.metadata || EXCLUDED.metadata ELSE EXCLUDED.metadata || c.metadata END, ' +
  'lifecycle_stage = greatest(c.lifecycle_stage, EXCLUDED.lifecycle_stage), updated_at = now()';

const Q = {
  route: 'SELECT r.org_id::text AS org_id, r.agent_id::text AS agent_id, o.status FROM agent_routes r ' +
    'JOIN organizations o ON o.id = r.org_id WHERE r.provider = $1 AND r.external_id = $2',
  inbox: 'INSERT INTO webhook_events (provider, event_key, org_id, headers, body, state, route, event_type) ' +
    "VALUES ($1, $2, $3::uuid, '{}'::jsonb, $4, 'received', $5, $6) ON CONFLICT (provider, event_key) DO " +
    'NOTHING RETURNING id',
  scope: "SELECT set_config('app.current_org_id', $1, true), set_config('search_path', 'public, crm', true)",
  contact: 'INSERT INTO contacts (org_id, phone, name, last_contacted_at) VALUES ($1, $2, $3, ' +
    'coalesce($4::timestamptz, now())) ON CONFLICT (org_id, phone) DO UPDATE SET last_contacted_at = ' +
    'greatest(contacts.last_contacted_at, EXCLUDED.last_contacted_at), name = coalesce(contacts.name, ' +
    'EXCLUDED.name) RETURNING id::text AS id',
  link: 'UPDATE calls SET contact_id = $1 WHERE id = $2 AND contact_id IS NULL',
  agent: "UPDATE agents SET status = 'active', validated_at = now() WHERE id = $1 AND status = 'pending_validation'",
  done: "UPDATE webhook_events SET state = 'processed', org_id = $2::uuid, processed_at = now(), attempts = " +
    'attempts + 1, error = NULL WHERE id = $1',
};
if (process.argv[2] === '--pgbench') {
  const [org, agent, transcriptFile, dir] = process.argv.slice(3);
  const lit = (v) => "'" + String(v).replace(/'/g, "''") + "'";
  const transcript = lit(fs.readFileSync(transcriptFile, 'utf8'));
  const summary = lit('New patient booked a cleaning for Tuesday 9:30; forms emailed; asked about parking.');
  // pgbench has no $n parameters: the values are spliced in (with -M prepared, :k is a parameter;
  // pgbench takes ":name" for a variable even inside a literal, hence chr(58) for a colon).
  const splice = (sql, vals) => sql.replace(/\$(\d+)/g, (_, n) => '(' + vals[Number(n) - 1] + ')');
  const callValues = (prefix, orgExpr, agentExpr) => [orgExpr, "'vapi'", `'${prefix}-' || :k`, agentExpr, "'inbound'",
    "'phone'", "'+1555' || lpad((:k::bigint % 10000000)::text, 7, '0')", "'+15550001111'", "'Caller ' || :k",
    "'completed'", "'2026-11-20T10:00:00.000Z'", "'2026-11-20T10:03:05.000Z'", "'185'", "'0.1234'", transcript,
    summary, `'https://rec.example/${prefix}-' || :k || '.wav'`, 'NULL', 'NULL', "'customer-ended-call'", 'NULL',
    lit(JSON.stringify({ source: 'webhook', event: 'end-of-call-report' })), "'3'"];
  const key = '\\set k random(1, 1000000000000)\n';
  fs.writeFileSync(`${dir}/upsert.sql`, key + splice(UPSERT_CALL, callValues('pgbu', lit(org), lit(agent))) + ';\n');
  const body = lit('{"message":{"type":"end-of-call-report","artifact":{"transcript":' +
    JSON.stringify(fs.readFileSync(transcriptFile, 'utf8')) + '}}}');
  const ev = [
    key + 'BEGIN;',
    splice(Q.route, ["'vapi'", "'asst_bench'"]) + ' \\gset',
    splice(Q.inbox, ["'vapi'", "'pgbe-' || :k || chr(58) || 'end-of-call-report'", ':org_id', `convert_to(${body}, 'UTF8')`,
      "'vapi'", "'end-of-call-report'"]).replace('RETURNING id', 'RETURNING id AS inbox_id') + ' \\gset',
    'SET LOCAL ROLE crm_app;',
    splice(Q.scope, [':org_id']) + ';',
    splice(UPSERT_CALL, callValues('pgbe', ':org_id::uuid', ':agent_id')).replace('RETURNING id::text AS id',
      'RETURNING id::text AS call_id') + ' \\gset',
    splice(Q.contact, [':org_id::uuid', "'+1555' || lpad((:k::bigint % 10000000)::text, 7, '0')", "'Caller ' || :k",
      "'2026-11-20T10:00:00.000Z'"]).replace('RETURNING id::text AS id', 'RETURNING id::text AS contact_id') + ' \\gset',
    splice(Q.link, [':contact_id::uuid', ':call_id::uuid']) + ';',
    splice(Q.agent, [':agent_id::uuid']) + ';',
    'RESET ROLE;',
    splice(Q.done, [':inbox_id::bigint', ':org_id::uuid']) + ';',
    'COMMIT;',
  ];
  fs.writeFileSync(`${dir}/event.sql`, ev.join('\n') + '\n');
  // group.sql: crmctl's group statements for GROUP events per transaction (distinct calls and
  // callers; the JSON parameters are literals with @K@ / @P@ replaced per transaction; no JSON null
  // and no colon before a letter, which pgbench would take for a variable).
  const group = Number(process.env.GROUP || 64);
  const tr = fs.readFileSync(transcriptFile, 'utf8');
  const hexBody = Buffer.from('{"message":{"type":"end-of-call-report","artifact":{"transcript":' +
    JSON.stringify(tr) + '}}}').toString('hex'); // event.sql's body
  const inboxRows = [], callRows = [];
  for (let i = 0; i < group; i++) {
    const phone = `+1${String(100 + i).padStart(3, '0')}@P@`;
    inboxRows.push({ p: 'vapi', k: `pgbg-@K@-${i}/end-of-call-report`, o: org, h: { 'content-type': 'application/json' },
      s: 'processed', r: 'vapi', t: 'end-of-call-report', b: hexBody });
    callRows.push({ i, p: 'vapi', e: `pgbg-@K@-${i}`, a: agent, ae: 'asst_bench', d: 'inbound', ty: 'phone', f: phone,
      t: '+15550001111', n: `Caller @K@`, s: 'ended', sa: '2026-11-20T10:00:00.000Z', ea: '2026-11-20T10:03:05.000Z',
      du: '185', co: '0.1234', tr, su: 'New patient booked a cleaning for Tuesday 9:30; forms emailed; asked about parking.',
      ru: `https://rec.example/pgbg-@K@-${i}.wav`, er: 'customer-ended-call', m: { source: 'webhook', event: 'end-of-call-report' },
      st: 2, cu: phone });
  }
  const json = (rows) => `replace(replace(${lit(JSON.stringify(rows))}, '@K@', :k::text), '@P@', ` +
    "lpad((:k::bigint % 10000000)::text, 7, '0'))";
  const gr = [
    key + 'BEGIN;',
    splice(GROUP_INBOX, [json(inboxRows)]) + ';',
    `SELECT set_config('role', 'crm_app', true), set_config('app.current_org_id', ${lit(org)}, true), ` +
      "set_config('search_path', 'public, crm', true);",
    splice(GROUP_CALLS, [lit(org), json(callRows)]) + ';',
    "SELECT set_config('role', 'none', true), set_config('app.current_org_id', '', true), " +
      "set_config('search_path', 'public, crm', true);",
    'COMMIT;',
  ];
  fs.writeFileSync(`${dir}/group.sql`, gr.join('\n') + '\n');
  process.exit(0);
}

const express = require('express');
const { Pool } = require('pg');
const secret = process.env.VAPI_WEBHOOK_SECRET || '';
const pool = new Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.POOL || 16),
  application_name: 'express-bench',
});
pool.on('error', () => {}); // an idle client dropped: the pool replaces it

const named = (name, values) => ({ name, text: name === 'call' ? UPSERT_CALL : Q[name], values });

function verify(req) {
  const ts = req.get('x-timestamp') || '';
  const sig = req.get('x-signature') || '';
  if (!/^[0-9]{1,12}$/.test(ts) || !/^[0-9a-fA-F]{64}$/.test(sig)) return false;
  if (Math.abs(Date.now() / 1000 - Number(ts)) > 300) return false;
  const mac = crypto.createHmac('sha256', secret).update(ts + '.').update(req.body).digest();
  return crypto.timingSafeEqual(mac, Buffer.from(sig, 'hex'));
}

const text = (v) => (typeof v === 'string' && v !== '' ? v : null);
const E164 = /^\+[1-9][0-9]{6,14}$/;

function normalize(j) {
  const m = j && j.message;
  if (!m || m.type !== 'end-of-call-report' || !m.call || !text(m.call.id)) return null;
  const call = m.call;
  const outbound = call.type === 'outboundPhoneCall';
  const customer = text(call.customer && call.customer.number);
  const ours = text(m.phoneNumber && m.phoneNumber.number);
  return {
    id: call.id,
    key: call.id + ':end-of-call-report',
    assistant: text(call.assistantId) || '',
    direction: outbound ? 'outbound' : call.type === 'inboundPhoneCall' ? 'inbound' : null,
    callType: call.type === 'webCall' ? 'web' : 'phone',
    from: outbound ? ours : customer,
    to: outbound ? customer : ours,
    customer,
    name: text(call.customer && call.customer.name),
    startedAt: text(m.startedAt),
    endedAt: text(m.endedAt),
    duration: typeof m.durationSeconds === 'number' ? String(Math.round(m.durationSeconds)) : null,
    cost: typeof m.cost === 'number' ? String(m.cost) : null,
    transcript: text(m.artifact && m.artifact.transcript),
    summary: text(m.analysis && m.analysis.summary),
    recording: text(m.artifact && m.artifact.recordingUrl),
    endedReason: text(m.endedReason),
  };
}

async function store(e, raw) {
  const c = await pool.connect();
  let ok = false;
  try {
    await c.query('BEGIN');
    const r = await c.query(named('route', ['vapi', e.assistant]));
    const route = r.rows[0];
    if (!route || route.status !== 'active') {
      await c.query('ROLLBACK');
      ok = true;
      return { status: 404, body: { status: 'unrouted' } };
    }
    const ins = await c.query(named('inbox', ['vapi', e.key, route.org_id, raw, 'vapi', 'end-of-call-report']));
    if (ins.rows.length === 0) {
      await c.query('COMMIT');
      ok = true;
      return { status: 200, body: { status: 'duplicate' }, org: route.org_id };
    }
    const inboxId = ins.rows[0].id;
    await c.query('SET LOCAL ROLE crm_app');
    await c.query(named('scope', [route.org_id]));
    const up = await c.query(named('call', [route.org_id, 'vapi', e.id, route.agent_id, e.direction, e.callType,
      e.from, e.to, e.name, 'completed', e.startedAt, e.endedAt, e.duration, e.cost, e.transcript, e.summary,
      e.recording, null, null, e.endedReason, null, JSON.stringify({ source: 'webhook', event: 'end-of-call-report' }),
      '3']));
    if (e.customer && E164.test(e.customer)) {
      const ct = await c.query(named('contact', [route.org_id, e.customer, e.name, e.startedAt]));
      await c.query(named('link', [ct.rows[0].id, up.rows[0].id]));
    }
    if (route.agent_id) await c.query(named('agent', [route.agent_id]));
    await c.query('RESET ROLE');
    await c.query(named('done', [inboxId, route.org_id]));
    await c.query('COMMIT');
    ok = true;
    return { status: 200, body: { inbox_id: Number(inboxId), status: 'stored' }, org: route.org_id };
  } finally {
    if (!ok) await c.query('ROLLBACK').catch(() => {});
    c.release(!ok);
  }
}

const app = express();
app.disable('x-powered-by');
app.disable('etag');
app.post('/webhooks/vapi', express.raw({ type: () => true, limit: '1mb' }), async (req, res) => {
  const t0 = process.hrtime.bigint();
  const line = { ts: new Date().toISOString(), msg: 'request', method: 'POST', route: 'vapi' };
  const answer = (status, body) => {
    res.status(status).json(body);
    line.status = status;
    line.level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
    line.latency_ms = Math.round(Number(process.hrtime.bigint() - t0) / 1e4) / 100;
    process.stderr.write(JSON.stringify(line) + '\n');
  };
  if (!Buffer.isBuffer(req.body) || !verify(req)) return answer(401, { error: 'signature verification failed' });
  let e;
  try {
    e = normalize(JSON.parse(req.body.toString('utf8')));
  } catch (err) {
    return answer(400, { error: 'malformed JSON' });
  }
  if (!e) return answer(200, { status: 'ignored' });
  line.event_key = e.key;
  try {
    const r = await store(e, req.body);
    if (r.org) line.tenant = r.org;
    line.outcome = r.body.status;
    answer(r.status, r.body);
  } catch (err) {
    line.outcome = 'unavailable';
    line.reason = String(err.message || err).slice(0, 300);
    res.set('Retry-After', '5');
    answer(503, { error: 'database unavailable' });
  }
});

const server = app.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ listening: `127.0.0.1:${server.address().port}` }) + '\n');
});
process.on('SIGTERM', () => server.close(() => pool.end().then(() => process.exit(0))));
