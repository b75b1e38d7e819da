"""The sentences of the conversation's screens, as English msgids marked for extraction."""

from __future__ import annotations

from messages._texts import N_, Nn_

# Buttons.
PLAN_BUTTON = N_("Choose a payment plan")
PROMISE_BUTTON = N_("Promise a date")
PAID_BUTTON = N_("I already paid")
DISPUTE_BUTTON = N_("I dispute this")
HARDSHIP_BUTTON = N_("I'm in financial difficulty")
AGREE_BUTTON = N_("I agree")
BACK_BUTTON = N_("Back")
MENU_BUTTON = N_("Show the options")
TODAY_BUTTON = N_("Today")
YESTERDAY_BUTTON = N_("Yesterday")
# TRANSLATORS: a plan offered on a button; {amount} is the first payment.
PLAN_OPTION = Nn_("{count} payment of {amount}", "{count} payments from {amount}")
PROMISE_IN_3_DAYS = N_("In 3 days ({date})")
PROMISE_IN_A_WEEK = N_("In a week ({date})")
PROMISE_MONTH_END = N_("By the end of the month ({date})")

# Screens.
MENU_OWED = N_("Amount due: {amount}. What would you like to do?")
MENU_NOTHING_OWED = N_("What would you like to do?")
PLANS = N_(
    "You can spread {amount} over several payments. Pick the plan that suits you; you'll see "
    "every date before you agree."
)
NO_PLANS = N_(
    "We can't set up a plan for this amount here, but a member of our team can look at it "
    "with you. Tap Talk to a person."
)
PLAN_HEADER = N_("Your plan for {amount}:")
# TRANSLATORS: one line of a plan: its number, date and amount.
PLAN_LINE = N_("{number}. {date}: {amount}")
PLAN_CONFIRM = N_("Tap I agree to confirm, or Back to choose another plan.")
PLAN_AGREED = N_("Thank you, your plan is set. We'll remind you the day before each payment.")
PROMISES = N_("When can you pay {amount}?")
PROMISE_TYPE_DATE = N_("You can also type a date, up to {date}.")
PROMISE_PART = N_("Paying only part of it by then? Type the amount.")
PROMISE = N_("You'll pay {amount} by {date}. Tap I agree to confirm.")
PROMISE_MADE = N_(
    "Thank you, we've noted that you'll pay {amount} by {date}. We'll remind you the day before."
)
ALREADY_AGREED = N_("You already have an agreement for this case:")
ASK_PAID_DATE = N_(
    "Thanks for letting us know. When did you pay? Tap a day, or type the date, for example "
    "01.03.2024."
)
ASK_PAID_REFERENCE = N_(
    "And the payment reference, if you have one? Type it, or send a dash (-) if you don't."
)
PAID_NOTED = N_(
    "Thank you. We'll look for your payment and won't message you about this for the next 3 days."
)
ESCALATED_DISPUTE = N_(
    "Thank you for telling us. We've paused reminders about this while a member of our team "
    "looks into it; they'll reply here."
)
ESCALATED_HARDSHIP = N_(
    "Thank you for telling us, and we're sorry things are hard right now. We've paused "
    "reminders, and a member of our team will reply here to find a way that works for you."
)
STALE = N_("That button belongs to an earlier message. Here's where things stand now:")
MISUNDERSTOOD = N_("Sorry, I didn't catch that. You can use the buttons below.")
OFFER_PERSON = N_(
    "Sorry, I still didn't understand. Would you like to talk to a person from our team?"
)

# The terms of an agreement, stored word for word with the agreement.
TERMS_PLAN = N_("Payment plan for {amount}, agreed in this chat:")
TERMS_PROMISE = N_("Promise to pay {amount} by {date}, agreed in this chat.")

# Forbearance (COMPLIANCE rule 13, the `uk` profile) and the debt-advice pause (rule 12).
REDUCED_PLAN_BUTTON = N_("Smaller payments over time")
DEFERRAL_BUTTON = N_("Pay at a later date")
TOKEN_BUTTON = N_("Pay a small amount for now")
ADVICE_BUTTON = N_("Free debt advice")
ADVISER_BUTTON = N_("A debt adviser is helping me")
ADVICE = N_(
    "Free, confidential debt advice is available from:\n"
    "MoneyHelper: https://www.moneyhelper.org.uk\n"
    "StepChange: https://www.stepchange.org\n"
    "If a debt adviser is already helping you, tap the button below and we'll pause our "
    "messages for 30 days."
)
ADVICE_NOTED = N_(
    "Thank you for telling us, and we're glad you have support. We won't send you any "
    "messages about this for 30 days, so that you and your adviser have time. You can still "
    "write to us here at any time."
)
# TRANSLATORS: {amount} is the smallest payment the plan policy allows.
SMALL_PAYMENT = N_(
    "Thank you. If you can, pay a small amount for now, such as {amount}, with Pay now. A "
    "member of our team will look at your situation and reply here to agree what comes next."
)
