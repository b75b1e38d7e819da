"""The pre-legal stage's texts: the notice, the offers, the customer's own proposal, the copy
of an agreement and the final warning letter. English msgids marked for extraction.

Only the letter (`LETTER_*`) speaks of legal proceedings: it is sent after staff enabled
it for the case (COMPLIANCE rule 15). No text here presses (rule 14).
"""

from __future__ import annotations

from messages._texts import N_, Nn_

OFFERS_BUTTON = N_("See offers to settle")
PROPOSE_BUTTON = N_("Suggest your own terms")

# TRANSLATORS: the message of a case entering the pre-legal stage; it is sent in the chat.
PRE_LEGAL_NOTICE = N_(
    "Hello. {amount} is still unpaid on your account, and we would like to help you settle "
    "it. We can now offer you more ways to do that than before. Tap See offers to settle to "
    "look at them, or choose another way below."
)
# TRANSLATORS: the same by email, which never shows an amount.
PRE_LEGAL_NOTICE_EMAIL = N_(
    "Your account has an unpaid balance, and we can now offer you more ways to settle it "
    "than before. Open the chat to see them."
)
OFFERS = N_(
    "Here is what we can offer you for the {amount} due. Tap one to see every date before "
    "you agree. A payment plan is always an option too."
)
NO_OFFERS = N_(
    "We have no special offer for your account right now, but a payment plan is always an "
    "option, or you can suggest your own terms."
)
# TRANSLATORS: an offer button: settle the whole debt with one smaller payment by a date.
OFFER_SETTLEMENT = N_("Settle for {total} by {date}")
# TRANSLATORS: an offer button: a plan in which part of the debt is let off.
OFFER_SAVING = Nn_("{count} payment, {saving} off", "{count} payments, {saving} off")
OFFER_TERMS = N_("The terms for {amount}:")
OFFER_CONFIRM = N_("Tap I agree to confirm, or Back to see the other offers.")
# TRANSLATORS: said under an offer's terms when part of what is owed is let off.
OFFER_WRITE_OFF = N_("Of the {owed} due, {write_off} is let off.")
# TRANSLATORS: said under an offer's terms when it asks for a new commitment period.
OFFER_COMMITMENT = Nn_(
    "In return, you keep your service with us for at least {count} more month.",
    "In return, you keep your service with us for at least {count} more months.",
)
PROPOSE = N_(
    "Tell us what you could pay: the amount in all and, to spread it, the number of monthly "
    "payments (up to {most}). For example: 250 in 5."
)
# TRANSLATORS: a retention offer sent to a customer who agreed to hear about offers.
RETENTION_OFFER = N_(
    "Hello. We have an offer for you: {offer}. Tap See offers to settle for the details and "
    "the other ways to settle."
)

# The PDF copy of an agreement, sent in the chat.
COPY_CAPTION = N_("A copy of what you agreed, for your records.")
COPY_TITLE = N_("Your agreement")
COPY_AGREED = N_("Agreed in the chat on {date}.")
# TRANSLATORS: the last line of the copy: the agreement's number and the fingerprint of
# its text, which shows that the text was not changed later.
COPY_REFERENCE = N_("Agreement {number}. Fingerprint of the text (SHA-256): {hash}")

# The final warning letter, a PDF sent in the chat and by email.
LETTER_CAPTION = N_("A letter about the {amount} unpaid on your account. Please read it.")
LETTER_EMAIL_SUBJECT = N_("A letter about your unpaid balance")
LETTER_EMAIL_TEXT = N_("Please read the letter attached. You can settle in the chat: {link}")
LETTER_TITLE = N_("Letter before legal proceedings")
LETTER_DATE = N_("Date: {date}")
LETTER_CUSTOMER = N_("Customer number: {customer}")
LETTER_GREETING = N_("Dear {name},")
LETTER_GREETING_ANONYMOUS = N_("Dear customer,")
LETTER_OWED = N_("The following is still unpaid on your account, {total} in all:")
LETTER_INVOICE = N_("Invoice")
LETTER_ISSUED = N_("Issued")
LETTER_DUE = N_("Due")
LETTER_AMOUNT = N_("Unpaid")
# TRANSLATORS: what was done to reach the customer; {count} messages since {date}.
LETTER_TRIED = Nn_(
    "Since {date} we have written to you {count} time and offered ways to settle, among "
    "them a payment plan.",
    "Since {date} we have written to you {count} times and offered ways to settle, among "
    "them a payment plan.",
)
LETTER_DEADLINE = N_("Please settle this, or agree a way to settle it with us, by {deadline}.")
LETTER_HOW = N_(
    "You can do that in the chat: pay, choose a payment plan, or take one of our offers. "
    "Open it with this link or the code below:"
)
LETTER_NEXT_STEP = N_(
    "If nothing is agreed by {deadline}, we will pass this debt to our lawyers, who may start "
    "legal proceedings to recover it. We would much rather agree a way forward with you."
)
LETTER_HELP = N_(
    "If you are having difficulties, tell us in the chat: a person will look at your "
    "situation with you."
)
LETTER_SIGNATURE = N_("Customer care")
