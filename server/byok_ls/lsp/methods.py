"""The one table of ``byok/*`` operations.

Each row becomes both a JSON-RPC method (``byok/providers/add``) and a
``workspace/executeCommand`` command (``byok.providers.add``) — one handler per operation.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel

from byok_ls import api
from byok_ls.app import App


class Ctx(Protocol):
    """What an operation may use besides its params."""

    app: App

    def notify(self, method: str, payload: dict[str, Any]) -> None: ...

    def document(self, uri: str) -> tuple[str, str]:
        """The server's copy of an open document: (text, language id)."""
        ...

    def position_encoding(self) -> str:
        """The position encoding negotiated at initialize ("utf-16" unless agreed otherwise)."""
        ...

    def loop_lag_max_ms(self) -> float | None:
        """Longest event-loop stall since the last call, when the lag monitor is on."""
        ...


Handler = Callable[[Ctx, Any], Awaitable[BaseModel]]


@dataclass(frozen=True)
class Method:
    name: str
    params: type[BaseModel]
    result: type[BaseModel]
    handler: Handler
    #: Changes the stored config: the client is told with byok/config/changed afterwards.
    mutates: bool = False

    @property
    def command(self) -> str:
        return self.name.replace("/", ".")


def _config_op(operation: str, takes_params: bool) -> Handler:
    """A ConfigService operation, run off the event loop (it touches files and the keyring)."""

    def fresh(app: App, params: Any) -> BaseModel:
        # One stat call: another window's save or a hand edit is seen at once, not only
        # at the watcher's next tick.
        app.store.reload_if_changed()
        call = getattr(app.config, operation)
        result: BaseModel = call(params) if takes_params else call()
        return result

    async def run(ctx: Ctx, params: Any) -> BaseModel:
        return await asyncio.to_thread(fresh, ctx.app, params)

    return run


# (method, params, result, ConfigService operation, changes the stored config)
_CONFIG_OPS: list[tuple[str, type[BaseModel], type[BaseModel], str, bool]] = [
    ("byok/templates/list", api.Empty, api.TemplatesResult, "templates_list", False),
    ("byok/providers/list", api.Empty, api.ProvidersResult, "providers_list", False),
    ("byok/providers/get", api.ProviderIdParams, api.ProviderResult, "provider_get", False),
    ("byok/providers/add", api.ProviderAddParams, api.ProviderResult, "provider_add", True),
    (
        "byok/providers/update",
        api.ProviderUpdateParams,
        api.ProviderResult,
        "provider_update",
        True,
    ),
    ("byok/providers/remove", api.ProviderIdParams, api.Removed, "provider_remove", True),
    ("byok/models/add", api.ModelAddParams, api.ModelResult, "model_add", True),
    ("byok/models/update", api.ModelUpdateParams, api.ModelResult, "model_update", True),
    ("byok/models/remove", api.ModelRemoveParams, api.Removed, "model_remove", True),
    ("byok/active/get", api.Empty, api.ActiveResult, "active_get", False),
    ("byok/active/set", api.ActiveSetParams, api.ActiveResult, "active_set", True),
]

METHODS: list[Method] = [
    Method(name, params, result, _config_op(op, params is not api.Empty), mutates=mutates)
    for name, params, result, op, mutates in _CONFIG_OPS
]


def register(method: Method) -> None:
    """Add a row (used by feature modules that own their handlers)."""
    METHODS.append(method)
