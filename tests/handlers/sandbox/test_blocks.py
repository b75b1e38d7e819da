"""Slack's markup as the staff pane shows it."""

from __future__ import annotations

from handlers.sandbox._blocks import mrkdwn, render_blocks


def _no_button(action_id: str, label: str, style: str) -> str:
    return ""


def test_dates_show_their_fallback_and_bold_is_bold() -> None:
    text = "*Decide by* <!date^1709568000^{date_short_pretty} {time}|2024-03-04 16:00 UTC>"

    assert mrkdwn(text) == "<strong>Decide by</strong> 2024-03-04 16:00 UTC"


def test_links_show_their_label_and_markup_in_text_is_escaped() -> None:
    text = "<https://example.com/a?b=1|the case> for 1 < 2 & 3"

    assert mrkdwn(text) == "the case for 1 &lt; 2 &amp; 3"


def test_mentions_show_the_members_name() -> None:
    html = render_blocks(None, "Approved by <@U-BEN>", _no_button, names={"U-BEN": "Ben"})

    assert html == '<div class="text" dir="auto">Approved by @Ben</div>'


def test_a_group_mention_shows_the_group() -> None:
    assert mrkdwn("calling <!subteam^S-LEADS>") == "calling @S-LEADS"
