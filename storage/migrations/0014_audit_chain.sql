-- Audit records become a hash chain (bot/_audit_chain.py): each holds the hash of the one
-- before it. They are append-only: UPDATE and DELETE are refused, except inside the one
-- transaction of a retention purge or the migration that chains the records already held,
-- which put a row in audit_maintenance first and take it out before committing.
ALTER TABLE audit_records ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_records ADD COLUMN hash TEXT;

-- What a purge left of each record it removed, so that the chain can be followed across it.
CREATE TABLE audit_removed (
    id            INTEGER PRIMARY KEY,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL,
    checkpoint_id INTEGER NOT NULL,
    removed_at    TEXT NOT NULL
);

CREATE TABLE audit_maintenance (
    reason TEXT NOT NULL
);

CREATE TRIGGER audit_records_are_append_only BEFORE UPDATE ON audit_records
WHEN NOT EXISTS (SELECT 1 FROM audit_maintenance)
BEGIN
    SELECT RAISE(ABORT, 'audit records are append-only');
END;

CREATE TRIGGER audit_records_are_kept BEFORE DELETE ON audit_records
WHEN NOT EXISTS (SELECT 1 FROM audit_maintenance)
BEGIN
    SELECT RAISE(ABORT, 'audit records are append-only');
END;

CREATE TRIGGER audit_removed_is_kept BEFORE DELETE ON audit_removed
BEGIN
    SELECT RAISE(ABORT, 'audit tombstones are kept');
END;

CREATE TRIGGER audit_removed_is_immutable BEFORE UPDATE ON audit_removed
BEGIN
    SELECT RAISE(ABORT, 'audit tombstones are kept');
END;
