-- How far a call's lifecycle its stored data reaches (0 none, 1 started, 2 ended, 3 analyzed):
-- webhook events arrive in any order, and a field is only overwritten by an event of the same or
-- a later stage, so every order converges to the same row (shared/docs/webhooks.md promise 7).
ALTER TABLE calls ADD COLUMN lifecycle_stage smallint NOT NULL DEFAULT 0
  CHECK (lifecycle_stage BETWEEN 0 AND 3);
