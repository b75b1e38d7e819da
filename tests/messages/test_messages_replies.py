"""Replies inside a conversation, and the neutral layout they use."""

from __future__ import annotations

import re

import pytest

from messages import (
    Action,
    Button,
    Rendered,
    apology,
    hello_unlinked,
    not_linked,
    nothing_due,
    person_requested,
    stopped,
    token_invalid,
    welcome_linked,
)


def test_welcome_linked_offers_a_person_and_the_opt_out() -> None:
    rendered = welcome_linked(locale="en")

    assert [b.action for b in rendered.all_buttons] == [Action.PERSON, Action.STOP]


def test_stopped_says_how_to_resume() -> None:
    assert stopped(locale="en").text == (
        "Done: you won't get any more automated messages from us here. "
        "If you change your mind, send /start."
    )


def test_stopped_offers_no_buttons() -> None:
    assert stopped(locale="en").buttons == ()


@pytest.mark.parametrize("template", [not_linked, hello_unlinked, token_invalid])
def test_unlinked_replies_disclose_no_account_detail(template: object) -> None:
    text = template(locale="en").text  # type: ignore[operator]

    assert re.findall(r"\d|\$|invoice|amount|owe", text) == []


def test_not_linked_points_to_the_personal_link() -> None:
    assert "open the personal link we sent you" in not_linked(locale="en").text


def test_token_invalid_does_not_say_why() -> None:
    text = token_invalid(locale="en").text

    assert re.findall(r"expired|already|unknown|invalid", text, re.IGNORECASE) == []


def test_person_requested_promises_a_reply_here() -> None:
    assert "get back to you here" in person_requested(locale="en").text


def test_apology_is_short_and_shows_no_error() -> None:
    text = apology(locale="en").text

    assert (len(text) < 100, "error" in text.lower()) == (True, False)


def test_nothing_due_says_so() -> None:
    assert nothing_due(locale="en-GB").text == (
        "Good news: there's nothing to pay on your account right now."
    )


def test_button_needs_a_url_or_an_action() -> None:
    with pytest.raises(ValueError, match="exactly one of url and action"):
        Button("Nowhere")


def test_button_refuses_both_a_url_and_an_action() -> None:
    with pytest.raises(ValueError, match="exactly one of url and action"):
        Button("Both", url="https://example.test", action="stop")


def test_button_action_fits_telegram_callback_data() -> None:
    with pytest.raises(ValueError, match="64 bytes"):
        Button("Long", action="é" * 33)


def test_rendered_lists_buttons_row_by_row() -> None:
    a, b, c = Button("a", action="a"), Button("b", action="b"), Button("c", action="c")

    assert Rendered("text", ((a, b), (c,))).all_buttons == (a, b, c)
