"""Settle's core: domain rules, the services that apply them, settings and wiring."""

from bot._agreements import Agreement, AgreementKind
from bot._authority import Authority, Breach, Tier
from bot._clock import SystemClock
from bot._conversation import Conversation
from bot._decisions import Decisions, Ruling, StaffDecision
from bot._dialogue import Dialogue
from bot._errors import (
    ChannelBlocked,
    ChannelError,
    ConfigurationError,
    EventRejected,
    InvalidInput,
    NotFound,
    RateLimited,
    SettleError,
)
from bot._events import (
    BillingEvent,
    EventCustomer,
    EventInvoice,
    EventPayment,
    EventPaymentMethod,
    EventType,
    parse_event,
)
from bot._ingest import Ingest, IngestResult, Outcome
from bot._letters import LetterFacts, Letters
from bot._linking import Linking
from bot._model import (
    Case,
    CaseStage,
    CaseStatus,
    CaseType,
    Contact,
    ContactStatus,
    Customer,
    Escalation,
    EscalationReason,
    Invoice,
    InvoiceStatus,
    Letter,
    PaymentMethod,
    Reason,
    TranscriptLine,
    WaitingEscalation,
)
from bot._money import Money, currency_exponent, parse_currency, split_largest_remainder
from bot._offers import Offer, OfferState
from bot._outbox import OutboxWorker, handing_over
from bot._plan_policy import PlanPolicy, PlanTerms
from bot._plans import Instalment, PaymentPlan, build_plan, monthly_dates, upfront_share
from bot._policy import (
    PROFILES,
    Decision,
    NoContactTime,
    Profile,
    candidate_zones,
    next_allowed,
    profile_for,
    public_holidays,
)
from bot._prelegal import PreLegalRules, promote_to_pre_legal
from bot._retention import Catalogue
from bot._settings import Settings
from bot._supervision import DeskReport, Recoveries, desk_report, schedule_digest
from bot._sweep import SweepResult, sweep
from bot._takeover import TakeOver
from bot._triage import Verdict, judge
from bot._views import Intent, Screen, TermsRenderer, View, button_data, read_button
from bot._watch import WatchResult, watch_agreements
from bot.ports import CaseView

__all__ = [
    "PROFILES",
    "Agreement",
    "AgreementKind",
    "Authority",
    "BillingEvent",
    "Breach",
    "Case",
    "CaseStage",
    "CaseStatus",
    "CaseType",
    "CaseView",
    "Catalogue",
    "ChannelBlocked",
    "ChannelError",
    "ConfigurationError",
    "Contact",
    "ContactStatus",
    "Conversation",
    "Customer",
    "Decision",
    "Decisions",
    "DeskReport",
    "Dialogue",
    "Escalation",
    "EscalationReason",
    "EventCustomer",
    "EventInvoice",
    "EventPayment",
    "EventPaymentMethod",
    "EventRejected",
    "EventType",
    "Ingest",
    "IngestResult",
    "Instalment",
    "Intent",
    "InvalidInput",
    "Invoice",
    "InvoiceStatus",
    "Letter",
    "LetterFacts",
    "Letters",
    "Linking",
    "Money",
    "NoContactTime",
    "NotFound",
    "Offer",
    "OfferState",
    "OutboxWorker",
    "Outcome",
    "PaymentMethod",
    "PaymentPlan",
    "PlanPolicy",
    "PlanTerms",
    "PreLegalRules",
    "Profile",
    "RateLimited",
    "Reason",
    "Recoveries",
    "Ruling",
    "Screen",
    "Settings",
    "SettleError",
    "StaffDecision",
    "SweepResult",
    "SystemClock",
    "TakeOver",
    "TermsRenderer",
    "Tier",
    "TranscriptLine",
    "Verdict",
    "View",
    "WaitingEscalation",
    "WatchResult",
    "build_plan",
    "button_data",
    "candidate_zones",
    "currency_exponent",
    "desk_report",
    "handing_over",
    "judge",
    "monthly_dates",
    "next_allowed",
    "parse_currency",
    "parse_event",
    "profile_for",
    "promote_to_pre_legal",
    "public_holidays",
    "read_button",
    "schedule_digest",
    "split_largest_remainder",
    "sweep",
    "upfront_share",
    "watch_agreements",
]
