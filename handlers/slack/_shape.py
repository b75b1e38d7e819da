"""What a request to POST /slack/events must look like before Bolt reads it.

Bolt trusts a signed body's shape: `"event": null` or `"user": "x"` in a click ends in an
exception inside it and a 500. Slack never sends such bodies, so they are refused with a
400 naming the field, after the signature check and before Bolt.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from messages import HOME_REFRESH

__all__ = ["shape_problem"]

# The parts of an envelope Bolt reads, and the JSON types Slack sends them as.
_PARTS: dict[str, tuple[type, ...]] = {
    "type": (str,),
    "event_id": (str,),
    "user": (dict, str),
    "team": (dict, str, type(None)),
    "enterprise": (dict, str, type(None)),
    "channel": (dict, str),
    "container": (dict,),
    "event": (dict,),
    "actions": (list,),
    "view": (dict,),
    "message": (dict,),
    "authorizations": (list,),
    "is_enterprise_install": (bool, str),
}
_EVENT: dict[str, tuple[type, ...]] = {
    "type": (str,),
    "subtype": (str,),
    "user": (str, dict),
    "channel": (str, dict),
    "text": (str,),
    "ts": (str,),
    "thread_ts": (str,),
    "bot_id": (str,),
}
_ACTION: dict[str, tuple[type, ...]] = {
    "action_id": (str,),
    "block_id": (str,),
    "value": (str,),
}
_IDS = ("user", "team", "enterprise", "channel")
# Settle's own buttons all start so, and carry the id of what they act on as their value.
_OURS = "settle_"
_WITHOUT_ID = frozenset({HOME_REFRESH})
_ID_DIGITS = 18


def shape_problem(body: bytes, content_type: str | None) -> tuple[str, str] | None:
    """The field at fault and what is wrong with it, or None when Bolt can read the body."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "body", "not UTF-8"
    try:
        envelope = _parse(text, content_type)
    except ValueError:
        return "body", "not JSON or form fields Slack sends"
    if not isinstance(envelope, dict):
        return "body", "not an object"
    return _check(envelope, _PARTS, "") or _nested(envelope)


def _parse(text: str, content_type: str | None) -> Any:
    """As Bolt parses it (slack_bolt.request.internals.parse_body)."""
    if not text:
        return {}
    if content_type == "application/json" or text.startswith("{"):
        return json.loads(text)
    fields = dict(parse_qsl(text, keep_blank_values=True))
    if "payload" in text:
        return json.loads(fields["payload"]) if "payload" in fields else {}
    return fields


def _check(
    value: dict[str, Any], parts: dict[str, tuple[type, ...]], where: str
) -> tuple[str, str] | None:
    for key, kinds in parts.items():
        if key in value and not isinstance(value[key], kinds):
            names = " or ".join(_NAMES[kind] for kind in kinds)
            return f"{where}{key}", f"must be {names}"
    for key in _IDS:
        part = value.get(key)
        if isinstance(part, dict) and "id" in part and not isinstance(part["id"], str):
            return f"{where}{key}.id", "must be a string"
    return None


def _interaction(envelope: dict[str, Any]) -> tuple[str, str] | None:
    """A click or a form: who did it, and, for Settle's buttons, the id the button carries."""
    kind = envelope.get("type")
    if kind not in ("block_actions", "view_submission"):
        return None
    user = envelope.get("user")
    if not isinstance(user, dict) or not isinstance(user.get("id"), str) or not user["id"]:
        return "user.id", "missing"
    if kind == "view_submission" and not isinstance(envelope.get("view"), dict):
        return "view", "missing"
    actions = envelope.get("actions")
    if kind == "block_actions" and (not isinstance(actions, list) or not actions):
        return "actions", "missing"
    for n, action in enumerate(actions or []):
        if not isinstance(action, dict) or not isinstance(action.get("action_id"), str):
            return f"actions[{n}].action_id", "missing"
        own = action["action_id"].startswith(_OURS) and action["action_id"] not in _WITHOUT_ID
        value = str(action.get("value", ""))
        # An id is a database row id: digits, and no more than a 64-bit integer holds.
        if own and not (value.isdigit() and value.isascii() and len(value) <= _ID_DIGITS):
            return f"actions[{n}].value", "must be the id the button was posted with"
    return None


def _nested(envelope: dict[str, Any]) -> tuple[str, str] | None:
    event = envelope.get("event")
    if envelope.get("type") == "event_callback" and not isinstance(event, dict):
        return "event", "must be an object"
    if isinstance(event, dict) and (problem := _check(event, _EVENT, "event.")):
        return problem
    for n, action in enumerate(envelope.get("actions") or []):
        if not isinstance(action, dict):
            return f"actions[{n}]", "must be an object"
        if problem := _check(action, _ACTION, f"actions[{n}]."):
            return problem
    for n, authorization in enumerate(envelope.get("authorizations") or []):
        if not isinstance(authorization, dict):
            return f"authorizations[{n}]", "must be an object"
    return _interaction(envelope)


_NAMES = {
    str: "a string",
    dict: "an object",
    list: "a list",
    bool: "true or false",
    type(None): "null",
}
