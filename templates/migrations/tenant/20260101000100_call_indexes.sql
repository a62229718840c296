-- Online indexes for the call history (rollups by period, exports by date range).
-- Non-transactional: CREATE INDEX CONCURRENTLY never blocks writes; progress is kept per statement.
-- crmctl:tx=none
CREATE INDEX CONCURRENTLY IF NOT EXISTS calls_org_started ON calls (org_id, started_at);
CREATE INDEX CONCURRENTLY IF NOT EXISTS messages_org_created ON messages (org_id, created_at);
