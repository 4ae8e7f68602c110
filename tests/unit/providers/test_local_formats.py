"""Ollama native, llama.cpp infill and Mistral FIM adapters."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from byok_ls.errors import ByokError, ErrorKind
from byok_ls.providers.llamacpp import LlamaCppAdapter
from byok_ls.providers.mistral import MistralAdapter
from byok_ls.providers.ollama import OllamaAdapter
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
    ToolCallDelta,
    Usage,
)

from .conftest import NO_RETRY, Recorder, Specs, collect, make_endpoint, sse, sse_response


def ndjson(*objs: object) -> httpx.Response:
    body = b"".join(json.dumps(o).encode() + b"\n" for o in objs)
    return httpx.Response(200, content=body, headers={"content-type": "application/x-ndjson"})


def ollama(rec: Recorder) -> OllamaAdapter:
    return OllamaAdapter(
        make_endpoint("ollama", "http://127.0.0.1:11434", key=None),
        client=rec.client(),
        retry=NO_RETRY,
    )


async def test_ollama_chat_stream() -> None:
    rec = Recorder(
        [
            ndjson(
                {"message": {"role": "assistant", "content": "", "thinking": "hm"}, "done": False},
                {"message": {"role": "assistant", "content": "Hi"}, "done": False},
                {
                    "message": {
                        "role": "assistant",
                        "content": "",
                        "tool_calls": [{"function": {"name": "f", "arguments": {"a": 1}}}],
                    },
                    "done": False,
                },
                {
                    "message": {"role": "assistant", "content": ""},
                    "done": True,
                    "done_reason": "stop",
                    "prompt_eval_count": 11,
                    "eval_count": 4,
                },
            )
        ]
    )
    req = ChatRequest(
        "llava",
        (ChatMessage("user", (TextPart("see"), ImagePart("data:image/png;base64,AAAA"))),),
        max_tokens=64,
        temperature=0.1,
        stop=("###",),
        tools=(Tool("f"),),
        reasoning=Reasoning("deepseek"),
    )
    events = await collect(ollama(rec).chat(req))
    assert events == [
        ReasoningDelta("hm"),
        TextDelta("Hi"),
        ToolCallDelta(0, "call_0", "f", '{"a": 1}'),
        Usage(11, 4),
        Finish("tool_calls"),
    ]
    body = rec.body
    assert rec.requests[0].url.path == "/api/chat"
    assert body["messages"][0] == {"role": "user", "content": "see", "images": ["AAAA"]}
    assert body["options"] == {"num_predict": 64, "temperature": 0.1, "stop": ["###"]}
    assert body["think"] is True and body["stream"] is True


async def test_ollama_truncated_and_error_lines() -> None:
    rec = Recorder([ndjson({"message": {"content": "a"}, "done": False})])
    with pytest.raises(ByokError) as info:
        await collect(ollama(rec).chat(ChatRequest("m", (ChatMessage("user", "x"),), 5)))
    assert info.value.kind is ErrorKind.BAD_RESPONSE
    rec = Recorder([ndjson({"error": "model 'm' not found"})])
    with pytest.raises(ByokError) as info:
        await collect(ollama(rec).chat(ChatRequest("m", (ChatMessage("user", "x"),), 5)))
    assert info.value.kind is ErrorKind.MODEL_NOT_FOUND


async def test_ollama_fim_and_raw_prompt() -> None:
    done = {
        "response": "",
        "done": True,
        "done_reason": "length",
        "prompt_eval_count": 3,
        "eval_count": 2,
    }
    rec = Recorder([httpx.Response(200, json={**done, "response": "x + y"})])
    events = await collect(ollama(rec).fim(FimRequest("qwen2.5-coder", "a = ", "\n", 8)))
    assert events == [TextDelta("x + y"), Usage(3, 2), Finish("length")]
    assert rec.body == {
        "model": "qwen2.5-coder",
        "prompt": "a = ",
        "suffix": "\n",
        "stream": False,
        "options": {"num_predict": 8},
    }
    rec = Recorder([ndjson({"response": "z", "done": False}, done)])
    events = await collect(ollama(rec).prompt(PromptRequest("m", "<PRE> a <SUF>", 8), stream=True))
    assert events[0] == TextDelta("z")
    assert rec.body["raw"] is True and rec.requests[0].url.path == "/api/generate"


async def test_ollama_models_with_context_length_and_embed() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/tags":
            return httpx.Response(
                200, json={"models": [{"name": "qwen:7b"}, {"name": "nomic-embed-text"}]}
            )
        name = json.loads(request.content)["model"]
        if name == "qwen:7b":
            return httpx.Response(
                200,
                json={
                    "model_info": {"qwen2.context_length": 32768},
                    "capabilities": ["completion", "insert"],
                },
            )
        return httpx.Response(500, json={"error": "boom"})

    models = await ollama(Recorder([answer])).list_models()
    assert models == [
        DiscoveredModel("nomic-embed-text"),
        DiscoveredModel("qwen:7b", "chat", 32768),
    ]
    rec = Recorder(
        [httpx.Response(200, json={"embeddings": [[0.1], [0.2]], "prompt_eval_count": 4})]
    )
    result = await ollama(rec).embed("nomic-embed-text", ["a", "b"])
    assert result.vectors == [[0.1], [0.2]] and result.usage == Usage(4, 0)
    assert rec.requests[0].url.path == "/api/embed"


def llama(rec: Recorder, base: str = "http://127.0.0.1:8080", **profile: Any) -> LlamaCppAdapter:
    return LlamaCppAdapter(
        make_endpoint("llamacpp", base, key=None, **profile), client=rec.client(), retry=NO_RETRY
    )


async def test_llamacpp_infill_stream() -> None:
    stream = sse(
        {"content": "ret", "stop": False},
        {"content": "urn", "stop": False},
        {
            "content": "",
            "stop": True,
            "stop_type": "limit",
            "tokens_evaluated": 20,
            "tokens_predicted": 2,
        },
        done=False,
    )
    rec = Recorder([sse_response(stream)])
    events = await collect(
        llama(rec).fim(FimRequest("any", "def f():\n    ", "\n", 16, stop=("\n\n",)), stream=True)
    )
    assert events == [TextDelta("ret"), TextDelta("urn"), Usage(20, 2), Finish("length")]
    assert rec.requests[0].url.path == "/infill"
    assert rec.body == {
        "model": "any",
        "input_prefix": "def f():\n    ",
        "input_suffix": "\n",
        "n_predict": 16,
        "stream": True,
        "cache_prompt": True,
        "stop": ["\n\n"],
    }


async def test_llamacpp_completion_one_shot_and_v1_paths() -> None:
    rec = Recorder(
        [
            httpx.Response(
                200,
                json={
                    "content": "x",
                    "stop": True,
                    "stop_type": "eos",
                    "tokens_evaluated": 1,
                    "tokens_predicted": 1,
                },
            )
        ]
    )
    events = await collect(
        llama(rec, "http://127.0.0.1:8080/v1").prompt(PromptRequest("m", "p", 4))
    )
    assert events == [TextDelta("x"), Usage(1, 1), Finish("stop")]
    assert rec.requests[0].url.path == "/completion"
    rec = Recorder(
        [
            httpx.Response(
                200, json={"data": [{"id": "model.gguf", "meta": {"n_ctx_train": 4096}}]}
            ),
            httpx.Response(200, json={"default_generation_settings": {"n_ctx": 2048}}),
            sse_response(
                sse(
                    {"choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": "stop"}]}
                )
            ),
        ]
    )
    ad = llama(rec, models_path="/v1/models")
    assert await ad.list_models() == [DiscoveredModel("model.gguf", None, 2048)]
    await collect(ad.chat(ChatRequest("m", (ChatMessage("user", "x"),), 5)))
    assert [r.url.path for r in rec.requests] == ["/v1/models", "/props", "/v1/chat/completions"]


async def test_mistral_fim(specs: Specs) -> None:
    stream = sse(
        {
            "id": "x",
            "object": "chat.completion.chunk",
            "choices": [
                {
                    "index": 0,
                    "delta": {"role": "assistant", "content": "return"},
                    "finish_reason": None,
                }
            ],
        },
        {
            "id": "x",
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": {"content": " 1"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 9, "completion_tokens": 2},
        },
    )
    rec = Recorder([sse_response(stream)])
    ad = MistralAdapter(
        make_endpoint("mistral", "https://api.mistral.ai/v1", stream_usage=False),
        client=rec.client(),
        retry=NO_RETRY,
    )
    events = await collect(
        ad.fim(
            FimRequest("codestral-latest", "def f():\n    ", "\n", 32, temperature=0.0), stream=True
        )
    )
    assert events == [TextDelta("return"), TextDelta(" 1"), Finish("stop"), Usage(9, 2)]
    assert str(rec.requests[0].url) == "https://api.mistral.ai/v1/fim/completions"
    assert rec.body == {
        "model": "codestral-latest",
        "prompt": "def f():\n    ",
        "suffix": "\n",
        "max_tokens": 32,
        "stream": True,
        "temperature": 0.0,
    }
    with pytest.raises(ByokError):
        await collect(ad.prompt(PromptRequest("m", "p", 4)))
