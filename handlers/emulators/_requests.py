"""Reading Bot API requests: PTB posts forms (multipart with files), with every
non-string value JSON-encoded inside its field; JSON bodies and query strings work too."""

from __future__ import annotations

import json
import mimetypes
import re
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request

__all__ = ["ApiError", "JSONDict", "UploadedFile", "read_params"]

JSONDict = dict[str, Any]

# Field types of the Bot API methods: forms carry strings, and PTB JSON-encodes the rest.
_JSON_FIELDS = frozenset(
    {"reply_markup", "entities", "caption_entities", "allowed_updates", "link_preview_options"}
    | {"reply_parameters"}
)
_INT_FIELDS = frozenset(
    {"chat_id", "message_id", "offset", "limit", "max_connections", "cache_time"}
    | {"message_thread_id", "reply_to_message_id"}
)
_BOOL_FIELDS = frozenset(
    {"show_alert", "drop_pending_updates", "disable_notification", "protect_content"}
    | {"disable_content_type_detection", "allow_sending_without_reply"}
)
_INTEGER = re.compile(r"-?\d+")
_BOUNDARY = re.compile(r'boundary="?([^";]+)"?')
_FORM_PARAM = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file the bot uploaded, with the name and bytes it sent."""

    file_name: str
    content: bytes
    mime_type: str


class ApiError(Exception):
    """An error answer of the Bot API."""

    def __init__(self, status: int, description: str, parameters: JSONDict | None = None):
        super().__init__(description)
        self.status = int(status)
        self.body: JSONDict = {"ok": False, "error_code": self.status, "description": description}
        if parameters:
            self.body["parameters"] = parameters


async def read_params(request: Request) -> JSONDict:
    fields: dict[str, Any] = dict(request.query_params)
    body = await request.body()
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if body and media_type == "application/json":
        fields |= _parse_json(body)
    elif body and media_type == "multipart/form-data":
        fields |= _parse_multipart(body, request.headers["content-type"])
    elif body:
        fields |= dict(parse_qsl(body.decode(), keep_blank_values=True))
    for name, value in fields.items():  # InputMedia refers to its file as attach://<part>.
        if isinstance(value, str) and value.startswith("attach://"):
            fields[name] = fields.get(value.removeprefix("attach://"), value)
    return {name: _coerce(name, value) for name, value in fields.items()}


def _parse_json(body: bytes) -> JSONDict:
    try:
        fields = json.loads(body)
    except ValueError:
        fields = None
    if not isinstance(fields, dict):
        raise ApiError(HTTPStatus.BAD_REQUEST, "Bad Request: can't parse JSON object")
    return fields


def _parse_multipart(body: bytes, content_type: str) -> dict[str, Any]:
    boundary = _BOUNDARY.search(content_type)
    if boundary is None:
        raise ApiError(HTTPStatus.BAD_REQUEST, "Bad Request: multipart boundary is missing")
    fields: dict[str, Any] = {}
    for chunk in body.split(b"--" + boundary[1].encode())[1:-1]:
        head, _, content = chunk.removeprefix(b"\r\n").removesuffix(b"\r\n").partition(b"\r\n\r\n")
        headers = dict(
            (key.strip().lower(), value.strip())
            for key, _, value in (line.partition(":") for line in head.decode().split("\r\n"))
        )
        disposition = {
            key: value.replace("%22", '"').replace("\\\\", "\\")  # httpx's HTML5 escaping
            for key, value in _FORM_PARAM.findall(headers.get("content-disposition", ""))
        }
        if "filename" not in disposition:
            fields[disposition.get("name", "")] = content.decode()
            continue
        file_name = disposition["filename"]
        mime_type = headers.get("content-type") or mimetypes.guess_type(file_name)[0]
        upload = UploadedFile(file_name, content, mime_type or "application/octet-stream")
        fields[disposition.get("name", "")] = upload
    return fields


def _coerce(name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if name in _JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError:
            msg = f"Bad Request: can't parse {name} JSON object"
            raise ApiError(HTTPStatus.BAD_REQUEST, msg) from None
    if name in _INT_FIELDS and _INTEGER.fullmatch(value):
        return int(value)
    if name in _BOOL_FIELDS:
        return value.lower() in ("true", "1")
    return value
