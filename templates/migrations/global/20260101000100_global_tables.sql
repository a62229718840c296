-- Global (non-tenant) tables: organizations, users, routing, tool registry, inbox, audit trail.

CREATE TABLE organizations (
  id uuid PRIMARY KEY,
  slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'deleted')),
  isolation text NOT NULL DEFAULT 'row' CHECK (isolation IN ('row', 'schema')),
  schema_name text UNIQUE,
  timezone text NOT NULL DEFAULT 'UTC',
  currency text NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
  settings jsonb NOT NULL DEFAULT '{}',
  modules jsonb NOT NULL DEFAULT '{}',
  branding jsonb NOT NULL DEFAULT '{}',
  custom_domain text UNIQUE,
  cogs_per_minute numeric(20, 6) NOT NULL DEFAULT 0 CHECK (cogs_per_minute >= 0),
  rate_per_minute numeric(20, 6) NOT NULL DEFAULT 0 CHECK (rate_per_minute >= 0),
  free_minutes integer NOT NULL DEFAULT 0 CHECK (free_minutes >= 0),
  rounding text NOT NULL DEFAULT 'per_call_ceil_minute'
    CHECK (rounding IN ('per_call_ceil_minute', 'per_second')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  suspended_at timestamptz,
  deleted_at timestamptz,
  CHECK ((isolation = 'schema') = (schema_name IS NOT NULL))
);
-- The application sees only its own organization row.
ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE organizations FORCE ROW LEVEL SECURITY;
CREATE POLICY own_org ON organizations AS PERMISSIVE FOR SELECT TO crm_app, crm_readonly
  USING (id = crm.current_org_id());
GRANT SELECT ON organizations TO crm_app, crm_readonly;

CREATE TABLE users (
  id uuid PRIMARY KEY,
  email text NOT NULL CHECK (email = lower(email) AND email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
  name text,
  password_hash text CHECK (password_hash IS NULL OR password_hash ~ '^\$2[aby]\$'),
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  is_superadmin boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (email);

-- Global routing: an E.164 number or a provider agent belongs to exactly one tenant.
CREATE TABLE number_routes (
  e164 text PRIMARY KEY CHECK (e164 ~ '^\+[1-9][0-9]{6,14}$'),
  org_id uuid NOT NULL REFERENCES organizations (id),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX number_routes_org ON number_routes (org_id);
CREATE TABLE agent_routes (
  provider text NOT NULL,
  external_id text NOT NULL,
  org_id uuid NOT NULL REFERENCES organizations (id),
  agent_id uuid NOT NULL,
  PRIMARY KEY (provider, external_id)
);
CREATE INDEX agent_routes_org ON agent_routes (org_id);

-- Vapi tools are registered once, globally; org_tools links them per tenant.
CREATE TABLE tools (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL UNIQUE,
  provider text NOT NULL DEFAULT 'vapi',
  provider_tool_id text,
  definition jsonb NOT NULL,
  definition_hash text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT ON tools TO crm_app, crm_readonly;

-- Webhook inbox: dedupe on the provider's event identity with a unique constraint.
CREATE TABLE webhook_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  provider text NOT NULL,
  event_key text NOT NULL,
  org_id uuid REFERENCES organizations (id),
  received_at timestamptz NOT NULL DEFAULT now(),
  headers jsonb NOT NULL DEFAULT '{}',
  body bytea NOT NULL,
  state text NOT NULL DEFAULT 'received' CHECK (state IN ('received', 'processed', 'unrouted', 'failed')),
  error text,
  UNIQUE (provider, event_key)
);
CREATE INDEX webhook_events_state ON webhook_events (state, received_at);

-- Audit trail: append-only.
CREATE TABLE audit_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  actor text NOT NULL,
  org_id uuid,
  action text NOT NULL,
  target text,
  arguments jsonb NOT NULL DEFAULT '{}',
  outcome text NOT NULL CHECK (outcome IN ('ok', 'error', 'dry_run')),
  error text
);
CREATE INDEX audit_events_org_at ON audit_events (org_id, at);
CREATE FUNCTION crm.audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only' USING ERRCODE = '42501';
END $$;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION crm.audit_append_only();
GRANT INSERT ON audit_events TO crm_app;

-- Tables that carry org_id but are global by design (routing, inbox, audit): doctor and the RLS
-- audit recognise them by this comment.
COMMENT ON TABLE number_routes IS 'crmctl:global routing of E.164 numbers to tenants';
COMMENT ON TABLE agent_routes IS 'crmctl:global routing of provider agents to tenants';
COMMENT ON TABLE webhook_events IS 'crmctl:global webhook inbox';
COMMENT ON TABLE audit_events IS 'crmctl:global append-only audit trail';
