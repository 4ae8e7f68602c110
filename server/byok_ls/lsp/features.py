"""``byok/*`` operations that reach providers: test, discover, detect, chat, complete,
embeddings, usage and status."""

from __future__ import annotations

import asyncio
import math
import time

from pydantic import BaseModel
from pygls.exceptions import JsonRpcException

from byok_ls import api
from byok_ls.config.schema import Provider
from byok_ls.errors import ByokError, ErrorKind
from byok_ls.lsp.methods import Ctx, Method, register
from byok_ls.providers.types import Endpoint

REQUEST_CANCELLED = -32800


def _provider_and_endpoint(ctx: Ctx, provider_id: str) -> tuple[Provider, Endpoint]:
    ctx.app.store.reload_if_changed()
    provider = ctx.app.config.provider(provider_id)
    return provider, ctx.app.config.endpoint(provider)


async def providers_test(ctx: Ctx, params: api.ProviderIdParams) -> BaseModel:
    from byok_ls.providers import probe

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
    from byok_ls.providers import probe

    _, endpoint = _provider_and_endpoint(ctx, params.id)
    found = await probe.discover(endpoint)
    return api.DiscoverResult(
        models=[api.DiscoveredModelView(name=m.name, task=m.task, n_ctx=m.n_ctx) for m in found]
    )


async def providers_detect(ctx: Ctx, params: api.Empty) -> BaseModel:
    """Local servers on their default loopback ports; the environment variable
    ``BYOK_LS_DETECT_PORTS`` (``ollama=43111,llamacpp=43112``) replaces those ports
    (see :func:`byok_ls.providers.probe.detect_ports`)."""
    from byok_ls.providers import probe

    found = await probe.detect_local(probe.detect_ports())
    return api.DetectResult(
        found=[
            api.DetectedView(template=d.template, base_url=d.base_url, models=d.models)
            for d in found
        ]
    )


async def chat(ctx: Ctx, params: api.ChatParams) -> BaseModel:
    from byok_ls.chat import ChatState, new_chat_id

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
        encoding=ctx.position_encoding(),
    )
    items = []
    if answer.text:
        here = api.PositionParams(line=params.position.line, character=params.position.character)
        items.append(
            api.CompletionItemView(
                insert_text=answer.text, range=api.RangeView(start=here, end=here)
            )
        )
    return api.CompleteResult(items=items, model_id=answer.model_id, fallback=answer.fallback)


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
        cool_down_s, cool_down_kind = app.router.cool_down(provider)
        budget = provider.budget
        rows.append(
            api.ProviderStatus(
                id=provider.id,
                last_outcome=health.last_outcome if health else None,
                # Rounded up: a provider still skipped never reads as 0.
                cool_down_s=math.ceil(cool_down_s * 10) / 10,
                cool_down_kind=cool_down_kind,
                spent_today_usd=round(ledger.spent(provider.id, "day"), 6),
                budget_daily_usd=budget.daily_usd if budget else None,
                spent_month_usd=round(ledger.spent(provider.id, "month"), 6),
                budget_monthly_usd=budget.monthly_usd if budget else None,
            )
        )
    problem = app.store.problem
    usage_problem = None if ledger.available else ledger.problem
    return api.StatusResult(
        providers=rows,
        config_problem=str(problem) if problem else None,
        usage_problem=usage_problem,
        usage_repair=ledger.last_repair,
        checked_at=time.time(),
        loop_lag_max_ms=ctx.loop_lag_max_ms(),
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
