"""What the command line prints: tables for people, ``--json`` for scripts, errors on
stderr in the command line's own spelling (``--key-env``, not ``apiKeyEnv``)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from typing import TypeVar

from pydantic import BaseModel

from byok_ls.errors import ByokError
from byok_ls.spelling import spell

M = TypeVar("M", bound=BaseModel)


def as_json(result: BaseModel) -> str:
    """The object the matching LSP method answers (camelCase)."""
    return json.dumps(result.model_dump(mode="json", by_alias=True), indent=2, ensure_ascii=False)


def emit(result: M, json_output: bool, text: Callable[[M], str]) -> None:
    print(as_json(result) if json_output else text(result))


def table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows, strict=False)]
    lines = ["  ".join(str(h).ljust(w) for h, w in zip(headers, widths, strict=False))]
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=False)) for row in rows]
    return "\n".join(line.rstrip() for line in lines)


def fail(message: str, code: int = 1) -> int:
    print(f"error: {spell(message, 'cli')}", file=sys.stderr)
    return code


def fail_with(exc: ByokError, code: int = 1) -> int:
    return fail(exc.message, code)
