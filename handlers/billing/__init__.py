"""Billing sources: webhooks (canonical, Stripe, GoCardless) and file imports."""

from handlers.billing._callbacks import BillingCallbackSender, CaseFileSender
from handlers.billing._collection import CollectionSummary, import_collection_list
from handlers.billing._files import FIELDS, Mapping, RowError, read_rows
from handlers.billing._gocardless import translate_gocardless, verify_gocardless
from handlers.billing._import import ImportSummary, import_file
from handlers.billing._stripe import (
    DeclineCode,
    decline_reason,
    lookup_decline_code,
    translate_stripe,
    verify_stripe,
)
from handlers.billing._webhooks import billing_routes, sign_canonical, verify_canonical

__all__ = [
    "FIELDS",
    "BillingCallbackSender",
    "CaseFileSender",
    "CollectionSummary",
    "DeclineCode",
    "ImportSummary",
    "Mapping",
    "RowError",
    "billing_routes",
    "decline_reason",
    "import_collection_list",
    "import_file",
    "lookup_decline_code",
    "read_rows",
    "sign_canonical",
    "translate_gocardless",
    "translate_stripe",
    "verify_canonical",
    "verify_gocardless",
    "verify_stripe",
]
