"""One way to turn a pydantic validation failure into the error a user reads:
``<field>: <what is wrong>``, the field spelled as on the wire (each front end re-spells it,
see ``spelling.py``)."""

from __future__ import annotations

from pydantic import ValidationError
from pydantic.alias_generators import to_snake

from byok_ls.errors import ByokError, ErrorKind


def format_loc(loc: tuple[int | str, ...], *, snake: bool = False) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            name = to_snake(part) if snake else part
            out += f".{name}" if out else name
    return out


def clean_msg(msg: str) -> str:
    """pydantic's message without its "Value error, " prefix."""
    return msg.removeprefix("Value error, ")


def invalid_from(exc: ValidationError, prefix: str = "") -> ByokError:
    """The first problem of ``exc`` as an ``invalid_params`` error naming its field."""
    first = exc.errors()[0]
    field = prefix + format_loc(tuple(first["loc"])) or "params"
    return ByokError(ErrorKind.INVALID_PARAMS, f"{field}: {clean_msg(first['msg'])}", field=field)
