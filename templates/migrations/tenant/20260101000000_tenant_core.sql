-- Tenant tables. Every one: org_id NOT NULL -> organizations, org_id first in every key and
-- foreign key, RLS enabled + forced with the canonical policy, immutable org_id (all by
-- crm.enable_tenant_rls), and an index led by org_id (the primary key).

CREATE TABLE memberships (
  org_id uuid NOT NULL REFERENCES public.organizations (id),
  user_id uuid NOT NULL REFERENCES public.users (id),
  role text NOT NULL CHECK (role IN ('admin', 'manager', 'employee', 'viewer')),
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  created_at timestamptz NOT NULL DEFAULT now(),
  disabled_at timestamptz,
  PRIMARY KEY (org_id, user_id)
);
SELECT crm.enable_tenant_rls('memberships');

CREATE TABLE api_keys (
  org_id uuid NOT NULL REFERENCES public.organizations (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  name text NOT NULL,
  prefix text NOT NULL,
  key_hash text NOT NULL,
  scopes text[] NOT NULL DEFAULT '{}',
  expires_at timestamptz,
  revoked_at timestamptz,
  created_by uuid,
  last_used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, prefix)
);
SELECT crm.enable_tenant_rls('api_keys');

CREATE TABLE org_credentials (
  org_id uuid NOT NULL REFERENCES public.organizations (id),
  provider text NOT NULL CHECK (provider IN ('twilio', 'elevenlabs', 'retell', 'google')),
  ciphertext bytea NOT NULL,
  nonce bytea NOT NULL CHECK (length(nonce) = 12),
  tag bytea NOT NULL CHECK (length(tag) = 16),
  key_id text NOT NULL,
  masked jsonb NOT NULL DEFAULT '{}',
  last_verified_at timestamptz,
  verification_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, provider)
);
SELECT crm.enable_tenant_rls('org_credentials');

CREATE TABLE services (
  org_id uuid NOT NULL REFERENCES public.organizations (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  name text NOT NULL,
  price numeric(20, 2) NOT NULL CHECK (price >= 0),
  keywords text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, name)
);
SELECT crm.enable_tenant_rls('services');

CREATE TABLE credit_accounts (
  org_id uuid NOT NULL REFERENCES public.organizations (id),
  balance numeric(20, 6) NOT NULL DEFAULT 0,
  free_minutes_used integer NOT NULL DEFAULT 0,
  reset_date date,
  low_balance_threshold numeric(20, 6) NOT NULL DEFAULT 5,
  low_balance boolean NOT NULL DEFAULT false,
  zero_balance boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id)
);
SELECT crm.enable_tenant_rls('credit_accounts');

CREATE TABLE contacts (
  org_id uuid NOT NULL REFERENCES public.organizations (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  phone text CHECK (phone IS NULL OR phone ~ '^\+[1-9][0-9]{6,14}$'),
  email text,
  name text,
  lead_status text,
  lead_score integer,
  last_contacted_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, phone)
);
SELECT crm.enable_tenant_rls('contacts');

CREATE TABLE agents (
  org_id uuid NOT NULL REFERENCES public.organizations (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  provider text NOT NULL CHECK (provider IN ('vapi', 'elevenlabs', 'retell')),
  external_id text NOT NULL,
  name text NOT NULL,
  webhook_token_hash text,
  status text NOT NULL DEFAULT 'pending_validation'
    CHECK (status IN ('pending_validation', 'active', 'disabled')),
  validated_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, provider, external_id)
);
SELECT crm.enable_tenant_rls('agents');

CREATE TABLE phone_numbers (
  org_id uuid NOT NULL REFERENCES public.organizations (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  e164 text NOT NULL CHECK (e164 ~ '^\+[1-9][0-9]{6,14}$'),
  twilio_sid text,
  elevenlabs_phone_number_id text,
  agent_id uuid,
  status text NOT NULL DEFAULT 'purchasing' CHECK (status IN
    ('purchasing', 'purchased', 'importing', 'active', 'releasing', 'released', 'failed')),
  ai_enabled boolean NOT NULL DEFAULT true,
  forward_to text CHECK (forward_to IS NULL OR forward_to ~ '^\+[1-9][0-9]{6,14}$'),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, e164),
  FOREIGN KEY (org_id, agent_id) REFERENCES agents (org_id, id)
);
SELECT crm.enable_tenant_rls('phone_numbers');

CREATE TABLE number_operations (
  org_id uuid NOT NULL REFERENCES public.organizations (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  idempotency_key text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('buy', 'activate', 'release', 'route')),
  e164 text,
  step text NOT NULL,
  state text NOT NULL CHECK (state IN ('pending', 'in_flight', 'done', 'failed', 'compensated')),
  provider_refs jsonb NOT NULL DEFAULT '{}',
  error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, idempotency_key)
);
SELECT crm.enable_tenant_rls('number_operations');

