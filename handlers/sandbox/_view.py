"""What one request of the console's page shows, shared by its panes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape
from urllib.parse import urlencode

from bot.ports import CaseView
from handlers.sandbox._sandbox import StaffMember

__all__ = ["View"]


@dataclass(frozen=True, slots=True)
class View:
    """What one request of the page shows."""

    customer: str | None
    staff: StaffMember
    note: str | None
    error: bool
    cases: list[CaseView]
    next_job: datetime | None
    names: dict[str, str]  # Slack user id -> name, for mentions

    def query(self, **changes: str) -> str:
        values = {"customer": self.customer or "", "staff": self.staff.user.id} | changes
        return "?" + urlencode({key: value for key, value in values.items() if value})

    def hidden(self) -> str:
        """The selection, carried by every form so that the page comes back as it was."""
        fields = {"customer": self.customer or "", "staff": self.staff.user.id}
        return "".join(
            f'<input type="hidden" name="{key}" value="{escape(value)}">'
            for key, value in fields.items()
        )
