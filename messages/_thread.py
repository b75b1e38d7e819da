"""The Slack thread of a taken-over escalation: what the customer wrote, and notes. English.

Slack is a third party to the debt, so contact details in the customer's words are masked
as in the post (COMPLIANCE.md, rule 8).
"""

from __future__ import annotations

from bot import Escalation
from messages._slack import redact

__all__ = ["customer_wrote", "kept_internal", "not_taken", "not_yours", "taken_over_text"]

_LIMIT = 3000


def customer_wrote(text: str) -> str:
    """A customer's message in the escalation's thread."""
    return f":speech_balloon: *Customer:* {redact(text)}"[:_LIMIT]


def kept_internal() -> str:
    """The ephemeral answer to a `note:` line: it stays in Slack."""
    return "Kept as an internal note: not sent to the customer."


def not_yours(escalation: Escalation) -> str:
    """The ephemeral answer to a thread reply by someone other than who took it over."""
    return (
        f"Not sent: <@{escalation.taken_by}> is talking with the customer. Start the line "
        "with `note:` to leave an internal note."
    )


def taken_over_text(user: str) -> str:
    """The first line of the thread once someone takes the conversation over."""
    return (
        f"<@{user}> took the conversation over: replies in this thread go to the customer, "
        "except lines starting with `note:`."
    )


def not_taken(escalation: Escalation) -> str:
    """The ephemeral answer to Take over or Hand back when the click cannot count."""
    if escalation.is_taken_over:
        return f"<@{escalation.taken_by}> has already taken this conversation over."
    if not escalation.is_open:
        return f"Already decided by <@{escalation.decided_by}>: {escalation.decision}."
    return "No one has taken this conversation over."
