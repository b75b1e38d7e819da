-- Payments remember what was received and when, so that an invoice first heard of after
-- its payment (events out of order) starts with the right amount due; billing events keep
-- a short detail, e.g. the mandate or payment an unmatched event named.

ALTER TABLE payments ADD COLUMN amount INTEGER;
ALTER TABLE payments ADD COLUMN currency TEXT;
ALTER TABLE payments ADD COLUMN received_at TEXT;
CREATE INDEX payments_invoice ON payments (invoice_id);

ALTER TABLE billing_events ADD COLUMN detail TEXT;
