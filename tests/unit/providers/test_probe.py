"""Provider test, discovery and local server detection."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable

import httpx
import pytest

from byok_ls.providers import probe
from byok_ls.providers.probe import Detected, check_endpoint, detect_local

from .conftest import Recorder, make_endpoint

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def run_server(handler: Handler) -> tuple[asyncio.Server, int]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_ok_counts_models() -> None:
    rec = Recorder([httpx.Response(200, json={"data": [{"id": "a"}, {"id": "b"}]})])
    result = await check_endpoint(make_endpoint(), None, client=rec.client())
    assert result.ok and result.status == "ok" and result.models_found == 2
    assert "2 models" in result.message


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (401, {"error": {"message": "bad", "code": "invalid_api_key"}}, "auth_failed"),
        (402, {"error": {"message": "Insufficient Balance"}}, "out_of_credit"),
        (429, {"error": {"message": "slow", "code": "rate_limit_exceeded"}}, "rate_limited"),
        (404, {"error": {"message": "no"}}, "not_found"),
        (500, {"error": {"message": "oops"}}, "server_error"),
        (200, "not json", "bad_response"),
    ],
)
async def test_failure_statuses(status: int, body: object, expected: str) -> None:
    response = (
        httpx.Response(status, text=body)
        if isinstance(body, str)
        else httpx.Response(status, json=body)
    )
    rec = Recorder([response])
    result = await check_endpoint(make_endpoint(), None, client=rec.client())
    assert (result.ok, result.status) == (False, expected)
    assert len(rec.requests) == 1  # no retries while testing


async def test_without_listing_uses_a_one_token_chat() -> None:
    chat = {
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "OK"},
                "finish_reason": "length",
            }
        ]
    }
    rec = Recorder([httpx.Response(200, json=chat)])
    result = await check_endpoint(make_endpoint(models_path=None), "my-model", client=rec.client())
    assert result.ok
    assert rec.requests[0].url.path == "/v1/chat/completions"
    assert rec.body["max_tokens"] == 1 and rec.body["model"] == "my-model"
    no_hint = await check_endpoint(make_endpoint(models_path=None), None, client=rec.client())
    assert no_hint.status == "not_found" and not no_hint.ok


async def test_auth_check_path_catches_a_public_listing() -> None:
    rec = Recorder(
        [httpx.Response(401, json={"error": {"code": 401, "message": "No auth credentials found"}})]
    )
    result = await check_endpoint(make_endpoint(auth_check_path="/key"), None, client=rec.client())
    assert result.status == "auth_failed"
    assert rec.requests[0].url.path == "/v1/key"


async def test_connection_refused_is_unreachable() -> None:
    ep = make_endpoint(base_url=f"http://127.0.0.1:{free_port()}/v1")
    result = await check_endpoint(ep, None)
    assert result.status == "unreachable"


async def test_silent_and_non_http_listeners_answer_quickly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(probe, "PROBE_READ_S", 0.5)

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1 << 16)
        await reader.read(1 << 16)  # returns when the client gives up and closes
        writer.close()

    async def ssh(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"SSH-2.0-OpenSSH_9.6\r\n")
        await writer.drain()
        await reader.read(1 << 16)
        writer.close()

    results = []
    for handler in (silent, ssh):
        server, port = await run_server(handler)
        start = time.monotonic()
        results.append(
            (
                await check_endpoint(make_endpoint(base_url=f"http://127.0.0.1:{port}/v1"), None)
            ).status
        )
        assert time.monotonic() - start < 3
        server.close()
        await server.wait_closed()
    assert results == ["timeout", "bad_response"]


async def test_detect_local_probes_the_usual_ports() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        port, path = request.url.port, request.url.path
        if port == 11434 and path == "/api/tags":
            return httpx.Response(200, json={"models": [{"name": "qwen2.5-coder:7b"}]})
        if port == 1234 and path == "/v1/models":
            return httpx.Response(200, json={"data": [{"id": "local-model"}]})
        if port == 8080 and path == "/health":
            return httpx.Response(200, json={"status": "ok"})
        if port == 8080:
            return httpx.Response(404)
        raise httpx.ConnectError("refused", request=request)

    found = await detect_local(transport=httpx.MockTransport(answer))
    assert sorted(found, key=lambda d: d.template) == [
        Detected("llamacpp", "http://127.0.0.1:8080", []),
        Detected("lmstudio", "http://127.0.0.1:1234/v1", ["local-model"]),
        Detected("ollama", "http://127.0.0.1:11434", ["qwen2.5-coder:7b"]),
    ]


async def test_detect_local_over_real_sockets() -> None:
    async def vllm(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        body = b'{"object":"list","data":[{"id":"Qwen/Qwen2.5-Coder-7B","max_model_len":32768}]}'
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s"
            % (len(body), body)
        )
        await writer.drain()
        writer.close()

    server, port = await run_server(vllm)
    start = time.monotonic()
    found = await detect_local({"vllm": port, "ollama": free_port()})
    assert time.monotonic() - start < 2
    assert found == [Detected("vllm", f"http://127.0.0.1:{port}/v1", ["Qwen/Qwen2.5-Coder-7B"])]
    server.close()
    await server.wait_closed()
