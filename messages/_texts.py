"""Every sentence a customer reads, as English msgids marked for extraction.

The markers `N_` and `Nn_` only mark: the text is translated when a template
renders, in the locale of that customer (see `messages/README.md`). Placeholders
use `str.format` names that translations must keep.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["N_", "Nn_", "Plural"]


class Plural(NamedTuple):
    """A message with a singular and a plural English form, chosen by a count."""

    singular: str
    plural: str


def N_(message: str) -> str:  # the gettext name pybabel extracts
    """Mark `message` for extraction; it is translated when rendered."""
    return message


def Nn_(singular: str, plural: str) -> Plural:  # extracted as `Nn_:1,2`
    """Mark a plural message for extraction; the form is chosen when rendered."""
    return Plural(singular, plural)


# Buttons.
UPDATE_BUTTON = N_("Update payment method")
PAY_BUTTON = N_("Pay now")
PERSON_BUTTON = N_("Talk to a person")
STOP_BUTTON = N_("Stop messages")

# First contact: what happened, one entry per reason group.
EXPIRED_CARD = N_(
    "Hello! The card on your account has expired, so your latest payment didn't go through."
)
EXPIRING_CARD = N_(
    "Hello! The card on your account expires soon. Updating it now keeps your payments "
    "running smoothly."
)
CARD_DECLINED = N_(
    "Hello! Your latest card payment was declined, so it didn't go through. This happens "
    "now and then, and it's quick to fix."
)
AUTHENTICATION_REQUIRED = N_(
    "Hello! Your bank asks you to confirm your latest payment before it can go through."
)
INCORRECT_DETAILS = N_(
    "Hello! Your latest card payment didn't go through because some card details didn't "
    "match. Entering them again usually fixes it."
)
CONTACT_BANK = N_(
    "Hello! Your bank declined your latest card payment and asks you to get in touch with "
    "them. Another card or payment method works too."
)
TEMPORARY_FAILURE = N_(
    "Hello! Your latest payment didn't go through because of a temporary problem. Nothing is "
    "wrong on your side, and trying again usually works."
)
PAYMENT_FAILED = N_("Hello! Your latest payment didn't go through.")
# TRANSLATORS: "Talk to a person" is the button label PERSON_BUTTON; keep them equal.
INSUFFICIENT_FUNDS = N_(
    "Hello! Your latest payment didn't go through. If now isn't a good time, that's fine: "
    "reply here or tap Talk to a person, and we'll find a later date that suits you."
)
BANK_ACCOUNT_CLOSED = N_(
    "Hello! The bank account we collect your payments from has been closed. If you've moved "
    "to a new account, you can add it in a minute and nothing else needs to change."
)
BANK_ACCOUNT_CHANGED = N_(
    "Hello! It looks like you've moved to a new bank account. Adding the new details keeps "
    "your payments running without a break."
)
MANDATE_ENDED = N_(
    "Hello! The direct debit for your account is no longer active, so we can't collect your "
    "payments from it. Setting up a new one takes a minute."
)
PAYMENT_STOPPED = N_(
    "Hello! Your latest payment was stopped at your bank, so it didn't go through. If that "
    "wasn't intended, you can set it right in a minute; if it was, tap Talk to a person and "
    "we'll help."
)
# TRANSLATORS: {count} is the number of invoices; show it in every form serving many numbers.
INVOICES_OVERDUE = Nn_(
    "Hello! A friendly note: an invoice on your account is past its due date. If you've "
    "already paid, thank you, and please ignore this message.",
    "Hello! A friendly note: {count} invoices on your account are past their due date. If "
    "you've already paid, thank you, and please ignore this message.",
)
# Opens a follow-up: the first message again, for a customer who has not answered yet.
FOLLOW_UP_LEAD = N_("Just checking in: we wrote about this a few days ago.")
PLAN_OFFER = N_(
    "If paying it all at once is hard right now, tap Talk to a person and we'll work out a "
    "plan together."
)

# First contact: the facts, when known.
# TRANSLATORS: {amount} and {date} arrive formatted for the customer's locale.
AMOUNT_DUE = N_("Amount due: {amount}")
DUE_DATE = N_("Due date: {date}")
NEXT_AMOUNT = N_("Next payment: {amount}")
NEXT_DATE = N_("Next payment date: {date}")

# First contact: the next step, by the links at hand.
UPDATE_OR_PAY_STEP = N_(
    "You can update your payment method or pay now with the buttons below. It only takes a minute."
)
UPDATE_STEP = N_(
    "You can update your payment method with the button below. It only takes a minute."
)
PAY_STEP = N_("You can pay securely with the button below.")
PERSON_STEP = N_("Reply here or tap Talk to a person, and we'll help you sort it out.")

# Replies in a conversation.
WELCOME_LINKED = N_(
    "Thank you, this chat is now connected to your account. We'll keep you posted here, and "
    "you can reply at any time."
)
TOKEN_INVALID = N_("Sorry, this link can't be used. Please open the most recent link we sent you.")
NOT_LINKED = N_(
    "For your privacy, we can't show any account details in this chat yet. Please open the "
    "personal link we sent you, then come back here."
)
HELLO_UNLINKED = N_(
    "Hello! This chat helps you with payments on your account. To start, please open the "
    "personal link we sent you: it connects this chat to your account securely."
)
# TRANSLATORS: /start is a Telegram command; keep it untranslated.
# TRANSLATORS: /start is a Telegram command; keep it untranslated.
STOPPED = N_(
    "Done: you won't get any more automated messages from us here. If you change your mind, "
    "send /start."
)
PERSON_REQUESTED = N_(
    "Thank you. A member of our team will get back to you here as soon as they can."
)
APOLOGY = N_("Sorry, something went wrong on our side. Please try again in a few minutes.")
NOTHING_DUE = N_("Good news: there's nothing to pay on your account right now.")
