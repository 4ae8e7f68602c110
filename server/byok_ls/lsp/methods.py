"""The one table of ``byok/*`` operations.

Each row becomes both a JSON-RPC method (``byok/providers/add``) and a
``workspace/executeCommand`` command (``byok.providers.add``) — one handler per operation.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from byok_ls import api
from byok_ls.app import App
from byok_ls.config.service import ConfigService as CS
from byok_ls.lsp import features
from byok_ls.lsp.context import Ctx
from byok_ls.lsp.names import command_of

P = TypeVar("P", bound=BaseModel)
R = TypeVar("R", bound=BaseModel)


@dataclass(frozen=True)
class Method(Generic[P, R]):
    name: str
    params: type[P]
    result: type[R]
    handler: Callable[[Ctx, P], Awaitable[R]]
    #: Changes the stored config: the client is told with byok/config/changed afterwards.
    mutates: bool = False

    @property
    def command(self) -> str:
        return command_of(self.name)


def _config(operation: Callable[[CS, P], R]) -> Callable[[Ctx, P], Awaitable[R]]:
    """A ConfigService operation, run off the event loop (it touches files and the keyring)."""

    def fresh(app: App, params: P) -> R:
        # One stat call: another window's save or a hand edit is seen at once, not only
        # at the watcher's next tick.
        app.store.reload_if_changed()
        return operation(app.config, params)

    async def run(ctx: Ctx, params: P) -> R:
        return await asyncio.to_thread(fresh, ctx.app, params)

    return run


def _templates(config: CS, params: api.Empty) -> api.TemplatesResult:
    return config.templates_list()


def _providers(config: CS, params: api.Empty) -> api.ProvidersResult:
    return config.providers_list()


def _active(config: CS, params: api.Empty) -> api.ActiveResult:
    return config.active_get()


def _read(name: str, params: type[P], result: type[R], op: Callable[[CS, P], R]) -> Method[P, R]:
    return Method(name, params, result, _config(op))


def _change(name: str, params: type[P], result: type[R], op: Callable[[CS, P], R]) -> Method[P, R]:
    return Method(name, params, result, _config(op), mutates=True)


METHODS: list[Method[Any, Any]] = [
    Method("byok/vocabulary", api.Empty, api.VocabularyResult, features.vocabulary),
    _read("byok/templates/list", api.Empty, api.TemplatesResult, _templates),
    _read("byok/providers/list", api.Empty, api.ProvidersResult, _providers),
    _read("byok/providers/get", api.ProviderIdParams, api.ProviderResult, CS.provider_get),
    _change("byok/providers/add", api.ProviderAddParams, api.ProviderResult, CS.provider_add),
    _change(
        "byok/providers/update", api.ProviderUpdateParams, api.ProviderResult, CS.provider_update
    ),
    _change("byok/providers/remove", api.ProviderIdParams, api.Removed, CS.provider_remove),
    Method("byok/providers/test", api.ProviderIdParams, api.TestResult, features.providers_test),
    Method(
        "byok/providers/discover",
        api.ProviderIdParams,
        api.DiscoverResult,
        features.providers_discover,
    ),
    Method("byok/providers/detect", api.Empty, api.DetectResult, features.providers_detect),
    _change("byok/models/add", api.ModelAddParams, api.ModelResult, CS.model_add),
    _change("byok/models/update", api.ModelUpdateParams, api.ModelResult, CS.model_update),
    _change("byok/models/remove", api.ModelRemoveParams, api.Removed, CS.model_remove),
    _read("byok/active/get", api.Empty, api.ActiveResult, _active),
    _change("byok/active/set", api.ActiveSetParams, api.ActiveResult, CS.active_set),
    Method("byok/chat", api.ChatParams, api.ChatResult, features.chat),
    Method(
        "byok/tokens/count", api.TokensCountParams, api.TokensCountResult, features.tokens_count
    ),
    Method("byok/complete", api.CompleteParams, api.CompleteResult, features.complete),
    Method("byok/embeddings", api.EmbeddingsParams, api.EmbeddingsResult, features.embeddings),
    Method("byok/usage", api.UsageParams, api.UsageResult, features.usage),
    Method("byok/status", api.Empty, api.StatusResult, features.status),
]


_BY_NAME = {m.name: m for m in METHODS}


def by_name(name: str) -> Method[Any, Any]:
    return _BY_NAME[name]
