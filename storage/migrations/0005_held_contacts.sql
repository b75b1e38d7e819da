-- A contact the contact policy holds keeps the rule that holds it, for `settle outbox`.
ALTER TABLE contacts ADD COLUMN held_rule TEXT;
CREATE INDEX contacts_case_sent ON contacts (case_id, sent_at);
