"""Which of the authority tiers' Slack user groups a member of staff is in."""

from __future__ import annotations

import logging
import time

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import Authority

__all__ = ["UserGroups"]

logger = logging.getLogger(__name__)

# Members of the user groups named in the authority tiers are looked up this often.
_GROUPS_TTL = 300.0


class UserGroups:
    """Which of the tiers' Slack user groups a user is in, looked up and kept a while."""

    def __init__(self, authority: Authority) -> None:
        self._wanted = sorted(authority.groups)
        self._members: dict[str, frozenset[str]] = {}
        self._fetched = float("-inf")

    async def of(self, client: AsyncWebClient, user: str) -> frozenset[str]:
        if not self._wanted:
            return frozenset()
        if time.monotonic() - self._fetched > _GROUPS_TTL:
            for group in self._wanted:
                try:
                    response = await client.usergroups_users_list(usergroup=group)
                except SlackApiError as error:
                    # Its members then have only their own tiers; said, and tried again later.
                    logger.warning("slack usergroups.users.list %s failed: %s", group, error)
                    continue
                self._members[group] = frozenset(response.get("users") or ())
            self._fetched = time.monotonic()
        return frozenset(group for group, users in self._members.items() if user in users)
