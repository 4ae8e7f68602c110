"""Handlers of the ``byok/*`` operations that are more than a configuration change:
each unpacks its params, calls a service and returns the ``api`` result."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from byok_ls import api
from byok_ls.errors import ByokError
from byok_ls.lsp.context import Ctx
from byok_ls.lsp.errors import cancelled

if TYPE_CHECKING:
    from byok_ls.chat import ChatState
    from byok_ls.completion.engine import Answer


async def providers_test(ctx: Ctx, params: api.ProviderIdParams) -> api.TestResult:
    return await ctx.app.provider_ops.test(params)


async def providers_discover(ctx: Ctx, params: api.ProviderIdParams) -> api.DiscoverResult:
    return await ctx.app.provider_ops.discover(params)


async def providers_detect(ctx: Ctx, params: api.Empty) -> api.DetectResult:
    return await ctx.app.provider_ops.detect()


async def usage(ctx: Ctx, params: api.UsageParams) -> api.UsageResult:
    return await ctx.app.provider_ops.usage(params)


async def status(ctx: Ctx, params: api.Empty) -> api.StatusResult:
    return ctx.app.provider_ops.status(ctx.loop_lag_max_ms())


async def vocabulary(ctx: Ctx, params: api.Empty) -> api.VocabularyResult:
    return api.vocabulary()


def _partial(state: ChatState) -> dict[str, Any]:
    """What a chat that broke off or was cancelled had shown (``data.partial``)."""
    data: dict[str, Any] = {"chatId": state.chat_id, "content": state.content}
    if state.reasoning:
        data["reasoning"] = state.reasoning
    return data


async def tokens_count(ctx: Ctx, params: api.TokensCountParams) -> api.TokensCountResult:
    from byok_ls.token_count import count_tokens

    ctx.app.store.reload_if_changed()
    return await count_tokens(ctx.app.router, params)


async def chat(ctx: Ctx, params: api.ChatParams) -> api.ChatResult:
    from byok_ls.attachments import attach
    from byok_ls.chat import ChatState, new_chat_id, to_messages
    from byok_ls.lsp.chat_stream import DeltaStream

    ctx.app.store.reload_if_changed()
    state = ChatState(params.chat_id or new_chat_id())
    messages = attach(to_messages(params), params.context or (), ctx.app.workspace, ctx.open_text)
    deltas = DeltaStream(state.chat_id, lambda delta: ctx.notify("byok/chat/delta", delta))
    try:
        if params.mode == "agent":
            return await ctx.app.agent.run(params, messages, state, deltas, ctx.editor())
        return await ctx.app.chat.run(params, state, deltas, messages)
    except asyncio.CancelledError:
        # Answer the cancelled request with what arrived so far, as the client asked.
        raise cancelled("chat", **_partial(state)) from None
    except ByokError as exc:
        if state.delivered:
            exc.extra.setdefault("partial", _partial(state))
        raise
    finally:
        # Every piece that went into the answer reaches the client before the answer.
        deltas.flush()


async def complete_at(
    ctx: Ctx, uri: str, line: int, character: int, model_id: str | None = None
) -> Answer:
    """The completion at a position of an open document: ``byok/complete`` and
    ``textDocument/inlineCompletion`` both answer with it."""
    ctx.app.store.reload_if_changed()
    text, language_id = ctx.document(uri)
    try:
        return await ctx.app.completion.complete(
            uri,
            text,
            line,
            character,
            language_id=language_id,
            model_id=model_id,
            encoding=ctx.position_encoding(),
        )
    except asyncio.CancelledError:
        raise cancelled("completion") from None


async def complete(ctx: Ctx, params: api.CompleteParams) -> api.CompleteResult:
    position = params.position
    answer = await complete_at(
        ctx, params.text_document.uri, position.line, position.character, params.model_id
    )
    items = []
    if answer.text:
        here = api.PositionParams(line=position.line, character=position.character)
        items.append(
            api.CompletionItemView(
                insert_text=answer.text, range=api.RangeView(start=here, end=here)
            )
        )
    return api.CompleteResult(items=items, model_id=answer.model_id, fallback=answer.fallback)


async def embeddings(ctx: Ctx, params: api.EmbeddingsParams) -> api.EmbeddingsResult:
    ctx.app.store.reload_if_changed()
    return await ctx.app.embeddings.run(params)
