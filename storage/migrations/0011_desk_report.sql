-- The supervisors' report reads the day's audit records by time.
CREATE INDEX audit_records_at ON audit_records (at, action);

-- Messages for staff alone (the supervisors' daily digest) are about no customer: the
-- outbox's customer becomes optional. SQLite changes a column's constraint only by
-- rebuilding the table (https://www.sqlite.org/lang_altertable.html#otheralter).
CREATE TABLE contacts_rebuilt (
    id                 INTEGER PRIMARY KEY,
    case_id            INTEGER REFERENCES cases (id),
    customer_id        TEXT REFERENCES customers (id),
    channel            TEXT NOT NULL,
    template           TEXT NOT NULL,
    params             TEXT NOT NULL,
    status             TEXT NOT NULL,
    due_at             TEXT NOT NULL,
    attempts           INTEGER NOT NULL DEFAULT 0,
    claimed_at         TEXT,
    sent_at            TEXT,
    channel_message_id TEXT,
    last_error         TEXT,
    dedupe_key         TEXT NOT NULL UNIQUE,
    created_at         TEXT NOT NULL,
    held_rule          TEXT
);
INSERT INTO contacts_rebuilt (id, case_id, customer_id, channel, template, params, status,
        due_at, attempts, claimed_at, sent_at, channel_message_id, last_error, dedupe_key,
        created_at, held_rule)
    SELECT id, case_id, customer_id, channel, template, params, status, due_at, attempts,
        claimed_at, sent_at, channel_message_id, last_error, dedupe_key, created_at, held_rule
    FROM contacts;
DROP TABLE contacts;
ALTER TABLE contacts_rebuilt RENAME TO contacts;
CREATE INDEX contacts_due ON contacts (status, channel, due_at);
CREATE INDEX contacts_case_sent ON contacts (case_id, sent_at);
