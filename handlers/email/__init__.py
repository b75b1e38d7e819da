"""Email: the first touch of a customer whose chat is not linked, the fallback when the chat
is unreachable, and the opt-out link every email carries."""

from handlers.email._optout import OPTOUT, OptOutLinks, optout_routes, optout_url
from handlers.email._sender import FALLBACK, FIRST_CONTACT, EmailSender, compose

__all__ = [
    "FALLBACK",
    "FIRST_CONTACT",
    "OPTOUT",
    "EmailSender",
    "OptOutLinks",
    "compose",
    "optout_routes",
    "optout_url",
]
