"""The shapes JSON-RPC allows for ``params``, brought to the one pydantic validates.

JSON-RPC 2.0 lets a request carry params as an object, as an array, or not at all. Clients
differ in what they send for "nothing": Neovim's Lua encoder turns an empty table ``{}`` into
``[]``, others send ``null`` or leave ``params`` out. All three mean "no params" here. byok/*
methods take named fields only, so a non-empty array is refused with a message that names
the fields the method wants.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from byok_ls.errors import ByokError, ErrorKind, lone_surrogate
from byok_ls.validation import format_loc


def field_names(model: type[BaseModel], required_only: bool) -> list[str]:
    return [
        info.alias or name
        for name, info in model.model_fields.items()
        if info.is_required() or not required_only
    ]


def named(method: str, model: type[BaseModel], raw: Any) -> Any:
    """``raw`` as the object to validate: ``None`` and ``[]`` become ``{}`` when the method
    needs no field; any other array is an error naming the fields it needs."""
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        return raw
    required = field_names(model, required_only=True)
    if not raw and not required:
        return {}
    wanted = required or field_names(model, required_only=False)
    got = "an empty array" if not raw else f"an array of {len(raw)} value(s)"
    if wanted:
        message = (
            f"params: {method} takes an object with named fields ({', '.join(wanted)}), not {got}"
        )
    else:
        message = f"params: {method} takes no params (send {{}}, [] or null), not {got}"
    raise ByokError(ErrorKind.INVALID_PARAMS, message, field="params")


def refuse_lone_surrogates(raw: Any, path: tuple[int | str, ...] = ()) -> None:
    """Raise invalid params naming the first string in ``raw`` with a lone surrogate."""
    if isinstance(raw, str):
        found = lone_surrogate(raw)
        if found:
            field = format_loc(path) or "params"
            raise ByokError(
                ErrorKind.INVALID_PARAMS,
                f"{field}: holds a lone surrogate (U+{ord(found):04X}), which is not "
                "Unicode text; remove that character",
                field=field,
            )
    elif isinstance(raw, dict):
        for key, value in raw.items():
            refuse_lone_surrogates(value, (*path, str(key)))
    elif isinstance(raw, list):
        for index, value in enumerate(raw):
            refuse_lone_surrogates(value, (*path, index))
