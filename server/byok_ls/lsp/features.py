"""``byok/*`` operations that reach providers: test, discover, detect, chat, complete,
embeddings, usage and status."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from pydantic import BaseModel
from pygls.exceptions import JsonRpcException

from byok_ls import api
from byok_ls.chat import ChatState, new_chat_id
from byok_ls.errors import ByokError, ErrorKind
from byok_ls.lsp.methods import Ctx, Method, register
from byok_ls.providers import probe

REQUEST_CANCELLED = -32800


def _provider_and_endpoint(ctx: Ctx, provider_id: str) -> Any:
    ctx.app.store.reload_if_changed()
    provider = ctx.app.config.provider(provider_id)
    return provider, ctx.app.router.endpoint(provider)


async def providers_test(ctx: Ctx, params: api.ProviderIdParams) -> BaseModel:
    provider, endpoint = _provider_and_endpoint(ctx, params.id)
    hint = next((m.name for m in provider.models if m.task == "chat"), None)
    result = await probe.test_endpoint(
        endpoint, hint or (provider.models[0].name if provider.models else None)
    )
    return api.TestResult(
        ok=result.ok,
        status=result.status,
        latency_ms=result.latency_ms,
        message=result.message,
        models_found=result.models_found,
    )


async def providers_discover(ctx: Ctx, params: api.ProviderIdParams) -> BaseModel:
    _, endpoint = _provider_and_endpoint(ctx, params.id)
    found = await probe.discover(endpoint)
    return api.DiscoverResult(
        models=[api.DiscoveredModelView(name=m.name, task=m.task, n_ctx=m.n_ctx) for m in found]
    )


async def providers_detect(ctx: Ctx, params: api.Empty) -> BaseModel:
    found = await probe.detect_local()
    return api.DetectResult(
        found=[
            api.DetectedView(template=d.template, base_url=d.base_url, models=d.models)
            for d in found
        ]
    )


async def chat(ctx: Ctx, params: api.ChatParams) -> BaseModel:
    ctx.app.store.reload_if_changed()
    state = ChatState(params.chat_id or new_chat_id())
    try:
        return await ctx.app.chat.run(
            params, state, lambda delta: ctx.notify("byok/chat/delta", delta)
        )
    except asyncio.CancelledError:
        # Answer the cancelled request with what arrived so far, as the client asked.
        raise JsonRpcException(
            message="The chat request was cancelled.",
            code=REQUEST_CANCELLED,
            data={"kind": ErrorKind.CANCELLED.value, **state.partial()},
        ) from None
    except ByokError as exc:
        if state.delivered:
            exc.extra.setdefault("partial", state.partial())
        raise


async def complete(ctx: Ctx, params: api.CompleteParams) -> BaseModel:
    ctx.app.store.reload_if_changed()
    text, language_id = ctx.document(params.text_document.uri)
    answer = await ctx.app.completion.complete(
        params.text_document.uri,
        text,
        params.position.line,
        params.position.character,
        language_id=language_id,
        model_id=params.model_id,
    )
    items = []
    if answer.text:
        here = api.PositionParams(line=params.position.line, character=params.position.character)
        items.append(
            api.CompletionItemView(
                insert_text=answer.text, range=api.RangeView(start=here, end=here)
            )
        )
    return api.CompleteResult(items=items, model_id=answer.model_id)


async def embeddings(ctx: Ctx, params: api.EmbeddingsParams) -> BaseModel:
    ctx.app.store.reload_if_changed()
    return await ctx.app.embeddings.run(params)


async def usage(ctx: Ctx, params: api.UsageParams) -> BaseModel:
    group_by = params.group_by or ["provider", "model", "task"]
    report = await asyncio.to_thread(ctx.app.ledger.query, params.since, params.until, group_by)
    return api.UsageResult.model_validate(report.to_json())


async def status(ctx: Ctx, params: api.Empty) -> BaseModel:
    app = ctx.app
    app.store.reload_if_changed()
    ledger = app.ledger
    rows = []
    for provider in app.config.config.providers:
        health = app.router.health.get(provider.id)
        rows.append(
            api.ProviderStatus(
                id=provider.id,
                last_outcome=health.last_outcome if health else None,
                cool_down_s=round(app.router.cooldown_s(provider.id), 1),
                spent_today_usd=round(ledger.spent(provider.id, "day"), 6),
                budget_daily_usd=provider.budget.daily_usd if provider.budget else None,
            )
        )
    problem = app.store.problem
    usage_problem = None if ledger.available else ledger.problem
    return api.StatusResult(
        providers=rows,
        config_problem=str(problem) if problem else None,
        usage_problem=usage_problem,
        checked_at=time.time(),
    )


for _method in (
    Method("byok/providers/test", api.ProviderIdParams, api.TestResult, providers_test),
    Method("byok/providers/discover", api.ProviderIdParams, api.DiscoverResult, providers_discover),
    Method("byok/providers/detect", api.Empty, api.DetectResult, providers_detect),
    Method("byok/chat", api.ChatParams, api.ChatResult, chat),
    Method("byok/complete", api.CompleteParams, api.CompleteResult, complete),
    Method("byok/embeddings", api.EmbeddingsParams, api.EmbeddingsResult, embeddings),
    Method("byok/usage", api.UsageParams, api.UsageResult, usage),
    Method("byok/status", api.Empty, api.StatusResult, status),
):
    register(_method)
