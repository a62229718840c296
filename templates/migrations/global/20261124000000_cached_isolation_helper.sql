-- crm.current_org_isolation() (the row_tenants_only policies' helper) in PL/pgSQL instead of SQL:
-- a SQL function that reads a table is not inlined, so PostgreSQL parsed and planned its query
-- again on every execution of every INSERT into a tenant table (measured: a third of the webhook
-- daemon's per-event statement time). PL/pgSQL keeps the plan for the session. Same query, same
-- result, same privileges (SECURITY INVOKER: read through the tenant's view of organizations).
CREATE OR REPLACE FUNCTION crm.current_org_isolation() RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
  RETURN (SELECT o.isolation FROM public.organizations o WHERE o.id = crm.current_org_id());
END $$;
