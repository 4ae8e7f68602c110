"""Anthropic Messages adapter: request shapes (checked against the spec) and events."""

from __future__ import annotations

import httpx
import pytest

from byok_ls.errors import ByokError, ErrorKind
from byok_ls.providers.anthropic import AnthropicAdapter
from byok_ls.providers.types import (
    ChatMessage,
    ChatRequest,
    DiscoveredModel,
    FimRequest,
    Finish,
    ImagePart,
    Reasoning,
    ReasoningDelta,
    TextDelta,
    TextPart,
    Tool,
    ToolCall,
    ToolCallDelta,
    Usage,
)

from .conftest import KEY, NO_RETRY, Recorder, Specs, collect, make_endpoint, sse, sse_response

CONVERSATION = (
    ChatMessage("system", "Be brief."),
    ChatMessage("system", "Use metric units."),
    ChatMessage("user", (TextPart("Look:"), ImagePart("data:image/png;base64,iVBORw0KGgo="))),
    ChatMessage("user", (ImagePart("https://example.com/cat.jpg"),)),
    ChatMessage(
        "assistant",
        "Checking.",
        tool_calls=(ToolCall("toolu_1", "get_weather", '{"city":"Paris"}'),),
    ),
    ChatMessage("tool", "sunny", tool_call_id="toolu_1"),
    ChatMessage("user", "Thanks"),
)
WEATHER = Tool(
    "get_weather", "Weather", {"type": "object", "properties": {"city": {"type": "string"}}}
)

STREAM = sse(
    (
        "message_start",
        {
            "type": "message_start",
            "message": {
                "id": "m",
                "type": "message",
                "role": "assistant",
                "content": [],
                "model": "c",
                "usage": {"input_tokens": 25, "output_tokens": 1},
            },
        },
    ),
    ("ping", {"type": "ping"}),
    (
        "content_block_start",
        {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "thinking", "thinking": ""},
        },
    ),
    (
        "content_block_delta",
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "thinking_delta", "thinking": "hmm"},
        },
    ),
    (
        "content_block_delta",
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "signature_delta", "signature": "sig"},
        },
    ),
    ("content_block_stop", {"type": "content_block_stop", "index": 0}),
    (
        "content_block_start",
        {"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}},
    ),
    (
        "content_block_delta",
        {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "Hi"}},
    ),
    (
        "content_block_start",
        {
            "type": "content_block_start",
            "index": 2,
            "content_block": {
                "type": "tool_use",
                "id": "toolu_2",
                "name": "get_weather",
                "input": {},
            },
        },
    ),
    (
        "content_block_delta",
        {
            "type": "content_block_delta",
            "index": 2,
            "delta": {"type": "input_json_delta", "partial_json": '{"city"'},
        },
    ),
    (
        "content_block_delta",
        {
            "type": "content_block_delta",
            "index": 2,
            "delta": {"type": "input_json_delta", "partial_json": ': "Oslo"}'},
        },
    ),
    (
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": "tool_use", "stop_sequence": None},
            "usage": {"output_tokens": 15},
        },
    ),
    ("message_stop", {"type": "message_stop"}),
    done=False,
)


def adapter(rec: Recorder, base: str = "https://api.anthropic.com") -> AnthropicAdapter:
    return AnthropicAdapter(
        make_endpoint("anthropic", base, anthropic_version="2023-06-01"),
        client=rec.client(),
        retry=NO_RETRY,
    )


async def test_streamed_messages_request_and_events(specs: Specs) -> None:
    rec = Recorder([sse_response(STREAM)])
    req = ChatRequest(
        "claude-sonnet-4-5",
        CONVERSATION,
        max_tokens=2000,
        temperature=0.3,
        tools=(WEATHER,),
        stop=("END",),
    )
    events = await collect(adapter(rec).chat(req))
    assert events == [
        ReasoningDelta("hmm"),
        TextDelta("Hi"),
        ToolCallDelta(0, "toolu_2", "get_weather", ""),
        ToolCallDelta(0, arguments='{"city"'),
        ToolCallDelta(0, arguments=': "Oslo"}'),
        Usage(25, 15),
        Finish("tool_calls"),
    ]
    request = rec.requests[0]
    assert str(request.url) == "https://api.anthropic.com/v1/messages"
    assert request.headers["x-api-key"] == KEY
    assert request.headers["anthropic-version"] == "2023-06-01"
    assert "authorization" not in request.headers
    body = rec.body
    specs.anthropic_messages(body)
    assert body["system"] == "Be brief.\n\nUse metric units."
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user"]
    assert body["messages"][0]["content"][1]["source"] == {
        "type": "base64",
        "media_type": "image/png",
        "data": "iVBORw0KGgo=",
    }
    assert body["messages"][0]["content"][2]["source"] == {
        "type": "url",
        "url": "https://example.com/cat.jpg",
    }
    assert body["messages"][1]["content"][1] == {
        "type": "tool_use",
        "id": "toolu_1",
        "name": "get_weather",
        "input": {"city": "Paris"},
    }
    assert body["messages"][2]["content"][0] == {
        "type": "tool_result",
        "tool_use_id": "toolu_1",
        "content": "sunny",
    }
    assert body["tools"] == [
        {"name": "get_weather", "description": "Weather", "input_schema": WEATHER.parameters}
    ]
    assert body["temperature"] == 0.3 and body["stop_sequences"] == ["END"]


