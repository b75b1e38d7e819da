"""Every word a customer sees: gettext catalogues, babel formatting, neutral layouts.

Templates return a `Rendered` (plain text and button rows) that each channel
draws; they import no channel library. Call `load_catalogues()` once at start.
"""

from messages._care import agreement_broken, agreement_reminder, method_updated
from messages._catalog import catalogue_languages, load_catalogues
from messages._contact import first_contact
from messages._desk import (
    COUNTER_CALLBACK,
    SEND_UP,
    above_tier,
    counter_modal,
    handed_over_text,
    letter_sent_text,
    no_tier,
    note_text,
    offer_answered_text,
    sent_up_text,
    settled_since,
    too_early,
    unknown_escalation,
)
from messages._dossier import render_case_file
from messages._email import (
    EmailText,
    email_from_rendered,
    email_subject,
    first_contact_email,
    rendered_from_params,
    rendered_to_params,
)
from messages._format import format_date, format_datetime, format_money
from messages._intents import intent_of
from messages._layout import Action, Button, Rendered
from messages._letter import render_agreement_copy, render_letter
from messages._lint import (
    FORBIDDEN_PHRASES,
    LEGAL_PHRASES,
    PRESSURE_PHRASES,
    forbidden_phrases,
    pressure_phrases,
)
from messages._locale import current_locale, normalize_locale, resolve_locale, use_locale
from messages._optout import optout_ask_page, optout_done_page, optout_gone_page
from messages._prelegal import (
    OFFERS_ACTION,
    agreement_copy_caption,
    letter_caption,
    letter_email,
    offer_label,
    pre_legal_notice,
    retention_offer,
)
from messages._replies import (
    apology,
    hello_unlinked,
    not_linked,
    nothing_due,
    person_requested,
    stopped,
    token_invalid,
    welcome_linked,
)
from messages._screens import TERMS_VERSION, render_terms, render_view
from messages._slack import (
    ESCALATION_ACTIONS,
    already_decided,
    decided_blocks,
    escalation_blocks,
    escalation_text,
    mask_email,
    mask_phone,
    offer_terms,
    sla_alert_text,
)
from messages._staff import staff_declined, staff_joined, staff_left, staff_offer, staff_said
from messages._stop import STOP_WORDS, is_stop_word
from messages._supervisors import (
    HOME_REFRESH,
    case_blocks,
    case_not_found,
    digest_blocks,
    digest_text,
    home_view,
    not_on_desk,
    settle_help,
    stats_blocks,
)
from messages._thread import customer_wrote, kept_internal, not_taken, taken_over_text

__all__ = [
    "COUNTER_CALLBACK",
    "ESCALATION_ACTIONS",
    "FORBIDDEN_PHRASES",
    "HOME_REFRESH",
    "LEGAL_PHRASES",
    "OFFERS_ACTION",
    "PRESSURE_PHRASES",
    "SEND_UP",
    "STOP_WORDS",
    "TERMS_VERSION",
    "Action",
    "Button",
    "EmailText",
    "Rendered",
    "above_tier",
    "agreement_broken",
    "agreement_copy_caption",
    "agreement_reminder",
    "already_decided",
    "apology",
    "case_blocks",
    "case_not_found",
    "catalogue_languages",
    "counter_modal",
    "current_locale",
    "customer_wrote",
    "decided_blocks",
    "digest_blocks",
    "digest_text",
    "email_from_rendered",
    "email_subject",
    "escalation_blocks",
    "escalation_text",
    "first_contact",
    "first_contact_email",
    "forbidden_phrases",
    "format_date",
    "format_datetime",
    "format_money",
    "handed_over_text",
    "hello_unlinked",
    "home_view",
    "intent_of",
    "is_stop_word",
    "kept_internal",
    "letter_caption",
    "letter_email",
    "letter_sent_text",
    "load_catalogues",
    "mask_email",
    "mask_phone",
    "method_updated",
    "no_tier",
    "normalize_locale",
    "not_linked",
    "not_on_desk",
    "not_taken",
    "note_text",
    "nothing_due",
    "offer_answered_text",
    "offer_label",
    "offer_terms",
    "optout_ask_page",
    "optout_done_page",
    "optout_gone_page",
    "person_requested",
    "pre_legal_notice",
    "pressure_phrases",
    "render_agreement_copy",
    "render_case_file",
    "render_letter",
    "render_terms",
    "render_view",
    "rendered_from_params",
    "rendered_to_params",
    "resolve_locale",
    "retention_offer",
    "sent_up_text",
    "settle_help",
    "settled_since",
    "sla_alert_text",
    "staff_declined",
    "staff_joined",
    "staff_left",
    "staff_offer",
    "staff_said",
    "stats_blocks",
    "stopped",
    "taken_over_text",
    "token_invalid",
    "too_early",
    "unknown_escalation",
    "use_locale",
    "welcome_linked",
]
