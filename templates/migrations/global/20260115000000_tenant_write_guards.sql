-- Writes stay inside the writer's own tenant, whatever table the application role reaches.
--  1. A table of an org_<hex> schema holds that tenant's rows only: a CHECK constraint pins
--     org_id to the schema's tenant (RLS alone lets tenant A write A-stamped rows into B's schema).
--  2. The shared tenant tables in public take rows of row-isolated tenants only: a restrictive
--     INSERT policy, one primary-key lookup of the tenant's own organization row per statement.
--  3. audit_events: the application role appends rows for its own tenant only (the login role,
--     superuser or BYPASSRLS, writes any); UPDATE and DELETE stay refused by the trigger.
-- crm.enable_tenant_rls applies 1 and 2, so every later tenant migration gets them; the tenant
-- track's 20260115000000_tenant_write_guards applies them to the tables that already exist.

-- The tenant an org_<32 hex digits> schema belongs to (crmctl names schemas after the UUID);
-- NULL for any other schema.
CREATE OR REPLACE FUNCTION crm.schema_tenant(schema_name text) RETURNS uuid
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN schema_name ~ '^org_[0-9a-f]{32}$' THEN substr(schema_name, 5)::uuid END
$$;

-- The isolation ('row' or 'schema') of the current transaction's tenant, read through the
-- tenant's own view of organizations (policy own_org); NULL without a tenant.
CREATE OR REPLACE FUNCTION crm.current_org_isolation() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT o.isolation FROM public.organizations o WHERE o.id = crm.current_org_id()
$$;

-- Guards 1 and 2 for one tenant table (idempotent).
CREATE OR REPLACE FUNCTION crm.guard_tenant_writes(t regclass) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  nsp text;
  owner_org uuid;
BEGIN
  SELECT n.nspname INTO nsp FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.oid = t;
  owner_org := crm.schema_tenant(nsp);
  IF owner_org IS NOT NULL THEN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = t AND conname = 'org_id_pinned') THEN
      EXECUTE format('ALTER TABLE %s ADD CONSTRAINT org_id_pinned CHECK (org_id = %L::uuid)',
                     t, owner_org);
    END IF;
  ELSIF nsp = 'public' THEN
    EXECUTE format('DROP POLICY IF EXISTS row_tenants_only ON %s', t);
    EXECUTE format('CREATE POLICY row_tenants_only ON %s AS RESTRICTIVE FOR INSERT '
                   'TO crm_app, crm_readonly '
                   'WITH CHECK ((SELECT crm.current_org_isolation()) = ''row'')', t);
  END IF;
END $$;

-- Invariant 3 (+ 4, grants and the write guards) for one tenant table.
CREATE OR REPLACE FUNCTION crm.enable_tenant_rls(t regclass) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
  EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', t);
  EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON %s', t);
  EXECUTE format('CREATE POLICY tenant_isolation ON %s AS PERMISSIVE FOR ALL TO crm_app, crm_readonly '
                 'USING (org_id = crm.current_org_id()) WITH CHECK (org_id = crm.current_org_id())', t);
  EXECUTE format('DROP TRIGGER IF EXISTS org_id_immutable ON %s', t);
  EXECUTE format('CREATE TRIGGER org_id_immutable BEFORE UPDATE ON %s FOR EACH ROW '
                 'EXECUTE FUNCTION crm.org_id_immutable()', t);
  EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO crm_app', t);
  EXECUTE format('GRANT SELECT ON %s TO crm_readonly', t);
  PERFORM crm.guard_tenant_writes(t);
END $$;

GRANT EXECUTE ON FUNCTION crm.schema_tenant(text) TO crm_app, crm_readonly;
GRANT EXECUTE ON FUNCTION crm.current_org_isolation() TO crm_app, crm_readonly;

-- 3. The audit trail: a tenant scope appends rows for itself only.
ALTER TABLE public.audit_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.audit_events FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS own_tenant_appends ON public.audit_events;
CREATE POLICY own_tenant_appends ON public.audit_events AS PERMISSIVE FOR INSERT TO crm_app
  WITH CHECK (org_id = crm.current_org_id());
