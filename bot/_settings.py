"""Settings from the environment and `.env`, every one prefixed `SETTLE_` but the platforms'."""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot._errors import InvalidInput
from bot._money import Money, parse_currency

__all__ = ["Settings"]


def _platform(name: str) -> AliasChoices:
    """Accept the platform's own variable name, and the prefixed one for symmetry."""
    return AliasChoices(name, f"SETTLE_{name}")


class Settings(BaseSettings):
    """Every setting of Settle; `.env.example` lists them with their defaults."""

    model_config = SettingsConfigDict(
        env_prefix="SETTLE_", env_file=".env", extra="ignore", populate_by_name=True
    )

    database_url: str = "sqlite:///settle.db"
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    # Billing webhooks.
    webhook_secret: SecretStr | None = None
    stripe_webhook_secret: SecretStr | None = None
    gocardless_webhook_secret: SecretStr | None = None
    webhook_tolerance_seconds: int = Field(default=300, ge=1)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)

    # Outbound events (plan agreed, promise made, opted out) are POSTed here, signed with
    # the callback secret (else the webhook secret); unset: they wait in the outbox.
    billing_callback_url: str | None = None
    billing_callback_secret: SecretStr | None = None

    # Triage.
    expiry_notice_days: int = Field(default=14, ge=0)
    substantial_ratio: Decimal = Field(default=Decimal("1.5"), gt=0)
    substantial_min_amount: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)

    # How often `settle serve` sweeps the book (ages invoices, opens type C cases); 0: never.
    triage_every_hours: float = Field(default=24.0, ge=0)

    # Minutes between checks of agreements (reminders, payments, broken ones); 0: never.
    watch_every_minutes: float = Field(default=15.0, ge=0)
    # How far ahead a customer may promise to pay, in days.
    promise_max_days: int = Field(default=30, ge=1, le=365)
    # Local time on the day before a payment at which its reminder is sent.
    reminder_time: time = time(10, 0)
    # Days after a plan's or promise's due date before it counts as broken.
    agreement_grace_days: int = Field(default=3, ge=0)

    # Plans the bot may offer on its own (see examples/plan-policy.toml); unset: defaults.
    plan_policy_file: Path | None = None

    # Telegram.
    telegram_bot_token: SecretStr | None = Field(
        default=None, validation_alias=_platform("TELEGRAM_BOT_TOKEN")
    )
    telegram_base_url: str = "https://api.telegram.org/bot"
    telegram_base_file_url: str = "https://api.telegram.org/file/bot"
    telegram_webhook_url: str | None = None
    telegram_secret_token: SecretStr | None = None
    telegram_bot_username: str | None = None
    link_ttl_days: int = Field(default=30, ge=1)

    # Links the customer is sent to; `{token}` is replaced by a single-use token.
    update_payment_url: str = "https://billing.example.com/payment-method?token={token}"
    pay_now_url: str = "https://billing.example.com/pay?token={token}"

    # Outbox.
    outbox_poll_seconds: float = Field(default=1.0, gt=0)
    outbox_batch: int = Field(default=50, ge=1)
    outbox_max_attempts: int = Field(default=8, ge=1)
    telegram_max_per_second: int = Field(default=30, ge=1)
    # Telegram allows about one message a second to one chat.
    telegram_chat_interval_seconds: float = Field(default=1.0, ge=0)

    # Contact policy (COMPLIANCE.md): the profile of customers whose country has none of its
    # own, and country=profile pairs that override it, e.g. "US=us-ma".
    contact_profile: str = "default"
    contact_profile_overrides: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)

    default_locale: str = "en"
    # The zone of customers whose billing record has none ("today" is the customer's today).
    default_timezone: str = "UTC"

    @field_validator("substantial_min_amount", mode="before")
    @classmethod
    def _parse_min_amounts(cls, value: object) -> object:
        """Read `USD=500,EUR=450` into a mapping; amounts stay decimal strings."""
        return _pairs(value, "CURRENCY=AMOUNT")

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("contact_profile_overrides", mode="before")
    @classmethod
    def _parse_overrides(cls, value: object) -> object:
        """Read `US=us-ma,GB=uk` into a mapping of country codes to profile names."""
        return _pairs(value, "COUNTRY=PROFILE")

    @field_validator("contact_profile")
    @classmethod
    def _check_profile(cls, value: str) -> str:
        _known_profile(value)
        return value

    @field_validator("contact_profile_overrides")
    @classmethod
    def _check_overrides(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value.values():
            _known_profile(name)
        return value

    @field_validator("default_locale")
    @classmethod
    def _check_locale(cls, value: str) -> str:
        try:
            Locale.parse(value.replace("-", "_"))
        except (ValueError, UnknownLocaleError):
            raise ValueError(f"unknown locale {value!r}; expected e.g. 'en' or 'he_IL'") from None
        return value

    @field_validator("default_timezone")
    @classmethod
    def _check_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; expected an IANA name") from None
        return value

    @field_validator("substantial_min_amount")
    @classmethod
    def _check_min_amounts(cls, value: dict[str, str]) -> dict[str, str]:
        """Refuse a bad minimum at start rather than on the first overdue invoice."""
        _min_amounts(value)
        return value

    @cached_property
    def min_substantial(self) -> dict[str, Money]:
        """`substantial_min_amount` as money."""
        return _min_amounts(self.substantial_min_amount)

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite file of `database_url`, or None for another backend."""
        prefix = "sqlite:///"
        if not self.database_url.startswith(prefix):
            return None
        return Path(self.database_url[len(prefix) :])


def _min_amounts(pairs: dict[str, str]) -> dict[str, Money]:
    try:
        return {
            parse_currency(code): Money.parse(amount, parse_currency(code))
            for code, amount in pairs.items()
        }
    except InvalidInput as error:
        raise ValueError(f"{error.message}; expected e.g. 'USD=500,EUR=450'") from None


def _known_profile(name: str) -> None:
    # Imported here: the policy module reads settings types, not the other way round.
    from bot._policy import PROFILES

    if name not in PROFILES:
        raise ValueError(f"unknown contact profile {name!r}; expected one of {sorted(PROFILES)}")


def _pairs(value: object, shape: str) -> object:
    """`A=x,B=y` as {"A": "x", "B": "y"}, keys upper-cased; other values pass through."""
    if not isinstance(value, str):
        return value
    pairs: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in value.split(","))):
        key, sep, text = item.partition("=")
        if not sep:
            raise ValueError(f"expected {shape} pairs, got {item!r}")
        pairs[key.strip().upper()] = text.strip()
    return pairs
