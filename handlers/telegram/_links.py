"""Single-use links to billing's pages for the buttons of a message (never a raw id)."""

from __future__ import annotations

from bot import Linking, Settings
from bot._linking import PAY, UPDATE_PAYMENT

__all__ = ["PAY", "UPDATE_PAYMENT", "ActionLinks"]


class ActionLinks:
    """Makes the "update payment method" and "pay now" URLs, each with a fresh token."""

    def __init__(self, linking: Linking, settings: Settings) -> None:
        self._linking = linking
        self._settings = settings

    async def update_url(self, customer_id: str) -> str | None:
        return await self._url(self._settings.update_payment_url, UPDATE_PAYMENT, customer_id)

    async def pay_url(self, customer_id: str) -> str | None:
        return await self._url(self._settings.pay_now_url, PAY, customer_id)

    async def _url(self, template: str, purpose: str, customer_id: str) -> str | None:
        if not template:
            return None
        token = await self._linking.issue_token(customer_id, purpose=purpose)
        return template.replace("{token}", token)
