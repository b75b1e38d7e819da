-- Escalations: a case handed to staff, with why, by when, and what they decided.
-- The first decision wins: `decided_at` is set once, by a conditional update.
CREATE TABLE escalations (
    id            INTEGER PRIMARY KEY,
    case_id       INTEGER NOT NULL REFERENCES cases (id),
    customer_id   TEXT NOT NULL REFERENCES customers (id),
    reason        TEXT NOT NULL,
    request       TEXT,
    opened_at     TEXT NOT NULL,
    due_by        TEXT NOT NULL,
    assignee      TEXT,
    decided_at    TEXT,
    decided_by    TEXT,
    decision      TEXT,
    slack_channel TEXT,
    slack_ts      TEXT
);
CREATE INDEX escalations_case ON escalations (case_id);
CREATE INDEX escalations_open ON escalations (decided_at, due_by);
