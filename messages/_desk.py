"""What staff read when they decide within their authority: refusals, the counter-offer
modal, sending up a tier, and the customer's answer. English only, like every staff text."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot import Breach, CaseView, Escalation, Tier

__all__ = [
    "COUNTER_CALLBACK",
    "SEND_UP",
    "above_tier",
    "counter_modal",
    "handed_over_text",
    "letter_sent_text",
    "no_tier",
    "note_text",
    "offer_answered_text",
    "sent_up_text",
    "settled_since",
    "too_early",
    "unknown_escalation",
]

Block = dict[str, Any]

# The modal's callback_id, and the block ids of its inputs (the fields errors name).
COUNTER_CALLBACK = "settle_counter_submit"
SEND_UP = "settle_send_up"


def no_tier() -> str:
    """A click by someone in no authority tier."""
    return (
        "You are not in an authority tier, so you can't decide escalations. The tiers and "
        "their members are set in SETTLE_AUTHORITY_FILE; ask whoever runs Settle to add you."
    )


def above_tier(
    escalation: Escalation,
    tier: Tier,
    needed: Tier | None,
    breaches: tuple[Breach, ...],
) -> tuple[str, list[Block]]:
    """A decision beyond the clicker's tier: which tier it needs, and a button to send it up."""
    currency = _currency(escalation)
    past = "; ".join(f"your tier allows {breach.limit}" for breach in breaches)
    if needed is None:
        text = (
            f"No tier may agree these terms ({past}). Reject them, or make a counter-offer "
            f"within your tier *{tier.name}*: {tier.describe(currency)}."
        )
        return text, [_section(text)]
    text = (
        f"These terms need tier *{needed.name}* ({needed.describe(currency)}); yours, "
        f"*{tier.name}*, does not reach ({past}). Send it up, or make a counter-offer "
        "within your tier."
    )
    button = {
        "type": "button",
        "action_id": SEND_UP,
        "text": {"type": "plain_text", "text": f"Send up to {needed.name}"[:75]},
        "value": str(escalation.id),
    }
    return text, [_section(text), {"type": "actions", "elements": [button]}]


def sent_up_text(escalation: Escalation, tier: Tier, by: str) -> str:
    """Said in the escalation's thread: who sent it up, and to whom."""
    people = " ".join(_mention(member) for member in sorted(tier.members))
    return f":arrow_up: <@{by}> sent escalation {escalation.id} up to tier *{tier.name}*: {people}"


def note_text(by: str, note: str) -> str:
    """An internal note made with a counter-offer; it stays in Slack."""
    return f":memo: Note by <@{by}> (internal): {note}"


def offer_answered_text(escalation: Escalation, *, accepted: bool, agreement: int | None) -> str:
    """The customer's answer to the offer, in the escalation's thread."""
    if accepted:
        return (
            f":white_check_mark: The customer accepted the offer of escalation {escalation.id}: "
            f"agreement {agreement}."
        )
    return (
        f":x: The customer declined the offer of escalation {escalation.id}; the bot offers "
        "them the other ways to settle."
    )


def counter_modal(view: CaseView, escalation: Escalation, *, first_due: date) -> Block:
    """The counter-offer form: amount, instalments, first payment date and a note."""
    due = view.case.amount_due
    start = escalation.proposal
    suggested = start.total if start else due
    amount = "" if suggested is None else str(suggested.to_decimal())
    count = str(start.count if start else 1)
    owed = f"{due.to_decimal()} {due.currency}" if due else "-"
    return {
        "type": "modal",
        "callback_id": COUNTER_CALLBACK,
        "private_metadata": str(escalation.id),
        "title": {"type": "plain_text", "text": "Counter-offer"},
        "submit": {"type": "plain_text", "text": "Send to customer"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            _section(
                f"Customer {escalation.customer_id} owes {owed}. The customer reads the "
                "terms in their language and accepts or declines them in the chat."
            ),
            _input(
                "amount",
                "Amount to pay in all",
                {"type": "plain_text_input", "action_id": "value", "initial_value": amount},
                hint=f"In {due.currency if due else 'the case currency'}; at most {owed}. "
                "Less than owed is a write-off.",
            ),
            _input(
                "instalments",
                "Monthly payments",
                {"type": "plain_text_input", "action_id": "value", "initial_value": count},
                hint="A whole number from 1 to 60.",
            ),
            _input(
                "first_due",
                "First payment on",
                {
                    "type": "datepicker",
                    "action_id": "value",
                    "initial_date": first_due.isoformat(),
                },
            ),
            _input(
                "note",
                "Note for the team (not sent to the customer)",
                {"type": "plain_text_input", "action_id": "value", "multiline": True},
                optional=True,
            ),
        ],
    }


def _currency(escalation: Escalation) -> str:
    terms = escalation.proposal or escalation.offer
    return terms.owed.currency if terms else "the case currency"


def _mention(member: str) -> str:
    if member == "*":
        return "<!here>"
    if member.startswith("S"):
        return f"<!subteam^{member}>"
    return f"<@{member}>"


def _input(
    block_id: str, label: str, element: Block, *, hint: str | None = None, optional: bool = False
) -> Block:
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": {"type": "plain_text", "text": label},
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = {"type": "plain_text", "text": hint}
    return block


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def too_early(escalation: Escalation) -> str:
    """A hand-off clicked before the letter's deadline passed (COMPLIANCE rule 17)."""
    return (
        f"Escalation {escalation.id}: the letter's deadline has not passed yet, so the case "
        "cannot go to legal. Settle asks again when it has."
    )


def settled_since(escalation: Escalation) -> str:
    """A hand-off clicked though the customer agreed a way to settle after the letter."""
    return (
        f"Escalation {escalation.id}: the customer agreed a way to settle after the letter, "
        "so the case stays with us."
    )


def letter_sent_text(escalation: Escalation, user: str) -> str:
    """Said in the thread once staff enabled the letter."""
    return (
        f"<@{user}> enabled the final warning letter for case {escalation.case_id}. It goes to "
        "the customer in the chat and by email, within the contact rules; when its deadline "
        "passes with nothing agreed, Settle asks here to confirm the hand-off to legal."
    )


def handed_over_text(escalation: Escalation, user: str, folder: str) -> str:
    """Said in the thread once a person confirmed the hand-off."""
    return (
        f"<@{user}> handed case {escalation.case_id} over to legal. All contact with the "
        f"customer has stopped; the case file is in {folder}."
    )


def unknown_escalation() -> str:
    """A click naming no escalation this button belongs to (a stale or crafted payload)."""
    return "That button belongs to no escalation Settle knows of; nothing was done."
