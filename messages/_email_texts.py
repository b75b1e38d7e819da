"""Sentences of the emails and of the opt-out page, as English msgids marked for extraction.

Email is read outside the chat, so nothing here says "reply here" or "tap": the customer
acts through links, and talks to us in Telegram.
"""

from __future__ import annotations

from messages._texts import N_

# Subjects, by what happened.
SUBJECT_PAYMENT = N_("About your latest payment")
SUBJECT_EXPIRING = N_("Your card expires soon")
SUBJECT_METHOD = N_("About your payment method")
SUBJECT_OVERDUE = N_("A friendly note about your invoice")
SUBJECT_ACCOUNT = N_("About your account")

# First contact: the headlines whose chat wording ("reply here", a button) needs its own.
INSUFFICIENT_FUNDS = N_(
    "Hello! Your latest payment didn't go through. If now isn't a good time, that's fine: "
    "write to us in Telegram and we'll find a later date that suits you."
)
PAYMENT_STOPPED = N_(
    "Hello! Your latest payment was stopped at your bank, so it didn't go through. If that "
    "wasn't intended, you can set it right in a minute; if it was, write to us in Telegram "
    "and we'll help."
)
PLAN_OFFER = N_(
    "If paying it all at once is hard right now, write to us in Telegram and we'll work out "
    "a plan together."
)

# First contact: the next step, by the links at hand.
UPDATE_OR_PAY_STEP = N_(
    "You can update your payment method or pay now with the links below. It only takes a minute."
)
UPDATE_STEP = N_("You can update your payment method with the link below. It only takes a minute.")
PAY_STEP = N_("You can pay securely with the link below.")

# The way into the chat, which the bot cannot open itself; the link links the chat to the
# account, hence the warning.
CHAT_INVITE = N_(
    "Questions, or would you rather sort it out in a chat? Continue in Telegram, where you can "
    "also reach a person from our team. The link is personal: please don't share it."
)
CHAT_BUTTON = N_("Continue in Telegram")

# Every email ends with the way to stop messages (COMPLIANCE rule 5).
FOOTER = N_(
    "You're receiving this email about your account with us. You can stop our automated "
    "messages at any time with the link below."
)

# The opt-out page behind that link.
OPTOUT_ASK = N_(
    "Would you like to stop our automated messages about your account? Please confirm with "
    "the button below."
)
OPTOUT_DONE = N_(
    "Done: you won't get any more automated messages from us. Thank you for letting us know."
)
OPTOUT_GONE = N_(
    "This link can't be used any more: it was used already or it has expired. If you used it "
    "to stop messages, they are stopped."
)