CREATE TABLE org_tools (
  org_id uuid NOT NULL REFERENCES public.organizations (id),
  tool_id uuid NOT NULL REFERENCES public.tools (id),
  definition_hash text NOT NULL,
  assistant_ids text[] NOT NULL DEFAULT '{}',
  synced_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, tool_id)
);
SELECT crm.enable_tenant_rls('org_tools');

CREATE TABLE calls (
  org_id uuid NOT NULL REFERENCES public.organizations (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  provider text NOT NULL,
  external_call_id text NOT NULL,
  agent_id uuid,
  contact_id uuid,
  direction text CHECK (direction IN ('inbound', 'outbound')),
  call_type text NOT NULL DEFAULT 'phone' CHECK (call_type IN ('phone', 'web', 'test')),
  from_number text,
  to_number text,
  caller_name text,
  status text,
  started_at timestamptz,
  ended_at timestamptz,
  duration_seconds integer CHECK (duration_seconds IS NULL OR duration_seconds >= 0),
  is_billable boolean NOT NULL DEFAULT true,
  provider_cost numeric(20, 6),
  transcript text,
  summary text,
  recording_url text,
  recording_status text CHECK (recording_status IN ('pending', 'processing', 'completed', 'failed')),
  sentiment text,
  sentiment_score numeric(6, 3),
  ended_reason text,
  transfer_to text,
  transfer_time timestamptz,
  transfer_reason text,
  metadata jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, provider, external_call_id),
  FOREIGN KEY (org_id, agent_id) REFERENCES agents (org_id, id),
  FOREIGN KEY (org_id, contact_id) REFERENCES contacts (org_id, id)
);
SELECT crm.enable_tenant_rls('calls');

CREATE TABLE messages (
  org_id uuid NOT NULL REFERENCES public.organizations (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  provider text NOT NULL,
  external_id text NOT NULL,
  channel text NOT NULL DEFAULT 'sms' CHECK (channel IN ('sms', 'email')),
  direction text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
  recipient text,
  sender text,
  body text,
  status text,
  contact_id uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, provider, external_id),
  FOREIGN KEY (org_id, contact_id) REFERENCES contacts (org_id, id)
);
SELECT crm.enable_tenant_rls('messages');

CREATE TABLE appointments (
  org_id uuid NOT NULL REFERENCES public.organizations (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  contact_id uuid,
  service_id uuid,
  call_id uuid,
  starts_at timestamptz NOT NULL,
  status text NOT NULL DEFAULT 'booked' CHECK (status IN ('booked', 'cancelled', 'completed', 'no_show')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, contact_id) REFERENCES contacts (org_id, id),
  FOREIGN KEY (org_id, service_id) REFERENCES services (org_id, id),
  FOREIGN KEY (org_id, call_id) REFERENCES calls (org_id, id)
);
SELECT crm.enable_tenant_rls('appointments');

CREATE TABLE usage_rollups (
  org_id uuid NOT NULL REFERENCES public.organizations (id),
  period text NOT NULL CHECK (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
  version integer NOT NULL DEFAULT 1,
  billable_calls integer NOT NULL DEFAULT 0,
  billable_seconds bigint NOT NULL DEFAULT 0,
  billable_minutes bigint NOT NULL DEFAULT 0,
  excluded_calls integer NOT NULL DEFAULT 0,
  cogs numeric(20, 6) NOT NULL DEFAULT 0,
  charge numeric(20, 2) NOT NULL DEFAULT 0,
  closed_at timestamptz,
  computed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, period, version)
);
SELECT crm.enable_tenant_rls('usage_rollups');

CREATE TABLE statements (
  org_id uuid NOT NULL REFERENCES public.organizations (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  period text NOT NULL,
  currency text NOT NULL,
  rounding text NOT NULL,
  total numeric(20, 2) NOT NULL DEFAULT 0,
  status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'closed')),
  closed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, period)
);
SELECT crm.enable_tenant_rls('statements');

CREATE TABLE statement_lines (
  org_id uuid NOT NULL REFERENCES public.organizations (id),
  statement_id uuid NOT NULL,
  line_no integer NOT NULL,
  description text NOT NULL,
  units numeric(20, 6) NOT NULL DEFAULT 0,
  free_units numeric(20, 6) NOT NULL DEFAULT 0,
  paid_units numeric(20, 6) NOT NULL DEFAULT 0,
  unit_price numeric(20, 6) NOT NULL DEFAULT 0,
  amount numeric(20, 2) NOT NULL DEFAULT 0,
  call_count integer NOT NULL DEFAULT 0,
  period_from date,
  period_to date,
  PRIMARY KEY (org_id, statement_id, line_no),
  FOREIGN KEY (org_id, statement_id) REFERENCES statements (org_id, id)
);
SELECT crm.enable_tenant_rls('statement_lines');

CREATE TABLE billing_adjustments (
  org_id uuid NOT NULL REFERENCES public.organizations (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  for_period text NOT NULL,
  applied_to_period text,
  minutes numeric(20, 6) NOT NULL DEFAULT 0,
  amount numeric(20, 2) NOT NULL DEFAULT 0,
  reason text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id)
);
SELECT crm.enable_tenant_rls('billing_adjustments');
