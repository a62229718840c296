-- Roles, grants and the RLS helpers every tenant table uses.
-- Runs as the login role: it creates the roles the rest of the files run as.
-- crmctl:role=login
DO $$
BEGIN
  BEGIN CREATE ROLE crm_owner NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END;
  BEGIN CREATE ROLE crm_app NOLOGIN NOBYPASSRLS; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END;
  BEGIN CREATE ROLE crm_readonly NOLOGIN NOBYPASSRLS; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END;
  EXECUTE format('GRANT CREATE, CONNECT, TEMPORARY ON DATABASE %I TO crm_owner', current_database());
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO crm_app, crm_readonly', current_database());
  -- The login that runs crmctl must be able to SET ROLE to these (a superuser always can).
  BEGIN
    EXECUTE format('GRANT crm_owner, crm_app, crm_readonly TO %I', current_user);
  EXCEPTION WHEN others THEN NULL;
  END;
END $$;

GRANT USAGE, CREATE ON SCHEMA public TO crm_owner;
GRANT USAGE ON SCHEMA public TO crm_app, crm_readonly;
GRANT USAGE, CREATE ON SCHEMA crm TO crm_owner;
GRANT USAGE ON SCHEMA crm TO crm_app, crm_readonly;

-- The tenant of the current transaction: the GUC set by crmctl's TenantTx, or (Supabase) the
-- org_id in the JWT's app_metadata. '' (what current_setting returns after any SET) means none.
CREATE OR REPLACE FUNCTION crm.current_org_id() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT coalesce(
    nullif(current_setting('app.current_org_id', true), '')::uuid,
    nullif(nullif(current_setting('request.jwt.claims', true), '')::jsonb
           -> 'app_metadata' ->> 'org_id', '')::uuid)
$$;

-- Invariant 4: org_id never changes once written.
CREATE OR REPLACE FUNCTION crm.org_id_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.org_id IS DISTINCT FROM OLD.org_id THEN
    RAISE EXCEPTION 'org_id is immutable on %.%', TG_TABLE_SCHEMA, TG_TABLE_NAME
      USING ERRCODE = '42501';
  END IF;
  RETURN NEW;
END $$;

-- Invariant 3 (+ 4 and grants) for one tenant table: ENABLE + FORCE RLS, the canonical policy,
-- the guard trigger. The name is resolved through search_path, so it serves schema tenants too.
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
END $$;

ALTER FUNCTION crm.current_org_id() OWNER TO crm_owner;
ALTER FUNCTION crm.org_id_immutable() OWNER TO crm_owner;
ALTER FUNCTION crm.enable_tenant_rls(regclass) OWNER TO crm_owner;
GRANT EXECUTE ON FUNCTION crm.current_org_id() TO crm_app, crm_readonly;
