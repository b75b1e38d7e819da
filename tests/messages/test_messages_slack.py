"""Block Kit for staff: masked contact details, the buttons, and the decided version."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot import (
    Case,
    CaseStage,
    CaseStatus,
    CaseType,
    CaseView,
    Customer,
    Escalation,
    EscalationReason,
    Money,
    Reason,
)
from messages import decided_blocks, escalation_blocks, mask_email, mask_phone

AT = datetime(2024, 3, 4, 19, 0, tzinfo=UTC)
PHONE = "+972 54-123-4567"
EMAIL = "dana@company.example"


def _view() -> CaseView:
    customer = Customer("C-1001", name="Dana Levi", phone=PHONE, email=EMAIL)
    case = Case(
        7,
        "C-1001",
        CaseType.A,
        CaseStage.PRE_COLLECTION,
        CaseStatus.ESCALATED,
        Reason.CARD_DECLINED,
        AT,
        None,
        amount_due=Money(41290, "ILS"),
    )
    return CaseView(case, customer, (), (), (), None)


def _escalation(**changes: object) -> Escalation:
    escalation = Escalation(
        3, 7, "C-1001", EscalationReason.DISPUTE, AT, AT, request=f"Not mine. Mail {EMAIL}"
    )
    return escalation if not changes else Escalation(**{**_fields(escalation), **changes})


def _fields(escalation: Escalation) -> dict[str, object]:
    return {name: getattr(escalation, name) for name in Escalation.__slots__}


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("+972 54-123-4567", "+972 •••• ••67"),
        ("+1 (212) 555-0142", "+1 •••• ••42"),
        ("+44 20 7946 0958", "+44 •••• ••58"),
        ("020 7946 0958", "•••• ••58"),
        (None, "-"),
    ],
)
def test_a_phone_keeps_its_country_code_and_last_two_digits(
    phone: str | None, masked: str
) -> None:
    assert mask_phone(phone) == masked


def test_an_email_keeps_first_letters_and_top_level_domain() -> None:
    assert mask_email("dana@company.example") == "d•••@c•••.example"


def test_the_post_never_holds_the_full_phone_email_or_name() -> None:
    text = json.dumps(escalation_blocks(_view(), _escalation()), ensure_ascii=False)

    assert "+972 •••• ••67" in text
    assert "d•••@c•••.example" in text
    for secret in (PHONE, "1234567", EMAIL, "Dana", "Levi"):
        assert secret not in text


def test_the_post_shows_amount_case_and_quoted_request() -> None:
    text = json.dumps(escalation_blocks(_view(), _escalation()), ensure_ascii=False)

    assert "₪412.90" in text
    assert "7, type A, pre-collection" in text
    assert "> Not mine. Mail d•••@c•••.example" in text


def test_every_button_carries_its_action_and_the_escalation_id() -> None:
    blocks = escalation_blocks(_view(), _escalation())

    buttons = [(e["action_id"], e["value"]) for e in blocks[-1]["elements"]]
    assert buttons == [
        ("settle_approve", "3"),
        ("settle_reject", "3"),
        ("settle_counter", "3"),
        ("settle_take_over", "3"),
        ("settle_assign", "3"),
    ]


def test_a_decided_post_names_who_and_has_no_buttons() -> None:
    decided = _escalation(decided_at=AT, decided_by="U-ANA", decision="reject")

    blocks = decided_blocks(_view(), decided)

    assert [block["type"] for block in blocks if block["type"] == "actions"] == []
    assert blocks[-1]["text"]["text"].startswith("*Rejected* by <@U-ANA> at <!date^1709578800^")


def test_a_post_closed_with_its_case_says_so_and_mentions_no_one() -> None:
    closed = _escalation(decided_at=AT, decided_by="billing", decision="closed")

    blocks = decided_blocks(_view(), closed)

    assert blocks[-1]["text"]["text"].startswith("*Closed with the case* by Settle at <!date^")


def test_a_broken_agreement_offers_staff_the_chat_and_the_case_only() -> None:
    notice = _escalation(reason=EscalationReason.BROKEN_AGREEMENT)

    [actions] = [b for b in escalation_blocks(_view(), notice) if b["type"] == "actions"]

    assert [e["action_id"] for e in actions["elements"]] == ["settle_take_over", "settle_assign"]
