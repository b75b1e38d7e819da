"""Sentences a customer reads when a member of staff joins or leaves the chat, as English
msgids marked for extraction."""

from __future__ import annotations

from messages._texts import N_

# TRANSLATORS: {name} is the first name of a member of staff, or A_COLLEAGUE.
STAFF_JOINED = N_(
    "A member of our team, {name}, is here to help. Write here and they will answer you."
)
A_COLLEAGUE = N_("a colleague")
STAFF_LEFT = N_(
    "Our team member has left the conversation. Our assistant is here for you again: "
    "write any time."
)
