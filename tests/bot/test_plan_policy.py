from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from bot import CaseType, ConfigurationError, Money
from bot._plan_policy import PlanPolicy, PlanTerms
from bot._plans import PaymentPlan, build_plan

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2025, 3, 1)


def _policy(tmp_path: Path, text: str) -> PlanPolicy:
    path = tmp_path / "plan-policy.toml"
    path.write_text(text)
    return PlanPolicy.load(path)


def _counts(plans: list[PaymentPlan]) -> list[int]:
    return [plan.count for plan in plans]


def test_without_a_file_the_built_in_terms_apply() -> None:
    assert PlanPolicy.load(None).terms_for("EUR", CaseType.C) == PlanTerms()


def test_example_file_overrides_yen_and_keeps_the_defaults_elsewhere() -> None:
    policy = PlanPolicy.load(ROOT / "examples" / "plan-policy.toml")

    assert policy.terms_for("JPY", CaseType.A).min_instalment == Decimal(1000)
    assert policy.terms_for("USD", CaseType.C) == PlanTerms()


def test_default_proposals_for_a_hundred_dollars_run_from_two_to_six() -> None:
    plans = PlanPolicy().proposals(Money.parse("100.00", "USD"), CaseType.A, today=TODAY)

    assert _counts(plans) == [2, 3, 4, 5, 6]
    assert all(i.amount.minor >= 1000 for plan in plans for i in plan.instalments)


def test_proposals_start_a_week_from_today() -> None:
    plans = PlanPolicy().proposals(Money.parse("100.00", "USD"), CaseType.A, today=TODAY)

    assert {plan.first_due for plan in plans} == {date(2025, 3, 8)}


def test_proposals_start_sooner_when_the_window_is_shorter(tmp_path: Path) -> None:
    policy = _policy(tmp_path, "[defaults]\nfirst_payment_within_days = 3\n")

    plans = policy.proposals(Money.parse("100.00", "USD"), CaseType.A, today=TODAY)

    assert {plan.first_due for plan in plans} == {date(2025, 3, 4)}


def test_small_debt_gets_no_plan_when_two_instalments_fall_below_the_minimum() -> None:
    assert PlanPolicy().proposals(Money.parse("15.00", "USD"), CaseType.A, today=TODAY) == []


def test_debt_offers_only_the_counts_that_keep_the_minimum_instalment() -> None:
    plans = PlanPolicy().proposals(Money.parse("35.00", "USD"), CaseType.A, today=TODAY)

    assert _counts(plans) == [2, 3]


def test_yen_override_sets_the_minimum_in_whole_yen(tmp_path: Path) -> None:
    policy = _policy(tmp_path, '[currency.JPY]\nmin_instalment = "1000"\n')

    plans = policy.proposals(Money.parse("5000", "JPY"), CaseType.C, today=TODAY)

    assert _counts(plans) == [2, 3, 4, 5]


def test_case_type_override_applies_to_its_type_only(tmp_path: Path) -> None:
    policy = _policy(tmp_path, "[currency.USD.C]\nmin_instalments = 1\nmax_instalments = 3\n")
    total = Money.parse("100.00", "USD")

    type_c = policy.proposals(total, CaseType.C, today=TODAY)
    type_a = policy.proposals(total, CaseType.A, today=TODAY)

    assert (_counts(type_c), _counts(type_a)) == ([1, 2, 3], [2, 3, 4, 5, 6])


def test_narrower_tables_override_wider_ones_key_by_key(tmp_path: Path) -> None:
    text = """
    [defaults]
    max_instalments = 4
    longest_term_days = 90
    [currency.USD]
    max_instalments = 5
    [currency.USD.C]
    max_instalments = 6
    """
    policy = _policy(tmp_path, text)

    terms = [
        policy.terms_for(c, t)
        for c, t in [("EUR", CaseType.A), ("USD", CaseType.A), ("USD", CaseType.C)]
    ]

    assert [t.max_instalments for t in terms] == [4, 5, 6]
    assert {t.longest_term_days for t in terms} == {90}


def test_longest_term_cuts_the_longer_plans(tmp_path: Path) -> None:
    policy = _policy(tmp_path, "[defaults]\nlongest_term_days = 70\n")

    plans = policy.proposals(Money.parse("100.00", "USD"), CaseType.A, today=TODAY)

    assert _counts(plans) == [2, 3]
    assert plans[-1].last_due == date(2025, 5, 8)


