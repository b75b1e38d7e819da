from __future__ import annotations

from calendar import monthrange
from datetime import date
from decimal import Decimal
from itertools import pairwise

import pytest
from babel.numbers import list_currencies
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import InvalidInput, Money
from bot._plans import Instalment, PaymentPlan, build_plan, monthly_dates, upfront_share

CURRENCIES = sorted(list_currencies())
DAY = date(2025, 3, 10)
MONTH_ENDS_2025 = [date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 31), date(2025, 4, 30)]


def _amounts(plan: PaymentPlan) -> list[str]:
    return [str(instalment.amount) for instalment in plan.instalments]


def _days(plan: PaymentPlan) -> list[date]:
    return [instalment.due_on for instalment in plan.instalments]


def test_hundred_dollars_in_three_gives_the_extra_cent_to_the_first() -> None:
    plan = build_plan(Money.parse("100.00", "USD"), 3, DAY)

    assert _amounts(plan) == ["33.34 USD", "33.33 USD", "33.33 USD"]


def test_ten_euros_six_in_seven_spreads_the_remainder_over_the_earliest() -> None:
    plan = build_plan(Money.parse("10.06", "EUR"), 7, DAY)

    assert _amounts(plan) == ["1.44 EUR"] * 5 + ["1.43 EUR"] * 2


def test_quarter_up_front_then_three_instalments() -> None:
    total = Money.parse("30000.00", "ILS")

    plan = build_plan(total, 3, date(2025, 1, 31), upfront=upfront_share(total, Decimal(25)))

    assert _amounts(plan) == ["7500.00 ILS"] * 4
    assert _days(plan) == [
        date(2025, 1, 31),
        date(2025, 2, 28),
        date(2025, 3, 31),
        date(2025, 4, 30),
    ]


def test_yen_split_has_no_decimals() -> None:
    plan = build_plan(Money.parse("8000", "JPY"), 3, DAY)

    assert [i.amount.minor for i in plan.instalments] == [2667, 2667, 2666]


def test_dinar_split_has_three_decimals() -> None:
    plan = build_plan(Money.parse("1.000", "KWD"), 3, DAY)

    assert _amounts(plan) == ["0.334 KWD", "0.333 KWD", "0.333 KWD"]


def test_plan_from_january_31_clamps_at_each_month_end() -> None:
    plan = build_plan(Money.parse("100.00", "USD"), 4, date(2025, 1, 31))

    assert _days(plan) == [
        date(2025, 1, 31),
        date(2025, 2, 28),
        date(2025, 3, 31),
        date(2025, 4, 30),
    ]


def test_monthly_dates_reach_february_29_in_a_leap_year() -> None:
    assert monthly_dates(date(2024, 1, 31), 3) == [
        date(2024, 1, 31),
        date(2024, 2, 29),
        date(2024, 3, 31),
    ]


def test_monthly_dates_do_not_drift_after_a_short_month() -> None:
    assert monthly_dates(date(2025, 1, 30), 3)[-1] == date(2025, 3, 30)


def test_plan_knows_its_count_and_first_and_last_due_dates() -> None:
    plan = build_plan(Money.parse("90.00", "USD"), 3, DAY)

    assert (plan.count, plan.first_due, plan.last_due) == (3, DAY, date(2025, 5, 10))


def test_upfront_share_rounds_half_up() -> None:
    assert upfront_share(Money.parse("10.01", "USD"), Decimal(50)) == Money(501, "USD")


def test_upfront_share_rounds_to_whole_yen() -> None:
    assert upfront_share(Money.parse("1001", "JPY"), Decimal("25")) == Money(250, "JPY")


def test_upfront_share_above_a_hundred_percent_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        upfront_share(Money.parse("10.00", "USD"), Decimal(101))

    assert caught.value.field == "upfront_percent"


@pytest.mark.parametrize(
    ("total", "count", "upfront", "field"),
    [
        ("100.00", 0, None, "count"),
        ("0.02", 3, None, "count"),
        ("0.00", 1, None, "total"),
        ("100.00", 2, "100.00", "upfront"),
        ("100.00", 2, "0.00", "upfront"),
        ("100.00", 2, "-1.00", "upfront"),
        ("1.00", 2, "0.99", "count"),
    ],
)
def test_impossible_plan_names_the_field(
    total: str, count: int, upfront: str | None, field: str
) -> None:
    first = None if upfront is None else Money.parse(upfront, "USD")

    with pytest.raises(InvalidInput) as caught:
        build_plan(Money.parse(total, "USD"), count, DAY, upfront=first)

    assert caught.value.field == field


