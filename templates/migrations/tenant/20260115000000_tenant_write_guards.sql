-- The write guards of global/20260115000000_tenant_write_guards for the tenant tables that exist
-- already: in an org_<hex> schema every tenant table gets CHECK (org_id = <the schema's tenant>),
-- in public a restrictive INSERT policy admits rows of row-isolated tenants only. A tenant table
-- is one that carries the canonical tenant_isolation policy. Rows that already break the pin (a
-- tenant's rows forged into another tenant's schema) make this file fail for that schema: move or
-- delete them, then rerun `crmctl migrate up`.
DO $$
DECLARE
  t regclass;
BEGIN
  FOR t IN
    SELECT c.oid::regclass FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
      AND EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid
                  AND p.polname = 'tenant_isolation')
    ORDER BY c.relname
  LOOP
    PERFORM crm.guard_tenant_writes(t);
  END LOOP;
END $$;
