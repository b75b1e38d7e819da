"""The Slack Web API client every Slack part shares the settings of."""

from __future__ import annotations

from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot import ConfigurationError, Settings

__all__ = ["slack_client"]

# A 429 is waited out (its Retry-After) this many times before it reaches the outbox, which
# then puts the post back for later.
_RATE_LIMIT_RETRIES = 2


def slack_client(settings: Settings) -> AsyncWebClient:
    """A client for `slack_base_url` with the bot token, retrying 429s after Retry-After.

    Raises:
        ConfigurationError: if SLACK_BOT_TOKEN is not set.
    """
    if settings.slack_bot_token is None:
        msg = "SLACK_BOT_TOKEN is not set; set the bot token (xoxb-...) of the Slack app"
        raise ConfigurationError(msg)
    # Without the trailing slash slack_sdk drops the last path segment (PITFALLS.md).
    base_url = settings.slack_base_url.rstrip("/") + "/"
    return AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=base_url,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(),
            AsyncRateLimitErrorRetryHandler(max_retry_count=_RATE_LIMIT_RETRIES),
        ],
    )
