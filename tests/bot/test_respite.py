"""Breathing space and the debt-advice pause as policy pieces (COMPLIANCE rules 11, 12, 13)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot import (
    PROFILES,
    Case,
    CaseStage,
    CaseStatus,
    CaseType,
    Contact,
    ContactStatus,
    Customer,
    EventRejected,
    Reason,
    parse_event,
)
from bot._respite import (
    ADVICE,
    OPEN_ENDED,
    PAID,
    advice_hold,
    breathing_space_hold,
    is_payment_request,
    respite_hold,
)
from bot._watch import BROKEN, REMINDER

NOW = datetime(2024, 3, 4, 10, 0, tzinfo=UTC)
LONDON = (ZoneInfo("Europe/London"),)


def _contact(template: str = "first_contact", **params: object) -> Contact:
    return Contact(1, 1, "C-1", "telegram", template, dict(params), ContactStatus.QUEUED, NOW, 0)


def _customer(until: date | None) -> Customer:
    return Customer("C-1", country="GB", timezone="Europe/London", breathing_space_until=until)


def _case(paused_for: str | None, until: datetime | None) -> Case:
    return Case(
        1,
        "C-1",
        CaseType.A,
        CaseStage.PRE_COLLECTION,
        CaseStatus.PAUSED,
        Reason.EXPIRED_CARD,
        NOW,
        None,
        paused_until=until,
        paused_for=paused_for,
    )


@pytest.mark.parametrize(
    "template", ["first_contact", "follow_up", "agreement_reminder", "agreement_broken"]
)
def test_every_message_asking_for_payment_is_a_payment_request(template: str) -> None:
    assert is_payment_request(_contact(template))


def test_the_watchs_agreement_messages_are_payment_requests() -> None:
    assert [is_payment_request(_contact(template)) for template in (REMINDER, BROKEN)] == [
        True,
        True,
    ]


def test_a_method_update_is_a_payment_request_only_while_something_is_owed() -> None:
    owed = _contact("method_updated", owed=True)
    settled = _contact("method_updated", owed=False)

    assert (is_payment_request(owed), is_payment_request(settled)) == (True, False)


def test_breathing_space_holds_until_the_day_after_its_end_in_the_customers_zone() -> None:
    customer = _customer(date(2024, 6, 10))  # British Summer Time: UTC+1

    until = breathing_space_hold(customer, _contact(), zones=LONDON, now=NOW)

    assert until == datetime(2024, 6, 10, 23, 0, tzinfo=UTC)


def test_breathing_space_takes_the_latest_day_after_of_every_candidate_zone() -> None:
    zones = (ZoneInfo("Asia/Vladivostok"), ZoneInfo("Europe/Kaliningrad"))

    until = breathing_space_hold(_customer(date(2024, 3, 10)), _contact(), zones=zones, now=NOW)

    assert until == datetime(2024, 3, 10, 22, 0, tzinfo=UTC)  # midnight in Kaliningrad


def test_breathing_space_does_not_hold_what_asks_for_no_payment() -> None:
    customer = _customer(date(2024, 3, 10))

    assert breathing_space_hold(customer, _contact("escalation"), zones=LONDON, now=NOW) is None


def test_breathing_space_holds_nothing_from_the_day_after_its_end() -> None:
    day_after = datetime(2024, 3, 11, 0, 0, tzinfo=UTC)

    held = breathing_space_hold(
        _customer(date(2024, 3, 10)), _contact(), zones=LONDON, now=day_after
    )

    assert held is None


def test_an_open_ended_crisis_space_looks_again_every_day() -> None:
    until = breathing_space_hold(_customer(OPEN_ENDED), _contact(), zones=LONDON, now=NOW)

    assert until == NOW + timedelta(days=1)


def test_a_debt_advice_pause_holds_every_message_until_it_ends() -> None:
    cases = [_case(ADVICE, NOW + timedelta(days=30)), _case(PAID, NOW + timedelta(days=40))]

    held = respite_hold(_customer(None), _contact("escalation"), cases, zones=LONDON, now=NOW)

    assert held == ("debt advice", NOW + timedelta(days=30))


def test_a_debt_advice_pause_that_is_over_holds_nothing() -> None:
    assert advice_hold([_case(ADVICE, NOW)], NOW) is None


def test_the_debt_advice_pause_wins_over_breathing_space() -> None:
    cases = [_case(ADVICE, NOW + timedelta(days=30))]
    customer = _customer(date(2024, 3, 10))

    assert respite_hold(customer, _contact(), cases, zones=LONDON, now=NOW) == (
        "debt advice",
        NOW + timedelta(days=30),
    )


def test_only_the_uk_profile_lists_forbearance() -> None:
    assert {name for name, profile in PROFILES.items() if profile.forbearance} == {"uk"}


def _customer_event(**customer: object) -> dict[str, object]:
    return {
        "id": "e1",
        "type": "customer_updated",
        "occurred_at": "2024-03-04T10:00:00Z",
        "customer": {"id": "C-1", **customer},
    }


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"breathing_space_until": "2024-05-03"}, (True, date(2024, 5, 3))),
        ({"breathing_space_until": "open"}, (True, OPEN_ENDED)),
        ({"breathing_space_until": None}, (True, None)),
        ({}, (False, None)),
    ],
    ids=["date", "open", "null ends it", "absent"],
)
def test_the_event_says_what_breathing_space_billing_gave(
    given: dict[str, object], expected: tuple[bool, date | None]
) -> None:
    event = parse_event(_customer_event(**given))

    assert event.customer is not None
    assert event.customer.breathing_space() == expected


def test_a_breathing_space_end_out_of_range_is_refused_naming_the_field() -> None:
    with pytest.raises(EventRejected) as raised:
        parse_event(_customer_event(breathing_space_until="2300-01-01"))

    assert raised.value.field == "customer.breathing_space_until"
