-- lz4 instead of pglz for a call's wide columns, written on every webhook event (transcript,
-- summary, metadata with the turns): pglz_compress was 4-5 % of PostgreSQL's CPU per event in the
-- webhook benchmark, lz4 compresses several times faster. Stored values stay as they are (either
-- method reads back); new values use lz4. A server built without lz4 keeps pglz.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression'
             AND 'lz4' = ANY (enumvals)) THEN
    ALTER TABLE calls ALTER COLUMN transcript SET COMPRESSION lz4,
      ALTER COLUMN summary SET COMPRESSION lz4,
      ALTER COLUMN metadata SET COMPRESSION lz4;
  END IF;
END $$;
