"""Sentences of the care messages around agreements and payment methods, and of the
language and retry screens, as English msgids marked for extraction."""

from __future__ import annotations

from messages._texts import N_

LANGUAGE_BUTTON = N_("Language")
LANGUAGES = N_("Choose your language:")
RETRY_BUTTON = N_("Try the payment again")
RETRY_REQUESTED = N_(
    "Thank you. We've asked for the payment to be tried again; you don't need to do anything else."
)
METHOD_UPDATED_OWED = N_(
    "Thank you for updating your payment method. We'll try the payment again shortly."
)
METHOD_UPDATED_DONE = N_("Thank you for updating your payment method. Everything is in order now.")
REMINDER_PLAN = N_(
    "A friendly reminder: payment {number} of your plan, {amount}, is due tomorrow, {date}."
)
REMINDER_PROMISE = N_("A friendly reminder: you planned to pay {amount} by tomorrow, {date}.")
BROKEN_PLAN = N_(
    "We haven't received payment {number} of your plan ({amount}, due {date}). That can "
    "happen. Tap Show the options to find another way, or Talk to a person."
)
BROKEN_PROMISE = N_(
    "We haven't received the {amount} you planned to pay by {date}. That can happen. Tap Show "
    "the options to find another way, or Talk to a person."
)
