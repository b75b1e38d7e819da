-- Events API deliveries already handled, by Slack's event_id: a retry Slack sends after a
-- restart is answered without being handled again. Rows older than a day are dropped.
CREATE TABLE slack_deliveries (
    event_id TEXT PRIMARY KEY,
    seen_at  TEXT NOT NULL
);
