-- COMPLIANCE rule 11: the last day of a customer's breathing space (Debt Respite Scheme),
-- as billing said it; '9999-12-31' for a mental-health crisis space with no end known yet.
-- NULL: not in breathing space.
ALTER TABLE customers ADD COLUMN breathing_space_until TEXT;
-- Why a case is paused until `paused_until`: 'paid' ("I already paid") or 'debt advice'
-- (rule 12). NULL on rows paused before this column: those were "I already paid".
ALTER TABLE cases ADD COLUMN paused_for TEXT;
