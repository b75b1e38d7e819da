"""Authority tiers: who may agree which terms, read from a TOML file."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from bot import Authority, ConfigurationError, InvalidInput, Money, Offer

EXAMPLE = Path(__file__).parents[2] / "examples" / "authority.toml"


def _offer(total: str, count: int, owed: str = "1000.00", currency: str = "USD") -> Offer:
    return Offer(
        owed=Money.parse(owed, currency),
        total=Money.parse(total, currency),
        count=count,
        first_due=date(2024, 3, 11),
    )


@pytest.fixture
def authority() -> Authority:
    return Authority.load(EXAMPLE)


def test_the_example_file_loads_with_its_tiers_in_order(authority: Authority) -> None:
    assert [tier.name for tier in authority.tiers] == ["agent", "team lead", "head of collections"]
    assert authority.groups == frozenset({"S0COLLECTIONS"})
    assert authority.tiers[1].write_off_limit("JPY") == Decimal(30000)
    assert authority.tiers[1].write_off_limit("EUR") == Decimal("250.00")


def test_a_person_has_the_highest_tier_they_belong_to(authority: Authority) -> None:
    both = Authority.from_dict(
        {
            "tier": [
                {"name": "low", "members": ["*"]},
                {"name": "high", "members": ["U1"], "max_instalments": 30},
            ]
        }
    )

    assert authority.tier_of("U0LEAD001").name == "team lead"  # type: ignore[union-attr]
    assert authority.tier_of("U999", ["S0COLLECTIONS"]).name == "agent"  # type: ignore[union-attr]
    assert authority.tier_of("U999") is None
    assert both.tier_of("U1").name == "high"  # type: ignore[union-attr]
    assert both.tier_of("U2").name == "low"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("total", "count", "needed"),
    [
        ("1000.00", 12, "agent"),
        ("1000.00", 13, "team lead"),
        ("900.00", 24, "team lead"),  # 10% and 100.00 off
        ("899.99", 24, "head of collections"),  # just over 10%
        ("1000.00", 60, "head of collections"),
        ("600.00", 12, None),  # 40% off: no tier
    ],
)
def test_the_tier_needed_is_the_lowest_whose_every_limit_allows(
    authority: Authority, total: str, count: int, needed: str | None
) -> None:
    tier = authority.needed_for(_offer(total, count))

    assert (tier.name if tier else None) == needed


def test_breaches_name_the_field_and_the_limit(authority: Authority) -> None:
    agent, lead, _head = authority.tiers

    assert [(b.field, b.limit) for b in agent.breaches(_offer("990.00", 13))] == [
        ("instalments", "up to 12 instalments"),
        ("amount", "a discount of up to 0%"),
        ("amount", "a write-off of up to 0 USD"),
    ]
    # 300.00 of 10,000.00 is 3%, within the discount, but more than 250.00 written off.
    assert [b.limit for b in lead.breaches(_offer("9700.00", 6, owed="10000.00"))] == [
        "a write-off of up to 250.00 USD"
    ]


def test_without_a_file_everyone_may_agree_twelve_payments_and_no_discount() -> None:
    default = Authority.load(None)
    staff = default.tier_of("U-ANYONE")

    assert staff is not None
    assert staff.name == "staff"
    assert default.needed_for(_offer("1000.00", 12)) is staff
    assert default.needed_for(_offer("999.99", 2)) is None


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("", "no [[tier]] table"),
        ("tiers = 1", "unknown key 'tiers'"),
        ('[[tier]]\nmembers = ["U1"]', "tier 1: name must be a non-empty string"),
        ('[[tier]]\nname = "a"\nmembers = []', "tier 'a': members must list"),
        ('[[tier]]\nname = "a"\nmembers = ["bob"]', "tier 'a': members must list"),
        ('[[tier]]\nname = "a"\nmembers = ["U1"]\nmax_instalments = 61', "max_instalments"),
        ('[[tier]]\nname = "a"\nmembers = ["U1"]\nmax_write_off = 10.5', "max_write_off must"),
        ('[[tier]]\nname = "a"\nmembers = ["U1"]\nmax_discount_percent = "101"', "0 to 100"),
        ('[[tier]]\nname = "a"\nmembers = ["U1"]\nmax_write_off = "-1"', "zero or more"),
        ('[[tier]]\nname = "a"\nmembers = ["U1"]\ncolour = "red"', "unknown key 'colour'"),
        (
            '[[tier]]\nname = "a"\nmembers = ["U1"]\nmax_write_off_by_currency = { XXQ = "1" }',
            "unknown currency",
        ),
        (
            '[[tier]]\nname = "a"\nmembers = ["U1"]\nmax_write_off_by_currency = { JPY = "1.5" }',
            "more than 0 decimals",
        ),
        ('[[tier]]\nname = "a"\nmembers = ["U1"]\n[[tier]]\nname = "a"\nmembers = ["U2"]', "two"),
        ("[[tier]\n", "not valid TOML"),
    ],
)
def test_a_bad_file_is_refused_naming_the_file_and_what_is_wrong(
    tmp_path: Path, text: str, said: str
) -> None:
    path = tmp_path / "authority.toml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(ConfigurationError) as caught:
        Authority.load(path)

    assert str(path) in str(caught.value)
    assert said in str(caught.value)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot be read"):
        Authority.load(tmp_path / "nowhere.toml")


@pytest.mark.parametrize(
    ("total", "count", "field"),
    [
        ("0.00", 1, "amount"),
        ("1000.01", 1, "amount"),
        ("100.00", 0, "instalments"),
        ("100.00", 61, "instalments"),
        ("0.05", 6, "instalments"),
    ],
)
def test_an_offer_refuses_impossible_terms_naming_the_field(
    total: str, count: int, field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        _offer(total, count)

    assert caught.value.field == field


def test_an_offer_knows_its_write_off_and_round_trips_through_json() -> None:
    offer = _offer("850.00", 10)

    assert offer.write_off == Money.parse("150.00", "USD")
    assert offer.discount_percent == Decimal(15)
    assert Offer.from_json(offer.to_json()) == offer
    assert sum(item.amount.minor for item in offer.plan().instalments) == 85000
