"""The names of the ``byok/*`` methods, without their models.

pygls must know every method and command before it answers ``initialize`` (the commands go
into the answer), but their pydantic models and the services behind them take longer to
import than the rest of the server: registering by name lets them load after start-up.
``lsp/methods.py`` holds the table itself; a test keeps the two in step.
"""

from __future__ import annotations

METHOD_NAMES: tuple[str, ...] = (
    "byok/vocabulary",
    "byok/templates/list",
    "byok/providers/list",
    "byok/providers/get",
    "byok/providers/add",
    "byok/providers/update",
    "byok/providers/remove",
    "byok/providers/test",
    "byok/providers/discover",
    "byok/providers/detect",
    "byok/models/add",
    "byok/models/update",
    "byok/models/remove",
    "byok/active/get",
    "byok/active/set",
    "byok/chat",
    "byok/tokens/count",
    "byok/complete",
    "byok/embeddings",
    "byok/usage",
    "byok/status",
)


def command_of(name: str) -> str:
    """The ``workspace/executeCommand`` name of a method: ``byok/chat`` -> ``byok.chat``."""
    return name.replace("/", ".")
