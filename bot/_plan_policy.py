"""The bot's authority for payment plans, read from a TOML policy file.

The file (`SETTLE_PLAN_POLICY_FILE`; see `examples/plan-policy.toml`) holds a
`[defaults]` table, `[currency.XXX]` tables and `[currency.XXX.A]` or
`[currency.XXX.C]` tables; each narrower table overrides the wider one key by
key. Without a file, the built-in `PlanTerms()` apply to every currency.
"""

from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot._errors import ConfigurationError, InvalidInput
from bot._model import CaseType
from bot._money import Money, currency_exponent, parse_currency
from bot._plans import PaymentPlan, build_plan, upfront_share

__all__ = ["PROPOSAL_LEAD_DAYS", "PlanPolicy", "PlanTerms"]

logger = logging.getLogger(__name__)

# A first payment a week out leaves room for a pay day, and stays inside the window.
PROPOSAL_LEAD_DAYS = 7

MAX_INSTALMENTS = 60

_DECIMAL = re.compile(r"\d{1,15}(\.\d{1,6})?")

Overrides = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class PlanTerms:
    """The limits of one currency and case type; `min_instalment` is in major units."""

    min_instalments: int = 2
    max_instalments: int = 6
    min_instalment: Decimal = Decimal("10.00")
    first_payment_within_days: int = 14
    longest_term_days: int = 180
    upfront_percent: Decimal = Decimal(0)


