"""A cattrs converter that leaves the params of custom methods as plain JSON.

pygls turns unknown methods' params into namedtuples, which renames keys that are not
Python identifiers and loses the JSON shape; pydantic validates the plain dicts instead.
"""

from __future__ import annotations

from typing import Any

import cattrs
from pygls.protocol import (
    JsonRPCNotification,
    JsonRPCRequestMessage,
    JsonRPCResponseMessage,
    default_converter,
)


def _keep(obj: dict[str, Any], cls: type[Any]) -> Any:
    if cls is not JsonRPCResponseMessage and "params" not in obj:
        # JSON-RPC lets a request or notification leave params out; pygls' classes require it.
        obj = {**obj, "params": None}
    return cls(**obj)


def raw_converter() -> cattrs.Converter:
    converter: cattrs.Converter = default_converter()  # type: ignore[no-untyped-call]
    for cls in (JsonRPCRequestMessage, JsonRPCResponseMessage, JsonRPCNotification):
        converter.register_structure_hook(cls, _keep)
    return converter


def field_of(obj: Any, key: str) -> Any:
    """``obj[key]`` of a plain JSON object or the attribute of an lsprotocol one."""
    return obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)
