"""What the router hands an attempt (a Target) and what it reads back (Served)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from byok_ls.config.schema import Model, Provider, Template
from byok_ls.providers.types import Endpoint

Notice = Callable[[str, str], None]  # (level: "info" | "warning" | "error", message)


@dataclass(frozen=True)
class Target:
    """One model of the chain, ready to be asked."""

    model_id: str
    provider: Provider
    model: Model
    template: Template
    endpoint: Endpoint
    #: Not the active model: an earlier one in the chain failed or was skipped.
    fallback: bool


class Served(Protocol):
    """What a successful attempt reports for the usage record."""

    @property
    def input_tokens(self) -> int: ...

    @property
    def output_tokens(self) -> int: ...

    @property
    def estimated(self) -> bool: ...


@dataclass(frozen=True)
class Spent:
    """Tokens an attempt cost; ``estimated`` when counted here, not reported upstream."""

    input_tokens: int = 0
    output_tokens: int = 0
    estimated: bool = False


NOTHING = Spent()