class _PolicyError(Exception):
    """A bad entry of the policy file, at `key`."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")


@dataclass(frozen=True, slots=True)
class PlanPolicy:
    """Which plans the bot may agree without a person, per currency and case type."""

    defaults: PlanTerms = field(default_factory=PlanTerms)
    by_currency: Mapping[str, Overrides] = field(default_factory=dict)
    by_currency_type: Mapping[tuple[str, CaseType], Overrides] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None) -> PlanPolicy:
        """Read the policy file at `path`, or the built-in defaults when it is None."""
        if path is None:
            return cls()
        try:
            raw = tomllib.loads(path.read_text("utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            msg = f"SETTLE_PLAN_POLICY_FILE: cannot read {path}: {error}"
            raise ConfigurationError(msg) from None
        try:
            policy = _parse(raw)
        except _PolicyError as error:
            raise ConfigurationError(f"{error} (plan policy {path})") from None
        logger.info("plan policy loaded from %s with %d overrides", path, policy.override_count)
        return policy

    @property
    def override_count(self) -> int:
        return len(self.by_currency) + len(self.by_currency_type)

    def terms_for(self, currency: str, case_type: CaseType) -> PlanTerms:
        """The defaults, overridden by the currency's table, then by its case type's."""
        changes = {
            **self.by_currency.get(currency, {}),
            **self.by_currency_type.get((currency, case_type), {}),
        }
        return replace(self.defaults, **changes)

    def proposals(self, total: Money, case_type: CaseType, *, today: date) -> list[PaymentPlan]:
        """Every plan within authority, one per allowed count, the first payment a week out.

        The first payment falls `PROPOSAL_LEAD_DAYS` after `today`, or sooner when the
        policy's `first_payment_within_days` is shorter. With an upfront share, a
        plan of n instalments is the share and then n - 1 equal ones.
        """
        terms = self.terms_for(total.currency, case_type)
        first_due = self.first_due(total.currency, case_type, today=today)
        upfront = upfront_share(total, terms.upfront_percent)
        counts = range(terms.min_instalments, terms.max_instalments + 1)
        plans = (_candidate(total, count, first_due, upfront) for count in counts)
        return [plan for plan in plans if plan and not _violations(plan, terms, today)]

    def first_due(self, currency: str, case_type: CaseType, *, today: date) -> date:
        """When the first payment of a proposed plan falls."""
        terms = self.terms_for(currency, case_type)
        return today + timedelta(days=min(PROPOSAL_LEAD_DAYS, terms.first_payment_within_days))

    def within_authority(
        self, plan: PaymentPlan, case_type: CaseType, *, today: date
    ) -> list[str]:
        """The rules `plan` breaks, each led by its policy key; empty when the bot may agree."""
        return _violations(plan, self.terms_for(plan.total.currency, case_type), today)


def _candidate(total: Money, count: int, first_due: date, upfront: Money) -> PaymentPlan | None:
    """The plan of `count` instalments in all, or None when the total cannot make one."""
    try:
        if count == 1 or upfront.minor == 0:
            return build_plan(total, count, first_due)
        return build_plan(total, count - 1, first_due, upfront=upfront)
    except InvalidInput:
        return None


def _violations(plan: PaymentPlan, terms: PlanTerms, today: date) -> list[str]:
    found = [
        _count_rule(plan, terms),
        _amount_rule(plan, terms),
        _start_rule(plan, terms, today),
        _term_rule(plan, terms, today),
        _upfront_rule(plan, terms),
    ]
    return [rule for rule in found if rule]


def _count_rule(plan: PaymentPlan, terms: PlanTerms) -> str | None:
    if plan.count < terms.min_instalments:
        return f"min_instalments: {plan.count} in the plan, at least {terms.min_instalments}"
    if plan.count > terms.max_instalments:
        return f"max_instalments: {plan.count} in the plan, at most {terms.max_instalments}"
    return None


def _amount_rule(plan: PaymentPlan, terms: PlanTerms) -> str | None:
    currency = plan.total.currency
    floor = terms.min_instalment.scaleb(currency_exponent(currency))
    small = next((i for i in plan.instalments if i.amount.minor < floor), None)
    if small is None:
        return None
    return (
        f"min_instalment: instalment {small.number} of {small.amount}"
        f" is below {terms.min_instalment} {currency}"
    )


def _start_rule(plan: PaymentPlan, terms: PlanTerms, today: date) -> str | None:
    days = terms.first_payment_within_days
    if plan.first_due < today:
        return f"first_payment_within_days: first payment on {plan.first_due} is before {today}"
    if plan.first_due > today + timedelta(days=days):
        return (
            f"first_payment_within_days: first payment on {plan.first_due}"
            f" is more than {days} days after {today}"
        )
    return None


def _term_rule(plan: PaymentPlan, terms: PlanTerms, today: date) -> str | None:
    days = terms.longest_term_days
    if plan.last_due <= today + timedelta(days=days):
        return None
    last = plan.last_due
    return f"longest_term_days: last payment on {last} is more than {days} days after {today}"


def _upfront_rule(plan: PaymentPlan, terms: PlanTerms) -> str | None:
    share = upfront_share(plan.total, terms.upfront_percent)
    first = plan.instalments[0].amount
    if first.minor >= share.minor:
        return None
    percent = terms.upfront_percent
    return f"upfront_percent: first payment of {first} is below the {percent}% share, {share}"


# Reading the file.


def _integer(low: int, high: int) -> Callable[[object], object]:
    def read(value: object) -> object:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"expected an integer from {low} to {high}")
        return value

    return read


def _decimal(*, below: Decimal | None = None) -> Callable[[object], object]:
    limit = "" if below is None else f" below {below}"

    def read(value: object) -> object:
        text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
        if not isinstance(text, str) or not _DECIMAL.fullmatch(text.strip()):
            raise ValueError(f'expected a decimal string of 0 or more{limit}, like "10.00"')
        amount = Decimal(text.strip())
        if below is not None and amount >= below:
            raise ValueError(f"expected a decimal string of 0 or more{limit}")
        return amount

    return read


_TERMS: dict[str, Callable[[object], object]] = {
    "min_instalments": _integer(1, MAX_INSTALMENTS),
    "max_instalments": _integer(1, MAX_INSTALMENTS),
    "min_instalment": _decimal(),
    "first_payment_within_days": _integer(0, 365),
    "longest_term_days": _integer(1, 3650),
    "upfront_percent": _decimal(below=Decimal(100)),
}

_CASE_TYPES = frozenset(t.value for t in CaseType)


def _parse(raw: dict[str, Any]) -> PlanPolicy:
    _only(raw, "", {"defaults", "currency"})
    policy = PlanPolicy(replace(PlanTerms(), **_terms(_table(raw, "defaults"), "defaults")))
    for code, section in _table(raw, "currency").items():
        policy = _with_currency(policy, code, section)
    _check_ranges(policy)
    return policy


def _with_currency(policy: PlanPolicy, code: str, section: object) -> PlanPolicy:
    key = f"currency.{code}"
    if _known(code) != code:
        raise _PolicyError(key, "unknown currency; expected an upper-case ISO 4217 code")
    if not isinstance(section, dict):
        raise _PolicyError(key, "expected a table")
    plain = {name: value for name, value in section.items() if name not in _CASE_TYPES}
    typed = {
        (code, CaseType(name)): _terms(_table(section, name, key), f"{key}.{name}")
        for name in section
        if name in _CASE_TYPES
    }
    return replace(
        policy,
        by_currency={**policy.by_currency, code: _terms(plain, key, extra=_CASE_TYPES)},
        by_currency_type={**policy.by_currency_type, **typed},
    )


def _known(code: str) -> str | None:
    try:
        return parse_currency(code)
    except InvalidInput:
        return None


def _table(raw: dict[str, Any], name: str, parent: str = "") -> dict[str, Any]:
    section = raw.get(name, {})
    if not isinstance(section, dict):
        raise _PolicyError(_join(parent, name), "expected a table")
    return section


def _terms(section: dict[str, Any], key: str, *, extra: frozenset[str] = frozenset()) -> Overrides:
    _only(section, key, set(_TERMS) | extra)
    read: dict[str, Any] = {}
    for name, value in section.items():
        try:
            read[name] = _TERMS[name](value)
        except ValueError as error:
            raise _PolicyError(_join(key, name), f"{error}, got {value!r}") from None
    return read


def _only(section: dict[str, Any], key: str, allowed: set[str] | frozenset[str]) -> None:
    unknown = sorted(set(section) - allowed)
    if unknown:
        expected = ", ".join(sorted(allowed))
        raise _PolicyError(_join(key, unknown[0]), f"unknown key; expected one of {expected}")


def _check_ranges(policy: PlanPolicy) -> None:
    """Refuse a policy where some currency and case type resolve to min above max instalments."""
    codes = {""} | set(policy.by_currency) | {code for code, _ in policy.by_currency_type}
    for code in sorted(codes):
        for case_type in CaseType:
            terms = policy.terms_for(code, case_type)
            if terms.min_instalments > terms.max_instalments:
                problem = f"min_instalments {terms.min_instalments} is above max_instalments"
                key = _narrowest(policy, code, case_type)
                raise _PolicyError(key, f"{problem} {terms.max_instalments} for {case_type}")


def _narrowest(policy: PlanPolicy, code: str, case_type: CaseType) -> str:
    """The key of the most specific table that applies to `code` and `case_type`."""
    if (code, case_type) in policy.by_currency_type:
        return f"currency.{code}.{case_type}"
    return f"currency.{code}" if code in policy.by_currency else "defaults"


def _join(parent: str, name: str) -> str:
    return f"{parent}.{name}" if parent else name