async def test_thinking_budget_and_no_temperature(specs: Specs) -> None:
    rec = Recorder([sse_response(STREAM)])
    req = ChatRequest(
        "claude-sonnet-4-5",
        (ChatMessage("user", "hi"),),
        max_tokens=500,
        temperature=0.3,
        reasoning=Reasoning("anthropic", budget_tokens=200),
    )
    await collect(adapter(rec, "https://api.anthropic.com/v1").chat(req))
    body = rec.body
    specs.anthropic_messages(body)
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 1024}
    assert body["max_tokens"] > 1024
    assert "temperature" not in body
    assert rec.requests[0].url.path == "/v1/messages"


async def test_one_shot_message() -> None:
    message = {
        "id": "m",
        "type": "message",
        "role": "assistant",
        "model": "c",
        "content": [
            {"type": "thinking", "thinking": "hmm", "signature": "s"},
            {"type": "text", "text": "Hello"},
            {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {"a": 1}},
        ],
        "stop_reason": "max_tokens",
        "usage": {"input_tokens": 5, "output_tokens": 9, "cache_read_input_tokens": 2},
    }
    rec = Recorder([httpx.Response(200, json=message)])
    events = await collect(
        adapter(rec).chat(ChatRequest("c", (ChatMessage("user", "hi"),), 10), stream=False)
    )
    assert events == [
        ReasoningDelta("hmm"),
        TextDelta("Hello"),
        ToolCallDelta(0, "toolu_1", "f", '{"a": 1}'),
        Usage(7, 9),
        Finish("length"),
    ]
    assert rec.body["stream"] is False


async def test_error_event_in_stream() -> None:
    body = sse(
        ("message_start", {"type": "message_start", "message": {"usage": {"input_tokens": 1}}}),
        (
            "error",
            {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
        ),
        done=False,
    )
    rec = Recorder([sse_response(body)])
    with pytest.raises(ByokError) as info:
        await collect(adapter(rec).chat(ChatRequest("c", (ChatMessage("user", "hi"),), 10)))
    assert info.value.kind is ErrorKind.OVERLOADED


async def test_stream_without_message_stop_is_bad_response() -> None:
    rec = Recorder([sse_response(STREAM.rsplit(b"event: message_stop", 1)[0])])
    with pytest.raises(ByokError) as info:
        await collect(adapter(rec).chat(ChatRequest("c", (ChatMessage("user", "hi"),), 10)))
    assert info.value.kind is ErrorKind.BAD_RESPONSE


async def test_list_models_pages() -> None:
    def page(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("after_id") == "claude-b":
            return httpx.Response(
                200,
                json={
                    "data": [{"id": "claude-c", "type": "model", "max_input_tokens": 200000}],
                    "has_more": False,
                    "last_id": "claude-c",
                },
            )
        return httpx.Response(
            200,
            json={
                "data": [{"id": "claude-a", "type": "model"}, {"id": "claude-b", "type": "model"}],
                "has_more": True,
                "first_id": "claude-a",
                "last_id": "claude-b",
            },
        )

    rec = Recorder([page])
    models = await adapter(rec).list_models()
    assert [m.name for m in models] == ["claude-a", "claude-b", "claude-c"]
    assert models[2] == DiscoveredModel("claude-c", "chat", 200000)
    assert len(rec.requests) == 2 and rec.requests[0].url.path == "/v1/models"


async def test_no_native_fim() -> None:
    with pytest.raises(ByokError) as info:
        await collect(adapter(Recorder([httpx.Response(500)])).fim(FimRequest("c", "a", "b", 5)))
    assert info.value.kind is ErrorKind.BAD_REQUEST
