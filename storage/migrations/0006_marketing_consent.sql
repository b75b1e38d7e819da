-- Consent to marketing, as billing recorded it: retention promotions need it (or a
-- conversation the customer started). NULL: billing never said.
ALTER TABLE customers ADD COLUMN marketing_consent INTEGER CHECK (marketing_consent IN (0, 1));
