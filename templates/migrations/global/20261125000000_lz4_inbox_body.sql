-- lz4 instead of pglz for the webhook inbox's raw bodies and headers (one row per event; see the
-- tenant migration of the same name for calls). Stored values stay as they are; new values use
-- lz4. A server built without lz4 keeps pglz.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression'
             AND 'lz4' = ANY (enumvals)) THEN
    ALTER TABLE webhook_events ALTER COLUMN body SET COMPRESSION lz4,
      ALTER COLUMN headers SET COMPRESSION lz4;
  END IF;
END $$;
