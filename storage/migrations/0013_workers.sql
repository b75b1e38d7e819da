-- Several workers on one database (PostgreSQL): each says it is alive every few seconds,
-- which tells the others how many share the Telegram rate limit, and which claims belong
-- to a worker that stopped and must be put back. An SQLite file has one worker and leaves
-- both empty.
CREATE TABLE workers (
    id         TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    seen_at    TEXT NOT NULL
);
ALTER TABLE contacts ADD COLUMN claimed_by TEXT;
-- A chat's earlier messages, looked up by each claim on a shared database (per-chat order).
CREATE INDEX contacts_customer ON contacts (customer_id, channel, id);
