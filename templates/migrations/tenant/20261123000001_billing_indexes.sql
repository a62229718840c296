-- Late usage for a closed period is found by the calls that changed after the period closed.
-- Non-transactional: CREATE INDEX CONCURRENTLY never blocks call ingestion.
-- crmctl:tx=none
CREATE INDEX CONCURRENTLY IF NOT EXISTS calls_org_updated ON calls (org_id, updated_at);
