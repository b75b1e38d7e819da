"""Errors raised by Settle's core.

The tree::

    SettleError
    ├── InvalidInput             bad data from outside; names the field and the fix
    │   └── EventRejected        a billing event that cannot be accepted
    ├── NotFound                 a customer, case or token that does not exist
    ├── ConfigurationError       a setting that is missing or malformed
    ├── NoContactTime            no moment suits every candidate zone (bot._policy)
    └── ChannelError             a channel failed to deliver
        ├── ChannelBlocked       the customer blocked the bot: stop sending there
        └── RateLimited          the channel asked to wait `retry_after` seconds
"""

from __future__ import annotations

__all__ = [
    "ChannelBlocked",
    "ChannelError",
    "ConfigurationError",
    "EventRejected",
    "InvalidInput",
    "NotFound",
    "RateLimited",
    "SettleError",
]


class SettleError(Exception):
    """Root of every error Settle raises on purpose."""


class InvalidInput(SettleError):
    """Input from outside that cannot be accepted; `field` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class EventRejected(InvalidInput):
    """A billing event that fails validation; nothing of it is stored."""


class NotFound(SettleError):
    """A record that was looked up and does not exist."""

    def __init__(self, kind: str, key: str) -> None:
        super().__init__(f"no {kind} {key!r}")
        self.kind = kind
        self.key = key


class ConfigurationError(SettleError):
    """A setting that is missing or malformed; the message names the variable."""


class ChannelError(SettleError):
    """A channel refused or failed to deliver a message."""


class ChannelBlocked(ChannelError):
    """The customer blocked the bot or the chat is gone; stop sending there."""


class RateLimited(ChannelError):
    """The channel asked us to wait `retry_after` seconds before the next call."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited; retry after {retry_after} s")
        self.retry_after = retry_after


class Withdrawn(ChannelError):
    """The row was cancelled after a worker claimed it; nothing was done, and it stays so."""
