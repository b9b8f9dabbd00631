-- slipway:requires-extension pg_trgm
-- New titles go straight into the trigram index instead of its pending list. With the default
-- (fastupdate on) a GIN index collects inserts in an unsorted list, up to 4 MB, merged only by
-- vacuum; every search reads that whole list, so title search in a workspace that just gained
-- thousands of issues took several times longer than after the next vacuum. A single-row insert
-- pays a few index updates instead. Skipped with 0003 where pg_trgm is missing (no index then).
ALTER INDEX IF EXISTS issues_title_trgm_idx SET (fastupdate = off);
-- Merges what is already pending (the setting stops new entries only).
SELECT gin_clean_pending_list(index.oid) FROM (SELECT to_regclass('issues_title_trgm_idx') AS oid) AS index WHERE index.oid IS NOT NULL;
