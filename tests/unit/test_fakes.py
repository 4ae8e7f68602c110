"""The provider fakes themselves: framing, faults, recording, contract checks, CLI.

Fixtures come from the `tests.fakes.fixtures` plugin (registered in tests/conftest.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from tests.fakes import ContractChecker, FakeServer, Reply, Specs, ToolCall, presets
from tests.fakes.fixtures import _fake

CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
KEY = {"authorization": "Bearer sk-test"}
ANTHROPIC_HEADERS = {"x-api-key": "sk-ant-test", "anthropic-version": "2023-06-01"}
CLAUDE = {
    "model": "claude-sonnet-4-20250514",
    "max_tokens": 64,
    "messages": [{"role": "user", "content": "hi"}],
}


def sse_events(raw: bytes) -> list[bytes]:
    assert raw.endswith(b"\n\n"), raw[-40:]
    return raw[:-2].split(b"\n\n")


def data_objects(raw: bytes) -> list[Any]:
    out = []
    for ev in sse_events(raw):
        for line in ev.split(b"\n"):
            if line.startswith(b"data: ") and line != b"data: [DONE]":
                out.append(json.loads(line[6:]))
    return out


def test_openai_stream_framing_is_exact(openai_fake: FakeServer) -> None:
    openai_fake.script(text="abcdef", chunks=3)
    body = {**CHAT, "stream": True, "stream_options": {"include_usage": True}}
    r = httpx.post(f"{openai_fake.api_base}/chat/completions", json=body, headers=KEY)
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert r.headers["x-request-id"].startswith("req_")
    events = sse_events(r.content)
    assert all(e.startswith(b"data: ") and b"\n" not in e for e in events)
    assert events[-1] == b"data: [DONE]"
    objs = data_objects(r.content)
    assert objs[0]["choices"][0]["delta"]["role"] == "assistant"
    text = "".join(o["choices"][0]["delta"].get("content") or "" for o in objs if o["choices"])
    assert text == "abcdef"
    assert [o["choices"][0]["delta"]["content"] for o in objs[1:4]] == ["ab", "cd", "ef"]
    assert objs[-2]["choices"][0]["finish_reason"] == "stop"
    assert objs[-1]["choices"] == [] and objs[-1]["usage"]["total_tokens"] > 0
    assert all(o["usage"] is None for o in objs[:-1])


def test_openai_tool_call_streams_in_fragments(openai_fake: FakeServer) -> None:
    openai_fake.queue(Reply(tool_calls=[ToolCall("get_weather", '{"city":"Paris"}', fragments=3)]))
    r = httpx.post(f"{openai_fake.api_base}/chat/completions", json={**CHAT, "stream": True})
    calls = [
        o["choices"][0]["delta"]["tool_calls"][0]
        for o in data_objects(r.content)
        if o["choices"][0]["delta"].get("tool_calls")
    ]
    assert calls[0]["id"] and calls[0]["function"] == {"name": "get_weather", "arguments": ""}
    assert "".join(c["function"]["arguments"] for c in calls[1:]) == '{"city":"Paris"}'
    assert len(calls) == 4
    assert data_objects(r.content)[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_fim_completion_default_text(openai_fake: FakeServer) -> None:
    body = {"model": "gpt-3.5-turbo-instruct", "prompt": "def add(a, b):\n    ", "suffix": "\n"}
    r = httpx.post(f"{openai_fake.api_base}/completions", json=body)
    assert r.json()["choices"][0]["text"] == "return a + b"
    assert openai_fake.last.json["suffix"] == "\n"


def test_deepseek_reasoning_precedes_content_with_keepalives(deepseek_fake: FakeServer) -> None:
    deepseek_fake.script(reasoning="think", text="answer", chunks=2)
    body = {"model": "deepseek-reasoner", "messages": CHAT["messages"], "stream": True}
    r = httpx.post(f"{deepseek_fake.api_base}/chat/completions", json=body)
    assert r.content.startswith(b": keep-alive\n\n")
    assert b"\n\n\n" in r.content  # a blank line between events
    deltas = [o["choices"][0]["delta"] for o in data_objects(r.content)]
    reasoning = "".join(d.get("reasoning_content") or "" for d in deltas)
    content = "".join(d.get("content") or "" for d in deltas)
    assert (reasoning, content) == ("think", "answer")
    first_content = next(i for i, d in enumerate(deltas) if d.get("content"))
    last_reasoning = max(i for i, d in enumerate(deltas) if d.get("reasoning_content"))
    assert last_reasoning < first_content
    beta = httpx.post(
        f"{deepseek_fake.base_url}/beta/completions",
        json={"model": "deepseek-chat", "prompt": "a", "suffix": "b"},
    )
    assert beta.json()["choices"][0]["text"] == "return a + b"


def test_openrouter_processing_comment_and_error_chunk(openrouter_fake: FakeServer) -> None:
    openrouter_fake.queue(presets.openrouter_stream_error())
    body = {"model": "openai/gpt-4o", "messages": CHAT["messages"], "stream": True}
    r = httpx.post(f"{openrouter_fake.api_base}/chat/completions", json=body)
    assert r.status_code == 200
    assert r.content.startswith(b": OPENROUTER PROCESSING\n\n")
    last = data_objects(r.content)[-1]
    assert last["error"]["message"] == "Provider returned error"
    assert last["choices"][0]["finish_reason"] == "error"
    assert b"[DONE]" not in r.content


def test_anthropic_stream_events(anthropic_fake: FakeServer) -> None:
    anthropic_fake.queue(Reply(reasoning="hmm", text="Hi", tool_calls=[ToolCall("f", '{"a":1}')]))
    body = {**CLAUDE, "stream": True}
    r = httpx.post(f"{anthropic_fake.base_url}/v1/messages", json=body, headers=ANTHROPIC_HEADERS)
    events = sse_events(r.content)
    names = [e.split(b"\n")[0].removeprefix(b"event: ").decode() for e in events]
    assert names[:3] == ["message_start", "content_block_start", "ping"]
    assert names[-2:] == ["message_delta", "message_stop"]
    deltas = [
        o["delta"]["type"] for o in data_objects(r.content) if o["type"] == "content_block_delta"
    ]
    assert (
        deltas.index("signature_delta")
        < deltas.index("text_delta")
        < deltas.index("input_json_delta")
    )
    final = data_objects(r.content)[-2]
    assert final["delta"]["stop_reason"] == "tool_use" and final["usage"]["output_tokens"] > 0
    assert r.headers["request-id"].startswith("req_")


def test_anthropic_overloaded_mid_stream(anthropic_fake: FakeServer) -> None:
    anthropic_fake.queue(presets.anthropic_stream_overloaded())
    r = httpx.post(
        f"{anthropic_fake.base_url}/v1/messages",
        json={**CLAUDE, "stream": True},
        headers=ANTHROPIC_HEADERS,
    )
    assert r.status_code == 200
    last = sse_events(r.content)[-1]
    assert last.startswith(b"event: error\ndata: ")
    assert json.loads(last.split(b"data: ", 1)[1])["error"]["type"] == "overloaded_error"


def test_anthropic_models_paging(anthropic_fake: FakeServer) -> None:
    url = f"{anthropic_fake.base_url}/v1/models"
    page1 = httpx.get(url, params={"limit": 2}, headers=ANTHROPIC_HEADERS).json()
    assert page1["has_more"] is True and len(page1["data"]) == 2
    page2 = httpx.get(
        url, params={"limit": 2, "after_id": page1["last_id"]}, headers=ANTHROPIC_HEADERS
    ).json()
    assert page2["first_id"] != page1["last_id"] and page2["has_more"] is False


def test_stream_cut_leaves_chunked_body_incomplete(openai_fake: FakeServer) -> None:
    openai_fake.script(text="abcdef", chunks=3, cut_after=2)
    received = b""
    with (
        pytest.raises(httpx.RemoteProtocolError),
        httpx.stream(
            "POST", f"{openai_fake.api_base}/chat/completions", json={**CHAT, "stream": True}
        ) as r,
    ):
        for part in r.iter_raw():
            received += part
    assert len(data_objects(received)) == 2 and b"[DONE]" not in received
    req = openai_fake.wait_idle()[0]
    assert not req.completed and not req.closed_early


def test_reset_is_an_rst(openai_fake: FakeServer) -> None:
    openai_fake.script(reset_before_headers=True)
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        httpx.post(f"{openai_fake.api_base}/chat/completions", json=CHAT)


def test_client_drop_mid_stream_is_recorded(openai_fake: FakeServer) -> None:
    openai_fake.script(text="abcdef", chunks=3, stall_after=2)
    with httpx.stream(
        "POST", f"{openai_fake.api_base}/chat/completions", json={**CHAT, "stream": True}
    ) as r:
        lines = r.iter_lines()
        assert next(lines).startswith("data: ")
    req = openai_fake.wait_closed_early()
    assert req.closed_early and not req.completed
    openai_fake.wait_idle()
    assert openai_fake.in_flight == 0


def test_keep_alive_and_in_flight_accounting(openai_fake: FakeServer) -> None:
    with httpx.Client() as client:
        for _ in range(2):
            client.post(f"{openai_fake.api_base}/chat/completions", json=CHAT)
    first, second = openai_fake.requests
    assert first.connection == second.connection and first.completed and not first.closed_early
    assert openai_fake.max_in_flight == 1
    openai_fake.queue(*[Reply(delay_headers=0.3) for _ in range(3)])
    threads = [
        threading.Thread(
            target=httpx.post,
            args=(f"{openai_fake.api_base}/chat/completions",),
            kwargs={"json": CHAT},
        )
        for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert openai_fake.max_in_flight == 3


def test_expect_key_gives_the_real_401s() -> None:
    with FakeServer("openai", expect_key="sk-right") as fake:
        r = httpx.post(
            f"{fake.api_base}/chat/completions",
            json=CHAT,
            headers={"authorization": "Bearer sk-wrong"},
        )
        assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key"
        ok = httpx.post(
            f"{fake.api_base}/chat/completions",
            json=CHAT,
            headers={"authorization": "Bearer sk-right"},
        )
        assert ok.status_code == 200
    with FakeServer("anthropic", expect_key="sk-ant") as fake:
        r = httpx.post(
            f"{fake.base_url}/v1/messages", json=CLAUDE, headers={"anthropic-version": "2023-06-01"}
        )
        assert r.status_code == 401
        assert r.json() == {
            "type": "error",
            "error": {"type": "authentication_error", "message": "x-api-key header is required"},
        }


def test_error_presets_carry_real_bodies_and_headers(
    openai_fake: FakeServer, deepseek_fake: FakeServer
) -> None:
    openai_fake.queue(
        presets.openai_rate_limited(retry_after_s=2), presets.openai_insufficient_quota()
    )
    r1 = httpx.post(f"{openai_fake.api_base}/chat/completions", json=CHAT)
    r2 = httpx.post(f"{openai_fake.api_base}/chat/completions", json=CHAT)
    assert (r1.status_code, r1.headers["retry-after"], r1.headers["retry-after-ms"]) == (
        429,
        "2",
        "2000",
    )
    assert r1.json()["error"]["code"] == "rate_limit_exceeded"
    assert (r2.status_code, r2.json()["error"]["type"]) == (429, "insufficient_quota")
    deepseek_fake.queue(presets.deepseek_insufficient_balance())
    r3 = httpx.post(
        f"{deepseek_fake.api_base}/chat/completions", json={**CHAT, "model": "deepseek-chat"}
    )
    assert r3.status_code == 402
    assert r3.content == (
        b'{"error":{"message":"Insufficient Balance","type":"unknown_error",'
        b'"param":null,"code":"invalid_request_error"}}'
    )


def test_ollama_ndjson_and_show(ollama_fake: FakeServer) -> None:
    body = {"model": "qwen2.5-coder:1.5b", "messages": [{"role": "user", "content": "hi"}]}
    r = httpx.post(f"{ollama_fake.base_url}/api/chat", json=body)
    assert r.headers["content-type"] == "application/x-ndjson"
    lines = [json.loads(x) for x in r.content.decode().splitlines()]
    assert "".join(x["message"]["content"] for x in lines) == "Hello from the fake."
    assert (
        lines[-1]["done"] is True
        and lines[-1]["eval_count"] > 0
        and lines[-1]["done_reason"] == "stop"
    )
    show = httpx.post(
        f"{ollama_fake.base_url}/api/show", json={"model": "qwen2.5-coder:1.5b"}
    ).json()
    assert show["model_info"]["qwen2.context_length"] == 32768
    ollama_fake.queue(presets.ollama_model_not_found("x"))
    r = httpx.post(
        f"{ollama_fake.base_url}/api/generate", json={"model": "x", "prompt": "a", "stream": False}
    )
    assert (r.status_code, r.json()) == (
        404,
        {"error": 'model "x" not found, try pulling it first'},
    )


def test_llamacpp_infill_and_mistral_fim(
    llamacpp_fake: FakeServer, mistral_fake: FakeServer
) -> None:
    r = httpx.post(
        f"{llamacpp_fake.base_url}/infill",
        json={"input_prefix": "def f(a, b):\n    ", "input_suffix": "\n", "n_predict": 16},
    )
    assert r.json()["content"] == "return a + b" and r.json()["stop"] is True
    s = httpx.post(
        f"{llamacpp_fake.base_url}/infill",
        json={"input_prefix": "x", "input_suffix": "y", "stream": True},
    )
    objs = data_objects(s.content)
    assert objs[-1]["stop"] is True and b"[DONE]" not in s.content
    m = httpx.post(
        f"{mistral_fake.api_base}/fim/completions",
        json={"model": "codestral-latest", "prompt": "a", "suffix": "b"},
    )
    assert m.json()["choices"][0]["message"]["content"] == "return a + b"


def test_contract_catches_invalid_and_passes_valid(contract_specs: Specs) -> None:
    checker = ContractChecker(contract_specs)
    with FakeServer("openai", contract=checker) as fake:
        httpx.post(f"{fake.api_base}/chat/completions", json=CHAT)
        assert checker.violations == []
        httpx.post(f"{fake.api_base}/chat/completions", json={"messages": CHAT["messages"]})
        httpx.post(
            f"{fake.api_base}/chat/completions",
            json={**CHAT, "stream_options": {"include_usage": True}},
        )
    found = checker.violations
    assert len(found) == 2
    assert "'model' is a required property" in found[0]
    assert "stream_options" in found[1]


def test_contract_checks_anthropic_headers(contract_specs: Specs) -> None:
    checker = ContractChecker(contract_specs)
    with FakeServer("anthropic", contract=checker) as fake:
        httpx.post(
            f"{fake.base_url}/v1/messages", json=CLAUDE, headers={"authorization": "Bearer k"}
        )
    assert any("x-api-key" in v for v in checker.violations)
    assert any("anthropic-version" in v for v in checker.violations)


def test_fixture_fails_the_test_on_violation(contract_specs: Specs) -> None:
    node = SimpleNamespace(get_closest_marker=lambda name: None)
    gen = _fake(SimpleNamespace(node=node), contract_specs, "openai")  # type: ignore[arg-type]
    fake = next(gen)
    httpx.post(f"{fake.api_base}/completions", json={"model": "gpt-3.5-turbo-instruct"})
    with pytest.raises(pytest.fail.Exception, match="'prompt' is a required property"):
        next(gen)


def test_cli_process_with_control_api() -> None:
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes", "openai", "--port", "0", "--expect-key", "sk-cli"],
        cwd=root,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("listening on http://127.0.0.1:")
        base = line.removeprefix("listening on ")
        httpx.post(f"{base}/__fake/script", json={"preset": "openai.context_length_exceeded"})
        r = httpx.post(
            f"{base}/v1/chat/completions", json=CHAT, headers={"authorization": "Bearer sk-cli"}
        )
        assert r.json()["error"]["code"] == "context_length_exceeded"
        recorded = httpx.get(f"{base}/__fake/requests").json()
        assert recorded[0]["headers"]["authorization"] == "present"
        assert recorded[0]["json"] == CHAT
        httpx.post(f"{base}/__fake/reset")
        assert httpx.get(f"{base}/__fake/requests").json() == []
    finally:
        proc.terminate()
        proc.wait(timeout=5)


async def test_cancelled_async_request_closes_upstream(openai_fake: FakeServer) -> None:
    """The pattern LSP tests use: the client task is cancelled while the fake stalls."""
    import asyncio

    openai_fake.script(stall_after=1)

    async def consume() -> None:
        async with (
            httpx.AsyncClient() as client,
            client.stream(
                "POST", f"{openai_fake.api_base}/chat/completions", json={**CHAT, "stream": True}
            ) as r,
        ):
            async for _ in r.aiter_lines():
                pass

    task = asyncio.create_task(consume())
    await openai_fake.wait_for_async(lambda rs: bool(rs) and rs[0].status == 200)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await openai_fake.wait_for_async(lambda rs: rs[0].closed_early)
    assert openai_fake.max_in_flight == 1


def test_stop_with_a_stalled_stream_open() -> None:
    fake = FakeServer("anthropic")
    fake.start()
    fake.script(stall_after=0)
    with httpx.stream(
        "POST", f"{fake.base_url}/v1/messages", json=CLAUDE, headers=ANTHROPIC_HEADERS
    ) as r:
        assert r.status_code == 200
        fake.stop()
        with pytest.raises(httpx.RemoteProtocolError):
            r.read()


def test_reply_aimed_at_a_path_waits_for_it(openai_fake: FakeServer) -> None:
    openai_fake.queue(Reply(path="/models", **_status_body(presets.openai_invalid_key())))
    chat = httpx.post(f"{openai_fake.api_base}/chat/completions", json=CHAT)
    legacy = httpx.post(
        f"{openai_fake.api_base}/completions",
        json={"model": "gpt-3.5-turbo-instruct", "prompt": "a"},
    )
    models = httpx.get(f"{openai_fake.api_base}/models")
    assert (chat.status_code, legacy.status_code, models.status_code) == (200, 200, 401)
    assert httpx.get(f"{openai_fake.api_base}/models").status_code == 200


def _status_body(reply: Reply) -> dict[str, Any]:
    return {"status": reply.status, "body": reply.body}
