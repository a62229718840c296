-- The webhook inbox for `crmctl serve` (issue 14): events of suspended tenants are kept as `held`
-- and applied by `webhooks replay` after `tenant resume`; the route and event type are kept for
-- `webhooks list`, the attempts and last processing time for replays.
ALTER TABLE webhook_events DROP CONSTRAINT webhook_events_state_check;
ALTER TABLE webhook_events ADD CONSTRAINT webhook_events_state_check
  CHECK (state IN ('received', 'processed', 'unrouted', 'held', 'failed'));
ALTER TABLE webhook_events
  ADD COLUMN route text NOT NULL DEFAULT '',
  ADD COLUMN event_type text NOT NULL DEFAULT '',
  ADD COLUMN attempts integer NOT NULL DEFAULT 0,
  ADD COLUMN processed_at timestamptz;
