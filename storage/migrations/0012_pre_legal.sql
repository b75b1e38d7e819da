-- The pre-legal stage: when a case entered it, the retention offer an agreement came from,
-- the final warning letters (kept as sent, with their hash), and the transcript of the
-- conversation, which a case file for lawyers carries.
ALTER TABLE cases ADD COLUMN stage_at TEXT;
ALTER TABLE agreements ADD COLUMN offer TEXT;
ALTER TABLE agreements ADD COLUMN commitment_months INTEGER;

CREATE TABLE letters (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases (id),
    customer_id TEXT NOT NULL REFERENCES customers (id),
    language    TEXT NOT NULL,
    deadline    TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    pdf         BLOB NOT NULL,
    enabled_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX letters_case ON letters (case_id);

CREATE TRIGGER letters_are_immutable BEFORE UPDATE ON letters
BEGIN
    SELECT RAISE(ABORT, 'letters are immutable');
END;

CREATE TABLE transcript (
    id          INTEGER PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers (id),
    case_id     INTEGER REFERENCES cases (id),
    channel     TEXT NOT NULL,
    direction   TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    text        TEXT NOT NULL,
    at          TEXT NOT NULL
);
CREATE INDEX transcript_customer ON transcript (customer_id, id);