def test_upfront_in_another_currency_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        build_plan(Money.parse("100.00", "USD"), 2, DAY, upfront=Money.parse("10.00", "EUR"))

    assert caught.value.field == "upfront"


def test_plan_past_year_9999_names_the_first_due_date() -> None:
    with pytest.raises(InvalidInput) as caught:
        build_plan(Money.parse("100.00", "USD"), 3, date(9999, 11, 1))

    assert caught.value.field == "first_due"


def _plan(*parts: tuple[int, date, int], total: int, currency: str = "USD") -> PaymentPlan:
    instalments = tuple(Instalment(n, day, Money(minor, currency)) for n, day, minor in parts)
    return PaymentPlan(Money(total, "USD"), instalments)


@pytest.mark.parametrize(
    ("parts", "total", "currency"),
    [
        ((), 0, "USD"),
        (((1, DAY, 50), (2, date(2025, 4, 10), 40)), 100, "USD"),
        (((1, DAY, 100), (2, date(2025, 4, 10), 0)), 100, "USD"),
        (((1, DAY, 50), (2, DAY, 50)), 100, "USD"),
        (((1, DAY, 50), (3, date(2025, 4, 10), 50)), 100, "USD"),
        (((1, DAY, 100),), 100, "EUR"),
    ],
    ids=["empty", "short-sum", "zero-part", "same-day", "gap-in-numbers", "other-currency"],
)
def test_plan_that_breaks_an_invariant_is_refused(
    parts: tuple[tuple[int, date, int], ...], total: int, currency: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        _plan(*parts, total=total, currency=currency)

    assert caught.value.field == "instalments"


# Properties over every currency babel knows.


@st.composite
def month_ends(draw: st.DrawFn) -> date:
    year = draw(st.integers(1900, 2300))
    month = draw(st.integers(1, 12))
    day = draw(st.integers(28, 31))
    return date(year, month, min(day, monthrange(year, month)[1]))


ANCHORS = st.one_of(st.dates(date(1900, 1, 1), date(2300, 12, 31)), month_ends())


@st.composite
def plan_inputs(draw: st.DrawFn) -> tuple[Money, int, date, Money | None]:
    currency = draw(st.sampled_from(CURRENCIES))
    count = draw(st.integers(1, 24))
    with_upfront = draw(st.booleans())
    total = draw(st.integers(count + with_upfront, 10**12))
    upfront = draw(st.integers(1, total - count)) if with_upfront else None
    first = draw(ANCHORS)
    return (
        Money(total, currency),
        count,
        first,
        None if upfront is None else Money(upfront, currency),
    )


def _equal_parts(plan: PaymentPlan, upfront: Money | None) -> list[int]:
    parts = [i.amount.minor for i in plan.instalments]
    return parts if upfront is None else parts[1:]


@settings(max_examples=500)
@given(plan_inputs())
def test_any_plan_sums_exactly_to_its_total(args: tuple[Money, int, date, Money | None]) -> None:
    total, count, first, upfront = args

    plan = build_plan(total, count, first, upfront=upfront)

    assert sum(i.amount.minor for i in plan.instalments) == total.minor
    assert {i.amount.currency for i in plan.instalments} == {total.currency}


@settings(max_examples=500)
@given(plan_inputs())
def test_any_plan_has_positive_parts_within_one_minor_unit(
    args: tuple[Money, int, date, Money | None],
) -> None:
    total, count, first, upfront = args

    plan = build_plan(total, count, first, upfront=upfront)
    parts = _equal_parts(plan, upfront)

    assert min(i.amount.minor for i in plan.instalments) > 0
    assert len(parts) == count
    assert max(parts) - min(parts) <= 1
    assert parts == sorted(parts, reverse=True)


@settings(max_examples=500)
@given(plan_inputs())
def test_any_plan_falls_due_monthly_on_the_anchor_day(
    args: tuple[Money, int, date, Money | None],
) -> None:
    total, count, first, upfront = args

    days = _days(build_plan(total, count, first, upfront=upfront))

    assert all(a < b for a, b in pairwise(days))
    for months, day in enumerate(days):
        assert (day.year * 12 + day.month) - (first.year * 12 + first.month) == months
        assert day.day == min(first.day, monthrange(day.year, day.month)[1])


@given(st.sampled_from(CURRENCIES), st.integers(1, 24), st.data())
def test_total_below_one_minor_unit_a_part_is_refused(
    currency: str, count: int, data: st.DataObject
) -> None:
    total = data.draw(st.integers(1, count - 1)) if count > 1 else 0

    with pytest.raises(InvalidInput):
        build_plan(Money(total, currency), count, DAY)
