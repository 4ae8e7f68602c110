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


def _sync(call: Callable[[App, Any], BaseModel]) -> Handler:
    """Config operations touch files and the keyring: run them off the event loop."""

    def fresh(app: App, params: Any) -> BaseModel:
        # One stat call: another window's save or a hand edit is seen at once, not only
        # at the watcher's next tick.
        app.store.reload_if_changed()
        return call(app, params)

    async def run(ctx: Ctx, params: Any) -> BaseModel:
        return await asyncio.to_thread(fresh, ctx.app, params)

    return run


METHODS: list[Method] = [
    Method(
        "byok/templates/list",
        api.Empty,
        api.TemplatesResult,
        _sync(lambda app, p: app.config.templates_list()),
    ),
    Method(
        "byok/providers/list",
        api.Empty,
        api.ProvidersResult,
        _sync(lambda app, p: app.config.providers_list()),
    ),
    Method(
        "byok/providers/get",
        api.ProviderIdParams,
        api.ProviderResult,
        _sync(lambda app, p: app.config.provider_get(p)),
    ),
    Method(
        "byok/providers/add",
        api.ProviderAddParams,
        api.ProviderResult,
        _sync(lambda app, p: app.config.provider_add(p)),
        mutates=True,
    ),
    Method(
        "byok/providers/update",
        api.ProviderUpdateParams,
        api.ProviderResult,
        _sync(lambda app, p: app.config.provider_update(p)),
        mutates=True,
    ),
    Method(
        "byok/providers/remove",
        api.ProviderIdParams,
        api.Removed,
        _sync(lambda app, p: app.config.provider_remove(p)),
        mutates=True,
    ),
    Method(
        "byok/models/add",
        api.ModelAddParams,
        api.ModelResult,
        _sync(lambda app, p: app.config.model_add(p)),
        mutates=True,
    ),
    Method(
        "byok/models/update",
        api.ModelUpdateParams,
        api.ModelResult,
        _sync(lambda app, p: app.config.model_update(p)),
        mutates=True,
    ),
    Method(
        "byok/models/remove",
        api.ModelRemoveParams,
        api.Removed,
        _sync(lambda app, p: app.config.model_remove(p)),
        mutates=True,
    ),
    Method(
        "byok/active/get",
        api.Empty,
        api.ActiveResult,
        _sync(lambda app, p: app.config.active_get()),
    ),
    Method(
        "byok/active/set",
        api.ActiveSetParams,
        api.ActiveResult,
        _sync(lambda app, p: app.config.active_set(p)),
        mutates=True,
    ),
]


def register(method: Method) -> None:
    """Add a row (used by feature modules that own their handlers)."""
    METHODS.append(method)
