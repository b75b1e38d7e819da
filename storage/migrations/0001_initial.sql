-- The first schema: billing facts, cases, the outbox, channel links, tokens and audit.
-- Times are UTC text in one fixed format (see storage/_codec.py), so they sort as text.

CREATE TABLE customers (
    id           TEXT PRIMARY KEY,
    name         TEXT,
    phone        TEXT,
    email        TEXT,
    locale       TEXT,
    timezone     TEXT,
    country      TEXT,
    opted_out_at TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

CREATE TABLE payment_methods (
    reference   TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers (id),
    kind        TEXT NOT NULL,
    status      TEXT NOT NULL,
    reason      TEXT,
    last4       TEXT,
    expires_on  TEXT,
    fact_at     TEXT NOT NULL
);
CREATE INDEX payment_methods_customer ON payment_methods (customer_id);

-- Payments a billing system registered, so that provider events naming only a
-- payment (GoCardless) can be traced to their customer and invoice.
CREATE TABLE payments (
    id               TEXT PRIMARY KEY,
    customer_id      TEXT NOT NULL REFERENCES customers (id),
    method_reference TEXT,
    invoice_id       TEXT,
    registered_at    TEXT NOT NULL
);

CREATE TABLE invoices (
    id          TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers (id),
    currency    TEXT NOT NULL,
    amount      INTEGER NOT NULL CHECK (amount >= 0),
    amount_due  INTEGER NOT NULL CHECK (amount_due >= 0),
    issued_on   TEXT NOT NULL,
    due_on      TEXT NOT NULL,
    status      TEXT NOT NULL,
    fact_at     TEXT NOT NULL
);
CREATE INDEX invoices_customer ON invoices (customer_id, issued_on, id);

CREATE TABLE billing_events (
    id          INTEGER PRIMARY KEY,
    source      TEXT NOT NULL,
    source_id   TEXT NOT NULL,
    type        TEXT NOT NULL,
    occurred_at TEXT,
    received_at TEXT NOT NULL,
    customer_id TEXT,
    outcome     TEXT NOT NULL,
    payload     TEXT NOT NULL,
    UNIQUE (source, source_id)
);

CREATE TABLE cases (
    id          INTEGER PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers (id),
    type        TEXT NOT NULL CHECK (type IN ('A', 'C')),
    stage       TEXT NOT NULL,
    status      TEXT NOT NULL,
    reason      TEXT NOT NULL,
    opened_at   TEXT NOT NULL,
    closed_at   TEXT,
    why         TEXT NOT NULL
);
-- One open case per customer and type (issue: later facts attach to it).
CREATE UNIQUE INDEX cases_one_open ON cases (customer_id, type) WHERE closed_at IS NULL;

CREATE TABLE case_invoices (
    case_id    INTEGER NOT NULL REFERENCES cases (id),
    invoice_id TEXT NOT NULL REFERENCES invoices (id),
    PRIMARY KEY (case_id, invoice_id)
);
CREATE INDEX case_invoices_invoice ON case_invoices (invoice_id);

-- The outbox: every outbound message is a row before it is a network call.
CREATE TABLE contacts (
    id                 INTEGER PRIMARY KEY,
    case_id            INTEGER REFERENCES cases (id),
    customer_id        TEXT NOT NULL REFERENCES customers (id),
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
    created_at         TEXT NOT NULL
);
CREATE INDEX contacts_due ON contacts (status, channel, due_at);

CREATE TABLE channel_links (
    customer_id TEXT NOT NULL REFERENCES customers (id),
    channel     TEXT NOT NULL,
    chat_id     TEXT NOT NULL,
    linked_at   TEXT NOT NULL,
    reachable   INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (customer_id, channel),
    UNIQUE (channel, chat_id)
);

-- Tokens are kept only as SHA-256 hashes; the plain token exists only in the link.
CREATE TABLE link_tokens (
    token_hash  TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers (id),
    purpose     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT
);

CREATE TABLE audit_records (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    case_id     INTEGER,
    customer_id TEXT,
    reason      TEXT NOT NULL,
    detail      TEXT
);
CREATE INDEX audit_records_case ON audit_records (case_id);
CREATE INDEX audit_records_customer ON audit_records (customer_id);
