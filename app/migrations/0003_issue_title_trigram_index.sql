-- slipway:no-transaction
-- slipway:requires-extension pg_trgm
-- Title search (ILIKE '%words%') in large workspaces: a trigram index lets PostgreSQL find the
-- few matching titles without reading every issue. pg_trgm ships with PostgreSQL's contrib and
-- on RDS; where it is missing (the embedded database) this file is skipped and search still
-- works, reading the workspace's issues instead. Built concurrently so writers are not blocked.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX CONCURRENTLY IF NOT EXISTS issues_title_trgm_idx ON issues USING gin (title gin_trgm_ops);
