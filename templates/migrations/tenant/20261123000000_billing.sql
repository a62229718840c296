-- Billing rollups, statements and credit accounts (issue: billing).
--
-- Provider costs are stored exactly as the provider sent them: numeric(20,6) rounded a cost such
-- as 0.123456789012345678, so the column becomes an unconstrained numeric (rounded only on
-- statement lines). The same for the exact sums a rollup keeps.
ALTER TABLE calls ALTER COLUMN provider_cost TYPE numeric;

-- One rollup row per tenant and period (version 1; a closed row is never rewritten). The terms
-- in force when it was computed are kept with it, so a closed period is re-rated with its own terms
-- and a change of terms applies to open periods only.
ALTER TABLE usage_rollups
  ALTER COLUMN billable_minutes TYPE numeric,
  ALTER COLUMN cogs TYPE numeric,
  ADD COLUMN calls integer NOT NULL DEFAULT 0,
  ADD COLUMN free_minutes_applied numeric NOT NULL DEFAULT 0,
  ADD COLUMN paid_minutes numeric NOT NULL DEFAULT 0,
  ADD COLUMN paid_seconds bigint NOT NULL DEFAULT 0,
  ADD COLUMN excluded_seconds bigint NOT NULL DEFAULT 0,
  ADD COLUMN excluded_cogs numeric NOT NULL DEFAULT 0,
  ADD COLUMN provider_cost_calls integer NOT NULL DEFAULT 0,
  ADD COLUMN estimated_cost_calls integer NOT NULL DEFAULT 0,
  ADD COLUMN adjustments numeric(20, 2) NOT NULL DEFAULT 0,
  ADD COLUMN total numeric(20, 2) NOT NULL DEFAULT 0,
  ADD COLUMN cogs_per_minute numeric(20, 6) NOT NULL DEFAULT 0,
  ADD COLUMN rate_per_minute numeric(20, 6) NOT NULL DEFAULT 0,
  ADD COLUMN free_minutes integer NOT NULL DEFAULT 0,
  ADD COLUMN rounding text NOT NULL DEFAULT 'per_call_ceil_minute'
    CHECK (rounding IN ('per_call_ceil_minute', 'per_second')),
  ADD COLUMN timezone text NOT NULL DEFAULT 'UTC',
  ADD COLUMN currency text NOT NULL DEFAULT 'USD',
  ADD COLUMN inputs_changed_at timestamptz,
  -- the sums of settled calls, for incremental reruns (lib/billing/usage.hpp)
  ADD COLUMN usage_state jsonb NOT NULL DEFAULT '{}';

-- Statement lines say what kind of line they are; adjustments carry units like a usage line.
ALTER TABLE statement_lines
  ADD COLUMN kind text NOT NULL DEFAULT 'usage' CHECK (kind IN ('usage', 'adjustment', 'not_billed'));
ALTER TABLE billing_adjustments
  ADD COLUMN units numeric NOT NULL DEFAULT 0,
  ADD COLUMN free_units numeric NOT NULL DEFAULT 0,
  ADD COLUMN call_count integer NOT NULL DEFAULT 0,
  ADD COLUMN cogs numeric NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS billing_adjustments_org_for ON billing_adjustments (org_id, for_period);

-- Credit accounts (RinglyPro): every tenant has one (provisioning opens it), but only prepaid
-- tenants — those that were ever topped up — are debited at close.
ALTER TABLE credit_accounts ADD COLUMN prepaid boolean NOT NULL DEFAULT false;
-- Every top-up and every debit is a ledger row; a period is debited
-- at most once (the unique index), whatever reruns or races.
CREATE TABLE credit_transactions (
  org_id uuid NOT NULL REFERENCES public.organizations (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  kind text NOT NULL CHECK (kind IN ('topup', 'debit')),
  amount numeric(20, 2) NOT NULL,
  balance_after numeric(20, 6) NOT NULL,
  period text CHECK (period IS NULL OR period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
  reason text NOT NULL,
  actor text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id),
  CHECK ((kind = 'debit') = (period IS NOT NULL))
);
CREATE UNIQUE INDEX credit_transactions_one_debit ON credit_transactions (org_id, period)
  WHERE kind = 'debit';
CREATE INDEX credit_transactions_org_created ON credit_transactions (org_id, created_at);
SELECT crm.enable_tenant_rls('credit_transactions');
