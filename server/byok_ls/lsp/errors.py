"""Turn validation and domain failures into JSON-RPC errors."""

from __future__ import annotations

from pydantic import ValidationError
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams

from byok_ls.config.store import clean_msg, format_loc
from byok_ls.errors import ByokError, ErrorKind, scrub
from byok_ls.secrets import known_keys


def from_validation(exc: ValidationError, prefix: str = "") -> JsonRpcException:
    first = exc.errors()[0]
    field = prefix + format_loc(tuple(first["loc"]))
    if not field:
        field = "params"
    message = f"{field}: {clean_msg(first['msg'])}"
    return JsonRpcInvalidParams(
        message=scrub(message, *known_keys()),
        data={"kind": ErrorKind.INVALID_PARAMS.value, "field": field},
    )


def from_byok(exc: ByokError) -> JsonRpcException:
    message = scrub(exc.message, *known_keys())
    data = exc.to_data()
    if exc.kind is ErrorKind.INVALID_PARAMS:
        return JsonRpcInvalidParams(message=message, data=data)
    return JsonRpcException(message=message, code=exc.code, data=data)
