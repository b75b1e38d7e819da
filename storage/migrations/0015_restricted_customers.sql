-- An erased customer (COMPLIANCE rule 19): what the law makes Settle keep stays, restricted:
-- nothing is sent to them and billing's updates no longer fill their details back in.
ALTER TABLE customers ADD COLUMN restricted_at TEXT;
