"""OpenAI-compatible adapter: request shapes (checked against OpenAI's spec) and events."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from byok_ls.errors import ByokError, ErrorKind
from byok_ls.providers.openai_compat import OpenAIAdapter
from byok_ls.providers.types import (
    ChatMessage,
    ChatRequest,
    DiscoveredModel,
    FimRequest,
    Finish,
    ImagePart,
    PromptRequest,
    Reasoning,
    ReasoningDelta,
    TextDelta,
    TextPart,
    Tool,
    ToolCall,
    ToolCallDelta,
    Usage,
)

from .conftest import (
    FAST_RETRY,
    KEY,
    NO_RETRY,
    Recorder,
    Specs,
    collect,
    make_endpoint,
    sse,
    sse_response,
)

WEATHER = Tool(
    "get_weather",
    "Weather for a city",
    {"type": "object", "properties": {"city": {"type": "string"}}},
)
CONVERSATION = (
    ChatMessage("system", "Be brief."),
    ChatMessage(
        "user", (TextPart("What is here?"), ImagePart("data:image/png;base64,iVBORw0KGgo="))
    ),
    ChatMessage(
        "assistant", "", tool_calls=(ToolCall("call_1", "get_weather", '{"city":"Paris"}'),)
    ),
    ChatMessage("tool", "sunny", tool_call_id="call_1"),
    ChatMessage("user", "And tomorrow?"),
)


def chunk(
    delta: dict[str, object] | None = None, finish: str | None = None, **extra: object
) -> dict[str, object]:
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    return {"id": "c1", "object": "chat.completion.chunk", "choices": choices, **extra}


STREAM = sse(
    chunk({"role": "assistant", "reasoning_content": "think"}),
    chunk({"content": "Hel"}),
    chunk({"content": "lo"}),
    chunk(
        {
            "tool_calls": [
                {
                    "index": 0,
                    "id": "call_9",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": ""},
                }
            ]
        }
    ),
    chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"city":'}}]}),
    chunk({"tool_calls": [{"index": 0, "function": {"arguments": '"Oslo"}'}}]}),
    chunk({}, "tool_calls"),
    chunk(None, usage={"prompt_tokens": 12, "completion_tokens": 7, "total_tokens": 19}),
)
EXPECTED = [
    ReasoningDelta("think"),
    TextDelta("Hel"),
    TextDelta("lo"),
    ToolCallDelta(0, "call_9", "get_weather", ""),
    ToolCallDelta(0, arguments='{"city":'),
    ToolCallDelta(0, arguments='"Oslo"}'),
    Finish("tool_calls"),
    Usage(12, 7),
]


def adapter(rec: Recorder, **profile: Any) -> OpenAIAdapter:
    base = str(profile.pop("base_url", "https://api.example.com/v1"))
    return OpenAIAdapter(
        make_endpoint(base_url=base, **profile), client=rec.client(), retry=NO_RETRY
    )


async def test_streamed_chat_request_and_events(specs: Specs) -> None:
    rec = Recorder([sse_response(STREAM)])
    req = ChatRequest(
        "deepseek-reasoner",
        CONVERSATION,
        max_tokens=100,
        temperature=0.2,
        tools=(WEATHER,),
        stop=("\n\n",),
    )
    events = await collect(adapter(rec, reasoning_field="reasoning_content").chat(req))
    assert events == EXPECTED
    request = rec.requests[0]
    assert str(request.url) == "https://api.example.com/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    body = rec.body
    specs.openai("CreateChatCompletionRequest", body)
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert body["max_tokens"] == 100 and body["temperature"] == 0.2
    assert body["messages"][1]["content"][1] == {
        "type": "image_url",
        "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="},
    }
    assert body["messages"][2] == {
        "role": "assistant",
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
            }
        ],
    }
    assert body["messages"][3] == {"role": "tool", "content": "sunny", "tool_call_id": "call_1"}
    assert body["tools"][0]["function"]["name"] == "get_weather"
    assert "null" not in json.dumps(body)


async def test_one_shot_chat_gives_the_same_events() -> None:
    body = {
        "id": "c1",
        "object": "chat.completion",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "Hello",
                    "reasoning_content": "think",
                    "tool_calls": [
                        {
                            "id": "call_9",
                            "type": "function",
                            "function": {"name": "f", "arguments": "{}"},
                        }
                    ],
                },
                "finish_reason": "tool_calls",
            }
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 4},
    }
    rec = Recorder([httpx.Response(200, json=body)])
    req = ChatRequest("m", (ChatMessage("user", "hi"),), max_tokens=10)
    events = await collect(
        adapter(rec, reasoning_field="reasoning_content").chat(req, stream=False)
    )
    assert events == [
        ReasoningDelta("think"),
        TextDelta("Hello"),
        ToolCallDelta(0, "call_9", "f", "{}"),
        Finish("tool_calls"),
        Usage(3, 4),
    ]
    assert rec.body["stream"] is False and "stream_options" not in rec.body


async def test_openai_reasoning_style(specs: Specs) -> None:
    rec = Recorder([sse_response(sse(chunk({"content": "x"}, "stop")))])
    req = ChatRequest(
        "o3-mini",
        (ChatMessage("user", "hi"),),
        max_tokens=50,
        temperature=0.7,
        reasoning=Reasoning("openai", effort="low"),
    )
    await collect(adapter(rec).chat(req))
    body = rec.body
    specs.openai("CreateChatCompletionRequest", body)
    assert body["max_completion_tokens"] == 50 and "max_tokens" not in body
    assert body["reasoning_effort"] == "low" and "temperature" not in body


async def test_max_tokens_field_and_no_stream_usage_from_profile() -> None:
    rec = Recorder([sse_response(sse(chunk({"content": "x"}, "stop")))])
    req = ChatRequest("m", (ChatMessage("user", "hi"),), max_tokens=9)
    await collect(
        adapter(rec, max_tokens_field="max_completion_tokens", stream_usage=False).chat(req)
    )
    assert rec.body["max_completion_tokens"] == 9 and "stream_options" not in rec.body


async def test_fim_on_deepseek_beta_path(specs: Specs) -> None:
    stream = sse(
        {"choices": [{"index": 0, "text": "return a", "finish_reason": None}]},
        {"choices": [{"index": 0, "text": " + b", "finish_reason": "stop"}]},
    )
    rec = Recorder([sse_response(stream)])
    ad = adapter(rec, base_url="https://api.deepseek.com/v1", fim_path="/beta/completions")
    req = FimRequest(
        "deepseek-chat",
        "def add(a, b):\n    ",
        "\n",
        max_tokens=32,
        temperature=0.0,
        stop=("\n\n",),
    )
    events = await collect(ad.fim(req, stream=True))
    assert str(rec.requests[0].url) == "https://api.deepseek.com/beta/completions"
    assert events == [TextDelta("return a"), TextDelta(" + b"), Finish("stop")]
    specs.openai("CreateCompletionRequest", rec.body)
    assert rec.body["suffix"] == "\n" and rec.body["prompt"].startswith("def add")


async def test_prompt_one_shot(specs: Specs) -> None:
    body = {
        "choices": [{"index": 0, "text": "x = 1", "finish_reason": "length"}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 3},
    }
    rec = Recorder([httpx.Response(200, json=body)])
    events = await collect(
        adapter(rec, completions_path="/v1/completions", base_url="http://127.0.0.1:8000").prompt(
            PromptRequest("m", "<fim_prefix>", 16)
        )
    )
    assert events == [TextDelta("x = 1"), Finish("length"), Usage(5, 3)]
    assert rec.requests[0].url.path == "/v1/completions"
    specs.openai("CreateCompletionRequest", rec.body)


async def test_embeddings_are_batched(specs: Specs) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        inputs = json.loads(request.content)["input"]
        data = [
            {"object": "embedding", "index": i, "embedding": [float(len(t)), 0.5]}
            for i, t in reversed(list(enumerate(inputs)))
        ]
        return httpx.Response(
            200,
            json={
                "data": data,
                "usage": {"prompt_tokens": len(inputs), "total_tokens": len(inputs)},
            },
        )

    rec = Recorder([answer])
    result = await adapter(rec, embeddings_batch=2).embed(
        "text-embedding-3-small", ["a", "bb", "ccc"]
    )
    assert result.vectors == [[1.0, 0.5], [2.0, 0.5], [3.0, 0.5]]
    assert result.usage == Usage(3, 0)
    assert [json.loads(r.content)["input"] for r in rec.requests] == [["a", "bb"], ["ccc"]]
    specs.openai("CreateEmbeddingRequest", rec.body)


async def test_list_models_reads_context_length() -> None:
    listing = {
        "object": "list",
        "data": [
            {"id": "b/model", "context_length": 32768},
            {"id": "a/model", "context_window": 8192},
            {"id": "text-embedding-3-small"},
            {"id": "c", "top_provider": {"context_length": 1000}},
        ],
    }
    rec = Recorder([httpx.Response(200, json=listing)])
    models = await adapter(rec).list_models()
    assert rec.requests[0].url.path == "/v1/models"
    assert models == [
        DiscoveredModel("a/model", None, 8192),
        DiscoveredModel("b/model", None, 32768),
        DiscoveredModel("c", None, 1000),
        DiscoveredModel("text-embedding-3-small", "embeddings", None),
    ]


async def test_error_chunk_inside_200_stream_and_comments() -> None:
    body = b": OPENROUTER PROCESSING\n\n" + sse(
        chunk({"content": "a"}),
        {"error": {"code": 402, "message": "Insufficient credits"}},
        done=False,
    )
    rec = Recorder([sse_response(body)])
    seen = []
    with pytest.raises(ByokError) as info:
        async for event in adapter(rec, errors_in_stream=True).chat(
            ChatRequest("m", (ChatMessage("user", "x"),), 5)
        ):
            seen.append(event)
    assert seen == [TextDelta("a")]
    assert info.value.kind is ErrorKind.OUT_OF_CREDIT


@pytest.mark.parametrize(
    "body",
    [sse(chunk({"content": "a"}), done=False), b"data: {not json\n\n"],
    ids=["truncated", "invalid-json"],
)
async def test_broken_streams_are_bad_response(body: bytes) -> None:
    rec = Recorder([sse_response(body)])
    with pytest.raises(ByokError) as info:
        await collect(adapter(rec).chat(ChatRequest("m", (ChatMessage("user", "x"),), 5)))
    assert info.value.kind is ErrorKind.BAD_RESPONSE


async def test_finish_without_done_is_accepted() -> None:
    rec = Recorder([sse_response(sse(chunk({"content": "a"}, "stop"), done=False))])
    events = await collect(adapter(rec).chat(ChatRequest("m", (ChatMessage("user", "x"),), 5)))
    assert events == [TextDelta("a"), Finish("stop")]


async def test_rate_limit_is_retried_then_succeeds() -> None:
    limited = httpx.Response(
        429,
        headers={"retry-after": "1"},
        json={"error": {"message": "slow down", "type": "requests", "code": "rate_limit_exceeded"}},
    )
    rec = Recorder([limited, sse_response(sse(chunk({"content": "ok"}, "stop")))])
    ad = OpenAIAdapter(make_endpoint(), client=rec.client(), retry=FAST_RETRY)
    events = await collect(ad.chat(ChatRequest("m", (ChatMessage("user", "x"),), 5)))
    assert events == [TextDelta("ok"), Finish("stop")]
    assert len(rec.requests) == 2


async def test_auth_failure_is_not_retried() -> None:
    rec = Recorder(
        [
            httpx.Response(
                401,
                json={
                    "error": {
                        "message": "bad key",
                        "type": "invalid_request_error",
                        "code": "invalid_api_key",
                    }
                },
            )
        ]
    )
    ad = OpenAIAdapter(make_endpoint(), client=rec.client(), retry=FAST_RETRY)
    with pytest.raises(ByokError) as info:
        await collect(ad.chat(ChatRequest("m", (ChatMessage("user", "x"),), 5)))
    assert info.value.kind is ErrorKind.AUTH_FAILED
    assert len(rec.requests) == 1


async def test_no_authorization_header_without_key() -> None:
    rec = Recorder([httpx.Response(200, json={"data": []})])
    ad = OpenAIAdapter(
        make_endpoint(base_url="http://127.0.0.1:1234/v1", key=None), client=rec.client()
    )
    await ad.list_models()
    assert "authorization" not in rec.requests[0].headers
