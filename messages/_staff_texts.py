"""Sentences a customer reads when a member of staff joins or leaves the chat, as English
msgids marked for extraction."""

from __future__ import annotations

from messages._texts import N_, Nn_

# TRANSLATORS: {name} is the first name of a member of staff, or A_COLLEAGUE.
STAFF_JOINED = N_(
    "A member of our team, {name}, is here to help. Write here and they will answer you."
)
A_COLLEAGUE = N_("a colleague")
STAFF_LEFT = N_(
    "Our team member has left the conversation. Our assistant is here for you again: "
    "write any time."
)

# Plans beyond the bot's authority: the customer asks, staff decide.
ASK_COUNT = N_(
    "How many monthly payments would suit you? Tap one or type a number up to {most}. A plan "
    "longer than the ones shown before needs a colleague's approval."
)
# TRANSLATORS: the customer asked for a plan that a member of staff must approve.
PLAN_REQUESTED = Nn_(
    "Thank you. We've asked a member of our team about {count} monthly payment. You'll hear "
    "back here, usually within a working day.",
    "Thank you. We've asked a member of our team about {count} monthly payments of about "
    "{amount}. You'll hear back here, usually within a working day.",
)
STAFF_OFFER = N_("Good news: our team can offer you this plan for {amount}:")
# TRANSLATORS: said under an offer when staff let the customer off part of what is owed.
STAFF_OFFER_WRITE_OFF = N_("That is {write_off} less than the {owed} due.")
STAFF_OFFER_CONFIRM = N_("Tap I accept to agree to it, or No thanks.")
ACCEPT_BUTTON = N_("I accept")
DECLINE_BUTTON = N_("No thanks")
OFFER_DECLINED = N_(
    "Understood, we've set that offer aside. You can choose another way to settle whenever "
    "you like."
)
# TRANSLATORS: staff could not agree the plan the customer asked for.
STAFF_DECLINED = Nn_(
    "Our team looked at your request for {count} monthly payment and can't agree to it. You "
    "can still choose one of the plans here, or talk to a person.",
    "Our team looked at your request for {count} monthly payments and can't agree to it. You "
    "can still choose one of the plans here, or talk to a person.",
)
MORE_TIME_BUTTON = N_("I need more time to pay")
