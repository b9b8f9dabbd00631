-- slipway:no-transaction
-- The API prunes live-update events older than the retention period; this index lets it find
-- them without scanning the log. Built concurrently so writers are not blocked meanwhile.
CREATE INDEX CONCURRENTLY IF NOT EXISTS workspace_events_created_at_idx ON workspace_events (created_at);
