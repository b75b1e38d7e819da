-- The customer's conversation lives here, not in a process: a restart or another worker
-- continues it. Agreements (an accepted plan or promise) are immutable; the schedule of
-- what falls due under them is tracked beside them.

CREATE TABLE conversations (
    channel       TEXT NOT NULL,
    chat_id       TEXT NOT NULL,
    customer_id   TEXT NOT NULL REFERENCES customers (id),
    case_id       INTEGER REFERENCES cases (id),
    step          TEXT NOT NULL,
    data          TEXT NOT NULL,
    version       INTEGER NOT NULL,
    misunderstood INTEGER NOT NULL DEFAULT 0,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (channel, chat_id)
);

CREATE TABLE agreements (
    id            INTEGER PRIMARY KEY,
    case_id       INTEGER NOT NULL REFERENCES cases (id),
    customer_id   TEXT NOT NULL REFERENCES customers (id),
    kind          TEXT NOT NULL CHECK (kind IN ('plan', 'promise')),
    currency      TEXT NOT NULL,
    total         INTEGER NOT NULL CHECK (total > 0),
    terms_text    TEXT NOT NULL,
    terms_version TEXT NOT NULL,
    terms_hash    TEXT NOT NULL,
    locale        TEXT NOT NULL,
    channel       TEXT NOT NULL,
    accepted_at   TEXT NOT NULL
);
CREATE INDEX agreements_case ON agreements (case_id);

CREATE TRIGGER agreements_are_immutable BEFORE UPDATE ON agreements
BEGIN
    SELECT RAISE(ABORT, 'agreements are immutable');
END;

CREATE TRIGGER agreements_are_kept BEFORE DELETE ON agreements
BEGIN
    SELECT RAISE(ABORT, 'agreements are immutable');
END;

CREATE TABLE agreement_items (
    agreement_id INTEGER NOT NULL REFERENCES agreements (id),
    number       INTEGER NOT NULL,
    due_on       TEXT NOT NULL,
    amount       INTEGER NOT NULL CHECK (amount > 0),
    status       TEXT NOT NULL DEFAULT 'due',
    PRIMARY KEY (agreement_id, number)
);
CREATE INDEX agreement_items_due ON agreement_items (status, due_on);

-- "I already paid" pauses contact until this time while the payment is looked for.
ALTER TABLE cases ADD COLUMN paused_until TEXT;
