-- Offers on escalations: the terms the customer asked for (`proposal`), the terms staff
-- decided to offer (`offer`), the customer's answer to them (`offer_state`: pending,
-- accepted, declined; set once by a conditional update), and the authority tier the
-- escalation was sent up to.
ALTER TABLE escalations ADD COLUMN proposal TEXT;
ALTER TABLE escalations ADD COLUMN offer TEXT;
ALTER TABLE escalations ADD COLUMN offer_state TEXT;
ALTER TABLE escalations ADD COLUMN needs_tier TEXT;
-- What was owed when an agreement was made, when staff let the customer off part of it
-- (NULL: the agreed total, no write-off). Payments under the agreement count from it.
ALTER TABLE agreements ADD COLUMN owed INTEGER;