def test_upfront_share_leads_every_proposal(tmp_path: Path) -> None:
    policy = _policy(tmp_path, '[defaults]\nupfront_percent = "25"\nmax_instalments = 4\n')

    plans = policy.proposals(Money.parse("30000.00", "ILS"), CaseType.C, today=TODAY)

    assert [[str(i.amount) for i in plan.instalments] for plan in plans] == [
        ["7500.00 ILS", "22500.00 ILS"],
        ["7500.00 ILS", "11250.00 ILS", "11250.00 ILS"],
        ["7500.00 ILS"] * 4,
    ]


def test_plan_inside_the_terms_breaks_no_rule() -> None:
    plan = build_plan(Money.parse("100.00", "USD"), 4, date(2025, 3, 10))

    assert PlanPolicy().within_authority(plan, CaseType.A, today=TODAY) == []


@pytest.mark.parametrize(
    ("total", "count", "first_due", "rule"),
    [
        ("100.00", 1, date(2025, 3, 10), "min_instalments"),
        ("100.00", 8, date(2025, 3, 10), "max_instalments"),
        ("30.00", 4, date(2025, 3, 10), "min_instalment"),
        ("100.00", 3, date(2025, 3, 16), "first_payment_within_days"),
        ("100.00", 3, date(2025, 2, 28), "first_payment_within_days"),
    ],
)
def test_plan_outside_the_terms_names_the_rule(
    total: str, count: int, first_due: date, rule: str
) -> None:
    plan = build_plan(Money.parse(total, "USD"), count, first_due)
    policy = PlanPolicy(PlanTerms(longest_term_days=3650))

    broken = policy.within_authority(plan, CaseType.A, today=TODAY)

    assert [text.partition(":")[0] for text in broken] == [rule]


def test_plan_ending_too_late_breaks_the_longest_term() -> None:
    plan = build_plan(Money.parse("100.00", "USD"), 3, date(2025, 3, 10))
    policy = PlanPolicy(PlanTerms(longest_term_days=60))

    broken = policy.within_authority(plan, CaseType.A, today=TODAY)

    assert broken == [
        "longest_term_days: last payment on 2025-05-10 is more than 60 days after 2025-03-01"
    ]


def test_plan_paying_too_little_up_front_breaks_the_upfront_rule(tmp_path: Path) -> None:
    policy = _policy(tmp_path, '[defaults]\nupfront_percent = "25"\n')
    total = Money.parse("100.00", "USD")
    plan = build_plan(total, 3, date(2025, 3, 10), upfront=Money.parse("10.00", "USD"))

    broken = policy.within_authority(plan, CaseType.A, today=TODAY)

    assert broken == [
        "upfront_percent: first payment of 10.00 USD is below the 25% share, 25.00 USD"
    ]


def test_plan_can_break_several_rules_at_once() -> None:
    plan = build_plan(Money.parse("14.00", "USD"), 7, date(2025, 4, 1))

    broken = PlanPolicy().within_authority(plan, CaseType.A, today=TODAY)

    assert [text.partition(":")[0] for text in broken] == [
        "max_instalments",
        "min_instalment",
        "first_payment_within_days",
        "longest_term_days",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[currency.USD.C]\nmax_instalments = 61\n",
            "currency.USD.C.max_instalments: expected an integer from 1 to 60, got 61",
        ),
        ("[defaults]\nmin_instalments = true\n", "defaults.min_instalments: expected an integer"),
        ("[defaults]\nmin_instalment = 10.5\n", "defaults.min_instalment: expected a decimal"),
        ('[defaults]\nmin_instalment = "-1"\n', "defaults.min_instalment: expected a decimal"),
        ('[defaults]\nupfront_percent = "100"\n', "defaults.upfront_percent: expected a decimal"),
        ("[defaults]\nmax_instalment = 3\n", "defaults.max_instalment: unknown key"),
        ("[limits]\n", "limits: unknown key; expected one of currency, defaults"),
        ("defaults = 3\n", "defaults: expected a table"),
        ("[currency.XXZ]\n", "currency.XXZ: unknown currency"),
        ("[currency.usd]\n", "currency.usd: unknown currency"),
        ("[currency.USD.B]\nmax_instalments = 3\n", "currency.USD.B: unknown key"),
        ("[currency.USD]\nA = 3\n", "currency.USD.A: expected a table"),
        (
            "[currency.USD.C]\nmin_instalments = 7\n",
            "currency.USD.C: min_instalments 7 is above max_instalments 6 for C",
        ),
        ("[defaults\n", "SETTLE_PLAN_POLICY_FILE: cannot read"),
    ],
)
def test_bad_policy_names_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        _policy(tmp_path, text)


def test_missing_policy_file_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="SETTLE_PLAN_POLICY_FILE: cannot read"):
        PlanPolicy.load(tmp_path / "absent.toml")
