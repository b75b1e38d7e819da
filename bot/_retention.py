"""The pre-legal stage's offer catalogue: what the bot may propose to close a debt without
lawyers, to whom, and on whose authority.

The file (`SETTLE_OFFERS_FILE`; see `examples/offers.toml`) holds a `[bot]` table, the
bot's own authority over what a customer proposes in this stage, and `[[offer]]` tables,
each of one kind:

- `settlement`: a lump sum, `share_percent` of the debt, paid within `within_days`;
- `commitment`: `discount_percent` off the debt for a new commitment period of
  `commitment_months`, paid in `instalments`;
- `fee_waiver`: the late fees (`waive`, per currency) let off, the rest in `instalments`;
- `longer_plan`: the debt in `instalments` monthly payments.

Each offer has conditions (debt range per currency, stages, the customer's tenure in
months since their first invoice), an authority (`bot`: offered and agreed in the chat;
`staff`: the customer's choice goes to Slack for approval) and `marketing` (a retention
promotion: COMPLIANCE rule 16). Amounts are decimal strings in major units, never floats.
"""

from __future__ import annotations

import logging
import tomllib
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bot._errors import ConfigurationError, InvalidInput
from bot._model import CaseStage
from bot._money import Money, parse_currency
from bot._offers import MAX_INSTALMENTS, Offer

__all__ = ["BotLimits", "Catalogue", "RetentionOffer"]

logger = logging.getLogger(__name__)

Kind = Literal["settlement", "commitment", "fee_waiver", "longer_plan"]
# A first payment a week out leaves room for a pay day (as the plan policy does).
_LEAD = timedelta(days=7)


def _amounts(value: dict[str, str]) -> dict[str, Decimal]:
    """Per-currency amounts: ISO 4217 codes to decimal strings of at least zero."""
    amounts = {}
    for code, text in value.items():
        if not isinstance(text, str):
            raise ValueError(f'{code} must be a decimal string such as "25.00"')
        try:
            currency = parse_currency(code, field=code)
            amounts[currency] = Money.parse(text, currency, field=code).to_decimal()
        except InvalidInput as error:
            raise ValueError(f"{code}: {error.message}") from None
    return amounts


class BotLimits(BaseModel):
    """What the bot may agree alone when a pre-legal customer proposes their own terms."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_discount_percent: Decimal = Field(default=Decimal(0), ge=0, le=100)
    max_instalments: int = Field(default=12, ge=1, le=MAX_INSTALMENTS)

    def allows(self, offer: Offer) -> bool:
        return (
            offer.discount_percent <= self.max_discount_percent
            and offer.count <= self.max_instalments
        )


class RetentionOffer(BaseModel):
    """One entry of the catalogue, with its conditions."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(min_length=1, max_length=32, pattern=r"^[a-z0-9-]+$")
    kind: Kind
    authority: Literal["bot", "staff"] = "bot"
    marketing: bool = False
    share_percent: Decimal | None = Field(default=None, gt=0, le=100)
    within_days: int = Field(default=14, ge=1, le=90)
    discount_percent: Decimal | None = Field(default=None, gt=0, lt=100)
    commitment_months: int = Field(default=0, ge=0, le=MAX_INSTALMENTS)
    waive: dict[str, Decimal] = Field(default_factory=dict)
    instalments: int = Field(default=1, ge=1, le=MAX_INSTALMENTS)
    min_debt: dict[str, Decimal] = Field(default_factory=dict)
    max_debt: dict[str, Decimal] = Field(default_factory=dict)
    stages: tuple[CaseStage, ...] = (CaseStage.PRE_LEGAL,)
    min_tenure_months: int = Field(default=0, ge=0)

    @field_validator("waive", "min_debt", "max_debt", mode="before")
    @classmethod
    def _per_currency(cls, value: object) -> dict[str, Decimal]:
        if not isinstance(value, dict):
            raise ValueError('a table of currencies, e.g. { USD = "25.00" }')
        return _amounts(value)

    @model_validator(mode="after")
    def _complete(self) -> RetentionOffer:
        needs = {"settlement": "share_percent", "commitment": "discount_percent"}
        if (name := needs.get(self.kind)) and getattr(self, name) is None:
            raise ValueError(f"a {self.kind} offer needs {name}")
        if self.kind == "fee_waiver" and not self.waive:
            raise ValueError('a fee_waiver offer needs waive, e.g. { USD = "25.00" }')
        return self

    def applies(self, owed: Money, stage: CaseStage, tenure_months: int) -> bool:
        """Whether a customer owing `owed`, at `stage`, a customer this long, qualifies."""
        debt = owed.to_decimal()
        low, high = self.min_debt, self.max_debt
        if stage not in self.stages or tenure_months < self.min_tenure_months:
            return False
        if (low and owed.currency not in low) or (high and owed.currency not in high):
            return False
        if self.kind == "fee_waiver" and owed.currency not in self.waive:
            return False
        return debt >= low.get(owed.currency, debt) and debt <= high.get(owed.currency, debt)

    def terms(self, owed: Money, *, today: date) -> Offer:
        """The offer in money and dates, for a debt of `owed`.

        Raises:
            InvalidInput: when the debt is too small for the offer's payments.
        """
        total, count = owed, self.instalments
        if self.kind == "settlement":
            assert self.share_percent is not None  # checked when the file was read
            total, count = _share(owed, self.share_percent), 1
        elif self.kind == "commitment":
            assert self.discount_percent is not None
            total = _share(owed, 100 - self.discount_percent)
        elif self.kind == "fee_waiver":
            fee = Money.parse(str(self.waive[owed.currency]), owed.currency)
            total = owed - Money(min(fee.minor, owed.minor - 1), owed.currency)
        first = today + (timedelta(days=self.within_days) if self.kind == "settlement" else _LEAD)
        return Offer(
            owed=owed,
            total=total,
            count=count,
            first_due=first,
            commitment_months=self.commitment_months,
            source=self.key,
        )


