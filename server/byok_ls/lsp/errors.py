"""Turn validation and domain failures into JSON-RPC errors."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams

from byok_ls.errors import ByokError, ErrorKind, scrub
from byok_ls.secrets import known_keys
from byok_ls.validation import invalid_from

#: JSON-RPC's "request cancelled" (LSP's RequestCancelled).
REQUEST_CANCELLED = -32800
#: Longest error message sent: messages quote the offending value, which may be megabytes.
MAX_MESSAGE_CHARS = 2000


def _short(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE_CHARS else text[: MAX_MESSAGE_CHARS - 1] + "…"


def from_validation(exc: ValidationError) -> JsonRpcException:
    return from_byok(invalid_from(exc))


def from_byok(exc: ByokError) -> JsonRpcException:
    message = _short(scrub(exc.message, *known_keys()))
    data = exc.to_data()
    if exc.kind is ErrorKind.INVALID_PARAMS:
        return JsonRpcInvalidParams(message=message, data=data)
    return JsonRpcException(message=message, code=exc.code, data=data)


def cancelled(what: str | None = None, **data: Any) -> JsonRpcException:
    """The answer to a request the client cancelled: -32800 with ``data.kind: cancelled``
    (plus what the request had produced so far, for a chat)."""
    return JsonRpcException(
        message=f"The {what} request was cancelled." if what else "The request was cancelled.",
        code=REQUEST_CANCELLED,
        data={"kind": ErrorKind.CANCELLED.value, **data},
    )
