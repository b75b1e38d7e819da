"""Authority: which member of staff may agree which terms.

Tiers come from a TOML file (`SETTLE_AUTHORITY_FILE`; see `examples/authority.toml`),
from the least authority to the most. Each names its members (Slack user ids, or user
group ids starting with "S", or "*" for everyone in the workspace) and its limits: the
most instalments, the largest discount as a share of what is owed, and the largest
write-off in money. A decision needs a tier whose every limit allows it; a person's
tier is the highest one they belong to. Without a file everyone is in one tier,
`staff`, which may agree longer plans but give no discount.

The bot's own authority is the plan policy (`bot._plan_policy`): what it allows
never reaches staff.
"""

from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from bot._errors import ConfigurationError, InvalidInput
from bot._money import Money, parse_currency
from bot._offers import MAX_INSTALMENTS, Offer

__all__ = ["EVERYONE", "Authority", "Breach", "Tier"]

logger = logging.getLogger(__name__)

EVERYONE = "*"
# Slack ids of users (U..., W... on Enterprise Grid) and user groups (S...).
_SLACK_ID = re.compile(r"[UWS][A-Za-z0-9_-]+")


@dataclass(frozen=True, slots=True)
class Breach:
    """A limit an offer goes past: the offer's field and the limit, in words for staff."""

    field: str  # "instalments" or "amount", the fields of a counter-offer
    limit: str


@dataclass(frozen=True, slots=True)
class Tier:
    """One level of authority: who is in it and how far they may go."""

    name: str
    members: frozenset[str]
    max_instalments: int = 12
    max_discount_percent: Decimal = Decimal(0)
    max_write_off: Decimal = Decimal(0)  # in major units of the offer's currency
    write_off_by_currency: Mapping[str, Decimal] = field(default_factory=dict)

    def breaches(self, offer: Offer) -> list[Breach]:
        """The limits of this tier that `offer` goes past; empty when the tier may agree it."""
        found = []
        if offer.count > self.max_instalments:
            found.append(Breach("instalments", f"up to {self.max_instalments} instalments"))
        if offer.discount_percent > self.max_discount_percent:
            found.append(Breach("amount", f"a discount of up to {self.max_discount_percent}%"))
        ceiling = self.write_off_limit(offer.owed.currency)
        if offer.write_off.to_decimal() > ceiling:
            found.append(Breach("amount", f"a write-off of up to {ceiling} {offer.owed.currency}"))
        return found

    def write_off_limit(self, currency: str) -> Decimal:
        return self.write_off_by_currency.get(currency, self.max_write_off)

    def describe(self, currency: str) -> str:
        """The tier's limits in one line, e.g. "up to 12 instalments, 10% discount, ..."."""
        return (
            f"up to {self.max_instalments} instalments, a discount of up to "
            f"{self.max_discount_percent}%, a write-off of up to "
            f"{self.write_off_limit(currency)} {currency}"
        )


_DEFAULT = Tier("staff", frozenset({EVERYONE}))


