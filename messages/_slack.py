"""Block Kit for staff: an escalation to decide, and the same once decided. English only.

Slack is a third party to the debt: a post carries the customer id and masked contact
details, never the full phone number, email address or name (COMPLIANCE.md, rule 8).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from bot import CaseView, Escalation, EscalationReason, Money, Offer, OfferState
from messages._format import format_money

__all__ = [
    "ESCALATION_ACTIONS",
    "already_decided",
    "decided_blocks",
    "escalation_blocks",
    "escalation_text",
    "mask_email",
    "mask_phone",
    "offer_terms",
    "redact",
    "sla_alert_text",
]

Block = dict[str, Any]

# action_id and button label of each decision staff can take on an escalation.
ESCALATION_ACTIONS: dict[str, str] = {
    "settle_approve": "Approve",
    "settle_reject": "Reject",
    "settle_counter": "Counter-offer",
    "settle_take_over": "Take over",
    "settle_assign": "Assign to me",
}
# Offered instead of the decisions while someone has taken the conversation over.
HAND_BACK = "settle_hand_back"
# The pre-legal stage's decisions: the final warning letter, then the hand-off to legal.
LETTER = "settle_letter"
LEGAL = "settle_legal"
KEEP = "settle_keep"
_STAGE_ACTIONS = {
    EscalationReason.PRE_LEGAL: (LETTER, "settle_take_over", "settle_assign"),
    EscalationReason.LEGAL_HANDOFF: (LEGAL, KEEP, "settle_take_over", "settle_assign"),
    EscalationReason.BROKEN_AGREEMENT: ("settle_take_over", "settle_assign"),
}
_LABELS = ESCALATION_ACTIONS | {
    HAND_BACK: "Hand back",
    "settle_send_up": "Send up",
    LETTER: "Enable the final warning letter",
    LEGAL: "Hand over to legal",
    KEEP: "Keep in pre-legal",
}
_STYLES = {"settle_approve": "primary", "settle_reject": "danger", LEGAL: "danger"}
_DOT = "•"
_REQUEST_LIMIT = 300
_HISTORY = 5
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_DIGITS = re.compile(r"\+?\d[\d\s().-]{5,}\d")
_DECISIONS = {
    "approve": "approved",
    "reject": "rejected",
    "counter": "counter-offered",
    "letter": "final warning letter enabled",
    "legal": "handed over to legal",
    "keep": "kept in pre-legal",
    "pre-legal": "moved to pre-legal",
    "closed": "closed with the case",
    "agreed again": "closed: the customer agreed again",
}
# Who decided: a Slack user is mentioned; Settle's own actors (billing, watch, ...) are Settle.
_SLACK_USER = re.compile(r"[UW][A-Z0-9_-]+")
_ANSWERS = {
    OfferState.PENDING: "waiting",
    OfferState.ACCEPTED: "accepted",
    OfferState.DECLINED: "declined",
}
# Country calling codes of one and two digits (ITU-T E.164, "List of ITU-T Recommendation
# E.164 assigned country codes"); every other code has three. They are prefix-free.
_SHORT_CODES = frozenset(
    {"1", "7", "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41"}
    | {"43", "44", "45", "46", "47", "48", "49", "51", "52", "53", "54", "55", "56"}
    | {"57", "58", "60", "61", "62", "63", "64", "65", "66", "81", "82", "84", "86"}
    | {"90", "91", "92", "93", "94", "95", "98"}
)


def mask_phone(phone: str | None) -> str:
    """The country code and the last two digits, e.g. "+972 •••• ••67"; "-" when unknown."""
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) < 4:
        return "-"
    code = ""
    if (phone or "").lstrip().startswith("+"):
        length = next((n for n in (1, 2) if digits[:n] in _SHORT_CODES), 3)
        code = f"+{digits[:length]} "
    return f"{code}{_DOT * 4} {_DOT * 2}{digits[-2:]}"


def mask_email(email: str | None) -> str:
    """The first letter of the name and of the domain, and the top-level domain.

    "dana@company.example" becomes "d•••@c•••.example"; "-" when unknown.
    """
    name, at, domain = (email or "").strip().rpartition("@")
    if not at or not name or "." not in domain:
        return "-"
    top = domain.rpartition(".")[2]
    return f"{name[0]}{_DOT * 3}@{domain[0]}{_DOT * 3}.{top}"


def escalation_text(escalation: Escalation) -> str:
    """The notification text of a post (shown where blocks are not)."""
    return f"Escalation {escalation.id}: {escalation.reason}, customer {escalation.customer_id}"


def sla_alert_text(escalation: Escalation) -> str:
    """An escalation still waiting at its deadline: said in its thread and to supervisors."""
    return (
        f":alarm_clock: Escalation {escalation.id} ({escalation.reason}, customer "
        f"{escalation.customer_id}) has waited past its deadline of {_when(escalation.due_by)}; "
        f"opened {_when(escalation.opened_at)}."
    )


def escalation_blocks(
    view: CaseView,
    escalation: Escalation,
    *,
    actions: tuple[str, ...] = tuple(ESCALATION_ACTIONS),
    assignee: str | None = None,
) -> list[Block]:
    """The post staff decide from: the case at a glance, its history and the buttons."""
    blocks = _summary(view, escalation)
    actions = _STAGE_ACTIONS.get(escalation.reason, actions)
    who = assignee or escalation.assignee
    if who:
        blocks.append(_context(f"Assigned to <@{who}>"))
    if escalation.is_taken_over:
        blocks.append(_context(f"Taken over by <@{escalation.taken_by}>: the bot is silent"))
        actions = (HAND_BACK,)
    blocks.append(
        {
            "type": "actions",
            "block_id": f"escalation-{escalation.id}",
            "elements": [_button(action_id, escalation.id) for action_id in actions],
        }
    )
    return blocks


def decided_blocks(view: CaseView, escalation: Escalation) -> list[Block]:
    """The post once decided: who decided what and when, and no buttons."""
    blocks = _summary(view, escalation)
    decision = _DECISIONS.get(escalation.decision or "", escalation.decision or "decided")
    when = _when(escalation.decided_at) if escalation.decided_at else "-"
    text = f"*{decision.capitalize()}* by {_who(escalation.decided_by)} at {when}"
    blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    if escalation.offer is not None and escalation.decision == "counter":
        blocks.append(_section(f"*Offered*\n{offer_terms(escalation.offer)}"))
    if escalation.offer_state is not None:
        blocks.append(_context(f"The customer's answer: {_ANSWERS[escalation.offer_state]}"))
    return blocks


def offer_terms(offer: Offer) -> str:
    """Terms in one line: payments, amounts, first date, and any write-off."""
    plan = offer.plan()
    first = plan.instalments[0].amount
    payments = "1 payment" if plan.count == 1 else f"{plan.count} monthly payments"
    text = (
        f"{payments} from {_money(first)}, the first on {plan.first_due.isoformat()}: "
        f"{_money(offer.total)} in all"
    )
    if offer.write_off.minor > 0:
        text += (
            f", writing off {_money(offer.write_off)} of {_money(offer.owed)} "
            f"({offer.discount_percent:.1f}%)"
        )
    return text


def already_decided(escalation: Escalation) -> str:
    """The ephemeral answer to a click on an escalation someone decided already."""
    decision = _DECISIONS.get(escalation.decision or "", escalation.decision or "decided")
    when = _when(escalation.decided_at) if escalation.decided_at else "-"
    return f"Already decided by {_who(escalation.decided_by)} at {when}: {decision}."


def _summary(view: CaseView, escalation: Escalation) -> list[Block]:
    case, customer = view.case, view.customer
    header = f"Escalation: {escalation.reason}"
    fields = [
        f"*Customer*\n{customer.id}",
        f"*Phone*\n{mask_phone(customer.phone)}",
        f"*Email*\n{mask_email(customer.email)}",
        f"*Case*\n{case.id}, type {case.type}, {case.stage}",
        f"*Amount due*\n{_money(case.amount_due)}",
        f"*Decide by*\n{_when(escalation.due_by)}",
    ]
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": header[:150]}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]},
    ]
    if escalation.proposal is not None:
        blocks.append(_section(f"*The customer asks for*\n{offer_terms(escalation.proposal)}"))
    if escalation.needs_tier:
        blocks.append(_context(f"Sent up: needs tier *{escalation.needs_tier}*"))
    if escalation.request:
        quoted = _quote(redact(escalation.request))
        blocks.append(_section(f"*The customer wrote*\n{quoted}"))
    blocks.append(_section(f"*History*\n{_history(view)}"))
    return blocks


def _history(view: CaseView) -> str:
    lines = [
        f"{_when(record.at)} {record.action}: {redact(record.reason)[:120]}"
        for record in view.audit[-_HISTORY:]
    ]
    sent = [contact for contact in view.contacts if contact.sent_at is not None]
    lines += [
        f"{_when(contact.sent_at)} sent {contact.template} on {contact.channel}"
        for contact in sent[-_HISTORY:]
        if contact.sent_at is not None
    ]
    lines += [
        f"{_when(agreement.accepted_at)} agreed {agreement.kind} of {_money(agreement.total)}"
        for agreement in view.agreements[-_HISTORY:]
    ]
    return "\n".join(f"• {line}" for line in lines) or "Nothing yet."


def redact(text: str) -> str:
    """Customers write their own numbers and addresses; mask them before staff channels."""
    text = _EMAIL.sub(lambda match: mask_email(match[0]), text)
    return _DIGITS.sub(lambda match: mask_phone(match[0]), text)


def _quote(text: str) -> str:
    if len(text) > _REQUEST_LIMIT:
        text = text[: _REQUEST_LIMIT - 1].rstrip() + "…"
    return "\n".join(f"> {line}" for line in text.splitlines() or [""])


def _money(amount: Money | None) -> str:
    return format_money(amount, "en") if amount is not None else "-"


def _when(moment: datetime) -> str:
    """A time Slack shows in each reader's own zone, with a UTC fallback."""
    fallback = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _button(action_id: str, escalation_id: int) -> Block:
    button: Block = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": _LABELS[action_id]},
        "value": str(escalation_id),
    }
    if style := _STYLES.get(action_id):
        button["style"] = style
    return button


def _who(actor: str | None) -> str:
    if actor is None:
        return "-"
    return f"<@{actor}>" if _SLACK_USER.fullmatch(actor) else "Settle"
