"""Streamed chat through the real server: text in order and complete, reasoning kept apart."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.fakes import FakeServer
from tests.lsp.editor import ANTHROPIC_KEY, Session, deltas, joined, use_model, user
from tests.lsp.editor import CHAT_KEY as KEY

ANSWER = "The quick brown fox jumps over the lazy dog, then naps. Ünïcødé ✓ too."
STEP = 0.01  # seconds between chunks: separate reads, separate deltas
THOUGHT = "First, consider the fox; then the dog; then answer briefly."


def assert_streamed(
    lsp: Session, chat_id: str, result: dict[str, Any], text: str, reasoning: str | None = None
) -> list[dict[str, Any]]:
    got = deltas(lsp, chat_id)
    assert [d["index"] for d in got] == list(range(len(got)))
    assert joined(got, "text") == text == result["content"]
    assert len([d for d in got if d.get("text")]) > 1, "the answer was not streamed"
    assert {d["modelId"] for d in got} == {result["modelId"]}
    if reasoning is None:
        assert result["reasoning"] is None
        assert not any(d.get("reasoning") for d in got)
    else:
        assert joined(got, "reasoning") == reasoning == result["reasoning"]
        # Reasoning is separate from the answer and comes before it.
        last_thought = max(i for i, d in enumerate(got) if d.get("reasoning"))
        first_text = min(i for i, d in enumerate(got) if d.get("text"))
        assert last_thought < first_text
        assert not any(d.get("text") and d.get("reasoning") for d in got)
    return got


async def test_openai_streams_in_order(lsp: Session, openai_fake: FakeServer) -> None:
    model_id = await use_model(
        lsp, openai_fake, {"name": "gpt-4o", "nCtx": 128000, "defaultTemperature": 0.3}
    )
    openai_fake.script(text=ANSWER, chunks=9, delay_chunks=STEP)
    result = await lsp.request("byok/chat", {"messages": user("Tell me"), "chatId": "c1"})
    assert result["modelId"] == model_id
    assert result["finishReason"] == "stop"
    assert result["usage"]["outputTokens"] > 0 and result["usage"]["inputTokens"] > 0
    assert_streamed(lsp, "c1", result, ANSWER)
    req = openai_fake.last
    assert req.path == "/v1/chat/completions"
    assert req.header("authorization") == f"Bearer {KEY}"
    body = req.json
    assert body["stream"] is True
    assert body["messages"] == [{"role": "user", "content": "Tell me"}]
    # reasoning_style none: nothing reasoning-related is sent.
    assert "reasoning_effort" not in body and "thinking" not in body
    assert "max_completion_tokens" not in body
    assert body["temperature"] == 0.3

    # Whitespace is content: code indentation in and out survives untouched.
    code = "    return x\n\n"
    openai_fake.script(text="\n  indented\n", chunks=3)
    result = await lsp.request("byok/chat", {"messages": user(code), "chatId": "ws"})
    assert openai_fake.last.json["messages"] == [{"role": "user", "content": code}]
    assert result["content"] == "\n  indented\n"

    # Without a chatId the server makes one up and uses it for every delta.
    before = len(lsp.received("byok/chat/delta"))
    openai_fake.script(text="abc def", chunks=2)
    result = await lsp.request("byok/chat", {"messages": user("x")})
    got = lsp.received("byok/chat/delta")[before:]
    assert len({d["chatId"] for d in got}) == 1 and got[0]["chatId"]
    assert joined(got, "text") == result["content"] == "abc def"

    # A long, fast stream: every one of 600 pieces arrives, once, in order (pieces that
    # arrive together may share a delta).
    words = "".join(f"w{i:04d} " for i in range(600))
    openai_fake.script(text=words, chunks=600)
    result = await lsp.request("byok/chat", {"messages": user("count"), "chatId": "long"})
    got = deltas(lsp, "long")
    assert joined(got, "text") == words == result["content"]
    assert [d["index"] for d in got] == list(range(len(got)))

    # Two chats at once stay apart.
    openai_fake.script(text="A" * 40, chunks=20, delay_chunks=0.005)
    openai_fake.script(text="B" * 40, chunks=20, delay_chunks=0.005)
    first, second = await asyncio.gather(
        lsp.request("byok/chat", {"messages": user("a"), "chatId": "x"}),
        lsp.request("byok/chat", {"messages": user("b"), "chatId": "y"}),
    )
    assert {first["content"], second["content"]} == {"A" * 40, "B" * 40}
    for chat_id, result in (("x", first), ("y", second)):
        got = deltas(lsp, chat_id)
        assert [d["index"] for d in got] == list(range(len(got)))
        assert joined(got, "text") == result["content"]

    # Same server, an OpenAI reasoning model (reasoning_style openai).
    await check_openai_reasoning_style(lsp, openai_fake)


async def check_openai_reasoning_style(lsp: Session, openai_fake: FakeServer) -> None:
    await use_model(
        lsp,
        openai_fake,
        {"name": "o3-mini", "defaultTemperature": 0.2, "maxOutputTokens": 20000},
        template="openai",
    )
    openai_fake.script(text=ANSWER, chunks=3, delay_chunks=STEP)
    params = {"messages": user("Tell me"), "chatId": "o1", "reasoning": {"effort": "high"}}
    result = await lsp.request("byok/chat", params)
    assert result["content"] == ANSWER
    body = openai_fake.last.json
    assert body["reasoning_effort"] == "high"
    assert body["max_completion_tokens"] == 20000
    assert "max_tokens" not in body
    assert "temperature" not in body  # reasoning models reject non-default temperatures
    # Without an explicit effort the default is sent.
    openai_fake.script(text="ok", chunks=1)
    await lsp.request("byok/chat", {"messages": user("again")})
    assert openai_fake.last.json["reasoning_effort"] == "medium"


async def test_anthropic_streams_thinking_then_text(
    lsp: Session, anthropic_fake: FakeServer
) -> None:
    await use_model(
        lsp,
        anthropic_fake,
        {"name": "claude-sonnet-4-5", "defaultTemperature": 0.5},
        template="anthropic",
        key=ANTHROPIC_KEY,
    )
    anthropic_fake.script(text=ANSWER, reasoning=THOUGHT, chunks=6, delay_chunks=STEP)
    messages = [{"role": "system", "content": "Be brief."}, *user("Tell me")]
    result = await lsp.request("byok/chat", {"messages": messages, "chatId": "a1"})
    assert_streamed(lsp, "a1", result, ANSWER, THOUGHT)
    req = anthropic_fake.last
    assert req.path == "/v1/messages"
    assert req.header("x-api-key") == ANTHROPIC_KEY
    assert req.header("authorization") is None
    assert req.header("anthropic-version")
    body = req.json
    assert body["system"] == "Be brief."
    assert body["messages"] == [{"role": "user", "content": [{"type": "text", "text": "Tell me"}]}]
    thinking = body["thinking"]
    assert thinking["type"] == "enabled"
    assert 1024 <= thinking["budget_tokens"] < body["max_tokens"]
    # Extended thinking rejects a temperature, even the model's default.
    assert "temperature" not in body

    # An explicit budget is honoured and still leaves room for the answer.
    anthropic_fake.script(text="ok", chunks=1)
    params = {"messages": user("x"), "maxTokens": 2000, "reasoning": {"budgetTokens": 4096}}
    await lsp.request("byok/chat", params)
    body = anthropic_fake.last.json
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 4096}
    assert body["max_tokens"] > 4096

    # A model without reasoning_style anthropic sends no thinking, and its temperature.
    await lsp.request(
        "byok/models/update",
        {
            "providerId": "anthropic",
            "name": "claude-haiku-4-5",
            "task": "chat",
            "model": {"defaultTemperature": 0.7},
        },
    )
    anthropic_fake.script(text=ANSWER, chunks=4, delay_chunks=STEP)
    params = {"messages": user("Tell me"), "chatId": "a2", "modelId": "anthropic/claude-haiku-4-5"}
    result = await lsp.request("byok/chat", params)
    assert_streamed(lsp, "a2", result, ANSWER)
    body = anthropic_fake.last.json
    assert body["model"] == "claude-haiku-4-5"
    assert "thinking" not in body
    assert body["temperature"] == 0.7
    assert body["max_tokens"] == 64000  # the model's max_output_tokens


async def test_deepseek_reasoner_and_vllm(
    lsp: Session, deepseek_fake: FakeServer, vllm_fake: FakeServer
) -> None:
    model_id = await use_model(
        lsp, deepseek_fake, {"name": "deepseek-reasoner"}, template="deepseek"
    )
    assert model_id == "deepseek/deepseek-reasoner"
    deepseek_fake.script(text=ANSWER, reasoning=THOUGHT, chunks=5, delay_chunks=STEP)
    result = await lsp.request("byok/chat", {"messages": user("Tell me"), "chatId": "d1"})
    assert_streamed(lsp, "d1", result, ANSWER, THOUGHT)
    body = deepseek_fake.last.json
    assert body["model"] == "deepseek-reasoner"
    # deepseek style: reasoning comes back by itself; nothing extra is asked for.
    assert "reasoning_effort" not in body and "thinking" not in body
    assert body["max_tokens"] == 64000

    # An OpenAI-compatible local server (vLLM): no key, none sent.
    model = "Qwen/Qwen2.5-Coder-7B-Instruct"
    model_id = await use_model(
        lsp, vllm_fake, {"name": model, "nCtx": 32768}, template="vllm", key=None
    )
    vllm_fake.script(text=ANSWER, chunks=12, delay_chunks=STEP)
    result = await lsp.request("byok/chat", {"messages": user("Tell me"), "chatId": "v1"})
    assert result["modelId"] == model_id == f"vllm/{model}"
    assert_streamed(lsp, "v1", result, ANSWER)
    req = vllm_fake.last
    assert req.path == "/v1/chat/completions"
    assert req.header("authorization") is None
    assert req.json["model"] == model
    assert "temperature" not in req.json  # no default_temperature, none asked for
    assert len(deepseek_fake.requests) == 1


async def test_ollama_native_ndjson(lsp: Session, ollama_fake: FakeServer) -> None:
    await use_model(
        lsp,
        ollama_fake,
        {"name": "llama3.1:8b", "nCtx": 8192, "defaultTemperature": 0.1},
        template="ollama",
        key=None,
    )
    ollama_fake.script(text=ANSWER, chunks=7, delay_chunks=STEP)
    result = await lsp.request("byok/chat", {"messages": user("Tell me"), "chatId": "l1"})
    assert_streamed(lsp, "l1", result, ANSWER)
    req = ollama_fake.last
    assert req.path == "/api/chat"
    assert req.header("authorization") is None
    body = req.json
    assert body["messages"] == [{"role": "user", "content": "Tell me"}]
    assert body["options"]["temperature"] == 0.1
    assert 0 < body["options"]["num_predict"] < 8192
    assert "think" not in body
    assert result["usage"]["outputTokens"] > 0

    # A thinking model: Ollama is asked to think and its thinking is kept apart.
    await lsp.request(
        "byok/models/add",
        {
            "providerId": "ollama",
            "model": {"name": "qwen3:8b", "task": "chat", "reasoningStyle": "deepseek"},
        },
    )
    ollama_fake.script(text=ANSWER, reasoning=THOUGHT, chunks=4, delay_chunks=STEP)
    params = {"messages": user("Tell me"), "chatId": "l2", "modelId": "ollama/qwen3:8b"}
    result = await lsp.request("byok/chat", params)
    assert_streamed(lsp, "l2", result, ANSWER, THOUGHT)
    assert ollama_fake.last.json["think"] is True
