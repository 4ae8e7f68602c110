"""Each adapter against the HTTP fake of its provider (requests contract-checked by the fake)."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace
from typing import Any

import pytest

from byok_ls.errors import ByokError, ErrorKind
from byok_ls.providers.registry import make_adapter
from byok_ls.providers.types import (
    ChatMessage,
    ChatRequest,
    Endpoint,
    Event,
    FimRequest,
    Finish,
    Profile,
    ReasoningDelta,
    TextDelta,
    Tool,
    ToolCallDelta,
    Usage,
    WireFormat,
)
from tests.fakes import FakeServer, Reply, ToolCall

from .conftest import FAST_RETRY, NO_RETRY, collect

KEY = "sk-fake-0123456789abcdefghij"
TOOL = Tool(
    "get_weather", "Weather", {"type": "object", "properties": {"city": {"type": "string"}}}
)
ASK = ChatRequest(
    "test-model",
    (ChatMessage("system", "Be brief."), ChatMessage("user", "Weather in Oslo?")),
    max_tokens=256,
    temperature=0.2,
    tools=(TOOL,),
)

# flavor -> (wire format, base URL attribute, profile)
SETUPS: dict[str, tuple[WireFormat, str, dict[str, Any]]] = {
    "openai": ("openai", "api_base", {}),
    "deepseek": (
        "openai",
        "api_base",
        {"reasoning_field": "reasoning_content", "fim_path": "/beta/completions"},
    ),
    "openrouter": (
        "openai",
        "api_base",
        {"reasoning_field": "reasoning", "errors_in_stream": True},
    ),
    "gemini": ("openai", "api_base", {"error_body_array": True}),
    "vllm": ("openai", "api_base", {}),
    "mistral": ("mistral", "api_base", {"stream_usage": False}),
    "anthropic": ("anthropic", "base_url", {}),
    "ollama": ("ollama", "base_url", {"models_path": "/api/tags"}),
    "llamacpp": ("llamacpp", "base_url", {"models_path": "/v1/models"}),
}
FIM = {"openai", "deepseek", "vllm", "mistral", "ollama", "llamacpp"}


def endpoint(fake: FakeServer, flavor: str) -> Endpoint:
    wire, attr, profile = SETUPS[flavor]
    return Endpoint(flavor, f"Fake {flavor}", wire, getattr(fake, attr), KEY, Profile(**profile))


def text_of(events: list[Event]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


@pytest.fixture(params=sorted(SETUPS))
def fake(request: pytest.FixtureRequest) -> Any:
    return request.getfixturevalue(f"{request.param}_fake"), request.param


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "one-shot"])
async def test_chat(fake: tuple[FakeServer, str], stream: bool) -> None:
    server, flavor = fake
    server.script(
        text="Sunny, 20 C.",
        chunks=4,
        reasoning="Look it up.",
        tool_calls=[ToolCall("get_weather", '{"city": "Oslo"}')],
    )
    adapter = make_adapter(endpoint(server, flavor), retry=FAST_RETRY)
    events = await collect(adapter.chat(ASK, stream=stream))
    assert text_of(events) == "Sunny, 20 C."
    calls = [e for e in events if isinstance(e, ToolCallDelta)]
    assert calls and calls[0].name == "get_weather"
    assert "".join(c.arguments for c in calls).replace(" ", "") == '{"city":"Oslo"}'
    assert any(isinstance(e, Finish) for e in events)
    assert any(isinstance(e, Usage) for e in events) or flavor == "mistral"
    if SETUPS[flavor][2].get("reasoning_field"):
        assert any(isinstance(e, ReasoningDelta) for e in events)


async def test_fim_and_models(fake: tuple[FakeServer, str]) -> None:
    server, flavor = fake
    adapter = make_adapter(endpoint(server, flavor), retry=FAST_RETRY)
    models = await adapter.list_models()
    assert models and all(m.name for m in models)
    if flavor in FIM:
        for stream in (False, True):
            events = await collect(
                adapter.fim(
                    FimRequest("test-model", "def add(a, b):\n    ", "\n", 32), stream=stream
                )
            )
            assert text_of(events) == "return a + b"


async def test_rate_limit_then_success(fake: tuple[FakeServer, str]) -> None:
    server, flavor = fake
    server.queue(Reply(status=429, headers={"retry-after": "0"}, body=None))
    server.script(text="ok")
    adapter = make_adapter(endpoint(server, flavor), retry=FAST_RETRY)
    events = await collect(adapter.chat(ASK))
    assert text_of(events) == "ok"


async def test_cut_stream_is_bad_response(fake: tuple[FakeServer, str]) -> None:
    server, flavor = fake
    server.queue(Reply(text="abcdef", chunks=6, cut_after=2))
    adapter = make_adapter(endpoint(server, flavor), retry=FAST_RETRY)
    with pytest.raises(ByokError) as info:
        await collect(adapter.chat(ASK))
    assert info.value.kind is ErrorKind.BAD_RESPONSE


PRESET_KINDS = {
    "openai.invalid_api_key": ErrorKind.AUTH_FAILED,
    "openai.missing_key": ErrorKind.AUTH_FAILED,
    "openai.insufficient_quota": ErrorKind.OUT_OF_CREDIT,
    "openai.rate_limit_exceeded": ErrorKind.RATE_LIMITED,
    "openai.context_length_exceeded": ErrorKind.CONTEXT_TOO_LONG,
    "openai.model_not_found": ErrorKind.MODEL_NOT_FOUND,
    "openai.server_error": ErrorKind.SERVER_ERROR,
    "openai.unavailable": ErrorKind.OVERLOADED,
    "openai.stream_error": ErrorKind.SERVER_ERROR,
    "anthropic.authentication_error": ErrorKind.AUTH_FAILED,
    "anthropic.credit_too_low": ErrorKind.OUT_OF_CREDIT,
    "anthropic.rate_limit_error": ErrorKind.RATE_LIMITED,
    "anthropic.overloaded_error": ErrorKind.OVERLOADED,
    "anthropic.not_found_error": ErrorKind.MODEL_NOT_FOUND,
    "anthropic.stream_overloaded": ErrorKind.OVERLOADED,
    "deepseek.insufficient_balance": ErrorKind.OUT_OF_CREDIT,
    "deepseek.invalid_key": ErrorKind.AUTH_FAILED,
    "openrouter.insufficient_credits": ErrorKind.OUT_OF_CREDIT,
    "openrouter.invalid_key": ErrorKind.AUTH_FAILED,
    "openrouter.stream_error": ErrorKind.SERVER_ERROR,
    "gemini.invalid_key": ErrorKind.AUTH_FAILED,
    "gemini.bad_request": ErrorKind.BAD_REQUEST,
    "vllm.bad_request": ErrorKind.CONTEXT_TOO_LONG,
    "vllm.invalid_key": ErrorKind.AUTH_FAILED,
    "mistral.invalid_key": ErrorKind.AUTH_FAILED,
    "mistral.rate_limited": ErrorKind.RATE_LIMITED,
    "llamacpp.invalid_key": ErrorKind.AUTH_FAILED,
    "llamacpp.context_exceeded": ErrorKind.CONTEXT_TOO_LONG,
    "ollama.model_not_found": ErrorKind.MODEL_NOT_FOUND,
}


@pytest.mark.parametrize(("preset", "kind"), sorted(PRESET_KINDS.items()))
async def test_provider_error_presets(
    preset: str, kind: ErrorKind, request: pytest.FixtureRequest
) -> None:
    from tests.fakes import presets

    flavor = preset.split(".")[0]
    server: FakeServer = request.getfixturevalue(f"{flavor}_fake")
    server.queue(presets.PRESETS[preset]())
    adapter = make_adapter(endpoint(server, flavor), retry=NO_RETRY)
    with pytest.raises(ByokError) as info:
        await collect(adapter.chat(ASK))
    assert info.value.kind is kind, info.value.message
    assert f"Fake {flavor}" in info.value.message
    assert KEY not in info.value.message


@pytest.mark.parametrize(
    ("reply", "kind"),
    [
        (Reply(text="abcdef", chunks=6, stall_after=2), ErrorKind.TIMEOUT),
        (Reply(text="abcdef", chunks=6, reset_after=2), ErrorKind.BAD_RESPONSE),
        (
            Reply(text="abcdef", chunks=6, garbage=b"data: {oops\n\n", garbage_after=2),
            ErrorKind.BAD_RESPONSE,
        ),
        (Reply(delay_headers=2.0), ErrorKind.TIMEOUT),
    ],
    ids=["stall", "reset", "garbage", "slow-headers"],
)
async def test_transport_faults(openai_fake: FakeServer, reply: Reply, kind: ErrorKind) -> None:
    openai_fake.queue(reply)
    ep = replace(endpoint(openai_fake, "openai"), read_timeout_s=0.3)
    with pytest.raises(ByokError) as info:
        await collect(make_adapter(ep, retry=NO_RETRY).chat(ASK))
    assert info.value.kind is kind


async def test_cancel_closes_the_fake_connection(openai_fake: FakeServer) -> None:
    openai_fake.script(text="a" * 50, chunks=50, delay_chunks=0.05)
    adapter = make_adapter(endpoint(openai_fake, "openai"))
    first = asyncio.Event()

    async def consume() -> None:
        async for event in adapter.chat(ASK):
            if isinstance(event, TextDelta):
                first.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first.wait(), 5)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await openai_fake.wait_for_async(lambda rs: any(r.closed_early for r in rs), timeout=5)
