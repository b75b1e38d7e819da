"""Settings from the environment and `.env`, every one prefixed `SETTLE_` but the platforms'."""

from __future__ import annotations

import re
from datetime import time, timedelta
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot._errors import ConfigurationError, InvalidInput
from bot._money import Money, parse_currency

if TYPE_CHECKING:
    from collections.abc import Mapping

    from bot._contact import Outreach
    from bot._policy import Profile
    from bot._prelegal import PreLegalRules

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
    # With a port, `/healthz`, `/readyz` and `/metrics` are served there instead of on the
    # public port.
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = Field(default=None, ge=0, le=65535)

    # Record keeping (COMPLIANCE rule 18): audit records, transcripts and message details of a
    # closed case are purged this many days after its last activity, every
    # `purge_every_hours` by `settle serve` (0: only by `settle purge`).
    audit_retention_days: int = Field(default=1095, ge=1)
    purge_every_hours: float = Field(default=24.0, ge=0)

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
    # Follow-ups after the first message and when staff take over, per case type and stage
    # (see examples/follow-ups.toml); unset: the built-in ladder.
    follow_up_file: Path | None = None

    # Staff: an escalation waits at most this many working hours (Monday to Friday, 09:00
    # to 17:00 in `staff_timezone`) before it counts as past its SLA.
    escalation_sla_hours: float = Field(default=2.0, gt=0, le=40)
    staff_timezone: str = "UTC"

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
    # A chat that sent this many wrong link tokens waits 2 s, then 4 s, 8 s ... before the
    # next try; after `link_max_failures` it is blocked for `link_block_minutes`.
    link_free_attempts: int = Field(default=3, ge=1)
    link_max_failures: int = Field(default=8, ge=1)
    link_block_minutes: float = Field(default=60.0, gt=0)

    # Links the customer is sent to; `{token}` is replaced by a single-use token.
    update_payment_url: str = "https://billing.example.com/payment-method?token={token}"
    pay_now_url: str = "https://billing.example.com/pay?token={token}"

    # Outbox.
    outbox_poll_seconds: float = Field(default=1.0, gt=0)
    outbox_batch: int = Field(default=50, ge=1)
    outbox_max_attempts: int = Field(default=12, ge=1)
    # Contacts delivered at once per channel (one chat at a time): enough to keep 30 a second
    # flowing over Bot API round trips of up to about a quarter of a second.
    outbox_concurrency: int = Field(default=8, ge=1)
    telegram_max_per_second: int = Field(default=30, ge=1)
    # Telegram allows about one message a second to one chat.
    telegram_chat_interval_seconds: float = Field(default=1.0, ge=0)

    # Email.
    # The first touch of a customer with no linked chat (bots cannot write first), and the
    # fallback when the chat is unreachable; off while `email_from` is unset. Security:
    # "starttls" upgrades the connection and refuses a server that cannot (submission, port
    # 587, RFC 6409); "tls" is TLS from the first byte (port 465, RFC 8314); "none" is plain
    # text, for a relay on the same host only. Credentials are used when both are set.
    email_from: str | None = None
    smtp_host: str = "localhost"
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_security: Literal["none", "starttls", "tls"] = "starttls"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_seconds: float = Field(default=30.0, gt=0)
    # Where customers reach Settle's own pages (the opt-out links of emails); mail providers
    # offer one-click unsubscribe only for an HTTPS URL (RFC 8058).
    public_url: str = "http://127.0.0.1:8080"
    # Days an email's opt-out link keeps working: mail is read long after it is sent, and
    # the link must work for at least 30 days after (CAN-SPAM, 15 U.S.C. 7704(a)(3)).
    email_optout_ttl_days: int = Field(default=365, ge=30)

    # Slack, where staff decide escalations. Unset token: escalations wait in the outbox.
    slack_bot_token: SecretStr | None = Field(
        default=None, validation_alias=_platform("SLACK_BOT_TOKEN")
    )
    slack_signing_secret: SecretStr | None = Field(
        default=None, validation_alias=_platform("SLACK_SIGNING_SECRET")
    )
    slack_app_token: SecretStr | None = Field(
        default=None, validation_alias=_platform("SLACK_APP_TOKEN")
    )
    # The Web API base URL; keep the trailing slash (PITFALLS.md).
    slack_base_url: str = "https://slack.com/api/"
    # Where escalations go, unless a rule of `slack_routes` names another channel: rules
    # `key=value:CHANNEL`, comma-separated, keys reason, stage, type and language; the first
    # that matches wins, e.g. "reason=dispute:C-DISPUTES,stage=pre-legal:C-LEGAL".
    slack_escalation_channel: str | None = None
    slack_routes: str = ""
    # Where alerts of escalations past their SLA also go (they go to the post's thread too).
    slack_supervisors_channel: str | None = None
    # The daily digest of the desk (the day before's recoveries, what waits, who has what) is
    # posted here at `slack_digest_time` in `staff_timezone`. Unset: the supervisors' channel;
    # neither set: no digest.
    slack_digest_channel: str | None = None
    slack_digest_time: time = time(9, 0)
    # The pre-legal stage. A case enters when its oldest unpaid invoice is this many days
    # overdue and the follow-ups got no answer, or when this many of its agreements broke
    # (0 turns a rule off); a retention offer follows the notice this many days later.
    pre_legal_days_overdue: int = Field(default=60, ge=0)
    pre_legal_broken_agreements: int = Field(default=2, ge=0)
    pre_legal_offer_after_days: int = Field(default=3, ge=0)
    # The stage's offer catalogue (see examples/offers.toml); unset: the built-in one.
    offers_file: Path | None = None
    # Days a final warning letter gives the customer to settle before a person may hand
    # the case to legal; the folder case files for lawyers are written to, and a URL that
    # receives each as JSON too (signed like the billing callbacks).
    letter_deadline_days: int = Field(default=14, ge=7, le=90)
    legal_export_dir: Path = Path("legal-handoffs")
    legal_webhook_url: str | None = None
    # Who in Slack may agree what: authority tiers (see examples/authority.toml). Unset:
    # everyone is in one tier, `staff`, up to 12 instalments and no discount.
    authority_file: Path | None = None

    @property
    def digest_channel(self) -> str | None:
        """Where the daily digest goes: its own channel, else the supervisors'."""
        return self.slack_digest_channel or self.slack_supervisors_channel

    @field_validator("email_from")
    @classmethod
    def _check_email_from(cls, value: str | None) -> str | None:
        """Refuse a sender address at start rather than at the first email; empty is off."""
        if not value:
            return None
        from email.headerregistry import Address  # only this validator needs them
        from email.utils import parseaddr

        name, address = parseaddr(value)
        try:
            Address(display_name=name, addr_spec=address)
        except Exception:  # the header parser raises ValueError, IndexError or its own errors
            msg = (
                f"SETTLE_EMAIL_FROM {value!r} is not an email address; expected e.g. "
                "'Settle <billing@example.com>'"
            )
            raise ValueError(msg) from None
        return value

    # Contact policy (COMPLIANCE.md): the profile of customers whose country has none of its
    # own, and country=profile pairs that override it, e.g. "US=us-ma".
    contact_profile: str = "default"
    contact_profile_overrides: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    # TOML file changing the profiles' rules or adding profiles (examples/contact-rules.toml).
    contact_rules_file: Path | None = None

    default_locale: str = "en"
    # The zone of customers whose billing record has none ("today" is the customer's today).
    default_timezone: str = "UTC"

    @field_validator("substantial_min_amount", mode="before")
    @classmethod
    def _parse_min_amounts(cls, value: object) -> object:
        """Read `USD=500,EUR=450` into a mapping; amounts stay decimal strings."""
        return _pairs(value, "CURRENCY=AMOUNT")

    @field_validator(
        "follow_up_file",
        "contact_rules_file",
        "plan_policy_file",
        "authority_file",
        "billing_callback_url",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """`NAME=` in a .env file means "not set", as .env.example shows."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("public_url", "billing_callback_url")
    @classmethod
    def _check_http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s]*)?", value):
            raise ValueError(f"expected an http:// or https:// URL, got {value!r}")
        return value.rstrip("/") if value else value

    @field_validator("update_payment_url", "pay_now_url")
    @classmethod
    def _check_token_url(cls, value: str) -> str:
        """The customer's single-use token must reach billing's page."""
        if "{token}" not in value or not value.startswith(("http://", "https://")):
            raise ValueError(f"expected an http(s) URL with {{token}} in it, got {value!r}")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("contact_profile_overrides", mode="before")
    @classmethod
    def _parse_overrides(cls, value: object) -> object:
        """Read `US=us-ma,GB=uk` into a mapping of country codes to profile names."""
        return _pairs(value, "COUNTRY=PROFILE")

    @model_validator(mode="after")
    def _check_profiles(self) -> Settings:
        """The profiles named must exist, built in or added by the rules file."""
        try:
            known = self.contact_profiles
        except ConfigurationError as error:
            raise ValueError(str(error)) from None
        named = [("SETTLE_CONTACT_PROFILE", self.contact_profile)]
        named += [
            ("SETTLE_CONTACT_PROFILE_OVERRIDES", n)
            for n in self.contact_profile_overrides.values()
        ]
        for setting, name in named:
            if name not in known:
                msg = (
                    f"{setting}: unknown contact profile {name!r}; expected one of {sorted(known)}"
                )
                raise ValueError(msg)
        return self

    @field_validator("default_locale")
    @classmethod
    def _check_locale(cls, value: str) -> str:
        try:
            Locale.parse(value.replace("-", "_"))
        except (ValueError, UnknownLocaleError):
            raise ValueError(f"unknown locale {value!r}; expected e.g. 'en' or 'he_IL'") from None
        return value

    @field_validator("default_timezone", "staff_timezone")
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

    @cached_property
    def contact_profiles(self) -> Mapping[str, Profile]:
        """The built-in contact profiles with SETTLE_CONTACT_RULES_FILE's changes."""
        from bot._contact_rules import load_profiles

        return load_profiles(self.contact_rules_file)

    def profile_for(self, country: str | None) -> Profile:
        """The contact profile of a customer in `country`, as the operator set them."""
        from bot._policy import profile_for

        return profile_for(
            country,
            default=self.contact_profile,
            overrides=self.contact_profile_overrides,
            profiles=self.contact_profiles,
        )

    @cached_property
    def outreach(self) -> Outreach:
        """The follow-up ladder and the channels cases may use; `ConfigurationError` if bad."""
        from bot._contact import Outreach
        from bot._escalations import StaffHours
        from bot._ladder import Ladder

        hours = StaffHours(
            sla=timedelta(hours=self.escalation_sla_hours), zone=self.staff_timezone
        )
        return Outreach(Ladder.load(self.follow_up_file), email=self.email_enabled, hours=hours)

    @property
    def pre_legal(self) -> PreLegalRules:
        """When cases enter the pre-legal stage by themselves."""
        from bot._prelegal import PreLegalRules

        return PreLegalRules(
            days_overdue=self.pre_legal_days_overdue,
            broken_agreements=self.pre_legal_broken_agreements,
            offer_after_days=self.pre_legal_offer_after_days,
        )

    @property
    def email_enabled(self) -> bool:
        """Whether customers can be written to by email (a sender address is set)."""
        return self.email_from is not None

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