@dataclass(frozen=True, slots=True)
class Authority:
    """The tiers, lowest first."""

    tiers: tuple[Tier, ...] = (_DEFAULT,)

    @classmethod
    def load(cls, path: Path | None) -> Authority:
        """The tiers of the file at `path`, or the one default tier when None.

        Raises:
            ConfigurationError: naming the file and the key when it cannot be used.
        """
        if path is None:
            return cls()
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
            authority = cls.from_dict(data)
        except OSError as error:
            msg = f"authority file {path} cannot be read: {error.strerror}"
            raise ConfigurationError(msg) from None
        except tomllib.TOMLDecodeError as error:
            raise ConfigurationError(f"authority file {path} is not valid TOML: {error}") from None
        except ValueError as error:
            raise ConfigurationError(f"authority file {path}: {error}") from None
        logger.info("authority loaded from %s: %s", path, [tier.name for tier in authority.tiers])
        return authority

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Authority:
        """Read `[[tier]]` tables.

        Raises:
            ValueError: naming the tier and the key that is wrong.
        """
        unknown = set(data) - {"tier"}
        if unknown:
            raise ValueError(f"unknown key {sorted(unknown)[0]!r}; expected [[tier]] tables")
        tables = data.get("tier")
        if not isinstance(tables, list) or not tables:
            raise ValueError("no [[tier]] table; at least one is needed")
        tiers = tuple(_tier(table, number) for number, table in enumerate(tables, 1))
        names = [tier.name for tier in tiers]
        if len(set(names)) != len(names):
            raise ValueError(f"two tiers are named {_repeated(names)!r}")
        return cls(tiers)

    @property
    def groups(self) -> frozenset[str]:
        """The Slack user groups named as members, whose members must be looked up."""
        return frozenset(
            member for tier in self.tiers for member in tier.members if member.startswith("S")
        )

    def tier_of(self, user: str, groups: Collection[str] = ()) -> Tier | None:
        """The highest tier `user` belongs to, directly or through one of `groups`."""
        mine = {EVERYONE, user, *groups}
        return next((tier for tier in reversed(self.tiers) if mine & tier.members), None)

    def needed_for(self, offer: Offer) -> Tier | None:
        """The lowest tier that may agree `offer`; None when no tier may."""
        return next((tier for tier in self.tiers if not tier.breaches(offer)), None)

    def above(self, tier: Tier) -> Tier | None:
        """The next tier up, if any."""
        index = self.tiers.index(tier)
        return self.tiers[index + 1] if index + 1 < len(self.tiers) else None

    def named(self, name: str) -> Tier | None:
        return next((tier for tier in self.tiers if tier.name == name), None)


_KEYS = frozenset(
    {
        "name",
        "members",
        "max_instalments",
        "max_discount_percent",
        "max_write_off",
        "max_write_off_by_currency",
    }
)


def _tier(table: object, number: int) -> Tier:
    if not isinstance(table, dict):
        raise ValueError(f"tier {number} is not a table")
    name = table.get("name")
    where = f"tier {name!r}" if isinstance(name, str) and name else f"tier {number}"
    unknown = set(table) - _KEYS
    if unknown:
        raise ValueError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"{where}: name must be a non-empty string")
    members = table.get("members")
    if not isinstance(members, list) or not members or not all(_member(m) for m in members):
        msg = f'{where}: members must list Slack user ids (U..., W...), group ids (S...) or "*"'
        raise ValueError(msg)
    count = table.get("max_instalments", 12)
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_INSTALMENTS:
        raise ValueError(f"{where}: max_instalments must be a whole number from 1 to 60")
    percent = _decimal(table.get("max_discount_percent", "0"), f"{where}: max_discount_percent")
    if percent > 100:
        raise ValueError(f"{where}: max_discount_percent must be from 0 to 100")
    write_off = _decimal(table.get("max_write_off", "0"), f"{where}: max_write_off")
    by_currency = table.get("max_write_off_by_currency", {})
    if not isinstance(by_currency, dict):
        raise ValueError(f"{where}: max_write_off_by_currency must be a table")
    limits = {}
    for code, amount in by_currency.items():
        key = f"{where}: max_write_off_by_currency.{code}"
        limits[code] = _decimal(amount, key)
        try:
            currency = parse_currency(code, field=key)
            Money.parse(str(amount), currency, field=key)  # no more decimals than it has
        except InvalidInput as error:
            raise ValueError(str(error)) from None
        limits[currency] = limits.pop(code)
    return Tier(
        name=name.strip(),
        members=frozenset(str(member) for member in members),
        max_instalments=count,
        max_discount_percent=percent,
        max_write_off=write_off,
        write_off_by_currency=limits,
    )


def _member(member: object) -> bool:
    return isinstance(member, str) and (
        member == EVERYONE or _SLACK_ID.fullmatch(member) is not None
    )


def _decimal(value: object, key: str) -> Decimal:
    """A decimal string (or whole number) of at least zero; floats are refused."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f'{key} must be a decimal string such as "10.00"')
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f'{key} must be a decimal string such as "10.00"') from None
    if not number.is_finite() or number < 0:
        raise ValueError(f"{key} must be zero or more")
    return number


def _repeated(names: list[str]) -> str:
    return next(name for name in names if names.count(name) > 1)