class Catalogue(BaseModel):
    """The bot's limits and the offers, in the order the file lists them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    bot: BotLimits = Field(default_factory=BotLimits)
    offer: tuple[RetentionOffer, ...] = ()

    @classmethod
    def load(cls, path: Path | None) -> Catalogue:
        """The catalogue of the file at `path`, or the built-in one when None.

        Raises:
            ConfigurationError: naming the file and the key when it cannot be used.
        """
        if path is None:
            return cls.default()
        source = path
        try:
            catalogue = cls.model_validate(tomllib.loads(source.read_text(encoding="utf-8")))
        except OSError as error:
            raise ConfigurationError(f"offers file {source}: {error.strerror}") from None
        except tomllib.TOMLDecodeError as error:
            raise ConfigurationError(f"offers file {source} is not valid TOML: {error}") from None
        except (ValidationError, InvalidInput, ValueError) as error:
            raise ConfigurationError(f"offers file {source}: {_first(error)}") from None
        keys = [offer.key for offer in catalogue.offer]
        if len(set(keys)) != len(keys):
            raise ConfigurationError(f"offers file {source}: two offers share a key")
        logger.info("offers loaded from %s: %s", source, keys)
        return catalogue

    @classmethod
    def default(cls) -> Catalogue:
        """The built-in catalogue, the one examples/offers.toml writes out."""
        return cls(
            bot=BotLimits(max_discount_percent=Decimal(10), max_instalments=12),
            offer=(
                RetentionOffer(key="settle-now", kind="settlement", share_percent=Decimal(80)),
                RetentionOffer(
                    key="stay-and-save",
                    kind="commitment",
                    discount_percent=Decimal(20),
                    commitment_months=12,
                    instalments=6,
                    marketing=True,
                    min_tenure_months=6,
                ),
                RetentionOffer(
                    key="longer-plan", kind="longer_plan", instalments=24, authority="staff"
                ),
            ),
        )

    def available(
        self, owed: Money, stage: CaseStage, *, tenure_months: int, marketing: bool
    ) -> list[RetentionOffer]:
        """What a customer qualifies for; promotions only where `marketing` is allowed."""
        return [
            offer
            for offer in self.offer
            if offer.applies(owed, stage, tenure_months) and (marketing or not offer.marketing)
        ]

    def named(self, key: str) -> RetentionOffer | None:
        return next((offer for offer in self.offer if offer.key == key), None)


def _share(owed: Money, percent: Decimal) -> Money:
    """`percent` of `owed`, rounded half up to the currency's smallest unit."""
    part = (Decimal(owed.minor) * percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return Money(max(1, min(owed.minor, int(part))), owed.currency)


def _first(error: Exception) -> str:
    """A validation error's first problem, named by its key: "offer.2.share_percent: ..."."""
    if isinstance(error, ValidationError):
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"])
        return f"{where}: {problem['msg']}"
    return str(error)
