-- Take over: a member of staff talks with the customer in the escalation's Slack thread.
-- While `taken_by` holds their Slack user id, the bot is silent on the case.
ALTER TABLE escalations ADD COLUMN taken_by TEXT;
CREATE INDEX escalations_post ON escalations (slack_channel, slack_ts);
