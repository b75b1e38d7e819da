-- The language a customer chose in the chat; it wins over the billing record's locale.
ALTER TABLE customers ADD COLUMN chosen_locale TEXT;
